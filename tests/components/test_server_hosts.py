"""Droplet, Hetzner Cloud and existing-server hosts under mocks: the server, its firewall made of
the edge openings, its pinned host key, the Docker engine that waits for first boot, and the
steps that follow the config after it (admin keys, data volume)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from components.hosts.ssh import ExistingServer, ExistingServerArgs
from components.plan import RecordedResource, plan_stack, run_program
from components.plan.recording import SECRET_SIG_KEY, UNKNOWN
from components.plan.stack_spec import read_stack_spec
from components.spec import SshHostSpec
from tests.provider_facts.replacement import record, stack_config
from tests.render.tools import make_keypair
from tests.tools import tool

ROOT = Path(__file__).resolve().parents[2]
ANYWHERE = ["0.0.0.0/0", "::/0"]


def md5(public_key: str, tmp: Path) -> str:
    """`ssh-keygen -l -E md5`'s fingerprint of ``public_key``: ``aa:bb:...``."""
    path = tmp / "fingerprinted.pub"
    path.write_text(public_key + "\n")
    out = subprocess.run(
        [tool("ssh-keygen"), "-l", "-E", "md5", "-f", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split()[1].removeprefix("MD5:")


def _recorded(stack: str, **host: Any) -> dict[str, RecordedResource]:
    """The stack under mocks with its cloud server's config changed by ``host``."""
    values, secrets = stack_config(stack)
    values["platform:hosts"][stack].update(host)
    return {r.name: r for r in record(values, secrets, stack=stack)}


@pytest.fixture(scope="module")
def staging() -> dict[str, RecordedResource]:
    return {r.name: r for r in plan_stack(ROOT, "staging").resources}


@pytest.fixture(scope="module")
def hub() -> dict[str, RecordedResource]:
    return {r.name: r for r in plan_stack(ROOT, "hub").resources}


def test_droplet_from_config_with_keys_and_secret_first_boot(
    staging: dict[str, RecordedResource],
) -> None:
    droplet = staging["staging-server"]
    assert droplet.type == "digitalocean:index/droplet:Droplet"
    assert {k: droplet.inputs[k] for k in ("region", "size", "image", "backups", "monitoring")} == {
        "region": "fra1",
        "size": "s-4vcpu-8gb",
        "image": "debian-12-x64",
        "backups": True,
        "monitoring": True,
    }
    assert SECRET_SIG_KEY in droplet.inputs["userData"]  # it carries the host's private key
    # Read at first boot only: a change must not replace the server behind the operator's back.
    assert droplet.ignore_changes == ["userData", "sshKeys"]
    # A resize changes CPU and memory only (a grown disk can never shrink back); a delete
    # shuts the droplet down first.
    assert droplet.inputs["resizeDisk"] is False
    assert droplet.inputs["gracefulShutdown"] is True


def test_admin_keys_are_uploaded_by_fingerprint(
    staging: dict[str, RecordedResource], tmp_path: Path
) -> None:
    [key] = read_stack_spec(ROOT / "Pulumi.staging.yaml").adminSshKeys
    name = f"staging-admin-{md5(key, tmp_path).replace(':', '')}"
    uploaded = staging[name]
    assert uploaded.inputs == {"name": name, "publicKey": key}
    droplet = staging["staging-server"]
    assert uploaded.urn in droplet.dependencies
    # The droplet refers to it by its fingerprint, an output: unknown until it is created.
    assert droplet.inputs["sshKeys"] == [UNKNOWN]
    assert droplet.property_dependencies["sshKeys"] == [uploaded.urn]


@pytest.mark.parametrize("stack", ["hub", "staging"])
def test_keys_already_in_the_account_are_referred_to_not_uploaded(
    stack: str, tmp_path: Path
) -> None:
    [key] = read_stack_spec(ROOT / f"Pulumi.{stack}.yaml").adminSshKeys
    fingerprint = md5(key, tmp_path)
    resources = _recorded(stack, existingSshKeys=[fingerprint, 4711])
    assert not [r for r in resources.values() if r.name.startswith(f"{stack}-admin-")]
    server = resources[f"{stack}-server"]
    if stack == "staging":
        # A droplet takes ids and fingerprints as they are (resource_droplet.go expandSshKeys).
        assert server.inputs["sshKeys"] == [fingerprint, "4711"]
    else:
        # A Hetzner server takes ids or names: the fingerprint is looked up (hcloud_ssh_key);
        # the mocks answer a number for it.
        looked_up, given = server.inputs["sshKeys"]
        assert looked_up.isdigit()
        assert given == "4711"


def test_droplet_firewall_is_ssh_from_admins_plus_the_edge_openings(
    staging: dict[str, RecordedResource],
) -> None:
    firewall = staging["staging-firewall"]
    assert firewall.inputs["inboundRules"] == [
        {"protocol": "tcp", "portRange": "22", "sourceAddresses": ["198.51.100.0/24"]},
        {"protocol": "tcp", "portRange": "80", "sourceAddresses": ANYWHERE},
        {"protocol": "tcp", "portRange": "443", "sourceAddresses": ANYWHERE},
        {"protocol": "tcp", "portRange": "7881", "sourceAddresses": ANYWHERE},
        {"protocol": "udp", "portRange": "50000-50019", "sourceAddresses": ANYWHERE},
    ]
    assert staging["staging-server"].urn in firewall.dependencies


def test_data_volume_is_protected(staging: dict[str, RecordedResource]) -> None:
    volume = staging["staging-data"]
    assert volume.protect is True
    assert volume.inputs["size"] == 50
    assert staging["staging-data"].urn in staging["staging-server"].dependencies
    # One droplet at a time holds a volume: a replacement deletes the old droplet first.
    assert staging["staging-server"].delete_before_replace is True


@pytest.mark.parametrize(
    ("stack", "device"),
    [
        ("staging", "/dev/disk/by-id/scsi-0DO_Volume_staging-data"),
        ("hub", "/dev/disk/by-id/scsi-0HC_Volume_{hub-data}"),
    ],
)
def test_the_data_volume_step_runs_before_the_readiness(
    stack: str, device: str, request: pytest.FixtureRequest
) -> None:
    resources: dict[str, RecordedResource] = request.getfixturevalue(stack)
    step, ready = resources[f"{stack}-data-volume"], resources[f"{stack}-engine-ready"]
    device = device.replace("{hub-data}", resources.get("hub-data", step).id)
    assert step.urn in ready.dependencies
    attached_by = resources.get(f"{stack}-data-attachment") or resources[f"{stack}-server"]
    assert attached_by.urn in step.dependencies
    # Run again for a new server or a new volume.
    assert set(step.property_dependencies["triggers"]) == {
        resources[f"{stack}-server"].urn,
        resources[f"{stack}-data"].urn,
    }
    assert step.inputs["create"].startswith("sudo -n sh -c ")
    assert f"device={device}\n" in step.inputs["create"]
    assert step.inputs["update"] == step.inputs["create"]


def test_the_admin_keys_step_follows_the_readiness(
    staging: dict[str, RecordedResource], hub: dict[str, RecordedResource]
) -> None:
    [key] = read_stack_spec(ROOT / "Pulumi.staging.yaml").adminSshKeys
    for host, resources in (("staging", staging), ("hub", hub)):
        step = resources[f"{host}-ssh-keys"]
        assert resources[f"{host}-engine-ready"].urn in step.dependencies
        assert f"\n{key}\nPULUMI_SSH_KEYS\n" in step.inputs["create"]
        assert SECRET_SIG_KEY not in step.inputs["create"]  # public keys only
        # A rebuilt server boots with its first creation's keys: write today's again.
        assert step.property_dependencies["triggers"] == [resources[f"{host}-server"].urn]


def test_host_key_is_generated_and_pins_the_readiness_connection(
    staging: dict[str, RecordedResource],
) -> None:
    key = staging["staging-host-key"]
    assert key.type == "tls:index/privateKey:PrivateKey"
    assert key.inputs == {"algorithm": "ED25519"}
    ready = staging["staging-engine-ready"]
    # The connection (secret: it holds the private key) is built from the generated key.
    assert key.urn in ready.property_dependencies["connection"]
    assert SECRET_SIG_KEY in ready.inputs["connection"]


def test_nothing_reaches_the_engine_before_readiness(staging: dict[str, RecordedResource]) -> None:
    ready, provider = staging["staging-engine-ready"], staging["staging-engine-provider"]
    assert "cloud-init status --wait" in ready.inputs["create"]
    assert "docker info" in ready.inputs["create"]
    # The data volume is mounted before anything counts as ready (Docker's data lives there).
    assert "mountpoint -q /srv/data" in ready.inputs["create"]
    assert staging["staging-firewall"].urn in ready.dependencies
    # The provider's host is computed from the readiness output.
    assert ready.urn in provider.property_dependencies["host"]
    for name in ("npm-container", "redis-redis-data", "staging-engine-app"):
        assert staging[name].provider_urn == provider.urn


def test_hcloud_server_firewall_and_volume(hub: dict[str, RecordedResource]) -> None:
    server, firewall = hub["hub-server"], hub["hub-firewall"]
    assert server.type == "hcloud:index/server:Server"
    assert {k: server.inputs[k] for k in ("serverType", "image", "location", "backups")} == {
        "serverType": "cx43",
        "image": "debian-12",
        "location": "fsn1",
        "backups": True,
    }
    # A type change keeps the disk (an upgraded disk is for good); a delete shuts down first.
    assert server.inputs["keepDisk"] is True
    assert server.inputs["shutdownBeforeDeletion"] is True
    # Server names are unique per project: a replacement deletes the old server first, and
    # the volume's attachment (its id is the volume's) follows the new one.
    assert server.delete_before_replace is True
    assert hub["hub-data-attachment"].delete_before_replace is True
    assert firewall.urn in server.dependencies
    assert firewall.inputs["rules"] == [
        {
            "direction": "in",
            "protocol": "tcp",
            "port": "22",
            "sourceIps": ["198.51.100.0/24"],
            "description": "SSH from the admin networks",
        },
        {
            "direction": "in",
            "protocol": "tcp",
            "port": "80",
            "sourceIps": ANYWHERE,
            "description": "traefik: platform:proxy",
        },
        {
            "direction": "in",
            "protocol": "tcp",
            "port": "443",
            "sourceIps": ANYWHERE,
            "description": "traefik: platform:proxy",
        },
    ]
    volume = hub["hub-data"]
    assert volume.protect is True
    assert volume.inputs["deleteProtection"] is True
    assert hub["hub-data-attachment"].inputs["automount"] is False


def test_hub_networks_on_the_engine(hub: dict[str, RecordedResource]) -> None:
    networks = {
        r.inputs["name"]: r.inputs for r in hub.values() if r.type == "docker:index/network:Network"
    }
    assert sorted(networks) == [
        "versatile-chat-internal",
        "versatile-hub-internal",
        "versatile-monitoring",  # platform:monitoring's: its probes and receivers are online
        "versatile-shared",
        "web",
    ]
    public = {"web", "versatile-monitoring"}
    assert all(networks[n]["internal"] is False for n in public)
    assert all(networks[n]["internal"] for n in networks if n not in public)
    assert networks["versatile-hub-internal"]["ipamConfigs"] == [{"subnet": "172.31.0.0/16"}]
    assert networks["versatile-hub-internal"]["options"] == {
        "com.docker.network.bridge.name": "br-hub"
    }


def test_existing_server_pins_its_configured_host_key() -> None:
    spec = read_stack_spec(ROOT / "Pulumi.hub.yaml")
    host = SshHostSpec.model_validate(
        {
            "kind": "ssh",
            "address": "192.0.2.20",
            "sshHostKey": spec.adminSshKeys[0],
            "adminUser": "deploy",
        }
    )

    def program() -> None:
        ExistingServer(
            "old",
            ExistingServerArgs(
                host=host,
                admin_keys=spec.adminSshKeys,
                private_key="KEY",
                private_key_path="platform:secrets.old.sshPrivateKey",
                project_dir="/srv/p",
                stack="s",
                networks=(),
            ),
        )

    run = run_program(program, project="p", stack="s", config={})
    assert run.error is None
    resources = {r.name: r for r in run.resources}
    ready = resources["old-engine-ready"]
    # Its admin user's keys follow platform:adminSshKeys too, after the readiness.
    keys = resources["old-ssh-keys"]
    assert ready.urn in keys.dependencies
    assert f"{spec.adminSshKeys[0]}\nPULUMI_SSH_KEYS" in keys.inputs["create"]
    connection = ready.inputs["connection"]["value"]  # secret: it holds the private key
    assert connection["host"] == "192.0.2.20"
    assert connection["user"] == "deploy"
    assert connection["hostKey"] == spec.adminSshKeys[0]
    assert "cloud-init" not in ready.inputs["create"]  # an existing server has no first boot


def test_a_rebuilt_server_is_checked_again(staging: dict[str, RecordedResource]) -> None:
    # The readiness is tied to the server's id: a replaced server runs it again.
    ready = staging["staging-engine-ready"]
    assert staging["staging-server"].urn in ready.property_dependencies["triggers"]


# A run that fails inside an output leaves the SDK's tasks on its event loop, and the next run
# in the same process would inherit them: each such run gets a process of its own.
_LOCKOUT_PROGRAM = """
import json, sys
from components.hosts.ssh import ExistingServer, ExistingServerArgs
from components.plan import run_program
from components.spec import SshHostSpec

keys, private_key = json.load(sys.stdin)
host = SshHostSpec.model_validate({"kind": "ssh", "address": "192.0.2.20", "sshHostKey": keys[0]})

def program():
    ExistingServer("old", ExistingServerArgs(
        host=host, admin_keys=keys, private_key=private_key,
        private_key_path="platform:secrets.old.sshPrivateKey",
        project_dir="/srv/p", stack="s", networks=()))

error = run_program(program, project="p", stack="s", config={}).error
print("" if error is None else str(error))
"""


def _lockout_error(keys: list[str], private_key: str) -> str:
    """The error of an existing server's program with these keys ('' when there is none)."""
    done = subprocess.run(
        [sys.executable, "-c", _LOCKOUT_PROGRAM],
        input=json.dumps([keys, private_key]),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    return done.stdout.strip()


def test_keys_that_would_lock_the_program_out_are_refused(tmp_path: Path) -> None:
    deploy = make_keypair(tmp_path, "deploy", "deploy@ci")
    other = make_keypair(tmp_path, "other", "ops@example.com")
    both = [deploy.public_openssh, other.public_openssh]
    assert _lockout_error(both, deploy.private_openssh) == ""
    # The key's comment does not matter, only the key.
    assert _lockout_error([f"{deploy.public_key} renamed@laptop"], deploy.private_openssh) == ""
    message = _lockout_error([other.public_openssh], deploy.private_openssh)
    assert message.startswith("invalid stack config:\nplatform:adminSshKeys: does not hold ")
    assert deploy.public_key in message
    assert "platform:secrets.old.sshPrivateKey" in message
