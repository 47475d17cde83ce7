"""Materialise a stack's recorded Docker networks and containers in a real engine and probe them.

Generic over any recorded program: it reads ``docker:index/network:Network`` and
``docker:index/container:Container`` registrations (inputs as the engine receives them,
camelCase) and nothing else, so it works for the synthetic program of the tests and for the
real stacks alike::

    run = run_program(...)                      # components.plan
    expected = expected_matrix(run.resources)   # pure: no engine involved
    observed = probe_stack(engine, run.resources)
    assert compare(expected, observed) == []

What is kept from the recording: network names, ``internal``, driver, IPAM subnet, gateway and
range, driver options (e.g. ``com.docker.network.bridge.name``); container names, labels, every
``networksAdvanced`` entry (network, aliases, fixed IPv4 address), published ports (internal,
external, address, protocol), ``networkMode`` and ``uploads`` (each file put into the container
before it starts, as the provider does: content, mode, owner and group as recorded). What is
replaced: the image (the probe image answers on the ports the service declares: the
``selfhosted.listen`` label plus the internal side of its published ports) and the command.
Runs of ports are probed at both edges and the middle.

A container can instead run its own program (``materialise(..., images={node: image})``, an
image built locally such as tests/docker/traefik.py's): then its recorded command, volumes (a
bind of ``/var/run/docker.sock`` is the test engine's own socket, a named volume is created),
capabilities and security options are kept too.

A probe is one connection from a source to a target port by one route: the target's container
name (Docker DNS), one of its aliases (Docker DNS), or its address on one network. The
expectation follows Docker's documented model
(https://docs.docker.com/engine/network/drivers/bridge/): a container reaches another only
through a user-defined network they share; a name resolves on every shared network, an alias
only on the network it was declared on; an address on network N is reachable only from N.
Published ports are probed from the engine's namespace: on their declared address they answer,
on another address of that namespace they must not (unless declared on 0.0.0.0).
Every answer names the container that sent it, so a reply from the wrong container is a
mismatch, not a success.
"""

from __future__ import annotations

import base64
import contextlib
import grp
import io
import json
import pwd
import re
import subprocess
import tarfile
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import docker.errors
import docker.types

# UNKNOWN: an input known only at deploy time; a secret input is {SECRET_SIG_KEY: SECRET_SIG,
# "value": v}.
from components.plan.recording import SECRET_SIG_KEY, UNKNOWN, mock_id

from .engine import PROBE_IMAGE, TIMINGS, DockerEngine

NETWORK_TYPE = "docker:index/network:Network"
CONTAINER_TYPE = "docker:index/container:Container"
LISTEN_LABEL = "selfhosted.listen"
SERVICE_LABEL = "selfhosted.service"
DOCKER_SOCKET = "/var/run/docker.sock"

# The engine namespace's "somewhere else": a published port bound to one address must not
# answer here (TEST-NET-2, only ever assigned inside the engine's own namespace).
ELSEWHERE_ADDRESS = "198.51.100.254"
# A published address recorded as unknown (a server's public address, known only at deploy
# time) is materialised on this stand-in (TEST-NET-1, only inside the engine's namespace).
UNKNOWN_ADDRESS = "[unknown]"
STANDIN_ADDRESS = "192.0.2.10"
LOOPBACK = "127.0.0.1"
ANY_ADDRESSES = {"0.0.0.0", ""}
ENGINE = "(engine)"  # the source of probes sent from the engine's namespace
DEFAULT_BRIDGE = "bridge"  # Docker's default network: reachable by address only, no DNS

PROBE_TIMEOUT_MS = 1500
READY_TIMEOUT = 20.0
PARALLEL_SOURCES = 16  # probe batches in flight at once: each is one exec; probes mostly wait
EXEC_ATTEMPTS = 3  # execs per batch before a probe with no reply line is a harness error
PARALLEL_CREATES = 4


class StackResourcesError(ValueError):
    """The recorded resources cannot be materialised; lists every problem at once."""


class Recorded(Protocol):
    """What the harness reads from a recorded registration (components.plan.RecordedResource)."""

    @property
    def type(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def inputs(self) -> dict[str, Any]: ...


# ---- the declared model -------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Port:
    proto: str
    port: int

    def spec(self) -> str:
        return f"{self.proto}/{self.port}"


@dataclass(frozen=True)
class Published:
    internal: int
    external: int | None  # None: Docker picks one; read back after materialising
    ip: str
    proto: str


@dataclass(frozen=True)
class NetworkDecl:
    resource: str
    name: str
    internal: bool
    driver: str | None
    ipam: tuple[Mapping[str, str], ...]
    options: Mapping[str, str]
    ipv6: bool


@dataclass(frozen=True)
class Attachment:
    network: str
    aliases: tuple[str, ...]
    ipv4_address: str | None


@dataclass(frozen=True)
class Upload:
    """A file the provider puts into the container before starting it (``uploads``)."""

    file: str  # absolute path in the container
    content: bytes
    mode: int  # ``permissions`` (octal), else 0o744 with ``executable``, else 0o644
    uid: int
    gid: int


@dataclass(frozen=True)
class Volume:
    container_path: str
    host_path: str | None
    volume_name: str | None
    read_only: bool


@dataclass(frozen=True)
class ContainerDecl:
    resource: str
    node: str  # what the matrix calls it: the selfhosted.service label, else the name
    name: str  # the Docker container name
    network_mode: str | None
    attachments: tuple[Attachment, ...]
    published: tuple[Published, ...]
    listen: tuple[Port, ...]  # ports probed: declared listen ports (ranges sampled) + published
    labels: tuple[tuple[str, str], ...] = ()  # every recorded label
    uploads: tuple[Upload, ...] = ()
    # Kept for a container that runs its own image (materialise(images=...)); the probe
    # replaces the command and needs none of the others.
    command: tuple[str, ...] | None = None
    volumes: tuple[Volume, ...] = ()
    cap_add: tuple[str, ...] = ()
    cap_drop: tuple[str, ...] = ()
    security_opts: tuple[str, ...] = ()
    env: tuple[str, ...] = ()  # KEY=value, secrets unwrapped
    healthcheck: Mapping[str, Any] | None = None  # the provider's block, durations as recorded
    wait_timeout: int | None = None  # seconds the provider waits for healthy (``wait``)
    stop_grace: int = 0  # ``destroy_grace_seconds``: the provider's stop timeout on delete

    @property
    def host_network(self) -> bool:
        return self.network_mode == "host"

    @property
    def networks(self) -> set[str]:
        return {a.network for a in self.attachments}


@dataclass(frozen=True)
class StackDecl:
    networks: tuple[NetworkDecl, ...]
    containers: tuple[ContainerDecl, ...]


def parse_port_list(value: str) -> list[tuple[str, int, int]]:
    """``"tcp/5432,udp/50000-60000"`` -> ``[("tcp", 5432, 5432), ("udp", 50000, 60000)]``."""
    entries = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        proto, _, ports = item.partition("/")
        low, _, high = ports.partition("-")
        if proto not in {"tcp", "udp"} or not low.isdigit() or (high and not high.isdigit()):
            raise ValueError(f"{item!r} is not proto/port or proto/low-high (tcp or udp)")
        lo, hi = int(low), int(high or low)
        if not 1 <= lo <= hi <= 65535:
            raise ValueError(f"{item!r} is out of range or reversed")
        entries.append((proto, lo, hi))
    return entries


def sample_range(low: int, high: int) -> list[int]:
    """Both edges and the middle: a range is bound as a whole, so three ports stand for it."""
    return sorted({low, (low + high) // 2, high})


def sample_ports(ports: set[Port]) -> set[Port]:
    """Each run of consecutive ports (per protocol) sampled at its edges and its middle."""
    sampled: set[Port] = set()
    for proto in {p.proto for p in ports}:
        numbers = sorted(p.port for p in ports if p.proto == proto)
        start = prev = numbers[0]
        for n in [*numbers[1:], None]:
            if n is not None and n == prev + 1:
                prev = n
                continue
            sampled.update(Port(proto, x) for x in sample_range(start, prev))
            if n is not None:
                start = prev = n
    return sampled


def sample_published(published: Sequence[Published]) -> tuple[Published, ...]:
    """Published ports to probe: runs (same address and protocol, consecutive on both sides,
    as a range like 50000-50199:50000-50199 records) sampled at their edges and middle."""
    runs: list[list[Published]] = []
    for pub in sorted(published, key=lambda p: (p.ip, p.proto, p.internal)):
        last = runs[-1][-1] if runs else None
        if (
            last is not None
            and (last.ip, last.proto) == (pub.ip, pub.proto)
            and pub.internal == last.internal + 1
            and pub.external is not None
            and last.external is not None
            and pub.external == last.external + 1
        ):
            runs[-1].append(pub)
        else:
            runs.append([pub])
    return tuple(run[i] for run in runs for i in sorted({0, (len(run) - 1) // 2, len(run) - 1}))


def _labels(inputs: Mapping[str, Any]) -> dict[str, str]:
    raw = inputs.get("labels") or []
    if isinstance(raw, dict):  # tolerate a map, although pulumi-docker sends a list
        return {str(k): str(v) for k, v in raw.items()}
    # A label whose value is a Pulumi secret (basic-auth users) is recorded wrapped.
    return {str(item.get("label")): str(_plain(item.get("value"))) for item in raw}


def _int(value: Any) -> int | None:
    if value is None or value == UNKNOWN:
        return None
    return int(value)


def _plain(value: Any) -> Any:
    """A recorded input with its secret wrapper removed (the engine gets the plain value)."""
    if isinstance(value, dict) and SECRET_SIG_KEY in value:
        return value.get("value")
    return value


def _file_owner(value: Any, field_name: str, database: str) -> int:
    """``owner``/``group`` of an upload: a numeric id, or a name looked up on this machine
    (the provider resolves names in the user/group database of the machine it runs on)."""
    value = _plain(value)
    if value is None or value == "":
        return 0
    text = str(value)
    if text.isdigit():
        return int(text)
    try:
        if database == "passwd":
            return pwd.getpwnam(text).pw_uid
        return grp.getgrnam(text).gr_gid
    except KeyError:
        raise ValueError(f"{field_name} {text!r} is neither an id nor a name known here") from None


def _read_upload(entry: Mapping[str, Any]) -> Upload:
    problems = []
    file = _plain(entry.get("file"))
    if not isinstance(file, str) or file == UNKNOWN or not file.startswith("/"):
        problems.append(f"file must be a known absolute path, got {file!r}")
    sources = {
        key: _plain(entry.get(key))
        for key in ("content", "contentBase64", "source")
        if entry.get(key) not in (None, "")
    }
    content = b""
    if len(sources) != 1:
        problems.append(
            "exactly one of content, contentBase64, source must be set, got "
            + (", ".join(sorted(sources)) or "none")
        )
    else:
        ((key, value),) = sources.items()
        if value == UNKNOWN or not isinstance(value, str):
            problems.append(f"{key} must be known at plan time, got {value!r}")
        elif key == "content":
            content = value.encode()
        elif key == "contentBase64":
            try:
                content = base64.b64decode(value, validate=True)
            except ValueError:
                problems.append(f"contentBase64 is not base64: {value[:40]!r}")
        else:
            try:
                content = Path(value).read_bytes()
            except OSError as exc:
                problems.append(f"source {value!r} cannot be read: {exc}")
    permissions = _plain(entry.get("permissions"))
    mode = 0o744 if entry.get("executable") else 0o644
    if permissions not in (None, ""):
        try:
            mode = int(str(permissions), 8)
        except ValueError:
            problems.append(f"permissions {permissions!r} is not an octal mode such as 0640")
    uid = gid = 0
    try:
        uid = _file_owner(entry.get("owner"), "owner", "passwd")
        gid = _file_owner(entry.get("group"), "group", "group")
    except ValueError as exc:
        problems.append(str(exc))
    if problems:
        raise ValueError(f"upload {file!r}: " + ", ".join(problems))
    return Upload(str(file), content, mode, uid, gid)


def _read_volume(entry: Mapping[str, Any]) -> Volume:
    path = entry.get("containerPath")
    if not isinstance(path, str) or path == UNKNOWN:
        raise ValueError(f"volume containerPath must be a known path, got {path!r}")
    host, name = entry.get("hostPath"), entry.get("volumeName")
    return Volume(
        path,
        host if isinstance(host, str) and host != UNKNOWN else None,
        name if isinstance(name, str) and name != UNKNOWN else None,
        bool(entry.get("readOnly", False)),
    )


def uploads_tar(uploads: Sequence[Upload]) -> bytes:
    """The archive the provider sends (one entry per file, named by its absolute path and
    unpacked at ``/``; Docker creates missing parent directories, 0755 root)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for upload in uploads:
            info = tarfile.TarInfo(upload.file)
            info.size = len(upload.content)
            info.mode = upload.mode
            info.uid, info.gid = upload.uid, upload.gid
            info.mtime = int(time.time())
            tar.addfile(info, io.BytesIO(upload.content))
    return buf.getvalue()


def read_stack(resources: Sequence[Recorded]) -> StackDecl:
    """The Docker networks and containers of a recording, or every reason they cannot run."""
    problems: list[str] = []
    networks: list[NetworkDecl] = []
    refs: dict[str, str] = {}  # what a container may name a network by -> its Docker name
    for res in resources:
        if res.type != NETWORK_TYPE:
            continue
        inputs = res.inputs
        name = inputs.get("name")
        if not isinstance(name, str) or name == UNKNOWN:
            problems.append(f"network {res.name}: name must be a known string, got {name!r}")
            continue
        ipam = tuple(
            {k: str(v) for k, v in cfg.items() if k in {"subnet", "gateway", "ipRange"}}
            for cfg in inputs.get("ipamConfigs") or []
        )
        networks.append(
            NetworkDecl(
                resource=res.name,
                name=name,
                internal=bool(inputs.get("internal", False)),
                driver=inputs.get("driver"),
                ipam=ipam,
                options={str(k): str(v) for k, v in (inputs.get("options") or {}).items()},
                ipv6=bool(inputs.get("ipv6", False)),
            )
        )
        # Under the mock runtime a network's id is mock_id(type, name); a program may pass
        # either network.name or network.id to networksAdvanced.
        refs[name] = name
        refs[mock_id(res.type, res.name)] = name

    containers: list[ContainerDecl] = []
    for res in resources:
        if res.type != CONTAINER_TYPE:
            continue
        try:
            containers.append(_read_container(res, refs))
        except ValueError as exc:
            problems.append(f"container {res.name}: {exc}")
    nodes = [c.node for c in containers]
    problems += [
        f"two containers are both called {n!r}" for n in sorted(set(nodes)) if nodes.count(n) > 1
    ]
    if problems:
        raise StackResourcesError("cannot materialise the recorded stack:\n" + "\n".join(problems))
    return StackDecl(tuple(networks), tuple(containers))


def _valid_docker_name(name: str) -> str:
    """Docker container names are [a-zA-Z0-9][a-zA-Z0-9_.-]*."""
    cleaned = re.sub(r"[^a-zA-Z0-9_.-]", "-", name)
    return cleaned if cleaned[:1].isalnum() else f"c{cleaned}"


def membership(resources: Sequence[Recorded]) -> dict[str, set[str]]:
    """Service -> the networks its container is attached to: the seed's service x network table."""
    return {c.node: c.networks - {DEFAULT_BRIDGE} for c in read_stack(resources).containers}


def _read_container(res: Recorded, refs: Mapping[str, str]) -> ContainerDecl:
    inputs = res.inputs
    problems = []
    labels = _labels(inputs)
    name = inputs.get("name")
    if name == UNKNOWN or (name is not None and not isinstance(name, str)):
        problems.append(f"name must be a known string, got {name!r}")
    # Without a recorded name the provider autonames the container at deploy time; the
    # resource name (made valid for Docker) stands in for it.
    docker_name = (
        name if isinstance(name, str) and name != UNKNOWN else _valid_docker_name(res.name)
    )
    node = labels.get(SERVICE_LABEL) or docker_name
    network_mode = inputs.get("networkMode")
    attachments = []
    if isinstance(network_mode, str) and network_mode in refs:
        # networkMode may name a user-defined network: the container's first network
        attachments.append(Attachment(refs[network_mode], (), None))
        network_mode = None
    elif network_mode not in {None, "bridge", "host", "none", "default"}:
        problems.append(
            f"networkMode {network_mode!r} is not supported by the probe harness "
            "(bridge, host, none, default or a recorded network's name)"
        )
    for i, entry in enumerate(inputs.get("networksAdvanced") or []):
        ref = entry.get("name")
        if ref not in refs:
            problems.append(
                f"networksAdvanced[{i}].name {ref!r} is not a recorded network "
                f"(known: {', '.join(sorted(set(refs.values()))) or 'none'})"
            )
            continue
        if any(a.network == refs[ref] for a in attachments):
            # Created on that network (networkMode): Docker ignores a second connect to it, so
            # the entry's aliases never apply; keep the create-time attachment, as dockerd does.
            continue
        attachments.append(
            Attachment(
                network=refs[ref],
                aliases=tuple(entry.get("aliases") or ()),
                ipv4_address=entry.get("ipv4Address"),
            )
        )
    if not attachments and network_mode in {None, "bridge", "default"}:
        attachments.append(Attachment(DEFAULT_BRIDGE, (), None))
    published = []
    for i, port in enumerate(inputs.get("ports") or []):
        internal = _int(port.get("internal"))
        if internal is None:
            problems.append(f"ports[{i}].internal must be known")
            continue
        published.append(
            Published(
                internal=internal,
                external=_int(port.get("external")),
                # the provider's schema default; an address known only at deploy time (a
                # server's public address) is stood in for by STANDIN_ADDRESS
                ip=UNKNOWN_ADDRESS if port.get("ip") == UNKNOWN else str(port.get("ip", "0.0.0.0")),
                proto=str(port.get("protocol", "tcp")),
            )
        )
    declared: set[Port] = {Port(p.proto, p.internal) for p in published}
    try:
        for proto, low, high in parse_port_list(labels.get(LISTEN_LABEL, "")):
            declared.update(Port(proto, p) for p in range(low, high + 1))
    except ValueError as exc:
        problems.append(f"label {LISTEN_LABEL}: {exc}")
    # the probe listens on a sample of every run, and on every published port that is probed
    listen = sample_ports(declared) if declared else set()
    listen.update(Port(p.proto, p.internal) for p in sample_published(published))
    own = _read_own(inputs, problems)
    if problems:
        raise ValueError("; ".join(problems))
    return ContainerDecl(
        resource=res.name,
        node=node,
        name=docker_name,
        network_mode=network_mode,
        attachments=tuple(attachments),
        published=tuple(published),
        listen=tuple(sorted(listen)),
        labels=tuple(sorted(labels.items())),
        **own,
    )


def _read_own(inputs: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    """Uploads, command, volumes, capabilities and security options of a recorded container."""
    uploads = []
    for entry in inputs.get("uploads") or []:
        try:
            uploads.append(_read_upload(entry))
        except ValueError as exc:
            problems.append(str(exc))
    files = [u.file for u in uploads]
    problems += [f"two uploads to {f!r}" for f in sorted(set(files)) if files.count(f) > 1]
    volumes = []
    for entry in inputs.get("volumes") or []:
        try:
            volumes.append(_read_volume(entry))
        except ValueError as exc:
            problems.append(str(exc))
    command = inputs.get("command")
    if command is not None and (
        not isinstance(command, list) or not all(isinstance(a, str) for a in command)
    ):
        problems.append(f"command must be a list of strings, got {command!r}")
        command = None
    capabilities = inputs.get("capabilities") or {}
    env = tuple(str(_plain(e)) for e in inputs.get("envs") or [])
    return {
        "env": env,
        "healthcheck": inputs.get("healthcheck"),
        "wait_timeout": _int(inputs.get("waitTimeout")) if inputs.get("wait") else None,
        "stop_grace": _int(inputs.get("destroyGraceSeconds")) or 0,
        "uploads": tuple(uploads),
        "command": tuple(command) if command is not None else None,
        "volumes": tuple(volumes),
        "cap_add": tuple(capabilities.get("adds") or ()),
        "cap_drop": tuple(capabilities.get("drops") or ()),
        "security_opts": tuple(inputs.get("securityOpts") or ()),
    }


# ---- what should happen -------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class ProbeKey:
    """One connection: ``source`` -> ``target`` on ``proto/port``, by ``route``.

    ``route`` is ``name`` (the container name through Docker DNS), ``alias:<alias>``,
    ``ip:<network>`` (the target's address on that network), ``published:<address>`` (from the
    engine's namespace to a published port), ``elsewhere:<address>`` (the same port on an
    address it was not published on) or ``host`` (a host-network container, from the engine).
    """

    source: str
    target: str
    route: str
    proto: str
    port: int


def _pair_probes(src: ContainerDecl, dst: ContainerDecl) -> dict[ProbeKey, bool]:
    """Probes from one container to another on each of the target's ports and routes."""
    shared = (src.networks & dst.networks) - {DEFAULT_BRIDGE}
    # A name resolves through Docker DNS when some network the two share carries it: the
    # container name on every network, an alias only on the network it was declared on (the
    # same alias declared on several networks is one name to look up, hence one route).
    hostnames: dict[str, set[str]] = {dst.name: set(dst.networks)}
    for att in dst.attachments:
        for alias in att.aliases:
            hostnames.setdefault(alias, set()).add(att.network)
    routes: dict[str, bool] = {}
    for hostname, carried_on in hostnames.items():
        route = "name" if hostname == dst.name else f"alias:{hostname}"
        routes[route] = bool(shared & carried_on)
    for att in dst.attachments:
        # an address on a network is reachable only from that network
        routes[f"ip:{att.network}"] = att.network in src.networks
    return {
        ProbeKey(src.node, dst.node, route, port.proto, port.port): ok
        for route, ok in routes.items()
        for port in dst.listen
    }


def plan_probes(stack: StackDecl) -> dict[ProbeKey, bool]:
    """Every probe the harness sends, with whether Docker's model says it connects."""
    expected: dict[ProbeKey, bool] = {}
    bridged = [c for c in stack.containers if c.attachments]
    for src in bridged:
        for dst in bridged:
            if src is not dst:
                expected.update(_pair_probes(src, dst))
    for dst in stack.containers:
        if dst.host_network:
            for port in dst.listen:
                expected[ProbeKey(ENGINE, dst.node, "host", port.proto, port.port)] = True
        for pub in sample_published(dst.published):
            if dst.host_network or not dst.attachments:
                continue  # Docker ignores published ports without a bridge
            external = pub.external or 0
            declared = "0.0.0.0" if pub.ip in ANY_ADDRESSES else pub.ip
            key = ProbeKey(ENGINE, dst.node, f"published:{declared}", pub.proto, external)
            expected[key] = True
            for other in (LOOPBACK, ELSEWHERE_ADDRESS):
                if other != pub.ip:
                    key = ProbeKey(ENGINE, dst.node, f"elsewhere:{other}", pub.proto, external)
                    expected[key] = declared == "0.0.0.0"
    return expected


def expected_matrix(resources: Sequence[Recorded]) -> dict[ProbeKey, bool]:
    """What the recorded stack promises, probe by probe (pure: no engine involved)."""
    return plan_probes(read_stack(resources))


def pair_matrix(matrix: Mapping[ProbeKey, bool]) -> dict[tuple[str, str], bool]:
    """Source -> target reachable by any route on any port (the seed's "who talks to whom")."""
    pairs: dict[tuple[str, str], bool] = {}
    for key, ok in matrix.items():
        pairs[(key.source, key.target)] = pairs.get((key.source, key.target), False) or ok
    return pairs


# ---- what happens -------------------------------------------------------------------------


@dataclass(frozen=True)
class ProbeResult:
    address: str  # what the probe connected to (a name, an alias or an address)
    answered_by: str | None  # the container that answered, from its reply
    detail: str  # the reply line, or the error (dns, refused, timeout, ...)


@dataclass
class Observed:
    results: dict[ProbeKey, ProbeResult] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # materialise / probe / teardown

    def matrix(self) -> dict[ProbeKey, bool]:
        return {key: r.answered_by is not None for key, r in self.results.items()}


def compare(expected: Mapping[ProbeKey, bool], observed: Observed) -> list[str]:
    """Every difference, one line each; empty when the engine did exactly what was declared."""
    lines = []
    for key in sorted(set(expected) | set(observed.results)):
        want = expected.get(key)
        got = observed.results.get(key)
        where = f"{key.source} -> {key.target} {key.proto}/{key.port} by {key.route}"
        if want is None:
            lines.append(f"{where}: probed but not expected")
        elif got is None:
            lines.append(f"{where}: expected but not probed")
        elif got.answered_by is not None and got.answered_by != key.target:
            lines.append(f"{where} ({got.address}): answered by {got.answered_by}: {got.detail}")
        elif want and got.answered_by is None:
            lines.append(f"{where} ({got.address}): should connect, failed: {got.detail}")
        elif not want and got.answered_by is not None:
            lines.append(f"{where} ({got.address}): should fail, connected: {got.detail}")
    return lines


@dataclass
class Materialised:
    stack: StackDecl
    ids: dict[str, str]  # node -> container id
    addresses: dict[str, dict[str, str]]  # node -> network -> IPv4 address
    external_ports: dict[tuple[str, str, int], int]  # (node, proto, internal) -> host port


@contextlib.contextmanager
def materialise(
    engine: DockerEngine, stack: StackDecl, images: Mapping[str, str] | None = None
) -> Iterator[Materialised]:
    """Create the stack's networks and containers; remove them all on exit.

    Every container runs the probe, except those named in ``images`` (node -> a local image),
    which run that image with their recorded command, volumes, capabilities and security
    options (see ``_create_container``).
    """
    images = dict(images or {})
    unknown = sorted(set(images) - {c.node for c in stack.containers})
    if unknown:
        raise StackResourcesError(f"images for containers the stack does not have: {unknown}")
    network_ids: list[str] = []
    container_ids: list[str] = []
    try:
        for pub in (p for c in stack.containers for p in c.published):
            if pub.ip not in ANY_ADDRESSES and not pub.ip.startswith("127."):
                engine.add_address(_bind_address(pub.ip))  # docker-proxy binds it
        engine.add_address(ELSEWHERE_ADDRESS)
        # Networks with a recorded subnet first: the engine hands out its default pools in
        # turn (172.17.0.0/16, 172.18.0.0/16, ...) without reusing freed ones at once, so after
        # a few stacks an automatic subnet would otherwise take one that is recorded later.
        for net in sorted(stack.networks, key=lambda n: not n.ipam):
            network_ids.append(_create_network(engine, net))
        with ThreadPoolExecutor(PARALLEL_CREATES) as pool:
            created = list(
                pool.map(
                    lambda c: _create_container(engine, c, container_ids, images.get(c.node)),
                    stack.containers,
                )
            )
        ids = {c.node: cid for c, cid in zip(stack.containers, created, strict=True)}
        addresses: dict[str, dict[str, str]] = {}
        external: dict[tuple[str, str, int], int] = {}
        for c in stack.containers:
            info = engine.api.inspect_container(ids[c.node])
            nets = info["NetworkSettings"]["Networks"] or {}
            addresses[c.node] = {n: v["IPAddress"] for n, v in nets.items() if v["IPAddress"]}
            missing = sorted(c.networks - set(addresses[c.node]))
            if missing and not c.host_network:
                raise RuntimeError(f"{c.node} got no address on {', '.join(missing)}: {nets}")
            for spec, bindings in (info["NetworkSettings"]["Ports"] or {}).items():
                port, _, proto = spec.partition("/")
                for binding in bindings or []:
                    external[(c.node, proto, int(port))] = int(binding["HostPort"])
        yield Materialised(stack, ids, addresses, external)
    finally:
        _remove(engine, container_ids, network_ids)


def _remove(engine: DockerEngine, container_ids: list[str], network_ids: list[str]) -> None:
    """Remove the containers (in parallel: each is a kill and a vfs copy), then the networks."""
    errors: list[str] = []

    def remove_container(cid: str) -> None:
        try:
            engine.api.remove_container(cid, force=True, v=True)
        except docker.errors.NotFound:
            pass  # already gone: a test removed it itself
        except Exception as exc:
            errors.append(f"container {cid[:12]}: {exc}")

    with ThreadPoolExecutor(PARALLEL_CREATES) as pool:
        list(pool.map(remove_container, container_ids))
    for nid in network_ids:
        try:
            engine.api.remove_network(nid)
        except Exception as exc:
            errors.append(f"network {nid[:12]}: {exc}")
    if errors:
        raise RuntimeError("removing the materialised stack: " + "; ".join(errors))


def _bind_address(ip: str) -> str:
    return STANDIN_ADDRESS if ip == UNKNOWN_ADDRESS else ip


def _create_network(engine: DockerEngine, net: NetworkDecl) -> str:
    ipam = None
    if net.ipam:
        ipam = docker.types.IPAMConfig(
            pool_configs=[
                docker.types.IPAMPool(
                    subnet=cfg.get("subnet"),
                    gateway=cfg.get("gateway"),
                    iprange=cfg.get("ipRange"),
                )
                for cfg in net.ipam
            ]
        )
    created = engine.api.create_network(
        net.name,
        driver=net.driver or "bridge",
        options=dict(net.options) or None,
        ipam=ipam,
        internal=net.internal,
        enable_ipv6=net.ipv6,
        check_duplicate=True,
    )
    return str(created["Id"])


def _create_container(
    engine: DockerEngine, c: ContainerDecl, created: list[str], image: str | None = None
) -> str:
    """Create, connect, upload into and start one container; the probe unless ``image``."""
    api = engine.api
    user_nets = [a for a in c.attachments if a.network != DEFAULT_BRIDGE]
    port_bindings: dict[str, list[tuple[str, int] | tuple[str]]] = {}
    for pub in c.published:
        address = "0.0.0.0" if pub.ip in ANY_ADDRESSES else _bind_address(pub.ip)
        # (address,) alone lets Docker pick the host port, as the provider does without one
        bind = (address, pub.external) if pub.external else (address,)
        port_bindings.setdefault(f"{pub.internal}/{pub.proto}", []).append(bind)
    if c.network_mode in {"host", "none"}:
        network_mode = c.network_mode
    else:
        network_mode = user_nets[0].network if user_nets else DEFAULT_BRIDGE
    own: dict[str, Any] = {}
    if image is not None:
        own = {
            "binds": [_bind(engine, c, v) for v in c.volumes],
            "cap_add": list(c.cap_add) or None,
            "cap_drop": list(c.cap_drop) or None,
            "security_opt": list(c.security_opts) or None,
        }
    host_config = api.create_host_config(
        port_bindings=port_bindings or None,
        network_mode=network_mode,
        **own,
    )
    networking_config = None
    if user_nets:
        first = user_nets[0]
        networking_config = api.create_networking_config(
            {
                first.network: api.create_endpoint_config(
                    aliases=list(first.aliases) or None, ipv4_address=first.ipv4_address
                )
            }
        )
    if image is None:
        command: list[str] | None = ["serve", c.node, *(p.spec() for p in c.listen)]
    else:
        command = list(c.command) if c.command is not None else None
        own_config = {
            "environment": list(c.env) or None,
            "healthcheck": docker_healthcheck(c.healthcheck),
        }
    container = api.create_container(
        image or PROBE_IMAGE,
        command=command,
        name=c.name,
        host_config=host_config,
        networking_config=networking_config,
        ports=[(p.internal, p.proto) for p in c.published] or None,
        labels={**dict(c.labels), SERVICE_LABEL: c.node},
        **(own_config if image is not None else {}),
    )
    cid = str(container["Id"])
    created.append(cid)
    # The API creates a container on one network; the others are connected before it starts.
    for att in user_nets[1:]:
        api.connect_container_to_network(
            cid, att.network, aliases=list(att.aliases) or None, ipv4_address=att.ipv4_address
        )
    if c.uploads:
        # The provider's order: uploads go into the created container, then it starts.
        api.put_archive(cid, "/", uploads_tar(c.uploads))
    api.start(cid)
    if image is None:
        _wait_ready(engine, c, cid)
    else:
        _wait_running(engine, c, cid)
    return cid


_GO_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$")


def _nanoseconds(duration: str) -> int:
    """A Go duration as the provider records it ("5s", "1m0s") in nanoseconds."""
    match = _GO_DURATION.match(duration)
    if match is None or not duration:
        raise ValueError(f"{duration!r} is not a Go duration such as 15s or 1m0s")
    hours, minutes, seconds = (float(g or 0) for g in match.groups())
    return int(((hours * 60 + minutes) * 60 + seconds) * 1e9)


def docker_healthcheck(block: Mapping[str, Any] | None) -> docker.types.Healthcheck | None:
    """The provider's ``healthcheck`` block as the engine API takes it (durations in ns)."""
    if not block:
        return None
    return docker.types.Healthcheck(
        test=list(block["tests"]),
        interval=_nanoseconds(block.get("interval") or "0s"),
        timeout=_nanoseconds(block.get("timeout") or "0s"),
        retries=int(block.get("retries") or 0),
        start_period=_nanoseconds(block.get("startPeriod") or "0s"),
    )


def _bind(engine: DockerEngine, c: ContainerDecl, volume: Volume) -> str:
    """A recorded volume as a bind for a container that runs its own image."""
    mode = "ro" if volume.read_only else "rw"
    if volume.host_path == DOCKER_SOCKET:
        # On the server this is the engine's socket; here it is the test engine's.
        return f"{engine.socket}:{volume.container_path}:{mode}"
    if volume.host_path is None and volume.volume_name:
        return f"{volume.volume_name}:{volume.container_path}:{mode}"
    raise StackResourcesError(
        f"container {c.node}: volume at {volume.container_path} (host path "
        f"{volume.host_path!r}) cannot be given to a real image here: only {DOCKER_SOCKET} "
        "and named volumes are"
    )


def _wait_running(engine: DockerEngine, c: ContainerDecl, cid: str) -> None:
    """A container of its own image: started and still running a moment later."""
    time.sleep(0.3)
    state = engine.api.inspect_container(cid)["State"]
    if not state["Running"]:
        logs = engine.api.logs(cid, stdout=True, stderr=True).decode(errors="replace")
        raise RuntimeError(f"{c.node} exited {state['ExitCode']}: {logs.strip()}")


def _wait_ready(engine: DockerEngine, c: ContainerDecl, cid: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        logs = engine.api.logs(cid, stdout=True, stderr=True).decode(errors="replace")
        if "ready" in logs.split():
            return
        state = engine.api.inspect_container(cid)["State"]
        if not state["Running"]:
            raise RuntimeError(f"probe for {c.node} exited {state['ExitCode']}: {logs.strip()}")
        time.sleep(0.05)
    raise RuntimeError(f"probe for {c.node} not ready after {READY_TIMEOUT:.0f}s")


def _targets(m: Materialised, key: ProbeKey) -> str:
    """Where a probe connects to (host part), from its route."""
    dst = next(c for c in m.stack.containers if c.node == key.target)
    kind, _, rest = key.route.partition(":")
    if kind == "name":
        return dst.name
    if kind == "alias":
        return rest
    if kind == "ip":
        return m.addresses[dst.node][rest]
    if kind in {"published", "elsewhere"}:
        return LOOPBACK if rest == "0.0.0.0" else _bind_address(rest)
    return LOOPBACK  # host networking: the engine's own loopback


def _port(m: Materialised, key: ProbeKey) -> int:
    if key.route.startswith(("published:", "elsewhere:")) and key.port == 0:
        dst = next(c for c in m.stack.containers if c.node == key.target)
        internal = next(p.internal for p in dst.published if p.proto == key.proto)
        return m.external_ports[(dst.node, key.proto, internal)]
    return key.port


def _responder(m: Materialised, key: ProbeKey, reply: str) -> str:
    """Who answered, from the reply "NAME PROTO PORT"; flags a reply on another port/protocol."""
    name, proto, port = ([*reply.split(), "", "", ""])[:3]
    if key.route.startswith(("published:", "elsewhere:")):
        dst = next(c for c in m.stack.containers if c.node == key.target)
        wanted = {str(p.internal) for p in dst.published if p.proto == key.proto}
    else:
        wanted = {str(key.port)}
    if proto != key.proto or port not in wanted:
        return f"{name} on {proto}/{port}"
    return name


class ProbeExecError(RuntimeError):
    """The probe process reported nothing for some probes: a harness failure, not a finding."""


def _send(
    engine: DockerEngine, m: Materialised, source: str, args: Sequence[str]
) -> tuple[str, str]:
    """Run one ``probe check`` from ``source``; return its stdout and how it ended."""
    argv = ["/probe", "check", str(PROBE_TIMEOUT_MS), *args]
    if source == ENGINE:
        if engine.probe_binary is None:
            raise RuntimeError("the engine has no probe: start it with start_engine()")
        proc = subprocess.run(
            engine.ns_argv(str(engine.probe_binary), *argv[1:]),
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_MS / 1000 + 20,
            check=False,
        )
        return proc.stdout, f"exit {proc.returncode}, stderr {proc.stderr.strip()!r}"
    exec_id = engine.api.exec_create(m.ids[source], argv, stdout=True, stderr=True)
    output = engine.api.exec_start(exec_id).decode(errors="replace")
    return output, f"exit {engine.api.exec_inspect(exec_id).get('ExitCode')}"


def _reply_lines(output: str) -> dict[int, str]:
    """The probe's "INDEX STATUS DETAIL" lines by index; anything else is not a reply."""
    lines: dict[int, str] = {}
    for line in output.splitlines():
        index, _, rest = line.partition(" ")
        if index.isdigit():
            lines[int(index)] = rest
    return lines


def run_probes(engine: DockerEngine, m: Materialised, keys: Sequence[ProbeKey]) -> Observed:
    """Send every probe: one exec per source container (probes inside run concurrently).

    Every probe prints exactly one line, even when it fails (refused, timeout, dns); a probe
    with no line means the exec itself went wrong (under load, an exec can come back empty),
    so only those probes are sent again, and a probe still silent after EXEC_ATTEMPTS raises
    ProbeExecError with what the exec printed instead of counting as "does not connect".
    """
    by_source: dict[str, list[ProbeKey]] = {}
    for key in keys:
        by_source.setdefault(key.source, []).append(key)
    observed = Observed()

    def batch(source: str) -> list[tuple[ProbeKey, ProbeResult]]:
        batch_keys = by_source[source]
        hosts = [_targets(m, k) for k in batch_keys]
        args = [f"{k.proto}:{h}:{_port(m, k)}" for k, h in zip(batch_keys, hosts, strict=True)]
        replies: dict[int, str] = {}
        pending = list(range(len(batch_keys)))
        for _attempt in range(EXEC_ATTEMPTS):
            output, ended = _send(engine, m, source, [args[i] for i in pending])
            lines = _reply_lines(output)
            replies.update({pending[j]: line for j, line in lines.items() if j < len(pending)})
            pending = [i for i in pending if i not in replies]
            if not pending:
                break
        else:
            raise ProbeExecError(
                f"probes from {source} got no reply line after {EXEC_ATTEMPTS} execs "
                f"({len(pending)} of {len(batch_keys)}, first {args[pending[0]]}); "
                f"the last exec ended with {ended} and printed {output[-500:]!r}"
            )
        results = []
        for i, (key, host) in enumerate(zip(batch_keys, hosts, strict=True)):
            status, _, detail = replies[i].partition(" ")
            answered_by = None
            if status == "ok":
                answered_by = _responder(m, key, detail)
            results.append((key, ProbeResult(host, answered_by, detail)))
        return results

    with ThreadPoolExecutor(PARALLEL_SOURCES) as pool:
        for results in pool.map(batch, sorted(by_source)):
            observed.results.update(results)
    return observed


def probe_stack(engine: DockerEngine, resources: Sequence[Recorded]) -> Observed:
    """Materialise the recorded stack in ``engine``, send every planned probe, clean up."""
    stack = read_stack(resources)
    keys = sorted(plan_probes(stack))
    t0 = time.monotonic()
    with materialise(engine, stack) as m:
        t1 = time.monotonic()
        observed = run_probes(engine, m, keys)
        t2 = time.monotonic()
    t3 = time.monotonic()
    observed.seconds = {"materialise": t1 - t0, "probe": t2 - t1, "teardown": t3 - t2}
    TIMINGS.append(
        f"{len(stack.networks)} networks, {len(stack.containers)} containers, "
        f"{len(keys)} probes in {t3 - t0:.1f}s ("
        + ", ".join(f"{k} {v:.1f}s" for k, v in observed.seconds.items())
        + ")"
    )
    return observed


def assert_stack_isolated(engine: DockerEngine, resources: Sequence[Recorded]) -> Observed:
    """Materialise and probe ``resources``; raise AssertionError listing every difference."""
    expected = expected_matrix(resources)
    observed = probe_stack(engine, resources)
    mismatches = compare(expected, observed)
    if mismatches:
        raise AssertionError(
            f"{len(mismatches)} of {len(expected)} probes differ from the recording:\n"
            + "\n".join(mismatches)
            + "\nobserved (Y reaches, . does not, - not probed):\n"
            + format_pairs(observed.matrix())
        )
    return observed


def format_pairs(matrix: Mapping[ProbeKey, bool]) -> str:
    """A source x target table of the pair matrix (for failure messages and reports)."""
    pairs = pair_matrix(matrix)
    nodes = sorted({s for s, _ in pairs} | {t for _, t in pairs})
    width = max((len(n) for n in nodes), default=4)
    head = " " * width + " | " + " ".join(f"{i:>2}" for i in range(len(nodes)))
    rows = [head]
    for i, src in enumerate(nodes):
        cells = []
        for dst in nodes:
            ok = pairs.get((src, dst))
            cells.append(" -" if ok is None else (" Y" if ok else " ."))
        rows.append(f"{src:<{width}} | " + " ".join(cells) + f"   ({i})")
    return "\n".join(rows)


def observed_json(observed: Observed) -> str:
    return json.dumps(
        [
            {**key.__dict__, "address": r.address, "answeredBy": r.answered_by, "detail": r.detail}
            for key, r in sorted(observed.results.items())
        ],
        indent=1,
    )
