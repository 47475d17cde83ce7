"""Config files on a container (pulumi-docker ``uploads``): delivered, hashed by the provider's
ForceNew, secret when they hold secrets, and refused when malformed."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.docker.container_service import ConfigFile
from components.plan.recording import SECRET_SIG_KEY
from tests.components.test_container_service import _container

CONFIG = "global:\n  scrape_interval: 15s\n"


def _uploads(*files: ConfigFile) -> list[dict[str, Any]]:
    uploads: list[dict[str, Any]] = _container(files=list(files))["uploads"]
    return uploads


def test_a_file_is_delivered_with_its_mode_and_owner() -> None:
    uploads = _uploads(ConfigFile("/etc/app/app.yml", CONFIG, mode="0640", owner="65534"))
    assert uploads == [
        {
            "file": "/etc/app/app.yml",
            "content": CONFIG,
            "permissions": "0640",
            "owner": "65534",
        }
    ]


def test_an_unchanged_file_declares_the_same_container_and_a_changed_one_does_not() -> None:
    first = _container(files=[ConfigFile("/etc/app/app.yml", CONFIG)])
    again = _container(files=[ConfigFile("/etc/app/app.yml", CONFIG)])
    changed = _container(files=[ConfigFile("/etc/app/app.yml", CONFIG + "# more\n")])
    assert first == again
    # `uploads` is ForceNew in the provider: any difference here is a replacement.
    assert [k for k in first if first[k] != changed.get(k)] == ["uploads"]


def test_files_are_sent_in_path_order_whatever_the_order_given() -> None:
    a, b = ConfigFile("/a.yml", "a"), ConfigFile("/b.yml", "b")
    assert _uploads(b, a) == _uploads(a, b)


def test_a_secret_file_is_a_secret_and_a_plain_one_is_not() -> None:
    plain, secret = _uploads(
        ConfigFile("/run/secrets/app.env", "PASSWORD=hunter2\n", secret=True),
        ConfigFile("/etc/app/app.yml", CONFIG),
    )
    assert secret["file"] == "/run/secrets/app.env"
    assert SECRET_SIG_KEY in json.dumps(secret["content"])
    assert "hunter2" not in json.dumps({k: v for k, v in secret.items() if k != "content"})
    assert plain["content"] == CONFIG


def test_a_secret_output_stays_secret_in_a_plain_file() -> None:
    (upload,) = _uploads(ConfigFile("/etc/app.yml", pulumi.Output.secret("token: x")))
    assert SECRET_SIG_KEY in json.dumps(upload["content"])


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (
            {"path": "etc/app.yml"},
            "config file etc/app.yml: path 'etc/app.yml' is not an absolute path without '..'",
        ),
        (
            {"path": "/etc/../shadow"},
            "config file /etc/../shadow: path '/etc/../shadow' is not an absolute path "
            "without '..'",
        ),
        (
            {"path": "/a", "mode": "rw-r--r--", "owner": "root"},
            "config file /a: mode 'rw-r--r--' is not an octal file mode such as 0644; "
            "owner 'root' is not a numeric id",
        ),
    ],
)
def test_a_malformed_file_is_refused_with_every_problem(file: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=r"^config file ") as error:
        ConfigFile(content="x", **file)
    assert str(error.value) == message


def test_the_same_path_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="config files /a are given twice"):
        _uploads(ConfigFile("/a", "1"), ConfigFile("/a", "2"))
