"""Rules of the Proxmox host, its template and its NAT bridge that a real `pulumi up` needs.

Each rule comes from a provider or Proxmox fact (cited in components/spec/proxmox.py and
docs/proxmox.md); the exact text an operator reads is asserted, one line per problem.
"""

from __future__ import annotations

import pytest

from components.spec.proxmox import DEFAULT_TEMPLATE_SHA512, DEFAULT_TEMPLATE_URL
from tests.spec.spec_helpers import drop, error_text, parse, put
from tests.spec.test_models import doc

SHA256_OF_SOMETHING = "ff5c55cba730fc1e93bc7de3e0ea4aecb05c692094009cfcf2999973a56f15e5"
IP_ENDPOINT = "https://203.0.113.10:8006/"
IP_ENDPOINT_MESSAGE = (
    "platform:hosts.ax102.apiEndpoint: https://203.0.113.10:8006/ is an IP address, which no "
    "public "
    "certificate names, and the node's own certificate is signed by the node's CA: use the "
    "host name on its certificate (e.g. https://pve.example.com:8006/), or set apiCaBundle to "
    "a copy of the node's /etc/pve/pve-root-ca.pem, or set insecureTls to true"
)


HOST_RULES = [
    pytest.param(
        [put("hosts", "ax102", "apiEndpoint", value=IP_ENDPOINT)], IP_ENDPOINT_MESSAGE, id="ip"
    ),
    pytest.param(
        [put("hosts", "ax102", "apiEndpoint", value="https://[2001:db8::1]:8006/")],
        IP_ENDPOINT_MESSAGE.replace("203.0.113.10", "[2001:db8::1]"),
        id="ipv6",
    ),
    pytest.param(
        [put("hosts", "ax102", "apiEndpoint", value="http://ax102.example.com:8006/")],
        "platform:hosts.ax102.apiEndpoint: http://ax102.example.com:8006/ is not https; the "
        "Proxmox "
        "provider only talks https, e.g. https://pve.example.com:8006/",
        id="http",
    ),
    pytest.param(
        [
            put("hosts", "ax102", "insecureTls", value=True),
            put("hosts", "ax102", "apiCaBundle", value="ca.pem"),
        ],
        "platform:hosts.ax102.apiCaBundle: ca.pem is never used while insecureTls is true "
        "(nothing "
        "is verified); set insecureTls to false to verify against it, or drop apiCaBundle",
        id="ca-bundle-with-insecure",
    ),
    pytest.param(
        [
            put("hosts", "ax102", "mergeDataIntoRoot", value=True),
            put("hosts", "ax102", "containerDatastore", value="local-lvm"),
        ],
        "platform:hosts.ax102.containerDatastore: local-lvm is the `data` thin pool that "
        "mergeDataIntoRoot removes; place containers on local (or another storage), or set "
        "mergeDataIntoRoot to false",
        id="merge-away-the-container-storage",
    ),
    pytest.param(
        [put("hosts", "ax102", "template", "datastore", value="local-lvm")],
        "platform:hosts.ax102.template.datastore: local-lvm is an LVM-thin storage, which "
        "holds "
        "only guest volumes (images, rootdir); keep templates on a directory storage such "
        "as local",
        id="template-on-thin-pool",
    ),
    pytest.param(
        [
            put(
                "hosts",
                "ax102",
                "template",
                "url",
                value=DEFAULT_TEMPLATE_URL.replace("https", "http"),
            )
        ],
        "platform:hosts.ax102.template.url: "
        f"{DEFAULT_TEMPLATE_URL.replace('https', 'http')} is fetched without TLS; use an "
        "https URL (Proxmox's own template server answers "
        "https://download.proxmox.com/images/system/...)",
        id="template-over-http",
    ),
    pytest.param(
        [put("hosts", "ax102", "template", "checksum", value=SHA256_OF_SOMETHING)],
        f"platform:hosts.ax102.template.checksum: {SHA256_OF_SOMETHING} is not a sha512 "
        "checksum: "
        "128 hexadecimal digits",
        id="checksum-length-vs-algorithm",
    ),
    pytest.param(
        [
            put("hosts", "ax102", "template", "url", value="https://example.com/other.tar.zst"),
            drop("hosts", "ax102", "template", "checksum"),
        ],
        "platform:hosts.ax102.template.checksum: is the checksum of the default template, not "
        "of "
        "https://example.com/other.tar.zst; set the checksum published for that file",
        id="other-url-default-checksum",
    ),
    pytest.param(
        [put("hosts", "ax102", "natBridge", "name", value="vmbr_private")],
        "platform:hosts.ax102.natBridge.name: vmbr_private is not a valid Proxmox bridge "
        "name: a letter, "
        "then letters, digits or '_', at most 10 characters (such as vmbr1)",
        id="bridge-name-11-chars",
    ),
    pytest.param(
        [put("hosts", "ax102", "natBridge", "name", value="vmbr-1")],
        "platform:hosts.ax102.natBridge.name: vmbr-1 is not a valid Proxmox bridge name: a "
        "letter, "
        "then letters, digits or '_', at most 10 characters (such as vmbr1)",
        id="bridge-name-hyphen",
    ),
    pytest.param(
        [put("hosts", "ax102", "volumeGroup", value="pve:data")],
        "platform:hosts.ax102.volumeGroup: pve:data is not a valid LVM volume group name: "
        "letters, digits and + _ . -, not starting with '-'",
        id="volume-group",
    ),
    pytest.param(
        [put("hosts", "ax102", "guestManagementPorts", value=[8006, 80, 8006])],
        "platform:hosts.ax102.guestManagementPorts[1]: 80 is not a host management port; "
        "allowed: "
        "22 (SSH to the Proxmox host), 8006 (the Proxmox web UI and API), 3128 (the Proxmox "
        "SPICE proxy)\n"
        "platform:hosts.ax102.guestManagementPorts[2]: 8006 is listed twice",
        id="guest-management-ports",
    ),
]


@pytest.mark.parametrize(("mutations", "expected"), HOST_RULES)
def test_host_rule(mutations: list[object], expected: str) -> None:
    assert error_text(doc(*mutations)) == expected  # type: ignore[arg-type]


def test_all_host_problems_at_once() -> None:
    text = error_text(
        doc(
            put("hosts", "ax102", "apiEndpoint", value=IP_ENDPOINT),
            put("hosts", "ax102", "containerDatastore", value="local-lvm"),
            put("hosts", "ax102", "volumeGroup", value="pve:data"),
        )
    )
    assert text.splitlines() == [
        IP_ENDPOINT_MESSAGE,
        "platform:hosts.ax102.containerDatastore: local-lvm is the `data` thin pool that "
        "mergeDataIntoRoot removes; place containers on local (or another storage), or set "
        "mergeDataIntoRoot to false",
        "platform:hosts.ax102.volumeGroup: pve:data is not a valid LVM volume group name: letters, "
        "digits "
        "and + _ . -, not starting with '-'",
    ]


@pytest.mark.parametrize(
    "mutations",
    [
        pytest.param(
            [
                put("hosts", "ax102", "apiEndpoint", value=IP_ENDPOINT),
                put("hosts", "ax102", "insecureTls", value=True),
            ],
            id="ip-with-insecure-tls",
        ),
        pytest.param(
            [
                put("hosts", "ax102", "apiEndpoint", value=IP_ENDPOINT),
                put("hosts", "ax102", "apiCaBundle", value="pve-root-ca.pem"),
            ],
            id="ip-with-ca-bundle",
        ),
        pytest.param(
            [
                put("hosts", "ax102", "mergeDataIntoRoot", value=False),
                put("hosts", "ax102", "containerDatastore", value="local-lvm"),
            ],
            id="thin-pool-kept-and-used",
        ),
        pytest.param(
            [put("hosts", "ax102", "natBridge", "name", value="vmbr4094")], id="bridge-vmbr4094"
        ),
        pytest.param(
            [put("hosts", "ax102", "natBridge", "name", value="guests_01")], id="bridge-underscore"
        ),
        pytest.param([put("hosts", "ax102", "volumeGroup", value="vg_nvme")], id="volume-group"),
        pytest.param(
            [put("hosts", "ax102", "guestManagementPorts", value=[22, 3128])], id="guest-ports"
        ),
        pytest.param([drop("hosts", "ax102", "template")], id="default-template"),
    ],
)
def test_host_allowed(mutations: list[object]) -> None:
    parse(doc(*mutations))  # type: ignore[arg-type]


def test_defaults() -> None:
    host = parse(doc(drop("hosts", "ax102", "template"))).proxmox_hosts()["ax102"]
    assert host.volumeGroup == "pve"
    assert host.guestManagementPorts == []
    assert host.apiCaBundle is None
    assert str(host.template.url) == DEFAULT_TEMPLATE_URL
    assert host.template.checksum == DEFAULT_TEMPLATE_SHA512
    assert host.template.checksumAlgorithm == "sha512"
