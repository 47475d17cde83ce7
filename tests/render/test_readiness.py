"""The readiness command, run for real: a real dockerd, the real cloud-init, bash and dash.

The docker half is proven against a dockerd that is absent, then started while the command
retries; the cloud-init half against Debian's cloud-init on this machine: where it has never
run, `cloud-init status --wait` never finishes and the time limit must end it; booted for real
in a private namespace (tools.cloud_init_boot: its stages with DataSourceNone), it finishes,
or fails in the modules the user-data makes fail, and the command names them.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from components.render.input_errors import RenderInputError
from components.render.readiness import (
    READY_PREFIX,
    Readiness,
    docker_version_from_readiness,
    provider_host_after_readiness,
    readiness_command,
)
from tests.tools import tool

from .tools import DockerEngine, cloud_init_boot, run, start_engine, stop_engine

FAST = Readiness(wait_for_cloud_init=False, docker_attempts=3, docker_interval_s=1)


@pytest.mark.parametrize("shell", ["bash", "dash"])
def test_prints_the_server_version(shell: str, docker_engine: DockerEngine) -> None:
    result = run([shell, "-c", readiness_command(FAST)], env=docker_engine.env())
    version = run(
        ["docker", "version", "--format", "{{.Server.Version}}"], env=docker_engine.env()
    ).stdout.strip()
    assert result.stdout == f"{READY_PREFIX}{version}\n"
    assert docker_version_from_readiness(result.stdout) == version


def test_gives_up_after_the_bounded_attempts(tmp_path: Path) -> None:
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DOCKER_HOST": f"unix://{tmp_path}/no.sock"}
    started = time.monotonic()
    result = run(["sh", "-c", readiness_command(FAST)], env=env, check=False)
    elapsed = time.monotonic() - started
    assert result.returncode == 1
    assert result.stdout == ""
    assert "docker info did not answer after 3 attempts" in result.stderr
    assert "Cannot connect to the Docker daemon" in result.stderr
    assert 2 <= elapsed < 30


def test_waits_for_a_daemon_that_starts_late(tmp_path: Path) -> None:
    # Short root: the socket path must fit in sun_path.
    root = Path(f"/tmp/ready-{tmp_path.name[-12:]}")
    socket_path = root / "docker.sock"
    readiness = Readiness(wait_for_cloud_init=False, docker_attempts=60, docker_interval_s=1)
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DOCKER_HOST": f"unix://{socket_path}"}
    waiting = subprocess.Popen(
        ["sh", "-c", readiness_command(readiness)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    engine = None
    try:
        time.sleep(2)
        assert waiting.poll() is None  # still retrying: no daemon yet
        engine = start_engine(root)
        out, err = waiting.communicate(timeout=90)
        assert waiting.returncode == 0, err
        assert out.startswith(READY_PREFIX)
    finally:
        if waiting.poll() is None:
            waiting.kill()
        if engine is not None:
            stop_engine(engine)
        shutil.rmtree(root, ignore_errors=True)


def test_cloud_init_that_never_finishes_fails_within_the_limit(
    docker_engine: DockerEngine,
) -> None:
    tool("cloud-init")
    status = run(["cloud-init", "status"], check=False)
    assert "status: not run" in status.stdout  # this machine never booted through cloud-init
    readiness = Readiness(wait_for_cloud_init=True, cloud_init_timeout_s=3, docker_attempts=1)
    started = time.monotonic()
    result = run(["sh", "-c", readiness_command(readiness)], env=docker_engine.env(), check=False)
    assert result.returncode == 1
    assert "cloud-init did not finish within 3s (exit 124)" in result.stderr
    assert "status: not run" in result.stderr  # the long status explains why
    assert result.stdout == ""  # so no provider host can be derived
    assert time.monotonic() - started < 20


CLOUD_INIT = Readiness(wait_for_cloud_init=True, cloud_init_timeout_s=60, docker_attempts=1)
# bootcmd runs in the init stage, runcmd's script in the final stage (scripts_user).
FAILING = """\
#cloud-config
bootcmd:
  - [sh, -c, "test -e {marker}"]
runcmd:
  - [sh, -c, "exit 4"]
"""


@pytest.mark.parametrize("shell", ["bash", "dash"])
def test_a_finished_cloud_init_passes_on_to_docker(
    shell: str, tmp_path: Path, docker_engine: DockerEngine
) -> None:
    user_data = "#cloud-config\nbootcmd:\n  - [sh, -c, 'true']\nruncmd:\n  - [sh, -c, 'true']\n"
    result = cloud_init_boot(
        tmp_path,
        user_data,
        shlex.join([shell, "-c", readiness_command(CLOUD_INIT)]),
        docker_engine.env(),
    )
    assert result.returncode == 0, result.stderr + (tmp_path / "stages.log").read_text()
    assert result.stdout.startswith(READY_PREFIX)


def test_a_failed_module_is_named_with_how_to_recover(tmp_path: Path) -> None:
    marker = tmp_path / "fixed"
    user_data = FAILING.format(marker=marker)
    command = readiness_command(CLOUD_INIT)
    result = cloud_init_boot(tmp_path, user_data, command)
    assert result.returncode == 1
    assert result.stdout == ""  # so no provider host can be derived
    first = result.stderr.splitlines()[0]
    assert first == "cloud-init failed in module(s): bootcmd scripts_user (exit 1)", first
    assert "status: error" in result.stderr  # the long status follows
    assert "Exit code: 4" not in first
    assert "sudo cloud-init clean --logs --reboot" in result.stderr
    # The recovery it names: fix the cause, clean, boot again (a reboot runs the stages again).
    marker.touch()
    recovered = cloud_init_boot(
        tmp_path,
        user_data.replace('"exit 4"', '"true"'),
        "cloud-init clean --logs && for stage in init 'modules --mode config' "
        "'modules --mode final'; do cloud-init $stage > /dev/null 2>&1 || true; done; "
        "cloud-init status --wait > /dev/null",
    )
    assert recovered.returncode == 0, recovered.stderr


def test_cloud_init_wait_accepts_done_and_recoverable_only() -> None:
    text = readiness_command(Readiness(wait_for_cloud_init=True))
    assert "timeout 1200 cloud-init status --wait > /dev/null || rc=$?" in text
    assert 'if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then' in text
    assert "cloud-init" not in readiness_command(FAST)


def test_provider_host_needs_the_ready_line() -> None:
    assert provider_host_after_readiness("docker-server-version=26.1.5+dfsg1\n", "ax102-lk") == (
        "ssh://ax102-lk"
    )
    with pytest.raises(ValueError, match="no 'docker-server-version=<version>' line"):
        provider_host_after_readiness("Cannot connect\n", "ax102-lk")
    with pytest.raises(ValueError, match="no 'docker-server-version=<version>' line"):
        docker_version_from_readiness("docker-server-version=\n")


def test_shellcheck(tmp_path: Path) -> None:
    for i, readiness in enumerate((FAST, Readiness(wait_for_cloud_init=True))):
        path = tmp_path / f"ready{i}.sh"
        path.write_text(readiness_command(readiness))
        result = run([tool("shellcheck"), "--shell", "sh", str(path)], check=False)
        assert result.returncode == 0, result.stdout


def test_bounds_are_checked() -> None:
    with pytest.raises(RenderInputError) as error:
        readiness_command(
            Readiness(True, cloud_init_timeout_s=0, docker_attempts=0, docker_interval_s=600)
        )
    assert [p.split("=", 1)[0] for p in error.value.problems] == [
        "cloud_init_timeout_s",
        "docker_attempts",
        "docker_interval_s",
    ]


def test_a_data_volume_must_be_mounted_first(tmp_path: Path) -> None:
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DOCKER_HOST": f"unix://{tmp_path}/no.sock"}
    unmounted = Readiness(
        wait_for_cloud_init=False, docker_attempts=1, docker_interval_s=1, data_mount=str(tmp_path)
    )
    result = run(["sh", "-c", readiness_command(unmounted)], env=env, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith(f"{tmp_path} is not mounted:")
    # A mounted one (the root) passes on to Docker, which is absent here.
    mounted = Readiness(
        wait_for_cloud_init=False, docker_attempts=1, docker_interval_s=1, data_mount="/"
    )
    result = run(["sh", "-c", readiness_command(mounted)], env=env, check=False)
    assert "is not mounted" not in result.stderr
    assert "docker info did not answer after 1 attempts" in result.stderr
    with pytest.raises(RenderInputError, match="data_mount"):
        readiness_command(Readiness(wait_for_cloud_init=False, data_mount="/srv/da ta"))
