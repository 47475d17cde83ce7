"""alertmanager.yml checked by Debian's amtool (0.25): `check-config`, and `config routes test`
with `--verify.receivers` for every receiver of every monitored stack. Which alert reaches
which receiver is read from the stack's own monitoring block: the heartbeat alert its
receiver, then the routes in order, then the default."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from components.apps import alertmanager
from tests.monitored_stacks import MONITORED, files_of, monitored_plan, stack_config
from tests.render.tools import run, tool

SECRETS = {
    "url": "https://hooks.example.com/services/T000/B000/XXXX",
    "apiUrl": "https://hooks.slack.com/services/T000/B000/XXXX",
    "password": "smtp-password-example",
}


@pytest.fixture(scope="module", params=MONITORED)
def rendered(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, Any], Path]:
    directory = tmp_path_factory.mktemp(request.param)
    config = stack_config(request.param)["monitoring"]
    plan = monitored_plan(request.param)
    (file,) = plan.services["alertmanager"].files
    values = {a: SECRETS[a.rpartition(".")[2]] for a in getattr(file.content, "secrets", {})}
    path = directory / "alertmanager.yml"
    path.write_text(files_of(plan.services["alertmanager"], values)[alertmanager.CONFIG_PATH])
    return config, path


def _receiver_of(config: Path, *labels: str) -> str:
    result = run([tool("amtool"), "config", "routes", "test", f"--config.file={config}", *labels])
    return result.stdout.strip()


def test_amtool_accepts_the_config(rendered: tuple[dict[str, Any], Path]) -> None:
    config, path = rendered
    result = run([tool("amtool"), "check-config", str(path)])
    assert "SUCCESS" in result.stdout
    assert f" - {len(config['receivers'])} receivers" in result.stdout


def test_the_heartbeat_goes_to_its_own_receiver(rendered: tuple[dict[str, Any], Path]) -> None:
    config, path = rendered
    heartbeat = config["heartbeatReceiver"]
    # Whatever else its labels say, the dead-man's switch reaches the heartbeat receiver alone.
    assert _receiver_of(path, "alertname=Watchdog", "severity=none") == heartbeat
    for route in config["routes"]:
        labels = [f"{k}={v}" for k, v in route["match"].items()]
        assert _receiver_of(path, "alertname=Watchdog", *labels) == heartbeat


def test_each_route_and_the_default_reach_their_receiver(
    rendered: tuple[dict[str, Any], Path],
) -> None:
    config, path = rendered
    for route in config["routes"]:
        labels = [f"{k}={v}" for k, v in route["match"].items()]
        verify = f"--verify.receivers={route['receiver']}"
        run([tool("amtool"), "config", "routes", "test", f"--config.file={path}", verify, *labels])
    # An alert no route matches.
    assert _receiver_of(path, "alertname=HostDown", "severity=info") == config["defaultReceiver"]
    reached = {_receiver_of(path, "alertname=Watchdog"), config["defaultReceiver"]}
    reached |= {route["receiver"] for route in config["routes"]}
    # No receiver is declared that nothing reaches.
    assert reached == set(config["receivers"])


def test_a_wrong_expectation_fails(rendered: tuple[dict[str, Any], Path]) -> None:
    config, path = rendered
    result = run(
        [
            tool("amtool"),
            "config",
            "routes",
            "test",
            f"--config.file={path}",
            f"--verify.receivers={config['defaultReceiver']}",
            "alertname=Watchdog",
        ],
        check=False,
    )
    assert result.returncode != 0


def test_secrets_are_in_the_file_only_as_rendered(rendered: tuple[dict[str, Any], Path]) -> None:
    _, path = rendered
    document = yaml.safe_load(path.read_text())
    urls = [c["url"] for r in document["receivers"] for c in r.get("webhook_configs", [])]
    assert urls
    assert all(url == SECRETS["url"] for url in urls)
