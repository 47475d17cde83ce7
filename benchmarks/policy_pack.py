"""Benchmark: the policy pack on a 10,000-resource stack, next to two packs that do nothing.

Run: `.venv/bin/python benchmarks/policy_pack.py [--resources N] [--rounds N] [--profile]`.
Not a test. The three packs run as their own processes, in the same run, and are asked over
the analyzer protocol as the engine does (`PolicyPackProcess.check`: Analyze per resource,
then AnalyzeStack):

- real: the pack (`policies/`), configured with `policies/policy-config.json`;
- no-op: written to a temp dir on the fly: the same policy names, the same number of resource
  and stack policies, the same levels, config schemas and config, each `validate` a no-op. It
  costs what the SDK costs for this many policies (it deserializes a resource's properties
  once per resource policy, and the whole stack once per stack policy);
- floor: one no-op resource policy: what the protocol itself costs (gRPC, one
  deserialization per resource), whatever the pack.

So real/no-op is what the pack's own code costs (target <= 1.3x), and no-op/floor is the SDK's
per-policy cost, which a pack can only reduce by having fewer policies.

The stack is a synthetic but realistic mix (Docker containers, volumes and networks,
pulumi-command host scripts with NAT rulesets, Proxmox LXC containers and bridges, cloud
firewalls and servers), almost all of it compliant so every policy does its full work, with a
few violations. Rounds alternate between the packs, and the medians are compared, because
these machines are noisy. Target: real pack <= 1.3x the no-op pack. `--profile` also profiles
the real pack's process (cProfile inside the pack, printed by the pack at exit).
"""

from __future__ import annotations

import argparse
import os
import pstats
import statistics
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from google.protobuf import json_format  # noqa: E402
from pulumi.runtime.proto import analyzer_pb2  # noqa: E402

from components.plan.policy_runner import (  # noqa: E402
    PolicyPackProcess,
    Violation,
    load_policy_config,
    struct_from,
)
from components.plan.recording import SECRET_SIG, SECRET_SIG_KEY, RecordedResource  # noqa: E402
from components.render.host_files import prepare_host_script  # noqa: E402
from components.render.nat_apply import NAT_APPLY_SCRIPT  # noqa: E402

PACK_DIR = ROOT / "policies"
CONFIG = PACK_DIR / "policy-config.json"
STACK = "urn:pulumi:bench::selfhosted-platform"
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEXAMPLEEXAMPLEEXAMPLEEXAMPLE ops@example.com"


def secret(value: Any) -> dict[str, Any]:
    return {SECRET_SIG_KEY: SECRET_SIG, "value": value}


def _ruleset(i: int) -> str:
    guest = f"10.{i // 250 % 250}.{i % 250}.2"
    forwards = [
        f'tcp dport {{ 80, 443 }} dnat to {guest} comment "proxy"',
        f'tcp dport 7881 dnat to {guest} comment "livekit"',
        f'udp dport 50000-60000 dnat to {guest} comment "livekit"',
    ]
    rules = "\n".join(f"        ip daddr 203.0.113.10 {rule}" for rule in forwards)
    return (
        "#!/usr/sbin/nft -f\ntable ip platform_nat\ndelete table ip platform_nat\n\n"
        "table ip platform_nat {\n    chain prerouting {\n"
        "        type nat hook prerouting priority dstnat; policy accept;\n"
        f"{rules}\n    }}\n    chain output {{\n"
        "        type nat hook output priority -100; policy accept;\n"
        f"{rules}\n    }}\n    chain postrouting {{\n"
        "        type nat hook postrouting priority srcnat; policy accept;\n"
        '        ip saddr 10.0.0.0/24 oifname "vmbr0" masquerade\n    }\n}\n'
    )


def _containers(i: int) -> Iterator[tuple[str, str, dict[str, Any], bool]]:
    """(type, name, properties, protect) of one Docker host's worth of resources."""
    common = {
        "restart": "unless-stopped",
        "memory": 512,
        "cpus": "1",
        "ulimits": [{"name": "nproc", "soft": 512, "hard": 512}],
        "securityOpts": ["no-new-privileges:true"],
        "capabilities": {"drops": ["ALL"]},
        "networksAdvanced": [{"name": f"backend-{i}"}],
    }
    yield "docker:index/network:Network", f"backend-{i}", {"name": f"backend-{i}"}, False
    yield "docker:index/volume:Volume", f"pgdata-{i}", {"name": f"pgdata-{i}"}, True
    yield "docker:index/volume:Volume", f"redisdata-{i}", {"name": f"redisdata-{i}"}, True
    yield (
        "docker:index/container:Container",
        f"db-{i}",
        {
            **common,
            "name": f"db-{i}",
            "image": "postgres:16.4",
            "healthcheck": {"tests": ["CMD-SHELL", "pg_isready -U app"], "interval": "10s"},
            "envs": ["POSTGRES_USER=app", "TZ=UTC", secret("POSTGRES_PASSWORD=from-config")],
            "ports": [{"internal": 5432, "external": 5432, "ip": "127.0.0.1", "protocol": "tcp"}],
            "volumes": [{"volumeName": f"pgdata-{i}", "containerPath": "/var/lib/postgresql/data"}],
        },
        False,
    )
    yield (
        "docker:index/container:Container",
        f"cache-{i}",
        {
            **common,
            "name": f"cache-{i}",
            "image": "redis:7.4.1",
            "command": ["redis-server", "--requirepass", secret("from-config")],
            "healthcheck": {"tests": ["CMD", "redis-cli", "ping"], "interval": "10s"},
            "volumes": [{"volumeName": f"redisdata-{i}", "containerPath": "/data"}],
        },
        False,
    )
    yield (
        "docker:index/container:Container",
        f"app-{i}",
        {
            **common,
            "name": f"app-{i}",
            "image": "ghcr.io/example/app:1.4.2",
            "healthcheck": {"tests": ["CMD", "wget", "-qO-", "http://127.0.0.1:8000/health"]},
            "envs": [
                "DATABASE_HOST=db",
                "LOG_LEVEL=info",
                secret("DATABASE_PASSWORD=from-config"),
                secret("SECRET_KEY=from-config"),
            ],
            "ports": [{"internal": 8000, "external": 8000, "ip": "127.0.0.1", "protocol": "tcp"}],
            "volumes": [{"hostPath": f"/srv/app-{i}/uploads", "containerPath": "/srv/uploads"}],
        },
        False,
    )
    yield (
        "docker:index/container:Container",
        f"proxy-{i}",
        {
            **common,
            "name": f"proxy-{i}",
            "image": "nginx:1.27.2",
            "healthcheck": {"tests": ["CMD", "nginx", "-t"]},
            "ports": [
                {"internal": 80, "external": 80, "ip": "10.0.0.2", "protocol": "tcp"},
                {"internal": 443, "external": 443, "ip": "10.0.0.2", "protocol": "tcp"},
            ],
            "volumes": [
                {"hostPath": "/srv/proxy/conf", "containerPath": "/etc/nginx", "readOnly": True}
            ],
        },
        False,
    )


def _proxmox(i: int) -> Iterator[tuple[str, str, dict[str, Any], bool]]:
    connection = secret({"host": "203.0.113.10", "user": "root", "privateKey": "key"})
    yield (
        "proxmoxve:network/linux/bridge:Bridge",
        f"nat-{i}",
        {"nodeName": f"pve{i}", "name": "vmbr1", "address": "10.0.0.1/24", "autostart": True},
        False,
    )
    yield (
        "command:remote:Command",
        f"prepare-{i}",
        {
            "connection": connection,
            "create": prepare_host_script(),
            "update": prepare_host_script(),
        },
        False,
    )
    yield (
        "command:remote:Command",
        f"ruleset-{i}",
        {
            "connection": connection,
            "create": NAT_APPLY_SCRIPT,
            "update": NAT_APPLY_SCRIPT,
            "delete": "nft delete table ip platform_nat || true; rm -f /etc/platform/nat.nft",
            "stdin": _ruleset(i),
        },
        False,
    )
    yield (
        "command:local:Command",
        f"backup-{i}",
        {
            "create": 'set -eu\nexport PGPASSWORD="$DB_PASSWORD"\n'
            "pg_dump -h 10.0.0.13 -U app app | gzip > /var/backups/app.sql.gz\n",
            "environment": {"TZ": "UTC", "DB_PASSWORD": secret("from-config")},
        },
        False,
    )
    for n, service in enumerate(("proxy", "backend", "monitoring")):
        yield (
            "proxmoxve:index/containerLegacy:ContainerLegacy",
            f"{service}-{i}",
            {
                "nodeName": f"pve{i}",
                "vmId": 100 + n,
                "unprivileged": True,
                "features": {"nesting": True, "keyctl": True},
                "started": True,
                "cpu": {"cores": 2},
                "memory": {"dedicated": 2048, "swap": 0},
                "disk": {"datastoreId": "local", "size": 16},
                "operatingSystem": {"type": "debian", "templateFileId": "local:vztmpl/d12.tar"},
                "networkInterfaces": [{"name": "eth0", "bridge": "vmbr1"}],
                "initialization": {
                    "hostname": service,
                    "ipConfigs": [
                        {"ipv4": {"address": f"10.0.0.{n + 2}/24", "gateway": "10.0.0.1"}}
                    ],
                    "userAccount": {"keys": [SSH_KEY]},
                },
            },
            False,
        )


def _cloud(i: int) -> Iterator[tuple[str, str, dict[str, Any], bool]]:
    open_web = ["0.0.0.0/0", "::/0"]
    yield (
        "hcloud:index/firewall:Firewall",
        f"web-fw-{i}",
        {
            "name": f"web-{i}",
            "rules": [
                {"direction": "in", "protocol": "tcp", "port": "80", "sourceIps": open_web},
                {"direction": "in", "protocol": "tcp", "port": "443", "sourceIps": open_web},
                {
                    "direction": "in",
                    "protocol": "udp",
                    "port": "50000-60000",
                    "sourceIps": open_web,
                },
            ],
        },
        False,
    )
    yield (
        "hcloud:index/server:Server",
        f"vps-{i}",
        {
            "name": f"vps-{i}",
            "serverType": "cx22",
            "image": "debian-12",
            "sshKeys": ["ops"],
            "firewallIds": [1000 + i],
        },
        False,
    )
    yield (
        "digitalocean:index/firewall:Firewall",
        f"do-fw-{i}",
        {
            "name": f"do-web-{i}",
            "inboundRules": [
                {"protocol": "tcp", "portRange": "443", "sourceAddresses": open_web},
                {"protocol": "tcp", "portRange": "80", "sourceAddresses": open_web},
            ],
            "tags": [f"web-{i}"],
        },
        False,
    )


def synthetic_stack(count: int) -> list[RecordedResource]:
    """``count`` resources: units of a Docker host, a Proxmox node and a cloud VPS, plus a few
    violations (a public database port, a privileged LXC, an admin-port forward)."""
    resources: list[RecordedResource] = []
    i = 0
    while len(resources) < count:
        for type_, name, base, protect in (*_containers(i), *_proxmox(i), *_cloud(i)):
            props = base
            if len(resources) == count:
                break
            if i % 97 == 5 and name.startswith("db-"):
                props = {**props, "ports": [{"internal": 5432, "external": 5432}]}
            if i % 89 == 7 and name.startswith("backend-"):
                props = {**props, "unprivileged": False}
            if i % 83 == 3 and name.startswith("ruleset-"):
                props = {**props, "stdin": props["stdin"] + "tcp dport 8006 dnat to 10.0.0.1\n"}
            resources.append(
                RecordedResource(
                    urn=f"{STACK}::{type_}::{name}",
                    type=type_,
                    name=name,
                    parent="",
                    custom=True,
                    properties=struct_from(props),
                    dependencies=[],
                    provider="",
                    protect=protect,
                )
            )
        i += 1
    return resources


_NOOP_LEVELS = {
    analyzer_pb2.ADVISORY: "ADVISORY",
    analyzer_pb2.MANDATORY: "MANDATORY",
    analyzer_pb2.REMEDIATE: "REMEDIATE",
    analyzer_pb2.DISABLED: "DISABLED",
}


def write_noop_pack(
    directory: Path, info: analyzer_pb2.AnalyzerInfo, count: int | None = None
) -> Path:
    """A pack with ``info``'s policies (names, kinds, levels, config schemas), each validate a
    no-op; only the first ``count`` of them when given (``count=1``: the protocol floor)."""
    directory.mkdir(parents=True, exist_ok=True)
    chosen = list(info.policies)
    if count is not None:  # the floor: resource policies only
        chosen = [p for p in chosen if p.policy_type != analyzer_pb2.POLICY_TYPE_STACK][:count]
    policies = [
        (
            p.name,
            "StackValidationPolicy"
            if p.policy_type == analyzer_pb2.POLICY_TYPE_STACK
            else "ResourceValidationPolicy",
            _NOOP_LEVELS.get(p.enforcementLevel, "ADVISORY"),
            json_format.MessageToDict(p.configSchema.properties)
            if p.HasField("configSchema")
            else {},
        )
        for p in chosen
    ]
    (directory / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (directory / "__main__.py").write_text(
        textwrap.dedent(
            f"""\
            from pulumi_policy import (
                EnforcementLevel, PolicyConfigSchema, PolicyPack, ResourceValidationPolicy,
                StackValidationPolicy,
            )

            def _noop(args, report_violation):
                return None

            POLICIES = {policies!r}
            PolicyPack(
                name={info.name!r},
                policies=[
                    globals()[kind](
                        name=name,
                        description="No-op.",
                        enforcement_level=getattr(EnforcementLevel, level),
                        validate=_noop,
                        config_schema=PolicyConfigSchema(properties=schema),
                    )
                    for name, kind, level, schema in POLICIES
                ],
            )
            """
        )
    )
    return directory


def _cpu_seconds(pack: PolicyPackProcess) -> float:
    """User + system CPU time the pack process has used (Linux /proc), else 0."""
    pid = pack._process.pid  # the runner keeps its process private
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _timed(
    pack: PolicyPackProcess, stack: list[RecordedResource]
) -> tuple[float, float, list[Violation]]:
    """Wall time of ``pack.check(stack)``, the pack process's CPU time, and the violations."""
    cpu, start = _cpu_seconds(pack), time.perf_counter()
    result = pack.check(stack)
    return time.perf_counter() - start, _cpu_seconds(pack) - cpu, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--resources", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="cProfile the real pack")
    options = parser.parse_args(argv)

    stack = synthetic_stack(options.resources)
    kinds: dict[str, int] = {}
    for r in stack:
        kinds[r.type] = kinds.get(r.type, 0) + 1
    config = load_policy_config(CONFIG)

    with tempfile.TemporaryDirectory(prefix="noop-pack-") as tmp:
        with PolicyPackProcess(PACK_DIR) as real:
            info = real.info()
        noop_dir = write_noop_pack(Path(tmp) / "noop", info)
        floor_dir = write_noop_pack(Path(tmp) / "floor", info, count=1)
        real_python = sys.executable
        if options.profile:
            real_python = str(_profiling_python(Path(tmp)))
        with (
            PolicyPackProcess(PACK_DIR, python=real_python) as real,
            PolicyPackProcess(noop_dir) as noop,
            PolicyPackProcess(floor_dir) as floor,
        ):
            real.configure(config)
            noop.configure(config)
            floor_name = floor.info().policies[0].name
            floor.configure({k: v for k, v in config.items() if k == floor_name})
            packs = {"real": real, "no-op": noop, "floor": floor}
            resource_policies = sum(
                p.policy_type == analyzer_pb2.POLICY_TYPE_RESOURCE for p in info.policies
            )
            mix = ", ".join(f"{n} {t}" for t, n in sorted(kinds.items()))
            print(f"{len(stack)} resources ({mix})")
            print(
                f"{len(info.policies)} policies: {resource_policies} resource, "
                f"{len(info.policies) - resource_policies} stack; {options.rounds} rounds"
            )
            times: dict[str, list[tuple[float, float]]] = {label: [] for label in packs}
            violations: list[Violation] = []
            for pack in packs.values():
                _timed(pack, stack[:200])  # warm every process up
            for round_ in range(options.rounds):
                # Rotate which pack goes first, so drift on the machine hits all alike.
                order = list(packs.items())
                order = order[round_ % 3 :] + order[: round_ % 3]
                for label, pack in order:
                    wall, cpu, found = _timed(pack, stack)
                    times[label].append((wall, cpu))
                    if label == "real":
                        violations = found
                    else:
                        assert found == [], f"the {label} pack reported something"
                print(
                    f"  round {round_ + 1}: "
                    + "   ".join(
                        f"{label} {times[label][-1][0]:6.2f} s (CPU {times[label][-1][1]:6.2f} s)"
                        for label in packs
                    )
                )
        if options.profile:
            print_profile(Path(tmp))
    mandatory = sum(v.level == "mandatory" for v in violations)
    print(f"violations found by the real pack: {len(violations)} ({mandatory} mandatory)")
    for index, what in ((0, "wall time"), (1, "pack CPU ")):
        median = {label: statistics.median(t[index] for t in runs) for label, runs in times.items()}
        print(
            f"median {what}: real {median['real']:6.2f} s   no-op {median['no-op']:6.2f} s   "
            f"floor {median['floor']:6.2f} s"
        )
        print(
            f"  real/no-op {_ratio(median['real'], median['no-op'])} (the pack's own code; "
            f"target <= 1.3x)   no-op/floor {_ratio(median['no-op'], median['floor'])} (the "
            f"SDK's cost of {len(info.policies)} policies)   real/floor "
            f"{_ratio(median['real'], median['floor'])}"
        )
    return 0


def _ratio(a: float, b: float) -> str:
    return f"{a / b:5.2f}x" if b else "  nan"


def _profiling_python(directory: Path) -> Path:
    """A python that runs the pack with cProfile around each Analyze/AnalyzeStack request.

    gRPC serves requests on worker threads, so the profiler is switched on inside each
    request; the stats are written to ``<tmp>/pack.prof`` after every AnalyzeStack (the
    runner kills the pack at the end, so there is no exit hook to rely on).
    """
    out = directory / "pack.prof"
    script = directory / "run_profiled.py"
    script.write_text(
        textwrap.dedent(
            f"""\
            import cProfile, runpy, sys
            from pulumi_policy import policy

            profiler = cProfile.Profile()
            servicer = policy._PolicyAnalyzerServicer

            def profiled(method, dump):
                def run(self, request, context):
                    profiler.enable()
                    try:
                        return method(self, request, context)
                    finally:
                        profiler.disable()
                        if dump:
                            profiler.dump_stats({str(out)!r})
                return run

            servicer.Analyze = profiled(servicer.Analyze, False)
            servicer.AnalyzeStack = profiled(servicer.AnalyzeStack, True)
            sys.argv = [arg for arg in sys.argv[1:] if arg != "-u"]
            runpy.run_path(sys.argv[0], run_name="__main__")
            """
        )
    )
    wrapper = directory / "profiled-python"
    wrapper.write_text(f'#!/bin/sh\nexec {sys.executable} -u "{script}" "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


def print_profile(directory: Path, top: int = 30) -> None:
    stats = pstats.Stats(str(directory / "pack.prof"))
    stats.sort_stats("tottime").print_stats(top)


if __name__ == "__main__":
    sys.exit(main())
