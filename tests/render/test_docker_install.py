"""The LXC guest Docker install: shellcheck, bash -n, and its parts run for real here.

What runs for real on this Debian machine: the apt pin read by the real apt (against Debian's
actual runc), the release and runc gates against the real /etc/os-release and dpkg database,
the runtime check against a real dockerd, and the pct wrapper's payload decoded by the real
`base64`. What cannot run here: `pct exec` into a Proxmox guest (no Proxmox host).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from components.render.docker_install import (
    PIN_FILE,
    RUNTIME_CHECK_IMAGE,
    RUNTIME_CHECK_SCRIPT,
    GuestDockerInstall,
    apt_pin,
    guest_docker_install_script,
    pct_exec_command,
    release_gate,
    runc_gate,
)
from components.render.input_errors import RenderInputError
from components.render.metadata_block import SCRIPT_PATH, metadata_block_files
from tests.tools import tool

from .tools import DockerEngine, run


def shellcheck(text: str, tmp_path: Path, shell: str) -> None:
    path = tmp_path / f"script.{shell}"
    path.write_text(text)
    result = run(
        [tool("shellcheck"), "--shell", shell, "--severity", "style", str(path)], check=False
    )
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    ("name", "text", "shell"),
    [
        ("guest install", guest_docker_install_script(), "bash"),
        ("runtime check", RUNTIME_CHECK_SCRIPT, "sh"),
        ("pct wrapper", pct_exec_command(110, guest_docker_install_script()), "sh"),
    ],
)
def test_scripts_pass_shellcheck_and_parse(
    name: str, text: str, shell: str, tmp_path: Path
) -> None:
    shellcheck(text, tmp_path, shell)
    parse = run(["bash" if shell == "bash" else "dash", "-n"], input=text, check=False)
    assert parse.returncode == 0, f"{name}: {parse.stderr}"


def test_shellcheck_does_catch_a_broken_script(tmp_path: Path) -> None:
    # The lint above can fail: an unquoted expansion in the same script is reported.
    broken = guest_docker_install_script().replace(
        "apt-mark hold runc > /dev/null", "apt-mark hold runc > /dev/null\necho $runc_version"
    )
    path = tmp_path / "broken.bash"
    path.write_text(broken)
    result = run([tool("shellcheck"), "--shell", "bash", str(path)], check=False)
    assert result.returncode != 0
    assert "SC2086" in result.stdout


def test_real_apt_reads_the_pin(tmp_path: Path) -> None:
    parts = tmp_path / "preferences.d"
    parts.mkdir()
    (parts / "selfhosted-container-runtime").write_text(apt_pin(GuestDockerInstall()))
    result = run([tool("apt-cache"), "policy", "-o", f"Dir::Etc::PreferencesParts={parts}", "runc"])
    assert result.stderr == ""
    # Debian bookworm's runc is on the pinned line and gets priority 1001.
    assert re.search(r"^ \*\*\* 1\.1\.\S+ 1001$", result.stdout, re.M), result.stdout


def test_the_pin_is_in_the_script_once() -> None:
    script = guest_docker_install_script()
    assert f"cat > {PIN_FILE} <<'PIN'\n{apt_pin(GuestDockerInstall())}PIN\n" in script
    assert "apt-mark hold runc > /dev/null" in script


def gate(text: str) -> tuple[int, str]:
    proc = run(
        ["bash", "-c", "set -euo pipefail\n" + text + 'echo "passed ${runc_version:-}"'],
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


def test_release_gate_against_this_machines_os_release() -> None:
    os_release = Path("/etc/os-release").read_text()
    codename = re.search(r"^VERSION_CODENAME=(\S+)$", os_release, re.M)
    assert codename is not None
    here = f"debian:{codename.group(1)}"
    code, out = gate(release_gate(GuestDockerInstall(supported_releases=(here,))))
    assert (code, out.strip()) == (0, "passed")
    code, out = gate(release_gate(GuestDockerInstall(supported_releases=("debian:forky",))))
    assert code == 1
    assert f"unsupported guest {here}; supported: debian:forky" in out


def test_runc_gate_against_this_machines_dpkg() -> None:
    installed = run(["dpkg-query", "-W", "-f=${Version}", "runc"]).stdout
    code, out = gate(runc_gate(GuestDockerInstall()))
    assert (code, out.strip()) == (0, f"passed {installed}")
    code, out = gate(runc_gate(GuestDockerInstall(runc_pin="1.3.*")))
    assert code == 1
    assert f"runc {installed} is installed; only 1.3.* is known to work in this LXC" in out


def test_runtime_check_starts_a_container_with_its_own_netns(
    docker_engine: DockerEngine,
) -> None:
    run(["docker", "image", "rm", "-f", RUNTIME_CHECK_IMAGE], env=docker_engine.env())
    result = run(["sh", "-c", RUNTIME_CHECK_SCRIPT], env=docker_engine.env(), timeout=120)
    assert result.stdout.strip() == "runtime check passed (ip_unprivileged_port_start=0)"
    # Idempotent: the image is reused the second time.
    again = run(["sh", "-c", RUNTIME_CHECK_SCRIPT], env=docker_engine.env(), timeout=120)
    assert again.stdout == result.stdout


def test_runtime_check_fails_loudly_without_an_engine(tmp_path: Path) -> None:
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DOCKER_HOST": f"unix://{tmp_path}/none.sock"}
    result = run(["sh", "-c", RUNTIME_CHECK_SCRIPT], env=env, check=False, timeout=60)
    assert result.returncode != 0
    assert "Cannot connect to the Docker daemon" in result.stderr


def test_pct_wrapper_carries_the_script_unchanged() -> None:
    script = guest_docker_install_script()
    command = pct_exec_command(110, script)
    match = re.fullmatch(
        r"set -eu\nprintf '%s' '([A-Za-z0-9+/=]+)' \| base64 -d \| "
        r"pct exec 110 -- /bin/bash -s\n",
        command,
    )
    assert match is not None, command
    decoded = run(["base64", "-d"], input=match.group(1)).stdout
    assert decoded == script


def test_bad_choices_are_reported_together() -> None:
    with pytest.raises(RenderInputError) as error:
        guest_docker_install_script(
            GuestDockerInstall(runc_pin="1.1; rm -rf /", supported_releases=("Debian 12",))
        )
    assert [p.split("=", 1)[0] for p in error.value.problems] == [
        "runc_pin",
        "supported_releases[0]",
    ]
    with pytest.raises(RenderInputError, match="vmid=7: a Proxmox VMID"):
        pct_exec_command(7, "true")


def test_a_guest_gets_the_metadata_block_before_docker_and_applies_it_once_running() -> None:
    script = guest_docker_install_script()
    install = script.index("apt-get install -y -q --no-install-recommends ca-certificates")
    for f in metadata_block_files():
        written = f"cat > {f.path} << 'FILE'\n{f.content}FILE\nchmod {f.permissions} {f.path}\n"
        assert script.index(written) < install
    started = script.index("systemctl enable --now docker.service\n")
    assert script.index("systemctl daemon-reload\n") < started
    assert script.index(f"\n{SCRIPT_PATH}\n") > started
