"""cloud-init user-data checked by the real `cloud-init schema` and the real `sshd -T`."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.render.cloud_init import (
    DOCKER_DAEMON_JSON,
    DOCKER_MOUNT_DROPIN,
    SSHD_DROPIN_PATH,
    DataVolume,
    DockerServerInit,
    HostKeyPair,
    cloud_init_user_data,
    digitalocean_volume_device,
    docker_data_root,
    sshd_hardening,
)
from components.render.input_errors import RenderInputError
from components.render.metadata_block import DROPIN_PATH, SCRIPT_PATH, metadata_block_files
from tests.tools import tool

from .tools import KeyPair, run

DO_VOLUME = digitalocean_volume_device("staging-data")


def server(
    keys: dict[str, KeyPair], volume: DataVolume | None = None, private: str | None = None
) -> DockerServerInit:
    return DockerServerInit(
        hostname="staging-1",
        admin_user="deploy",
        admin_keys=(keys["admin"].public_openssh,),
        host_key=HostKeyPair(
            private_openssh=keys["host"].private_openssh if private is None else private,
            public_openssh=keys["host"].public_openssh,
        ),
        data_volume=volume,
    )


def schema_check(text: str, tmp_path: Path) -> Any:
    path = tmp_path / "user-data.yaml"
    path.write_text(text)
    return run([tool("cloud-init"), "schema", "--config-file", str(path)], check=False)


def files_by_path(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["path"]: entry for entry in config["write_files"]}


@pytest.mark.parametrize(
    ("volume", "private"),
    [
        pytest.param(DataVolume(device=DO_VOLUME), None, id="with-volume"),
        pytest.param(None, None, id="no-volume"),
        pytest.param(
            DataVolume(device=DO_VOLUME, filesystem="xfs"), "[secret]", id="placeholder-private-key"
        ),
    ],
)
def test_user_data_passes_cloud_init_schema(
    keys: dict[str, KeyPair], tmp_path: Path, volume: DataVolume | None, private: str | None
) -> None:
    text = cloud_init_user_data(server(keys, volume, private))
    assert text.startswith("#cloud-config\n")
    result = schema_check(text, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Valid cloud-config" in result.stdout


def test_schema_tool_rejects_an_empty_genkeytypes(keys: dict[str, KeyPair], tmp_path: Path) -> None:
    # Why the renderer leaves `ssh_genkeytypes` out: cloud-init's schema wants at least one type.
    text = cloud_init_user_data(server(keys)) + "ssh_genkeytypes: []\n"
    result = schema_check(text, tmp_path)
    assert result.returncode != 0
    assert "ssh_genkeytypes: [] is too short" in result.stdout + result.stderr


def test_every_top_level_key_is_in_cloud_inits_schema(keys: dict[str, KeyPair]) -> None:
    # cloud-init 22.4 (bookworm) accepts unknown top-level keys; the newest schema refuses them.
    # Read the installed schema's own module definitions so a misspelled key still fails here.
    listing = run(["dpkg-query", "-L", "cloud-init"]).stdout.splitlines()
    [schema_file] = [line for line in listing if line.endswith("/schema-cloud-config-v1.json")]
    schema = json.loads(Path(schema_file).read_text())
    known: set[str] = set()
    for definition in schema["$defs"].values():
        known.update(definition.get("properties", {}))
    config = yaml.safe_load(cloud_init_user_data(server(keys, DataVolume(device=DO_VOLUME))))
    assert set(config) <= known, sorted(set(config) - known)


def test_structure_pins_host_key_and_installs_docker(keys: dict[str, KeyPair]) -> None:
    config = yaml.safe_load(cloud_init_user_data(server(keys)))
    assert config["ssh_keys"] == {
        "ed25519_private": keys["host"].private_openssh,
        "ed25519_public": keys["host"].public_openssh,
    }
    assert config["ssh_deletekeys"] is True
    assert "ssh_genkeytypes" not in config  # with ssh_keys given, cc_ssh generates nothing
    assert config["ssh_pwauth"] is False
    assert config["disable_root"] is True
    assert config["packages"] == ["docker.io"]
    assert config["package_update"] is True
    assert config["groups"] == ["docker"]
    [user] = config["users"]
    assert user == {
        "name": "deploy",
        "groups": ["docker"],
        "shell": "/bin/bash",
        "lock_passwd": True,
        # Root for the program's host steps (the data volume): the docker group is already
        # root-equivalent, so this grants nothing more.
        "sudo": "ALL=(ALL) NOPASSWD:ALL",
        "ssh_authorized_keys": [keys["admin"].public_openssh],
    }
    assert "fs_setup" not in config
    assert "mounts" not in config
    assert set(files_by_path(config)) == {SSHD_DROPIN_PATH, SCRIPT_PATH, DROPIN_PATH}


def test_volume_is_formatted_only_when_empty_and_holds_dockers_data_root(
    keys: dict[str, KeyPair],
) -> None:
    volume = DataVolume(device=DO_VOLUME, mount_point="/srv/data")
    config = yaml.safe_load(cloud_init_user_data(server(keys, volume)))
    assert config["fs_setup"] == [
        {
            "label": "data",
            "filesystem": "ext4",
            "device": DO_VOLUME,
            "partition": "auto",
            "overwrite": False,
        },
    ]
    assert config["mounts"] == [
        [DO_VOLUME, "/srv/data", "ext4", "defaults,nofail,discard", "0", "2"]
    ]
    files = files_by_path(config)
    assert json.loads(files[DOCKER_DAEMON_JSON]["content"]) == {"data-root": "/srv/data/docker"}
    assert docker_data_root(volume) == "/srv/data/docker"
    assert files[DOCKER_MOUNT_DROPIN]["content"] == "[Unit]\nRequiresMountsFor=/srv/data\n"


def test_private_key_is_a_literal_block(keys: dict[str, KeyPair]) -> None:
    text = cloud_init_user_data(server(keys))
    assert "  ed25519_private: |\n    -----BEGIN OPENSSH PRIVATE KEY-----\n" in text


def sshd_effective(tmp_path: Path, dropins: dict[str, str], host_key: KeyPair) -> dict[str, str]:
    """`sshd -T` over Debian's own sshd_config with our drop-in directory included first."""
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    conf_d = tmp_path / "sshd_config.d"
    conf_d.mkdir()
    for name, text in dropins.items():
        (conf_d / name).write_text(
            text.replace("/etc/ssh/ssh_host_ed25519_key", str(host_key.private_path))
        )
    debian_main = Path("/etc/ssh/sshd_config").read_text()
    assert "Include /etc/ssh/sshd_config.d/*.conf" in debian_main
    main = tmp_path / "sshd_config"
    main.write_text(
        debian_main.replace("Include /etc/ssh/sshd_config.d/*.conf", f"Include {conf_d}/*.conf")
    )
    result = run([tool("sshd"), "-T", "-f", str(main)])
    effective: dict[str, str] = {}
    for line in result.stdout.splitlines():
        key, _, value = line.partition(" ")
        effective.setdefault(key, value)
    return effective


def test_sshd_applies_the_hardening_over_cloud_inits_own_drop_in(
    keys: dict[str, KeyPair], tmp_path: Path
) -> None:
    # cloud-init writes 50-cloud-init.conf; a stale one saying "yes" must not win over ours.
    effective = sshd_effective(
        tmp_path,
        {
            "00-selfhosted-hardening.conf": sshd_hardening("deploy"),
            "50-cloud-init.conf": "PasswordAuthentication yes\nPermitRootLogin yes\n",
        },
        keys["host"],
    )
    assert effective["passwordauthentication"] == "no"
    assert effective["permitrootlogin"] == "no"
    assert effective["kbdinteractiveauthentication"] == "no"
    assert effective["permitemptypasswords"] == "no"
    assert effective["pubkeyauthentication"] == "yes"
    assert effective["authenticationmethods"] == "publickey"
    assert effective["allowusers"] == "deploy"
    assert effective["maxauthtries"] == "3"
    assert effective["x11forwarding"] == "no"
    assert effective["allowagentforwarding"] == "no"
    # One forward only: local, to NPM's API on the loopback (the program's tunnel).
    assert effective["allowtcpforwarding"] == "local"
    assert effective["permitopen"] == "127.0.0.1:81"
    assert effective["hostkey"] == str(keys["host"].private_path)


def test_sshd_without_the_drop_in_would_allow_passwords(
    keys: dict[str, KeyPair], tmp_path: Path
) -> None:
    # The same check without our file: proves the assertion above depends on the drop-in.
    effective = sshd_effective(
        tmp_path, {"50-cloud-init.conf": "PasswordAuthentication yes\n"}, keys["host"]
    )
    assert effective["passwordauthentication"] == "yes"


def test_bad_inputs_are_reported_together(keys: dict[str, KeyPair]) -> None:
    bad = DockerServerInit(
        hostname="bad host",
        admin_user="root",
        admin_keys=("not-a-key",),
        host_key=HostKeyPair(private_openssh="", public_openssh="ssh-rsa AAAA"),
        data_volume=DataVolume(device="sdb", mount_point="/", label="much-too-long-label"),
    )
    with pytest.raises(RenderInputError) as error:
        cloud_init_user_data(bad)
    fields = [problem.split("=", 1)[0] for problem in error.value.problems]
    assert fields == [
        "hostname",
        "admin_user",
        "admin_keys[0]",
        "host_key.public_openssh",
        "host_key.private_openssh",
        "data_volume.device",
        "data_volume.mount_point",
        "data_volume.label",
    ]
    assert "admin_user='root': a lower-case Unix user name other than root" in str(error.value)


def test_digitalocean_volume_device() -> None:
    assert DO_VOLUME == "/dev/disk/by-id/scsi-0DO_Volume_staging-data"
    with pytest.raises(RenderInputError, match="volume_name='a b'"):
        digitalocean_volume_device("a b")


def test_first_boot_waits_for_a_late_attached_volume(
    keys: dict[str, KeyPair], tmp_path: Path
) -> None:
    # Hetzner attaches a volume after the server exists: bootcmd (before disk_setup) waits for
    # the device, bounded. The command is run for real against a device path that appears late.
    hetzner = "/dev/disk/by-id/scsi-0HC_Volume_42"
    config = yaml.safe_load(cloud_init_user_data(server(keys, DataVolume(device=hetzner))))
    (command,) = config["bootcmd"]
    assert command[:2] == ["sh", "-c"]
    assert f"until [ -e {hetzner} ]" in command[2]
    # Run it for real, on a path of this test's own that appears a second late.
    device = tmp_path / "scsi-0HC_Volume_42"
    command = [*command[:2], command[2].replace(hetzner, str(device))]
    appear = subprocess.Popen(["sh", "-c", f"sleep 1; touch {device}"])
    started = time.monotonic()
    subprocess.run(command, check=True, timeout=30)
    appear.wait()
    assert device.exists()
    assert 0.5 < time.monotonic() - started < 10
    assert "bootcmd" not in yaml.safe_load(cloud_init_user_data(server(keys)))


def test_the_metadata_block_is_written_before_docker_starts(keys: dict[str, KeyPair]) -> None:
    # write_files runs in the init stage, docker.io is installed (and first started) in the
    # final stage (cloud-init config/cloud.cfg.tmpl): the drop-in is there for that first start.
    written = files_by_path(yaml.safe_load(cloud_init_user_data(server(keys))))
    for f in metadata_block_files():
        assert written[f.path] == {
            "path": f.path,
            "owner": "root:root",
            "permissions": f.permissions,
            "content": f.content,
        }
    assert written[SCRIPT_PATH]["permissions"] == "0755"
    assert DROPIN_PATH.startswith("/etc/systemd/system/docker.service.d/")
