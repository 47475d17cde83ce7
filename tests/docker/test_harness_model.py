"""The harness's reading of recorded resources and its expectations, without an engine."""

from __future__ import annotations

import pytest

from components.plan.recording import SECRET_SIG, SECRET_SIG_KEY, mock_id

from .engine import cgroup_mount_commands
from .fakes import Fake, ctr, net
from .harness import (
    CONTAINER_TYPE,
    ENGINE,
    UNKNOWN,
    Port,
    ProbeKey,
    StackResourcesError,
    expected_matrix,
    membership,
    parse_port_list,
    read_stack,
    sample_ports,
    sample_published,
    sample_range,
)


def test_port_lists_parse_singles_and_ranges() -> None:
    assert parse_port_list("tcp/5432, udp/50000-60000") == [
        ("tcp", 5432, 5432),
        ("udp", 50000, 60000),
    ]
    assert sample_range(50000, 60000) == [50000, 55000, 60000]
    assert sample_range(7881, 7881) == [7881]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("sctp/1", "'sctp/1' is not proto/port"),
        ("tcp/60000-50000", "'tcp/60000-50000' is out of range or reversed"),
        ("udp/0", "'udp/0' is out of range"),
        ("tcp/http", "'tcp/http' is not proto/port"),
    ],
)
def test_bad_port_lists_are_refused(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_port_list(value)


def test_every_problem_is_reported_at_once() -> None:
    resources = [
        net("web"),
        ctr("a", [{"name": "nowhere"}], listen="tcp/80"),
        ctr("b", [{"name": "web"}], listen="tcp/x"),
        ctr("c", [{"name": "web"}], networkMode="container:a"),
    ]
    with pytest.raises(StackResourcesError) as info:
        read_stack(resources)
    text = str(info.value)
    assert "container a: networksAdvanced[0].name 'nowhere' is not a recorded network" in text
    assert "container b: label selfhosted.listen: 'tcp/x' is not proto/port" in text
    assert "container c: networkMode 'container:a' is not supported" in text


def test_networks_are_found_by_name_or_by_mock_id_and_ports_by_default_tcp() -> None:
    stack = read_stack(
        [
            net("hub", internal=True),
            ctr(
                "db",
                [{"name": mock_id("docker:index/network:Network", "hub"), "aliases": ["database"]}],
                ports=[{"internal": 5432.0, "external": 15432.0, "ip": "127.0.0.1"}],
            ),
        ]
    )
    (db,) = stack.containers
    assert [a.network for a in db.attachments] == ["hub"]
    assert db.published[0].proto == "tcp"
    assert [p.spec() for p in db.listen] == ["tcp/5432"]  # published ports are listened on


def test_expectations_scope_aliases_and_addresses_to_their_network() -> None:
    resources = [
        net("front"),
        net("back", internal=True),
        ctr("web", [{"name": "front"}, {"name": "back", "aliases": ["w"]}], listen="tcp/80"),
        ctr("edge", [{"name": "front"}], listen="tcp/443"),
        ctr("db", [{"name": "back"}], listen="tcp/5432"),
    ]
    expected = expected_matrix(resources)
    assert expected[ProbeKey("edge", "web", "name", "tcp", 80)] is True
    assert expected[ProbeKey("edge", "web", "ip:front", "tcp", 80)] is True
    assert expected[ProbeKey("edge", "web", "ip:back", "tcp", 80)] is False
    assert expected[ProbeKey("edge", "web", "alias:w", "tcp", 80)] is False
    assert expected[ProbeKey("db", "web", "alias:w", "tcp", 80)] is True
    assert expected[ProbeKey("edge", "db", "name", "tcp", 5432)] is False
    assert expected[ProbeKey("db", "edge", "ip:front", "tcp", 443)] is False
    assert not any(k.source == ENGINE for k in expected)  # nothing published


def test_an_alias_is_one_name_resolvable_where_any_shared_network_carries_it() -> None:
    """Seed 004's shape: aliases equal to the service name, declared on every network."""
    resources = [
        net("web"),
        net("shared"),
        net("chat", internal=True),
        ctr(
            "bridge-1",
            [
                {"name": "web", "aliases": ["chat-bridge"]},
                {"name": "chat", "aliases": ["chat-bridge"]},
                {"name": "shared", "aliases": ["bridge-1"]},  # the container's own name
            ],
            listen="tcp/4000",
        ),
        ctr("agent", [{"name": "web"}], listen="tcp/18789"),
        ctr("worker", [{"name": "chat"}]),
    ]
    expected = expected_matrix(resources)
    routes = {k.route for k in expected if k.target == "bridge-1" and k.source == "agent"}
    assert routes == {"name", "alias:chat-bridge", "ip:web", "ip:chat", "ip:shared"}
    # agent is not on chat, but "chat-bridge" is also an alias on web, which it shares
    assert expected[ProbeKey("agent", "bridge-1", "alias:chat-bridge", "tcp", 4000)] is True
    assert expected[ProbeKey("agent", "bridge-1", "ip:chat", "tcp", 4000)] is False
    assert expected[ProbeKey("worker", "bridge-1", "alias:chat-bridge", "tcp", 4000)] is True
    assert expected[ProbeKey("worker", "bridge-1", "ip:web", "tcp", 4000)] is False


def test_network_mode_may_name_a_network_and_unnamed_containers_get_a_docker_name() -> None:
    resources = [
        net("web"),
        Fake(CONTAINER_TYPE, "hub:agent", {"networkMode": "web"}),
        ctr("db", [], networkMode="none"),
    ]
    stack = read_stack(resources)
    agent, db = stack.containers
    assert agent.name == "hub-agent"
    assert [a.network for a in agent.attachments] == ["web"]
    assert db.attachments == ()
    assert membership(resources) == {"hub-agent": {"web"}, "db": set()}


def test_cgroup_hierarchies_are_mounted_again_as_the_machine_has_them() -> None:
    mounts = "\n".join(
        [
            "proc /proc proc rw,nosuid 0 0",
            "tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0",
            "cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0",
            "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0",
            "tmpfs /run tmpfs rw 0 0",
        ]
    )
    assert cgroup_mount_commands(mounts) == [
        "mkdir -p /sys/fs/cgroup",
        "mount -t tmpfs -o rw,relatime,mode=755 tmpfs /sys/fs/cgroup",
        "mkdir -p /sys/fs/cgroup/memory",
        "mount -t cgroup -o rw,relatime,memory cgroup /sys/fs/cgroup/memory",
        "mkdir -p /sys/fs/cgroup/unified",
        "mount -t cgroup2 -o rw,relatime cgroup2 /sys/fs/cgroup/unified",
    ]
    unified_only = "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate 0 0"
    assert cgroup_mount_commands(unified_only) == [
        "mkdir -p /sys/fs/cgroup",
        "mount -t cgroup2 -o rw,nosuid,nodev,noexec,relatime,nsdelegate cgroup2 /sys/fs/cgroup",
    ]


def test_runs_of_ports_are_sampled_at_edges_and_middle() -> None:
    ports = {Port("udp", p) for p in range(50000, 50200)} | {Port("tcp", 7880), Port("tcp", 7881)}
    assert sorted(sample_ports(ports)) == [
        Port("tcp", 7880),
        Port("tcp", 7881),
        Port("udp", 50000),
        Port("udp", 50099),
        Port("udp", 50199),
    ]


def test_published_runs_are_sampled_and_an_unknown_address_gets_a_stand_in() -> None:
    ports = [
        {"internal": float(p), "external": float(p), "ip": UNKNOWN, "protocol": "udp"}
        for p in range(50000, 50200)
    ]
    ports.append({"internal": 7881.0, "external": 7881.0, "ip": UNKNOWN})
    resources = [net("app"), ctr("livekit", [{"name": "app"}], listen="tcp/7880", ports=ports)]
    (livekit,) = read_stack(resources).containers
    assert len(livekit.published) == 201  # all are materialised, as Docker would
    assert [p.internal for p in sample_published(livekit.published)] == [7881, 50000, 50099, 50199]
    assert [p.spec() for p in livekit.listen] == [
        "tcp/7880",
        "tcp/7881",
        "udp/50000",
        "udp/50099",
        "udp/50199",
    ]
    expected = expected_matrix(resources)
    assert expected[ProbeKey(ENGINE, "livekit", "published:[unknown]", "udp", 50099)] is True
    assert expected[ProbeKey(ENGINE, "livekit", "elsewhere:127.0.0.1", "udp", 50099)] is False
    assert ProbeKey(ENGINE, "livekit", "published:[unknown]", "udp", 50098) not in expected


def test_a_network_named_as_network_mode_keeps_no_aliases() -> None:
    # dockerd ignores a second connect to a network the container was created on, so aliases
    # given for it in networksAdvanced never apply (why the library leaves networkMode unset).
    stack = read_stack(
        [
            net("app"),
            ctr("svc", [{"name": "app", "aliases": ["svc-alias"]}], networkMode="app"),
            ctr("other", [{"name": "app", "aliases": ["other-alias"]}]),
        ]
    )
    by_node = {c.node: c for c in stack.containers}
    assert [a.aliases for a in by_node["svc"].attachments] == [()]
    assert [a.aliases for a in by_node["other"].attachments] == [("other-alias",)]


def test_uploads_are_read_as_the_provider_writes_them() -> None:
    secret = {SECRET_SIG_KEY: SECRET_SIG}
    uploads = [
        {"file": "/etc/a.yml", "content": "a: 1\n", "permissions": "0600", "owner": "0"},
        {"file": "/etc/b.bin", "contentBase64": "AAE=", "owner": "65534", "group": "root"},
        {"file": "/etc/c", "content": {**secret, "value": "s3cret"}, "executable": True},
    ]
    stack = read_stack([net("app"), ctr("web", [{"name": "app"}], uploads=uploads)])
    assert [(u.file, u.content, u.mode, u.uid, u.gid) for u in stack.containers[0].uploads] == [
        ("/etc/a.yml", b"a: 1\n", 0o600, 0, 0),
        ("/etc/b.bin", b"\x00\x01", 0o644, 65534, 0),
        ("/etc/c", b"s3cret", 0o744, 0, 0),
    ]


def test_bad_uploads_are_all_reported() -> None:
    uploads = [
        {"file": "etc/relative", "content": "x"},
        {"file": "/etc/none"},
        {"file": "/etc/two", "content": "x", "contentBase64": "eA=="},
        {"file": "/etc/later", "content": UNKNOWN},
        {"file": "/etc/mode", "content": "x", "permissions": "rw-r--r--"},
        {"file": "/etc/who", "content": "x", "owner": "no-such-user-here"},
        {"file": "/etc/dup", "content": "x"},
        {"file": "/etc/dup", "content": "y"},
    ]
    with pytest.raises(StackResourcesError) as info:
        read_stack([net("app"), ctr("web", [{"name": "app"}], uploads=uploads)])
    message = str(info.value)
    for expected in (
        "upload 'etc/relative': file must be a known absolute path",
        "upload '/etc/none': exactly one of content, contentBase64, source must be set, got none",
        "upload '/etc/two': exactly one of content, contentBase64, source must be set, got "
        "content, contentBase64",
        "upload '/etc/later': content must be known at plan time",
        "upload '/etc/mode': permissions 'rw-r--r--' is not an octal mode such as 0640",
        "upload '/etc/who': owner 'no-such-user-here' is neither an id nor a name known here",
        "two uploads to '/etc/dup'",
    ):
        assert expected in message, message
