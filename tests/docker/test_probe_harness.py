"""The probe harness against a real Docker engine, on a synthetic program shaped like seed 004.

The expectation is checked twice: against a table written here by hand (so the harness's model
of Docker is itself tested), and against what the engine does. The negative control proves the
probe sees a difference when the engine does something other than what was recorded.
"""

from __future__ import annotations

import dataclasses
import io
import tarfile
from pathlib import Path
from typing import Any

import pytest

from components.plan import run_program

from .engine import DockerEngine
from .fakes import ctr, net
from .harness import (
    ENGINE,
    EXEC_ATTEMPTS,
    STANDIN_ADDRESS,
    UNKNOWN,
    ProbeExecError,
    ProbeKey,
    assert_stack_isolated,
    compare,
    expected_matrix,
    format_pairs,
    materialise,
    pair_matrix,
    probe_stack,
    read_stack,
    run_probes,
)
from .synthetic_program import program

pytestmark = pytest.mark.docker


def record(**extra: Any) -> list[Any]:
    run = run_program(program(**extra), project="synthetic", stack="test", config={})
    assert run.error is None, run.error
    return run.resources


# Who reaches whom (any route, any declared port), written from the program's docstring.
REACHES = {
    "proxy": {"app", "media"},
    "app": {"proxy", "media", "api"},
    "api": {"app", "db", "worker"},
    "db": {"api", "worker"},
    "worker": {"api", "db"},
    "media": {"proxy", "app"},
}
ENGINE_REACHES = {"proxy", "media", "app", "livekit"}  # published ports, host networking


def test_expected_pairs_match_the_hand_written_table() -> None:
    pairs = pair_matrix(expected_matrix(record()))
    nodes = set(REACHES)
    want = {(s, t): t in REACHES[s] for s in nodes for t in nodes if s != t}
    want |= {(ENGINE, t): True for t in ENGINE_REACHES}
    assert pairs == want, format_pairs(expected_matrix(record()))


def test_expected_routes_follow_docker_dns_and_address_scoping() -> None:
    expected = expected_matrix(record())
    # app shares `shared` with api: api's name resolves, its internal-x alias and address do not
    assert expected[ProbeKey("app", "api", "name", "tcp", 8000)] is True
    assert expected[ProbeKey("app", "api", "ip:shared", "tcp", 8000)] is True
    assert expected[ProbeKey("app", "api", "ip:internal-x", "tcp", 8000)] is False
    assert expected[ProbeKey("app", "api", "alias:api-svc", "tcp", 8000)] is False
    assert expected[ProbeKey("db", "api", "alias:api-svc", "udp", 9005)] is True
    # published ports answer on their declared address only, 0.0.0.0 everywhere
    assert expected[ProbeKey(ENGINE, "proxy", "published:127.0.0.1", "tcp", 8080)] is True
    assert expected[ProbeKey(ENGINE, "proxy", "elsewhere:198.51.100.254", "tcp", 8080)] is False
    assert expected[ProbeKey(ENGINE, "media", "published:203.0.113.10", "udp", 7882)] is True
    assert expected[ProbeKey(ENGINE, "media", "elsewhere:127.0.0.1", "udp", 7882)] is False
    assert expected[ProbeKey(ENGINE, "media", "elsewhere:198.51.100.254", "tcp", 7881)] is True
    # a published port without a host port: Docker picks it, the probe reads it back (port 0)
    assert expected[ProbeKey(ENGINE, "app", "published:127.0.0.1", "tcp", 0)] is True
    assert expected[ProbeKey(ENGINE, "livekit", "host", "udp", 55000)] is True


def test_engine_does_exactly_what_the_recording_declares(docker_engine: DockerEngine) -> None:
    resources = record()
    observed = probe_stack(docker_engine, resources)
    expected = expected_matrix(resources)
    mismatches = compare(expected, observed)
    assert mismatches == [], "\n".join(mismatches) + "\n" + format_pairs(observed.matrix())
    # Both outcomes really happened: this is not a matrix of timeouts or of successes.
    assert sum(observed.matrix().values()) == sum(expected.values()) > 0
    assert not all(observed.matrix().values())


def test_negative_control_an_extra_network_is_seen(docker_engine: DockerEngine) -> None:
    """db wrongly attached to web: the probe must report web's containers reaching it."""
    declared = expected_matrix(record())
    observed = probe_stack(docker_engine, record(extra_networks={"db": ["web"]}))
    mismatches = compare(declared, observed)
    assert "proxy -> db tcp/5432 by name (db): should fail, connected: db tcp 5432" in mismatches
    assert "media -> db tcp/5432 by name (db): should fail, connected: db tcp 5432" in mismatches
    assert any(
        line.startswith("db -> proxy tcp/80 by name (proxy): should fail") for line in mismatches
    )
    # ... and nothing else changed: the rest of the matrix still holds
    unrelated = [
        line
        for line in mismatches
        if " db " not in line and not line.startswith("db ") and "-> db " not in line
    ]
    assert unrelated == []


def test_materialised_networks_keep_their_recorded_settings(
    docker_engine: DockerEngine,
) -> None:
    stack = read_stack(record())
    with materialise(docker_engine, stack) as m:
        net = docker_engine.api.inspect_network("internal-x")
        assert net["Internal"] is True
        assert net["IPAM"]["Config"][0]["Subnet"] == "172.31.0.0/16"
        assert net["Options"]["com.docker.network.bridge.name"] == "br-hub"
        # the bridge lives in the engine's namespace, under its recorded name and gateway
        link = docker_engine.ns_run("ip", "-4", "-o", "addr", "show", "dev", "br-hub")
        assert "172.31.0.1/16" in link
        assert m.addresses["db"] == {"internal-x": "172.31.0.10"}
        web = docker_engine.api.inspect_network("web")
        assert web["Internal"] is False
        aliases = docker_engine.api.inspect_container(m.ids["app"])["NetworkSettings"]["Networks"][
            "web"
        ]["Aliases"]
        assert "app-svc" in aliases
        # uploads are in the container as recorded: content, mode, owner, group
        assert _file(docker_engine, m.ids["proxy"], "/etc/proxy/proxy.yml") == (
            b"listen: 80\n",
            0o640,
            1000,
            1001,
        )
        assert _file(docker_engine, m.ids["proxy"], "/usr/local/bin/hello") == (
            b"#!/bin/sh\necho hi\n",
            0o744,
            0,
            0,
        )
        # the probe, still answering, and the parent directory Docker made for the upload
        listing = docker_engine.api.exec_create(
            m.ids["proxy"], ["/bin/sh", "-c", "ls -ld /etc/proxy"]
        )
        assert docker_engine.api.exec_start(listing).decode().startswith("drwxr-xr-x")
    # everything is gone afterwards; the engine's own networks remain
    names = {n["Name"] for n in docker_engine.api.networks()}
    assert names == {"bridge", "host", "none"}
    assert docker_engine.api.containers(all=True) == []


def _file(engine: DockerEngine, cid: str, path: str) -> tuple[bytes, int, int, int]:
    """A file read back from a container through the engine's archive API."""
    stream, _ = engine.api.get_archive(cid, path)
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
        info = tar.getmembers()[0]
        data = tar.extractfile(info)
        assert data is not None
        return data.read(), info.mode & 0o7777, info.uid, info.gid


def test_isolation_comes_from_dockers_iptables_rules(docker_engine: DockerEngine) -> None:
    """With Docker's isolation chains bypassed, routed traffic crosses networks, and it shows.

    Proves that the engine's iptables rules (Debian's iptables, nf_tables backend, inside the
    engine's namespace) are what the negative results measure, not a routing accident.
    """
    chains = docker_engine.ns_run("iptables", "-S")
    assert "-N DOCKER-ISOLATION-STAGE-1" in chains
    assert "-A FORWARD -j DOCKER-USER" in chains
    bypass = ["-I", "DOCKER-USER", "-j", "ACCEPT"]
    docker_engine.ns_run("iptables", *bypass)
    try:
        with pytest.raises(AssertionError) as info:
            assert_stack_isolated(docker_engine, record())
    finally:
        docker_engine.ns_run("iptables", "-D", *bypass[1:])
    lines = str(info.value).splitlines()
    # app (web, shared) reaches api's address on the internal network through the engine
    crossed = [line for line in lines if line.startswith("app -> api tcp/8000 by ip:internal-x")]
    assert len(crossed) == 1
    assert crossed[0].endswith("should fail, connected: api tcp 8000")
    # names still do not resolve across networks: DNS scoping is not iptables' doing
    assert not any("by name" in line or "by alias" in line for line in lines)
    # and nothing that should connect was broken by the bypass
    assert not any("should connect, failed" in line for line in lines)
    assert docker_engine.ns_run("iptables", "-S", "DOCKER-USER").splitlines() == [
        "-N DOCKER-USER",
        "-A DOCKER-USER -j RETURN",
    ]


def test_published_runs_and_an_unknown_address(docker_engine: DockerEngine) -> None:
    """A droplet's address is unknown at plan time: a stand-in carries it; runs are sampled."""
    ports: list[dict[str, Any]] = [
        {"internal": float(p), "external": float(p), "ip": UNKNOWN, "protocol": "udp"}
        for p in range(40000, 40010)
    ]
    ports.append({"internal": 7881.0, "external": 7881.0, "ip": UNKNOWN})
    resources = [
        net("app"),
        ctr("livekit", [{"name": "app", "aliases": ["rtc"]}], listen="tcp/7880", ports=ports),
        ctr("backend", [{"name": "app"}], listen="tcp/8000"),
    ]
    observed = assert_stack_isolated(docker_engine, resources)
    reached = observed.results[ProbeKey(ENGINE, "livekit", "published:[unknown]", "udp", 40004)]
    assert reached.address == STANDIN_ADDRESS
    assert reached.detail == "livekit udp 40004"
    assert observed.results[ProbeKey("backend", "livekit", "alias:rtc", "udp", 40009)].answered_by


def _flaky_probe(
    engine: DockerEngine, tmp_path: Path, flaky_runs: int, flaky: str = "exit 1"
) -> DockerEngine:
    """The engine with a probe whose first ``flaky_runs`` runs do ``flaky`` (a shell line; by
    default print nothing and fail), the later ones the real probe; each run's arguments are
    appended to ``tmp_path/runs``.

    An exec that comes back empty is what a loaded engine sometimes does.
    """
    assert engine.probe_binary is not None
    runs = tmp_path / "runs"
    wrapper = tmp_path / "probe"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'probe="{engine.probe_binary}"\n'
        f'echo "$*" >> "{runs}"\n'
        f'if [ "$(wc -l < "{runs}")" -le {flaky_runs} ]; then {flaky}; exit 1; fi\n'
        'exec "$probe" "$@"\n'
    )
    wrapper.chmod(0o755)
    return dataclasses.replace(engine, probe_binary=wrapper)


# The first run of the real probe with its second probe's reply line lost.
LOSES_SECOND_REPLY = '"$probe" "$@" | grep -v \'^1 \''


def _host_listener() -> list[Any]:
    return [ctr("listener", [], listen="tcp/7880", networkMode="host")]


def test_a_probe_exec_that_prints_nothing_is_sent_again(
    docker_engine: DockerEngine, tmp_path: Path
) -> None:
    engine = _flaky_probe(docker_engine, tmp_path, flaky_runs=1)
    keys = [ProbeKey(ENGINE, "listener", "host", "tcp", 7880)]
    with materialise(engine, read_stack(_host_listener())) as m:
        observed = run_probes(engine, m, keys)
    assert observed.results[keys[0]].answered_by == "listener"
    assert len((tmp_path / "runs").read_text().splitlines()) == 2


def test_only_the_probes_without_a_reply_are_sent_again(
    docker_engine: DockerEngine, tmp_path: Path
) -> None:
    """The first exec loses the second probe's line: that probe alone goes again, and its
    reply (index 0 of the second exec) is the second probe's result."""
    engine = _flaky_probe(docker_engine, tmp_path, flaky_runs=1, flaky=LOSES_SECOND_REPLY)
    answers, refuses = (ProbeKey(ENGINE, "listener", "host", "tcp", p) for p in (7880, 7881))
    with materialise(engine, read_stack(_host_listener())) as m:
        observed = run_probes(engine, m, [answers, refuses])
    assert observed.results[answers].answered_by == "listener"
    assert observed.results[refuses].answered_by is None
    assert observed.results[refuses].detail != ""  # the probe's own error, not silence
    first, second = (tmp_path / "runs").read_text().splitlines()
    assert "tcp:127.0.0.1:7880" in first
    assert "tcp:127.0.0.1:7881" in first
    assert second.endswith("tcp:127.0.0.1:7881")
    assert "7880" not in second


def test_a_probe_exec_that_never_prints_is_a_harness_error(
    docker_engine: DockerEngine, tmp_path: Path
) -> None:
    """Silence is not "does not connect": it raises, naming the source, target and exit."""
    engine = _flaky_probe(docker_engine, tmp_path, flaky_runs=EXEC_ATTEMPTS)
    keys = [ProbeKey(ENGINE, "listener", "host", "tcp", 7880)]
    with (
        materialise(engine, read_stack(_host_listener())) as m,
        pytest.raises(ProbeExecError) as info,
    ):
        run_probes(engine, m, keys)
    message = str(info.value)
    assert f"probes from {ENGINE} got no reply line after {EXEC_ATTEMPTS} execs" in message
    assert "tcp:127.0.0.1:7880" in message
    assert "exit 1" in message
