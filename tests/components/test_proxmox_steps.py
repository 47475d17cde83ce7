"""The host-step scripts for Proxmox: shellcheck-clean POSIX sh with the commands they promise.

They run on a Proxmox host (pvesh, pvesm, pct), which is not available here; shellcheck and
`sh -n` check them as shell, and the assertions pin the Proxmox commands and guards.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from components.render.proxmox_steps import (
    container_disk_script,
    container_keys_script,
    storage_content_script,
)
from tests.tools import tool

SCRIPTS = {
    "storage-content": storage_content_script(
        {"local": ["vztmpl", "rootdir"], "nvme": ["rootdir"]}
    ),
    "keys": container_keys_script(110, ["ssh-ed25519 AAAA ops@example.com", "ssh-rsa BBBB ci"]),
    "no-keys": container_keys_script(110, []),
    "disk": container_disk_script(111, 200),
}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_scripts_pass_shellcheck_and_parse(tmp_path: Path, name: str) -> None:
    script = tmp_path / f"{name}.sh"
    script.write_text(SCRIPTS[name])
    checked = subprocess.run(
        [tool("shellcheck"), "-s", "sh", str(script)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout
    parsed = subprocess.run(["sh", "-n", str(script)], capture_output=True, text=True, check=False)
    assert parsed.returncode == 0, parsed.stderr


def test_storage_content_keeps_the_list_and_appends_the_needed_types() -> None:
    script = SCRIPTS["storage-content"]
    assert 'pvesh get "/storage/$storage" --output-format json' in script
    assert 'pvesm set "$storage" --content "$merged"' in script
    assert script.endswith("ensure_content local vztmpl rootdir\nensure_content nvme rootdir\n")


def test_keys_are_written_whole_inside_the_container() -> None:
    script = SCRIPTS["keys"]
    assert "pct exec 110 -- sh -c" in script
    assert "ssh-ed25519 AAAA ops@example.com\nssh-rsa BBBB ci\nPULUMI_SSH_KEYS\n" in script
    assert "mv /root/.ssh/authorized_keys.pulumi /root/.ssh/authorized_keys" in script


@pytest.mark.parametrize("bad", ["ssh-ed25519 AAAA\nPULUMI_SSH_KEYS", "  ", "a\rb"])
def test_a_key_must_be_one_line(bad: str) -> None:
    with pytest.raises(ValueError, match="one non-empty line"):
        container_keys_script(110, [bad])


def test_disk_grows_with_pct_resize_and_never_shrinks() -> None:
    script = SCRIPTS["disk"]
    assert "pct resize 111 rootfs 200G" in script
    assert f'if [ "$have" -eq {200 * 1024**3} ]' in script
    assert "refusing to shrink" in script
    assert "pct set" not in script  # a config update would hit the protection check
