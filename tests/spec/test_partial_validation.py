"""A field error never hides a cross-field problem that the fields which parsed can still show.

An entry that fails its own validation is kept as a partial model of the fields that are valid
on their own (components/spec/partial.py): the cross-field rules judge what they can and skip
what needs a failed field. Each test asserts the whole error list, one line per problem.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from components.spec import PlatformSpec, ProxmoxHostSpec, ProxySpec, SpecError
from tests.spec.spec_helpers import (
    SECRETS,
    Mutation,
    add_droplet,
    add_service,
    drop,
    error_text,
    forward,
    parse,
    private,
    put,
    rename,
)
from tests.spec.test_models import PORT_SYNTAX, RULES, doc
from tests.spec.test_proxmox_host_rules import HOST_RULES

SHELL_SAFE = (
    "reaches a shell command line; use only letters, digits and . _ - : / @ + = , starting "
    "with a letter or digit (no spaces or shell metacharacters)"
)
BAD_NODE_NAME = (
    "platform:hosts.ax102.nodeName: Bad_Node is not a valid hostname: 1-63 lower-case letters, "
    "digits and hyphens, not starting or ending with a hyphen"
)


def _lines(*mutations: Mutation) -> list[str]:
    return error_text(doc(*mutations)).splitlines()


# --- one field error next to one cross-field problem ---------------------------------------------


def test_bad_cores_and_duplicate_vmid() -> None:
    assert _lines(
        put("guests", "livekit", "cores", value="eight"),
        put("guests", "livekit", "vmId", value=102),
    ) == [
        "platform:guests.livekit.cores: eight is invalid: Input should be a valid integer, "
        "unable to parse string as an integer (CPU cores.)",
        "platform:guests.livekit.vmId: 102 is already the vmId of platform:guests.proxy on host "
        "ax102; each guest needs its own vmId",
    ]


def test_bad_image_and_unknown_machine() -> None:
    assert _lines(
        put("services", "backend", "image", value="ghcr.io/example/backend"),
        put("services", "backend", "machine", value="backnd"),
    ) == [
        "platform:services.backend.image: ghcr.io/example/backend has no tag: pin a version such "
        "as postgres:16.4 or a digest @sha256:...",
        "platform:services.backend.machine: backnd is not a host or guest; known: agents, "
        "backend, egress, frontend, livekit, monitoring, proxy",
    ]


def test_bad_memory_and_address_outside_the_nat_subnet() -> None:
    assert _lines(
        put("guests", "monitoring", "memoryMb", value=32),
        put("guests", "monitoring", "address", value="10.0.1.15"),
    ) == [
        "platform:guests.monitoring.memoryMb: 32 is invalid: Input should be greater than or "
        "equal to 64 (Dedicated memory in MiB.)",
        "platform:guests.monitoring.address: 10.0.1.15 is outside the NAT bridge subnet "
        "10.0.0.0/24",
    ]


def test_bad_bridge_name_and_overlapping_subnet() -> None:
    assert _lines(
        put("networks", "app", "subnet", value="172.30.0.0/16"),
        put("networks", "web", value={"subnet": "172.30.1.0/24", "bridgeName": "br web"}),
    ) == [
        "platform:networks.web.bridgeName: br web is not a valid Linux interface name: 1-15 "
        "letters, digits, '_', '.', '-', starting with a letter",
        "platform:networks.web.subnet: 172.30.1.0/24 overlaps 172.30.0.0/16 of "
        "platform:networks.app; Docker refuses overlapping pools",
    ]


def test_malformed_healthcheck_and_a_port_held_by_another_service() -> None:
    assert _lines(
        put("services", "redis", "healthcheck", value={"test": []}),
        private("redis", "tcp", 7881),
    ) == [
        "platform:services.redis.healthcheck.test: [] is invalid: List should have at least 1 "
        'item after validation, not 0 (Command in exec form, e.g. ["CMD", "wget", "-qO-", '
        '"http://localhost/"].)',
        "platform:services.redis.expose[1]: tcp 7881 is already held on livekit by "
        "platform:services.livekit; two services cannot publish the same port on one machine",
    ]


def test_bad_host_field_and_the_guests_on_it() -> None:
    assert _lines(
        put("hosts", "ax102", "nodeName", value="Bad_Node"),
        put("guests", "livekit", "vmId", value=102),
        put("guests", "monitoring", "address", value="10.0.1.15"),
    ) == [
        BAD_NODE_NAME,
        "platform:guests.livekit.vmId: 102 is already the vmId of platform:guests.proxy on host "
        "ax102; each guest needs its own vmId",
        "platform:guests.monitoring.address: 10.0.1.15 is outside the NAT bridge subnet "
        "10.0.0.0/24",
    ]


def test_bad_nat_bridge_leaves_guest_addresses_unjudged_but_still_unique() -> None:
    # Without a valid bridge no subnet is known; two guests on one address collide anyway.
    assert _lines(
        put("hosts", "ax102", "natBridge", "name", value="vmbr-1"),
        put("guests", "livekit", "address", value="10.0.0.2"),
        put("guests", "monitoring", "address", value="10.0.1.15"),
    ) == [
        "platform:hosts.ax102.natBridge.name: vmbr-1 is not a valid Proxmox bridge name: a "
        "letter, then letters, digits or '_', at most 10 characters (such as vmbr1)",
        "platform:guests.livekit.address: 10.0.0.2 is already the address of platform:guests.proxy "
        "on host ax102; each guest needs its own address",
    ]


def test_bad_host_field_still_needs_the_host_secrets() -> None:
    assert _lines(
        put("hosts", "ax102", "nodeName", value="Bad_Node"), drop(SECRETS, "ax102", "apiToken")
    ) == [
        BAD_NODE_NAME,
        "platform:secrets.ax102.apiToken: is required (Proxmox API token, "
        "USER@REALM!TOKENID=UUID) by the proxmox host ax102; set it with `pulumi config set "
        "--secret --path 'platform:secrets.ax102.apiToken' <value>`",
    ]


PROXY_KIND = (
    "platform:proxy.kind: haproxy is not a known kind; allowed kinds: traefik, "
    "nginx-proxy-manager, nginx"
)


def test_bad_proxy_kind_and_a_network_the_proxy_is_not_on() -> None:
    assert _lines(put("proxy", "kind", value="haproxy"), put("proxy", "network", value="web")) == [
        PROXY_KIND,
        "platform:proxy.network: web is not one of the networks of npm (app)",
    ]


def test_bad_proxy_kind_and_a_route_off_the_proxy_network() -> None:
    assert _lines(
        put("proxy", "kind", value="haproxy"),
        put("networks", "web", value={}),
        put("services", "frontend", "machine", value="proxy"),
        put("services", "frontend", "networks", value=["web"]),
    ) == [
        PROXY_KIND,
        "platform:services.frontend.expose[0]: route app.example.com/ goes through npm, but "
        "frontend is not on the proxy's network (app); add it to the service's networks",
    ]


def test_bad_server_size_and_its_ssh_rules() -> None:
    assert _lines(
        add_droplet(sshAllowedFrom=["0.0.0.0/0"], size="big size"),
        put("adminSshKeys", value=[]),
    ) == [
        f"platform:hosts.edge.size: big size {SHELL_SAFE}",
        "platform:adminSshKeys: is empty, but the servers edge are created with SSH key login "
        "only; add at least one SSH public key",
        "platform:hosts.edge.sshAllowedFrom[0]: 0.0.0.0/0 opens SSH to a large part of the "
        "internet; allow your admin networks only (a prefix of /8 or longer)",
    ]


def test_bad_port_in_one_exposure_of_the_proxy_and_its_routes() -> None:
    # The proxy's own exposures are unknown; where it runs is not, so routes are still judged.
    assert _lines(
        forward("npm", "tcp", "abc"),
        add_droplet(),
        put("services", "frontend", "machine", value="edge"),
    ) == [
        f"platform:services.npm.expose[0].ports: abc {PORT_SYNTAX}",
        "platform:services.frontend.expose[0]: route app.example.com/: the proxy npm runs on "
        "proxy and frontend on edge; a proxy reaches services on its own engine, or on guests "
        "of the same Proxmox host",
    ]


def test_an_entry_without_a_model_still_has_its_name_checked() -> None:
    assert _lines(add_droplet("Edge_1", kind="vmware")) == [
        "platform:hosts.Edge_1.kind: vmware is not a known kind; allowed kinds: proxmox, "
        "droplet, hcloud, ssh",
        "platform:hosts.Edge_1: Edge_1 is not a valid name: a lower-case letter, then lower-case "
        "letters, digits or hyphens, at most 31 characters",
    ]


def test_one_location_is_reported_once() -> None:
    # The value of guests.Mon_itoring is not an object: its bad name is the same location.
    assert _lines(
        rename("guests", "monitoring", "Mon_itoring"), put("guests", "Mon_itoring", value="x")
    ) == [
        "platform:guests.Mon_itoring: x is invalid: Input should be a valid dictionary or "
        "instance of GuestSpec (LXC guests on Proxmox hosts, by name.)",
    ]


# --- a failed field is never read: no false problem -----------------------------------------------


@pytest.mark.parametrize(
    ("mutations", "expected"),
    [
        pytest.param(
            # Were the invalid dockerName read as its default (the key, app), it would collide.
            [put("networks", "app", value={}), put("networks", "web", value={"dockerName": "A!"})],
            "platform:networks.web.dockerName: A! is not a valid name: a lower-case letter, then "
            "lower-case letters, digits or hyphens, at most 31 characters",
            id="invalid-docker-name-is-not-the-default",
        ),
        pytest.param(
            # Were it read as bridge: no networks, and a udp range wider than Docker publishes.
            [put("services", "livekit", "networkMode", value="hostt")],
            "platform:services.livekit.networkMode: hostt is invalid: Input should be 'bridge' "
            "or 'host' (host shares the machine's network (LiveKit's media ports): a declared "
            "exception to the pack's host-namespace rule.)",
            id="invalid-network-mode-is-not-bridge",
        ),
        pytest.param(
            [put("proxy", value="npm")],
            "platform:proxy: npm is invalid: Input should be a valid dictionary or "
            "object to extract fields from (The service every `route` exposure goes through.)",
            id="invalid-proxy-is-not-no-proxy",
        ),
        pytest.param(
            [put("guests", value="abc")],
            "platform:guests: abc is invalid: Input should be a valid dictionary (LXC guests on "
            "Proxmox hosts, by name.)",
            id="invalid-guests-section-hides-no-machine",
        ),
        pytest.param(
            [put("hosts", "ax102", "sshHostKey", value="ssh-ed25519")],
            "platform:hosts.ax102.sshHostKey: ssh-ed25519 is not an OpenSSH public key; expected "
            "`TYPE BASE64 [comment]` with TYPE one of ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, "
            "ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, sk-ssh-ed25519@openssh.com, "
            "sk-ecdsa-sha2-nistp256@openssh.com",
            id="invalid-host-key-is-not-missing",
        ),
        pytest.param(
            [put("guests", "livekit", "host", value=["ax102"])],
            'platform:guests.livekit.host: ["ax102"] is invalid: Input should be a valid string '
            "(The Proxmox host (under platform:hosts) that runs the guest.)",
            id="guest-of-an-invalid-host-reference",
        ),
    ],
)
def test_failed_field_is_not_read(mutations: list[Mutation], expected: str) -> None:
    assert error_text(doc(*mutations)) == expected


# --- every cross-field rule still speaks next to a field error ------------------------------------

# An error in a field no rule reads, per kind of entry: (field, value, message after the path).
UNRELATED: dict[str, tuple[str, Any, str]] = {
    "guests": (
        "cores",
        "eight",
        "eight is invalid: Input should be a valid integer, unable to parse string as an "
        "integer (CPU cores.)",
    ),
    "services": (
        "user",
        "1000;id",
        f"1000;id {SHELL_SAFE}",
    ),
    "networks": (
        "internal",
        "maybe",
        "maybe is invalid: Input should be a valid boolean, unable to interpret input (No route "
        "out of the network: members talk to each other only.)",
    ),
    "proxmox": (
        "nodeName",
        "Bad_Node",
        "Bad_Node is not a valid hostname: 1-63 lower-case letters, digits and hyphens, not "
        "starting or ending with a hyphen",
    ),
    "droplet": ("region", "fra 1", f"fra 1 {SHELL_SAFE}"),
    # Only the fields every kind shares are judged then: service and network still are.
    "proxy": ("kind", "haproxy", PROXY_KIND.removeprefix("platform:proxy.kind: ")),
}
_SECTION_TYPES = {
    section: TypeAdapter(PlatformSpec.model_fields[section].annotation)
    for section in ("hosts", "guests", "networks", "services")
}


def _entry_of(loc: tuple[str | int, ...], document: dict[str, Any]) -> tuple[str, ...] | None:
    """The entry a problem is about: a section entry, the proxy, or a host whose secret it is."""
    if loc[0] in _SECTION_TYPES and len(loc) >= 2:
        return (str(loc[0]), str(loc[1]))
    if loc[0] == "proxy":
        return ("proxy",)
    if loc[0] == SECRETS and len(loc) >= 2 and loc[1] in document["hosts"]:
        return ("hosts", str(loc[1]))
    return None


def _valid_alone(entry: tuple[str, ...], document: dict[str, Any]) -> bool:
    try:
        if entry == ("proxy",):
            TypeAdapter(ProxySpec).validate_python(document["proxy"])
        else:
            section, name = entry
            _SECTION_TYPES[section].validate_python({name: document[section][name]})
    except ValidationError:
        return False
    return True


def _cross_field_cases() -> list[Any]:
    """(case, entry) for every case of test_models.RULES whose problems all sit in entries that
    are valid on their own: the problem is a cross-field rule's (or a reference's)."""
    cases = []
    for case in RULES:
        mutations, expected = case.values
        document = doc(*mutations)
        with pytest.raises(SpecError) as caught:
            parse(document)
        entries = [_entry_of(problem.loc, document) for problem in caught.value.problems]
        if not all(entry is not None and _valid_alone(entry, document) for entry in entries):
            continue
        for entry in dict.fromkeys(entries):
            assert entry is not None
            cases.append(
                pytest.param(mutations, expected, entry, id=f"{case.id}@{'.'.join(entry)}")
            )
    return cases


CROSS_FIELD_CASES = _cross_field_cases()


def test_the_cross_field_cases_are_found() -> None:
    ids = {case.id for case in CROSS_FIELD_CASES}
    assert len(ids) >= 45
    assert {
        "duplicate-vmid@guests.livekit",
        "network-overlap@networks.web",
        "same-port-one-machine@services.redis",
        "host-key-missing-with-engines@hosts.ax102",
        "proxy-network-not-its@proxy",
        "droplet-missing-secret@hosts.edge",
        "route-without-proxy@services.frontend",
    } <= ids
    # A field error of the entry itself is no cross-field case.
    assert not ids & {"vmid-low@guests.monitoring", "unknown-kind@hosts.ax102"}


@pytest.mark.parametrize(("mutations", "expected", "entry"), CROSS_FIELD_CASES)
def test_cross_field_problem_survives_an_unrelated_field_error(
    mutations: list[Mutation], expected: str, entry: tuple[str, ...]
) -> None:
    document = doc(*mutations)
    if entry == ("proxy",):
        target: dict[str, Any] = document["proxy"]
        kind = "proxy"
    else:
        target = document[entry[0]][entry[1]]
        kind = target.get("kind", entry[0])
    field, value, message = UNRELATED[kind]
    target[field] = value
    field_error = f"platform:{'.'.join(entry)}.{field}: {message}"
    assert error_text(document).splitlines() == [field_error, *expected.splitlines()]


# --- a host's own rules still speak next to a field error of the host ----------------------------


def test_unknown_key_and_bad_volume_group() -> None:
    # The unknown key stops pydantic before the host's own validator.
    assert _lines(
        put("hosts", "ax102", "sshUsr", value="admin"),
        put("hosts", "ax102", "volumeGroup", value="pve:data"),
    ) == [
        "platform:hosts.ax102.sshUsr: is not a known key; allowed keys: apiCaBundle, "
        "apiEndpoint, containerDatastore, dnsServers, guestManagementPorts, insecureTls, kind, "
        "mergeDataIntoRoot, natBridge, nodeName, publicAddress, sshAddress, sshHostKey, sshUser, "
        "template, uplinkBridge, volumeGroup",
        "platform:hosts.ax102.volumeGroup: pve:data is not a valid LVM volume group name: "
        "letters, digits and + _ . -, not starting with '-'",
    ]


def test_bad_insecure_tls_leaves_the_endpoint_rules_unjudged() -> None:
    # Whether an IP endpoint is verified depends on insecureTls, which did not parse.
    assert _lines(
        put("hosts", "ax102", "apiEndpoint", value="http://203.0.113.10:8006/"),
        put("hosts", "ax102", "insecureTls", value="sometimes"),
    ) == [
        "platform:hosts.ax102.insecureTls: sometimes is invalid: Input should be a valid "
        "boolean, unable to interpret input (Accept any certificate from the API. Off by "
        "default; prefer a real one.)",
        "platform:hosts.ax102.apiEndpoint: http://203.0.113.10:8006/ is not https; the Proxmox "
        "provider only talks https, e.g. https://pve.example.com:8006/",
    ]


def _parses_alone(model: type[ProxmoxHostSpec], field: str, raw: Any) -> bool:
    try:
        TypeAdapter(model.model_fields[field].rebuild_annotation()).validate_python(raw)
    except ValidationError:
        return False
    return True


def _host_rule_cases() -> list[Any]:
    """The cases of test_proxmox_host_rules that are the host's own rules on fields that parse
    alone (not a nested model's, such as the template's or the bridge's)."""
    cases = []
    for case in HOST_RULES:
        mutations, _ = case.values
        host = doc(*mutations)["hosts"]["ax102"]
        with pytest.raises(SpecError) as caught:
            parse(doc(*mutations))
        fields = {str(problem.loc[2]) for problem in caught.value.problems}
        if all(_parses_alone(ProxmoxHostSpec, field, host[field]) for field in fields):
            cases.append(case)
    return cases


HOST_RULE_CASES = _host_rule_cases()


def test_the_host_rule_cases_are_found() -> None:
    assert [case.id for case in HOST_RULE_CASES] == [
        "ip",
        "ipv6",
        "http",
        "ca-bundle-with-insecure",
        "merge-away-the-container-storage",
        "volume-group",
        "guest-management-ports",
    ]


@pytest.mark.parametrize(("mutations", "expected"), HOST_RULE_CASES)
def test_host_rule_survives_an_unrelated_field_error(
    mutations: list[Mutation], expected: str
) -> None:
    lines = _lines(*mutations, put("hosts", "ax102", "nodeName", value="Bad_Node"))
    assert lines == [BAD_NODE_NAME, *expected.splitlines()]


# --- any one invalid field: its own problem, and nothing else -------------------------------------

BAD_VALUE = [{"bad": True}]  # no field of the spec accepts a list of objects of unknown keys


def _with_every_kind() -> dict[str, Any]:
    """The baseline plus the entries it lacks: a droplet and its service, networks with every
    field, so every rule has something to read."""
    return doc(
        add_droplet(),
        add_service(
            "web", machine="edge", expose=[{"kind": "forward", "protocol": "tcp", "ports": 8080}]
        ),
        put("networks", "app", value={"subnet": "172.30.0.0/16", "bridgeName": "br-app"}),
        put("networks", "hub", value={"subnet": "172.31.0.0/16", "dockerName": "hub"}),
        forward("backend", "tcp", 8443),
    )


def _field_paths(document: dict[str, Any]) -> list[Any]:
    """Every field of the spec, written or left to its default."""
    spec = parse(document)
    paths: list[tuple[str, ...]] = [(key,) for key in PlatformSpec.model_fields]
    for section in ("hosts", "guests", "networks", "services"):
        for name, entry in getattr(spec, section).items():
            paths += [(section, name, field) for field in type(entry).model_fields]
    return [pytest.param(path, id=".".join(path)) for path in paths]


@pytest.mark.parametrize("path", _field_paths(_with_every_kind()))
def test_one_invalid_field_reports_only_itself(path: tuple[str, ...]) -> None:
    document = _with_every_kind()
    parse(document)  # valid as it is
    put(*path, value=BAD_VALUE)(document)
    with pytest.raises(SpecError) as caught:
        parse(document)
    locs = [problem.loc for problem in caught.value.problems]
    assert locs, path
    assert all(loc[: len(path)] == path for loc in locs), caught.value
    assert len(set(locs)) == len(locs), caught.value
