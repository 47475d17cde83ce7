"""Mosquitto for real: Debian's broker on the files the app renders, Debian's clients against it.

The app block below is this test's own; every expectation (who connects, which publish is
delivered, which subscription receives) is written from it here, never read from the renderer.
The broker runs in a network namespace of its own, on the block's real ports (8883 TLS, 1883
plain), as Debian's ``mosquitto`` user, like the image's user 1883 owning its files. The CA and
the server certificate are made here with ``cryptography``. The rendered config names the
container's /mosquitto/... paths; the test writes the files into a directory of its own and
points those paths at it, the only change to the rendered text.

Debian bookworm's broker is 2.0.11, so this proves the ``password_file``/``acl_file`` form; the
2.1 plugin form is checked as text against the upstream docs (tests/apps/test_mosquitto.py).
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from components.apps import mosquitto
from components.render import mosquitto as render
from components.spec.services import ServiceSpec
from components.values import Rendered
from tests.network.netns import Cleanup, Netns, new_netns, require_root_and_tools, session_suffix
from tests.stacks import ROOT
from tests.tools import require

PASSWORDS = {
    "admin": "admin-pass-1",
    "sensor": "sensor-pass-2",
    "reader": "reader-pass-3",
    "device-7": "device-pass-4",
}
BLOCK = {
    "kind": "mosquitto",
    "tls": {
        "certificate": {"secret": "mqtt.cert"},
        "privateKey": {"secret": "mqtt.key"},
    },
    "users": {
        "admin": {
            "password": {"secret": "mqtt.admin"},
            "acl": [{"access": "readwrite", "topic": "#"}],
        },
        "sensor": {
            "password": {"secret": "mqtt.sensor"},
            "acl": [
                {"access": "write", "topic": "sensors/+/temp"},
                {"access": "deny", "topic": "sensors/secret/temp"},
            ],
        },
        "reader": {
            "password": {"secret": "mqtt.reader"},
            "acl": [{"access": "read", "topic": "sensors/#"}],
        },
        "device-7": {"password": {"secret": "mqtt.device7"}},
    },
    "patterns": [
        {"access": "write", "topic": "devices/%u/status"},
        {"access": "read", "topic": "devices/%u/commands"},
    ],
}
SECRETS = {
    "mqtt.admin": PASSWORDS["admin"],
    "mqtt.sensor": PASSWORDS["sensor"],
    "mqtt.reader": PASSWORDS["reader"],
    "mqtt.device7": PASSWORDS["device-7"],
}
TLS_PORT, PLAIN_PORT = 8883, 1883  # the block's defaults, as the stack uses them

# (user, topic, delivered): from the block above. sensor writes sensors/+/temp but not the
# denied sensors/secret/temp; reader only reads; a device writes only its own status.
PUBLISHES = [
    ("sensor", "sensors/a/temp", True),
    ("sensor", "sensors/a/humidity", False),
    ("sensor", "sensors/secret/temp", False),
    ("reader", "sensors/a/temp", False),
    ("device-7", "devices/device-7/status", True),
    ("device-7", "devices/device-8/status", False),
    ("device-7", "devices/device-7/commands", False),
]
# (user, topic, receives): a retained message on the topic reaches the user only if it reads it.
SUBSCRIBES = [
    ("reader", "sensors/b/temp", True),
    ("sensor", "sensors/b/temp", False),
    ("device-7", "devices/device-7/commands", True),
    ("device-7", "devices/device-8/commands", False),
]


# Debian's broker runs as its own user from the start, as the image's runs as 1883.
AS_MOSQUITTO = ("--reuid=mosquitto", "--regid=mosquitto", "--clear-groups")


def _broker_dir() -> Path:
    """A directory the broker's user can reach (pytest's temporary directories are root's)."""
    root = Path(tempfile.mkdtemp(prefix="mqtt-broker-"))
    root.chmod(0o755)
    return root


def _own(path: Path) -> None:
    user = pwd.getpwnam("mosquitto")
    os.chown(path, user.pw_uid, user.pw_gid)


@dataclass(frozen=True)
class Broker:
    ns: Netns
    ca: Path
    log: Path

    def client(self, tool: str, *args: str, tls: bool = True, port: int | None = None) -> list[str]:
        chosen = port if port is not None else (TLS_PORT if tls else PLAIN_PORT)
        base = [tool, "-h", "localhost", "-p", str(chosen), "-V", "mqttv311"]
        if tls:
            base += ["--cafile", str(self.ca)]
        return self.ns.argv(*base, *args)


def _auth(user: str) -> list[str]:
    return ["-u", user, "-P", PASSWORDS[user]]


def _pki(directory: Path) -> tuple[Path, str, str]:
    """A CA, and a server certificate for localhost signed by it: (CA file, cert PEM, key PEM)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test mqtt CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = directory / "ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    # As the stack stores them: a line of text before the PEM block (RFC 7468 allows it; the
    # stack's example values say EXAMPLE there), no trailing newline (secret encrypt and
    # pulumi config set strip it).
    return (
        ca_file,
        f"EXAMPLE certificate\n{cert_pem}".rstrip("\n"),
        f"EXAMPLE key\n{key_pem}".rstrip("\n"),
    )


def _write_files(service: ServiceSpec, values: Mapping[str, str], root: Path) -> Path:
    """The app's files, resolved as the build resolves them, under ``root`` instead of /."""
    config = root / render.CONFIG_PATH.lstrip("/")
    for file in mosquitto.contribute("broker", service).files:
        if isinstance(file.content, Rendered):
            text = file.content.render(
                {arg: values[path] for arg, path in file.content.secrets.items()}
            )
        else:
            text = file.content
        text = text.replace("/mosquitto/", f"{root}/mosquitto/")
        target = root / file.path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        target.chmod(int(file.mode, 8))
        # The app's numeric owner is the image's mosquitto user; here it is Debian's.
        assert (file.owner, file.group) == ("1883", "1883")
        _own(target)
    data = root / render.DATA_DIR.lstrip("/")
    data.mkdir(parents=True, exist_ok=True)
    for directory in (data, config.parent):
        _own(directory)
    return config


def _start(ns: Netns, config: Path, log: Path, cleanup: Cleanup) -> subprocess.Popen[str]:
    # 2.0.11 writes stdout block-buffered (line-buffered from 2.0.16, its ChangeLog): stdbuf
    # makes the log readable while it runs.
    argv = ns.argv("setpriv", *AS_MOSQUITTO, "stdbuf", "-oL", "mosquitto", "-c", str(config))
    handle = log.open("w")
    proc = subprocess.Popen(argv, stdout=handle, stderr=subprocess.STDOUT, text=True)

    def stop() -> None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        handle.close()

    cleanup.push(stop)
    return proc


def _wait_listening(ns: Netns, proc: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"mosquitto exited {proc.returncode}:\n{log.read_text()}")
        listening = ns.exec("ss", "-ltn").stdout
        if f":{TLS_PORT} " in listening and f":{PLAIN_PORT} " in listening:
            return
        time.sleep(0.1)
    pytest.fail(f"mosquitto did not listen on {TLS_PORT} and {PLAIN_PORT}:\n{log.read_text()}")


@pytest.fixture(scope="module")
def broker() -> Iterator[Broker]:
    require_root_and_tools()
    require("mosquitto", "mosquitto_pub", "mosquitto_sub", "setpriv", "ss", "stdbuf")
    cleanup = Cleanup()
    root = _broker_dir()
    cleanup.push(lambda: shutil.rmtree(root))
    try:
        service = ServiceSpec.model_validate(
            {
                "machine": "m",
                "image": "eclipse-mosquitto:2.0.22",
                "user": "1883:1883",
                "app": BLOCK,
                "expose": [{"kind": "forward", "protocol": "tcp", "ports": TLS_PORT}],
            }
        )
        assert list(mosquitto.problems("broker", service)) == []
        ca, cert, key = _pki(root)
        config = _write_files(service, {**SECRETS, "mqtt.cert": cert, "mqtt.key": key}, root)
        ns = new_netns("mqtt", session_suffix(), cleanup)
        log = root / "mosquitto.log"
        proc = _start(ns, config, log, cleanup)
        _wait_listening(ns, proc, log)
        yield Broker(ns=ns, ca=ca, log=log)
    finally:
        cleanup.run()


def _run(argv: list[str], timeout: float = 10) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.mark.parametrize("tls", [True, False], ids=["tls-8883", "plain-1883"])
def test_an_anonymous_client_is_refused_on_both_listeners(broker: Broker, tls: bool) -> None:
    result = _run(broker.client("mosquitto_pub", "-t", "sensors/a/temp", "-m", "x", tls=tls))
    assert result.returncode != 0
    assert "not authorised" in result.stderr.lower()


def test_a_wrong_password_is_refused(broker: Broker) -> None:
    argv = broker.client("mosquitto_pub", "-u", "sensor", "-P", "wrong", "-t", "t", "-m", "x")
    result = _run(argv)
    assert result.returncode != 0
    assert "not authorised" in result.stderr.lower()


def test_the_public_listener_takes_tls_only(broker: Broker) -> None:
    plain = broker.client(
        "mosquitto_pub", *_auth("admin"), "-t", "t", "-m", "x", tls=False, port=TLS_PORT
    )
    assert _run(plain).returncode != 0
    tls = broker.client("mosquitto_pub", *_auth("admin"), "-t", "t", "-m", "x")
    result = _run(tls)
    assert result.returncode == 0, result.stderr
    # ...and the plain listener takes users without TLS (the internal network's clients).
    internal = broker.client("mosquitto_pub", *_auth("admin"), "-t", "t", "-m", "x", tls=False)
    assert _run(internal).returncode == 0


def test_each_publish_is_delivered_only_where_the_acl_allows(broker: Broker) -> None:
    # admin reads everything: one subscriber sees every publish that got through.
    observer = subprocess.Popen(
        broker.client("mosquitto_sub", *_auth("admin"), "-t", "#", "-v", "-W", "6"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.0)  # subscribed before the publishes
    for user, topic, _ in PUBLISHES:
        result = _run(broker.client("mosquitto_pub", *_auth(user), "-t", topic, "-m", user))
        assert result.returncode == 0, (user, topic, result.stderr)  # a denied QoS 0 is dropped
    out, _ = observer.communicate(timeout=15)
    delivered = {tuple(line.split(" ", 1)) for line in out.splitlines()}
    assert delivered == {(topic, user) for user, topic, ok in PUBLISHES if ok}


def test_each_subscription_receives_only_where_the_acl_allows(broker: Broker) -> None:
    for _, topic, _ in SUBSCRIBES:
        argv = broker.client("mosquitto_pub", *_auth("admin"), "-r", "-t", topic, "-m", "kept")
        assert _run(argv).returncode == 0
    readers = {
        (user, topic): subprocess.Popen(
            broker.client("mosquitto_sub", *_auth(user), "-t", topic, "-C", "1", "-W", "3"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for user, topic, _ in SUBSCRIBES
    }
    received = {key: proc.communicate(timeout=10)[0].strip() for key, proc in readers.items()}
    assert received == {(user, topic): "kept" if ok else "" for user, topic, ok in SUBSCRIBES}


def test_the_stacks_healthcheck_tells_a_live_broker_from_none(broker: Broker) -> None:
    document = yaml.safe_load((ROOT / "Pulumi.gaslyt.yaml").read_text())
    kind, command = document["config"]["platform:services"]["mosquitto"]["healthcheck"]["test"]
    assert kind == "CMD-SHELL"
    assert _run(broker.ns.argv("sh", "-c", command)).returncode == 0
    cleanup = Cleanup()
    try:
        empty = new_netns("mqtt-none", session_suffix(), cleanup)
        assert _run(empty.argv("sh", "-c", command)).returncode != 0
    finally:
        cleanup.run()


def test_the_broker_refuses_an_acl_topic_the_spec_refuses() -> None:
    """What the spec's ACL check stops is what would stop the broker: the same topic, written
    past the spec into an ACL file, keeps Debian's broker from starting."""
    require("mosquitto", "setpriv")
    topic = "sensors/#/temp"
    assert list(render.acl_topic_problems(topic, pattern=False))
    root = _broker_dir()
    try:
        acl = root / "acl"
        acl.write_text(f"user sensor\ntopic read {topic}\n")
        config = root / "mosquitto.conf"
        config.write_text(f"allow_anonymous false\nacl_file {acl}\nlistener 0 {root}/sock\n")
        for path in (acl, config):
            _own(path)
        result = _run(["setpriv", *AS_MOSQUITTO, "mosquitto", "-c", str(config)], timeout=10)
    finally:
        shutil.rmtree(root)
    assert result.returncode != 0
    assert f'Invalid ACL topic "{topic}"' in result.stdout + result.stderr


def test_the_broker_loads_the_rendered_files_without_a_warning(broker: Broker) -> None:
    log = broker.log.read_text()
    # The start, before the first client (the other tests' refused clients log errors).
    start = log.split("New connection from", 1)[0].splitlines()
    assert any("Opening ipv4 listen socket on port 8883" in line for line in start)
    assert any(line.endswith("running") for line in start)
    noise = [line for line in start if "warning" in line.lower() or "error" in line.lower()]
    assert noise == []
