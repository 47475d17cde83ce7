"""Debian's pebble (the ACME test server of Let's Encrypt) and its pebble-challtestsrv as the DNS
pebble resolves challenge names with, both run in the test engine's network namespace.

- pebble-challtestsrv answers every A query with ``address`` (where the proxy's ports 80 and 443
  are published), so pebble's validation of any route host reaches the proxy; its HTTP-01 and
  TLS-ALPN-01 responders are off (the proxy answers the challenges itself).
- pebble validates on ports 80 (HTTP-01) and 443 (TLS-ALPN-01), the real ones (its defaults,
  5002 and 5001, are for challtestsrv's responders). ``PEBBLE_VA_NOSLEEP`` drops its random
  validation delay and ``PEBBLE_WFE_NONCEREJECT=0`` its random bad-nonce answers.
- Its HTTPS listener uses a certificate for ``address`` signed by a CA made here (the Debian
  package ships no test certificate): the CA the ACME client must trust, handed to Traefik
  through the stack's ``acmeCaCertificate``.
- The certificates it issues chain to a root it makes at start; ``issuing_root()`` reads it
  from its management API (``/roots/0``).
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .engine import DockerEngine, EngineError

ACME_PORT = 14000
MANAGEMENT_PORT = 15000
DNS_PORT = 8053


@dataclass(frozen=True)
class Pebble:
    directory: str  # the ACME directory URL
    ca_pem: str  # the CA of its HTTPS listener
    management: str  # base URL of the management API
    engine: DockerEngine

    def issuing_root(self) -> str:
        """The root its issued certificates chain to (management API ``/roots/0``)."""
        script = (
            "import ssl,sys,urllib.request;"
            "c=ssl.create_default_context(cadata=sys.argv[1]);"
            "print(urllib.request.urlopen(sys.argv[2],context=c,timeout=10).read().decode())"
        )
        return self.engine.ns_run(
            shutil.which("python3") or "python3",
            "-c",
            script,
            self.ca_pem,
            f"{self.management}/roots/0",
        )


def _ca_and_server_cert(address: str) -> tuple[str, str, str]:
    """(CA PEM, server cert PEM, server key PEM) for an HTTPS listener on ``address``."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "selfhosted test pebble CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, address)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(address)), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return ca.public_bytes(pem).decode(), cert.public_bytes(pem).decode(), key_pem


def _wait_listening(
    engine: DockerEngine, port: int, proc: subprocess.Popen[bytes], log: Path
) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise EngineError(f"exited {proc.returncode}: {log.read_text(errors='replace')}")
        out = engine.ns_run("ss", "-ltnH", f"sport = :{port}", check=False)
        if out.strip():
            return
        time.sleep(0.2)
    raise EngineError(f"nothing listens on {port} after 20s: {log.read_text(errors='replace')}")


@contextlib.contextmanager
def running_pebble(engine: DockerEngine, address: str, workdir: Path) -> Iterator[Pebble]:
    """pebble and its DNS in ``engine``'s namespace; ``address`` must be an address there."""
    for tool in ("pebble", "pebble-challtestsrv"):
        if shutil.which(tool) is None:
            raise EngineError(f"{tool} is missing: apt-get install pebble")
    ca_pem, cert_pem, key_pem = _ca_and_server_cert(address)
    (workdir / "cert.pem").write_text(cert_pem)
    (workdir / "key.pem").write_text(key_pem)
    config = {
        "pebble": {
            "listenAddress": f"0.0.0.0:{ACME_PORT}",
            "managementListenAddress": f"0.0.0.0:{MANAGEMENT_PORT}",
            "certificate": str(workdir / "cert.pem"),
            "privateKey": str(workdir / "key.pem"),
            "httpPort": 80,
            "tlsPort": 443,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": False,
        }
    }
    (workdir / "pebble.json").write_text(json.dumps(config))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        dns_log = workdir / "challtestsrv.log"
        with dns_log.open("wb") as out:
            dns = subprocess.Popen(
                engine.ns_argv(
                    "pebble-challtestsrv",
                    "-defaultIPv4",
                    address,
                    "-defaultIPv6",
                    "",
                    "-dns01",
                    f"127.0.0.1:{DNS_PORT}",
                    "-http01",
                    "",
                    "-https01",
                    "",
                    "-tlsalpn01",
                    "",
                    "-management",
                    "127.0.0.1:8055",
                ),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        procs.append(dns)
        pebble_log = workdir / "pebble.log"
        env = {"PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0", "PATH": "/usr/bin:/bin"}
        with pebble_log.open("wb") as out:
            pebble = subprocess.Popen(
                engine.ns_argv(
                    "pebble",
                    "-config",
                    str(workdir / "pebble.json"),
                    "-dnsserver",
                    f"127.0.0.1:{DNS_PORT}",
                ),
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )
        procs.append(pebble)
        _wait_listening(engine, ACME_PORT, pebble, pebble_log)
        yield Pebble(
            directory=f"https://{address}:{ACME_PORT}/dir",
            ca_pem=ca_pem,
            management=f"https://{address}:{MANAGEMENT_PORT}",
            engine=engine,
        )
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
