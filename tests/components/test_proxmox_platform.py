"""ProxmoxPlatform under mocks: node, NAT bridge, one LXC guest per row, and for each guest that
runs services a Docker install through the host and a Docker engine reached via the host.

The engine's wiring is checked twice: with the plain echo mocks (the readiness output is not
known, as in a first preview: the provider's host waits on it) and with mocks that answer the
readiness command as a guest would, so the ssh_config and known_hosts written for pulumi-docker
can be read back.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.derive.plan import ProxmoxHostPlan, stack_plan
from components.hosts.proxmox.platform import ProxmoxPlatform, ProxmoxPlatformArgs
from components.plan import RecordedResource, recording
from components.render.docker_install import guest_docker_install_script, pct_exec_command
from components.render.engine_access import GUEST_HOST_KEY_PREFIX, guest_host_key_script
from components.render.readiness import READY_PREFIX, Readiness, readiness_command
from components.spec import PlatformSpec, ProxmoxHostSpec
from tests.stacks import by_name, ed25519_public_key, is_secret, record, stack_spec

SPEC = stack_spec("prod")
HOST = SPEC.hosts["ax102"]
assert isinstance(HOST, ProxmoxHostSpec)
GUESTS = ("proxy", "livekit", "egress", "agents", "backend", "frontend", "monitoring")
# Guests with at least one service: every guest, the monitoring guest's being the monitoring set
# of platform:monitoring.
ENGINES = GUESTS
UNKNOWN = recording.UNKNOWN
GUEST_KEY = ed25519_public_key("guest host key")
PROJECT_DIR = "/srv/project"


def _host_plan(spec: PlatformSpec) -> ProxmoxHostPlan:
    plan = stack_plan(spec).hosts["ax102"]
    assert isinstance(plan, ProxmoxHostPlan)
    return plan


def _declare(spec: PlatformSpec = SPEC) -> None:
    ProxmoxPlatform(
        "ax102",
        ProxmoxPlatformArgs(
            plan=_host_plan(spec),
            api_token="token-value",
            ssh_private_key="-----BEGIN OPENSSH PRIVATE KEY-----\nkey\n",
            project_dir=PROJECT_DIR,
            stack="prod",
        ),
    )


@pytest.fixture(scope="module")
def platform() -> dict[str, RecordedResource]:
    # by_name keeps the last of two equal names: the node (registered after the platform).
    return by_name(record(_declare))


def test_the_composition_tree(platform: dict[str, RecordedResource]) -> None:
    # ProxmoxNode shares the platform's name ("ax102"); their URNs differ by type.
    resources = record(_declare)
    [root] = [r for r in resources if r.type == "selfhosted:platform:ProxmoxPlatform"]
    [node] = [r for r in resources if r.type == "selfhosted:proxmox:ProxmoxNode"]
    assert root.name == node.name == "ax102"
    assert node.parent == root.urn
    assert platform["ax102-nat"].parent == root.urn
    # A guest is "ax102-<guest>", its Docker engine "ax102-<guest>-engine".
    components = {(r.type, r.name): r for r in resources}
    for guest in GUESTS:
        assert components["selfhosted:proxmox:LxcService", f"ax102-{guest}"].parent == root.urn
    engines = {
        name.removeprefix("ax102-").removesuffix("-engine"): r
        for (kind, name), r in components.items()
        if kind == "selfhosted:docker:DockerEngine"
    }
    assert sorted(engines) == sorted(ENGINES)
    assert all(engine.parent == root.urn for engine in engines.values())


@pytest.mark.parametrize("guest", GUESTS)
def test_each_guest_is_an_lxc_on_the_nat_bridge_after_the_host_steps(
    platform: dict[str, RecordedResource], guest: str
) -> None:
    container = platform[f"ax102-{guest}-container"]
    spec = SPEC.guests[guest]
    assert container.inputs["vmId"] == spec.vmId
    assert container.inputs["nodeName"] == "ax102"
    assert container.inputs["networkInterfaces"] == [{"name": "eth0", "bridge": "vmbr1"}]
    assert container.inputs["initialization"]["ipConfigs"] == [
        {"ipv4": {"address": f"{spec.address}/24", "gateway": "10.0.0.1"}}
    ]
    assert container.inputs["initialization"]["userAccount"] == {"keys": SPEC.adminSshKeys}
    assert container.inputs["disk"]["datastoreId"] == "local"
    needed = {
        platform["ax102-nat-bridge"].urn,
        platform["ax102-merge-data"].urn,
        platform["ax102-storage-content"].urn,
    }
    assert needed <= set(container.dependencies)
    assert container.provider_urn == platform["ax102-provider"].urn


@pytest.mark.parametrize("guest", ENGINES)
def test_docker_is_installed_through_the_host_with_pct_exec(
    platform: dict[str, RecordedResource], guest: str
) -> None:
    install = platform[f"ax102-{guest}-docker"]
    vm_id = SPEC.guests[guest].vmId
    script = pct_exec_command(vm_id, guest_docker_install_script())
    assert install.type == "command:remote:Command"
    assert install.inputs["create"] == install.inputs["update"] == script
    assert f"pct exec {vm_id} -- /bin/bash -s" in script
    assert platform[f"ax102-{guest}-container"].urn in install.dependencies
    connection = install.inputs["connection"]
    assert is_secret(connection)
    # The Proxmox host, pinned by its host key: the command runs there, not in the guest.
    assert connection["value"]["host"] == "203.0.113.10"
    assert connection["value"]["user"] == "root"
    assert connection["value"]["hostKey"] == HOST.sshHostKey


def test_a_guest_without_services_gets_no_docker() -> None:
    # prod without its monitoring block: the monitoring guest runs nothing.
    idle = SPEC.model_copy(update={"monitoring": None})
    platform = by_name(record(lambda: _declare(idle)))
    assert "ax102-monitoring-container" in platform
    assert "ax102-monitoring-docker" not in platform
    assert "ax102-monitoring-engine-ready" not in platform
    assert "ax102-monitoring-engine-provider" not in platform


@pytest.mark.parametrize("guest", ENGINES)
def test_readiness_runs_in_the_guest_after_the_install(
    platform: dict[str, RecordedResource], guest: str
) -> None:
    ready = platform[f"ax102-{guest}-engine-ready"]
    vm_id = SPEC.guests[guest].vmId
    # No cloud-init in a guest: the readiness waits for `docker info` only, and first prints
    # the guest's host key read through the (pinned) Proxmox host.
    script = pct_exec_command(
        vm_id, guest_host_key_script() + readiness_command(Readiness(wait_for_cloud_init=False))
    )
    assert ready.inputs["create"] == ready.inputs["update"] == script
    assert "cloud-init" not in guest_host_key_script() + readiness_command(
        Readiness(wait_for_cloud_init=False)
    )
    assert platform[f"ax102-{guest}-docker"].urn in ready.dependencies
    assert platform[f"ax102-{guest}-engine"].type == "selfhosted:docker:DockerEngine"
    assert ready.parent == platform[f"ax102-{guest}-engine"].urn
    assert ready.inputs["connection"]["value"]["host"] == "203.0.113.10"


@pytest.mark.parametrize("guest", ENGINES)
def test_the_docker_provider_waits_for_readiness(
    platform: dict[str, RecordedResource], guest: str
) -> None:
    provider = platform[f"ax102-{guest}-engine-provider"]
    assert provider.type == "pulumi:providers:docker"
    # Unknown until the readiness command has printed its version line, and derived from it.
    assert provider.inputs["host"] == UNKNOWN
    assert platform[f"ax102-{guest}-engine-ready"].urn in provider.property_dependencies["host"]


@pytest.mark.parametrize("guest", ENGINES)
def test_engine_networks_are_those_its_services_join(
    platform: dict[str, RecordedResource], guest: str
) -> None:
    networks = {
        r.name: r
        for r in platform.values()
        if r.type == "docker:index/network:Network"
        and r.parent == platform[f"ax102-{guest}-engine"].urn
    }
    used = {n for s in SPEC.services_on(guest).values() for n in s.networks}
    # The monitoring set and the exporters on its machine share platform:monitoring.network.
    assert SPEC.monitoring is not None
    if guest == SPEC.monitoring.machine:
        used.add(SPEC.monitoring.network)
    assert set(networks) == {f"ax102-{guest}-engine-{n}" for n in used}
    for network in networks.values():
        assert network.provider_urn == platform[f"ax102-{guest}-engine-provider"].urn
        assert network.inputs["driver"] == "bridge"


# --- with a readiness answer: the files pulumi-docker's ssh reads ------------------------------


class _GuestMocks(recording._EchoMocks):
    """Readiness commands answer as a ready guest; the file-writing invoke is captured."""

    written: list[dict[str, Any]]

    def __init__(self) -> None:
        self.written = []
        _GuestMocks.last = self

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        id_, outputs = super().new_resource(args)
        if args.typ == "command:remote:Command" and args.name.endswith("-ready"):
            outputs["stdout"] = f"{GUEST_HOST_KEY_PREFIX}{GUEST_KEY}\n{READY_PREFIX}26.1.5+dfsg1\n"
        return id_, outputs

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        if args.token == "command:local:run":
            spec = json.loads(args.args["stdin"])
            self.written.append(spec)
            return {"stdout": spec["dir"] + "\n", "stderr": "", "command": ""}, []
        return super().call(args)

    last: _GuestMocks


@pytest.fixture(scope="module")
def answered() -> tuple[dict[str, RecordedResource], dict[str, dict[str, str]]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(recording, "_EchoMocks", _GuestMocks)
        resources = by_name(record(_declare))
    files = {spec["dir"]: spec["files"] for spec in _GuestMocks.last.written}
    return resources, files


def test_provider_host_is_the_alias_once_ready(
    answered: tuple[dict[str, RecordedResource], dict[str, dict[str, str]]],
) -> None:
    resources, _ = answered
    for guest in ENGINES:
        provider = resources[f"ax102-{guest}-engine-provider"]
        assert provider.inputs["host"] == f"ssh://ax102-{guest}"
        directory = f"{PROJECT_DIR}/.selfhosted/ssh/prod/ax102-{guest}"
        # Derived from the file-writing invoke (whose stdin holds the key), so it waits for the
        # files and is marked secret, though it is only the config's path.
        opts = provider.inputs["sshOpts"]
        assert is_secret(opts)
        assert json.loads(opts["value"]) == ["-F", f"{directory}/config"]


@pytest.mark.parametrize("guest", ENGINES)
def test_known_hosts_pin_the_guest_from_readiness_and_the_jump_host(
    answered: tuple[dict[str, RecordedResource], dict[str, dict[str, str]]], guest: str
) -> None:
    _, files = answered
    written = files[f"{PROJECT_DIR}/.selfhosted/ssh/prod/ax102-{guest}"]
    assert written["known_hosts"] == (f"ax102 {HOST.sshHostKey}\nax102-{guest} {GUEST_KEY}\n")
    assert written["id"].startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    config = written["config"]
    guest_block = config.split(f"Host ax102-{guest}\n", 1)[1].split("\n\n", 1)[0]
    assert f"    HostName {SPEC.guests[guest].address}\n" in guest_block
    assert "    User root\n" in guest_block
    assert "    StrictHostKeyChecking yes\n" in guest_block
    assert "    ProxyJump ax102\n" in guest_block
    jump_block = config.split("Host ax102\n", 1)[1].split("\n\n", 1)[0]
    assert "    HostName 203.0.113.10\n" in jump_block
    assert "ProxyJump" not in jump_block


@pytest.mark.parametrize("guest", ENGINES)
def test_a_rebuilt_guest_gets_docker_and_a_new_host_key(
    platform: dict[str, RecordedResource], guest: str
) -> None:
    # Install and readiness are tied to the guest's container id: a rebuilt guest (new id)
    # installs Docker again and its new SSH host key is read again.
    container = platform[f"ax102-{guest}-container"]
    assert container.urn in platform[f"ax102-{guest}-docker"].property_dependencies["triggers"]
    assert (
        container.urn in platform[f"ax102-{guest}-engine-ready"].property_dependencies["triggers"]
    )
