"""Each machine's memory holds the memory limits of every container planned on it
(components/derive/memory.py): every stack file fits, and one that does not is refused with a
message naming the machine's size, the total and the largest containers.

Machine memory comes from the stack file (a guest's memoryMb) and the providers' naming (a
DigitalOcean size slug names its memory: s-4vcpu-8gb is 8 GB), the limits from the stack file's
resources, the system's reserve from the documented rule (docs/config-reference.md,
reservedMemoryMb: the larger of 768 MiB and a tenth); nothing from the code under test."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.derive.memory import droplet_memory_mb
from components.derive.plan import stack_plan
from components.plan import plan_stack
from components.plan.stack_spec import read_stack_spec
from components.spec import SpecError
from tests.stacks import ROOT, stack_spec

STACKS = tuple(
    sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in ROOT.glob("Pulumi.*.yaml"))
)


def _memory(config: dict[str, Any], machine: str) -> int | None:
    """The machine's memory in MiB as the stack file gives it (a guest's memoryMb, a droplet
    slug's NNgb); None for the others."""
    guest = config.get("platform:guests", {}).get(machine)
    if guest is not None:
        return int(guest["memoryMb"])
    host = config["platform:hosts"].get(machine, {})
    match = re.search(r"-(\d+)gb", host.get("size", ""))
    return int(match.group(1)) * 1024 if host.get("kind") == "droplet" and match else None


def _reserve(config: dict[str, Any], machine: str, memory: int) -> int:
    """The system's reserve as docs/config-reference.md states it: the machine's
    reservedMemoryMb, else the larger of 768 MiB and a tenth of its memory."""
    entry = config.get("platform:guests", {}).get(machine) or config["platform:hosts"][machine]
    given = entry.get("reservedMemoryMb")
    return int(given) if given is not None else max(768, round(memory / 10))


@pytest.mark.parametrize("stack", STACKS)
def test_every_machine_holds_its_containers_limits(stack: str) -> None:
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    plan = stack_plan(stack_spec(stack))
    totals: dict[str, int] = {}
    for service in plan.services.values():
        totals[service.machine] = totals.get(service.machine, 0) + service.resources.memoryMb
    for name, service in config["platform:services"].items():
        # The stack file's own limits are the ones planned.
        given = service.get("resources", {}).get("memoryMb")
        if given is not None:
            assert plan.services[name].resources.memoryMb == given
    checked = {m: (t, memory) for m, t in totals.items() if (memory := _memory(config, m))}
    over = {
        m: (t, memory)
        for m, (t, memory) in checked.items()
        if t > memory - _reserve(config, m, memory)
    }
    assert over == {}


def test_the_small_machines_are_checked() -> None:
    # staging and skycloud are 8 GB droplets whose monitoring set is sized to fit: the check
    # above is not vacuous for them.
    for stack in ("staging", "skycloud"):
        config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
        assert _memory(config, stack) == 8192
        assert "resources" in config["platform:monitoring"]


def _without_monitoring_resources(tmp_path: Path, stack: str) -> Path:
    document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    del document["config"]["platform:monitoring"]["resources"]
    path = tmp_path / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def test_the_set_at_its_defaults_does_not_fit_staging(tmp_path: Path) -> None:
    spec = read_stack_spec(_without_monitoring_resources(tmp_path, "staging"))
    with pytest.raises(SpecError) as raised:
        stack_plan(spec)
    # staging's services: 6144 MiB (the stack file); the set at its documented defaults
    # (docs/config-reference.md): Prometheus 1024, Alertmanager 128, Grafana 512, blackbox 64,
    # node exporter 64, cAdvisor 256, Redis's exporter 128. The reserve: a tenth of 8192.
    assert str(raised.value) == (
        "platform:hosts.staging.size: s-4vcpu-8gb (8192 MiB) less 819 MiB reserved for the "
        "system (kernel, dockerd, sshd, the backup jobs; reservedMemoryMb) is less than the "
        "memory limits of the containers on staging, 8320 MiB in all (the largest: egress "
        "2048, agents 1024, backend 1024, livekit 1024); give staging more memory, or its "
        "services smaller resources.memoryMb or platform:monitoring.resources"
    )


def _staging_with(tmp_path: Path, **host: Any) -> Path:
    document = yaml.safe_load((ROOT / "Pulumi.staging.yaml").read_text())
    document["config"]["platform:hosts"]["staging"].update(host)
    path = tmp_path / "Pulumi.staging.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def test_the_nominal_size_is_not_all_the_containers_get(tmp_path: Path) -> None:
    # staging's limits: 6144 MiB of services and 1088 of the set (the stack file), 7232 in
    # all: under the nominal 8192, but not under 8192 less a 1024 MiB reserve.
    stack_plan(read_stack_spec(_staging_with(tmp_path, reservedMemoryMb=960)))
    with pytest.raises(SpecError, match=r"less 1024 MiB reserved for the system .* 7232 MiB"):
        stack_plan(read_stack_spec(_staging_with(tmp_path, reservedMemoryMb=1024)))


def test_a_negative_reserve_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"platform:hosts\.staging\.reservedMemoryMb"):
        read_stack_spec(_staging_with(tmp_path, reservedMemoryMb=-1))


def test_the_plan_refuses_before_anything_is_declared(tmp_path: Path) -> None:
    path = _without_monitoring_resources(tmp_path, "skycloud")
    with pytest.raises(SpecError, match=r"^platform:hosts\.skycloud\.size: s-4vcpu-8gb "):
        plan_stack(ROOT, "skycloud", config_file=path)


def test_a_guest_too_small_names_its_memory(tmp_path: Path) -> None:
    document = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    document["config"]["platform:guests"]["monitoring"]["memoryMb"] = 1024
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    with pytest.raises(SpecError) as raised:
        stack_plan(read_stack_spec(path))
    (line,) = str(raised.value).splitlines()
    assert line.startswith(
        "platform:guests.monitoring.memoryMb: 1024 MiB less 768 MiB reserved for the system "
        "(kernel, dockerd, sshd, the backup jobs; reservedMemoryMb) is less than the memory "
        "limits of the containers on monitoring, "
    )
    assert line.endswith("or platform:monitoring.resources")
    assert "prometheus 1024" in line


@pytest.mark.parametrize(
    ("slug", "memory"),
    [
        # DigitalOcean's slugs (its API's /v2/sizes): the memory follows the vCPUs.
        ("s-4vcpu-8gb", 8192),
        ("s-2vcpu-4gb-amd", 4096),
        ("s-1vcpu-512mb-10gb", 512),
        ("s-8vcpu-16gb-480gb-intel", 16384),
        ("c-4", None),
    ],
)
def test_droplet_slugs_name_their_memory(slug: str, memory: int | None) -> None:
    assert droplet_memory_mb(slug) == memory
