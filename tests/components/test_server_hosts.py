"""Droplet, Hetzner Cloud and existing-server hosts under mocks: the server, its firewall made of
the edge openings, its pinned host key, and the Docker engine that waits for first boot."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.hosts.ssh import ExistingServer, ExistingServerArgs
from components.plan import RecordedResource, plan_stack, run_program
from components.plan.recording import SECRET_SIG_KEY
from components.plan.stack_spec import read_stack_spec
from components.spec import SshHostSpec

ROOT = Path(__file__).resolve().parents[2]
ANYWHERE = ["0.0.0.0/0", "::/0"]


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
    assert staging["staging-admin-0"].urn in droplet.dependencies
    # Read at first boot only: a change must not replace the server behind the operator's back.
    assert droplet.ignore_changes == ["userData", "sshKeys"]
    # A resize changes CPU and memory only (a grown disk can never shrink back); a delete
    # shuts the droplet down first.
    assert droplet.inputs["resizeDisk"] is False
    assert droplet.inputs["gracefulShutdown"] is True


def test_droplet_firewall_is_ssh_from_admins_plus_the_edge_openings(
    staging: dict[str, RecordedResource],
) -> None:
    firewall = staging["staging-firewall"]
    assert firewall.inputs["inboundRules"] == [
        {"protocol": "tcp", "portRange": "22", "sourceAddresses": ["198.51.100.0/24"]},
        {"protocol": "tcp", "portRange": "80", "sourceAddresses": ANYWHERE},
        {"protocol": "tcp", "portRange": "443", "sourceAddresses": ANYWHERE},
        {"protocol": "tcp", "portRange": "7881", "sourceAddresses": ANYWHERE},
        {"protocol": "udp", "portRange": "50000-50199", "sourceAddresses": ANYWHERE},
    ]
    assert staging["staging-server"].urn in firewall.dependencies


def test_data_volume_is_protected(staging: dict[str, RecordedResource]) -> None:
    volume = staging["staging-data"]
    assert volume.protect is True
    assert volume.inputs["size"] == 50
    assert staging["staging-data"].urn in staging["staging-server"].dependencies


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
        "versatile-shared",
        "web",
    ]
    assert networks["web"]["internal"] is False
    assert all(networks[n]["internal"] for n in networks if n != "web")
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
                host=host, private_key="KEY", project_dir="/srv/p", stack="s", networks=()
            ),
        )

    run = run_program(program, project="p", stack="s", config={})
    assert run.error is None
    ready = {r.name: r for r in run.resources}["old-engine-ready"]
    connection = ready.inputs["connection"]["value"]  # secret: it holds the private key
    assert connection["host"] == "192.0.2.20"
    assert connection["user"] == "deploy"
    assert connection["hostKey"] == spec.adminSshKeys[0]
    assert "cloud-init" not in ready.inputs["create"]  # an existing server has no first boot


def test_a_rebuilt_server_is_checked_again(staging: dict[str, RecordedResource]) -> None:
    # The readiness is tied to the server's id: a replaced server runs it again.
    ready = staging["staging-engine-ready"]
    assert staging["staging-server"].urn in ready.property_dependencies["triggers"]
