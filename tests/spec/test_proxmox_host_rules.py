"""Rules of the Proxmox host, its template and its NAT bridge that a real `pulumi up` needs.

Each rule comes from a provider or Proxmox fact (cited in components/spec/models.py and
docs/proxmox.md); the exact text an operator reads is asserted, one line per problem.
"""

from __future__ import annotations

import pytest

from components.spec.models import DEFAULT_TEMPLATE_SHA512, DEFAULT_TEMPLATE_URL
from tests.spec.test_models import drop, error_text, mutated, parse, put

SHA256_OF_SOMETHING = "ff5c55cba730fc1e93bc7de3e0ea4aecb05c692094009cfcf2999973a56f15e5"
IP_ENDPOINT = "https://203.0.113.10:8006/"
IP_ENDPOINT_MESSAGE = (
    "platform:host.apiEndpoint: https://203.0.113.10:8006/ is an IP address, which no public "
    "certificate names, and the node's own certificate is signed by the node's CA: use the "
    "host name on its certificate (e.g. https://pve.example.com:8006/), or set apiCaBundle to "
    "a copy of the node's /etc/pve/pve-root-ca.pem, or set insecureTls to true"
)


@pytest.mark.parametrize(
    ("mutations", "expected"),
    [
        pytest.param([put("host", "apiEndpoint", value=IP_ENDPOINT)], IP_ENDPOINT_MESSAGE, id="ip"),
        pytest.param(
            [put("host", "apiEndpoint", value="https://[2001:db8::1]:8006/")],
            IP_ENDPOINT_MESSAGE.replace("203.0.113.10", "[2001:db8::1]"),
            id="ipv6",
        ),
        pytest.param(
            [put("host", "apiEndpoint", value="http://ax102.example.com:8006/")],
            "platform:host.apiEndpoint: http://ax102.example.com:8006/ is not https; the Proxmox "
            "provider only talks https, e.g. https://pve.example.com:8006/",
            id="http",
        ),
        pytest.param(
            [put("host", "insecureTls", value=True), put("host", "apiCaBundle", value="ca.pem")],
            "platform:host.apiCaBundle: ca.pem is never used while insecureTls is true (nothing "
            "is verified); set insecureTls to false to verify against it, or drop apiCaBundle",
            id="ca-bundle-with-insecure",
        ),
        pytest.param(
            [
                put("host", "mergeDataIntoRoot", value=True),
                put("host", "containerDatastore", value="local-lvm"),
            ],
            "platform:host.containerDatastore: local-lvm is the `data` thin pool that "
            "mergeDataIntoRoot removes; place containers on local (or another storage), or set "
            "mergeDataIntoRoot to false",
            id="merge-away-the-container-storage",
        ),
        pytest.param(
            [put("host", "template", "datastore", value="local-lvm")],
            "platform:host.template.datastore: local-lvm is an LVM-thin storage, which holds "
            "only guest volumes (images, rootdir); keep templates on a directory storage such "
            "as local",
            id="template-on-thin-pool",
        ),
        pytest.param(
            [put("host", "template", "url", value=DEFAULT_TEMPLATE_URL.replace("https", "http"))],
            "platform:host.template.url: "
            f"{DEFAULT_TEMPLATE_URL.replace('https', 'http')} is fetched without TLS; use an "
            "https URL (Proxmox's own template server answers "
            "https://download.proxmox.com/images/system/...)",
            id="template-over-http",
        ),
        pytest.param(
            [put("host", "template", "checksum", value=SHA256_OF_SOMETHING)],
            f"platform:host.template.checksum: {SHA256_OF_SOMETHING} is not a sha512 checksum: "
            "128 hexadecimal digits",
            id="checksum-length-vs-algorithm",
        ),
        pytest.param(
            [
                put("host", "template", "url", value="https://example.com/other.tar.zst"),
                drop("host", "template", "checksum"),
            ],
            "platform:host.template.checksum: is the checksum of the default template, not of "
            "https://example.com/other.tar.zst; set the checksum published for that file",
            id="other-url-default-checksum",
        ),
        pytest.param(
            [put("natBridge", "name", value="vmbr_private")],
            "platform:natBridge.name: vmbr_private is not a valid Proxmox bridge name: a letter, "
            "then letters, digits or '_', at most 10 characters (such as vmbr1)",
            id="bridge-name-11-chars",
        ),
        pytest.param(
            [put("natBridge", "name", value="vmbr-1")],
            "platform:natBridge.name: vmbr-1 is not a valid Proxmox bridge name: a letter, "
            "then letters, digits or '_', at most 10 characters (such as vmbr1)",
            id="bridge-name-hyphen",
        ),
        pytest.param(
            [put("host", "volumeGroup", value="-pve")],
            "platform:host.volumeGroup: -pve is not a valid LVM volume group name: letters, "
            "digits and + _ . -, not starting with '-'",
            id="volume-group",
        ),
        pytest.param(
            [put("host", "guestManagementPorts", value=[8006, 80, 8006])],
            "platform:host.guestManagementPorts[1]: 80 is not a host management port; allowed: "
            "22 (SSH to the Proxmox host), 8006 (the Proxmox web UI and API), 3128 (the Proxmox "
            "SPICE proxy)\n"
            "platform:host.guestManagementPorts[2]: 8006 is listed twice",
            id="guest-management-ports",
        ),
    ],
)
def test_host_rule(mutations: list[object], expected: str) -> None:
    assert error_text(mutated(*mutations)) == expected  # type: ignore[arg-type]


def test_all_host_problems_at_once() -> None:
    text = error_text(
        mutated(
            put("host", "apiEndpoint", value=IP_ENDPOINT),
            put("host", "containerDatastore", value="local-lvm"),
            put("host", "volumeGroup", value="-pve"),
        )
    )
    assert text.splitlines() == [
        IP_ENDPOINT_MESSAGE,
        "platform:host.containerDatastore: local-lvm is the `data` thin pool that "
        "mergeDataIntoRoot removes; place containers on local (or another storage), or set "
        "mergeDataIntoRoot to false",
        "platform:host.volumeGroup: -pve is not a valid LVM volume group name: letters, digits "
        "and + _ . -, not starting with '-'",
    ]


@pytest.mark.parametrize(
    "mutations",
    [
        pytest.param(
            [put("host", "apiEndpoint", value=IP_ENDPOINT), put("host", "insecureTls", value=True)],
            id="ip-with-insecure-tls",
        ),
        pytest.param(
            [
                put("host", "apiEndpoint", value=IP_ENDPOINT),
                put("host", "apiCaBundle", value="pve-root-ca.pem"),
            ],
            id="ip-with-ca-bundle",
        ),
        pytest.param(
            [
                put("host", "mergeDataIntoRoot", value=False),
                put("host", "containerDatastore", value="local-lvm"),
            ],
            id="thin-pool-kept-and-used",
        ),
        pytest.param([put("natBridge", "name", value="vmbr4094")], id="bridge-vmbr4094"),
        pytest.param([put("natBridge", "name", value="guests_01")], id="bridge-underscore"),
        pytest.param([put("host", "volumeGroup", value="vg_nvme")], id="volume-group"),
        pytest.param([put("host", "guestManagementPorts", value=[22, 3128])], id="guest-ports"),
        pytest.param([drop("host", "template")], id="default-template"),
    ],
)
def test_host_allowed(mutations: list[object]) -> None:
    parse(mutated(*mutations))  # type: ignore[arg-type]


def test_defaults() -> None:
    host = parse(mutated(drop("host", "template"))).host
    assert host.volumeGroup == "pve"
    assert host.guestManagementPorts == []
    assert host.apiCaBundle is None
    assert str(host.template.url) == DEFAULT_TEMPLATE_URL
    assert host.template.checksum == DEFAULT_TEMPLATE_SHA512
    assert host.template.checksumAlgorithm == "sha512"
