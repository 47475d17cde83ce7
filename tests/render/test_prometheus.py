"""prometheus.yml and its rule files checked by Debian's promtool; blackbox.yml by the blackbox
exporter's own --config.check; on every stack with platform:monitoring (tests/monitored_stacks)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components.apps import prometheus
from tests.monitored_stacks import MONITORED, files_of, monitored_plan
from tests.render.tools import run, tool

RULE_TESTS = Path(__file__).parent / "rules"


@pytest.fixture(scope="module", params=MONITORED)
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files of the stack's Prometheus written under a directory that stands for
    /etc/prometheus (rule_files is an absolute glob: the test points it there)."""
    directory = tmp_path_factory.mktemp(request.param)
    plan = monitored_plan(request.param)
    for path, text in files_of(plan.services["prometheus"]).items():
        assert path.startswith(f"{prometheus.CONFIG_DIR}/")
        target = directory / "etc" / path.removeprefix(f"{prometheus.CONFIG_DIR}/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text.replace(prometheus.CONFIG_DIR, str(directory / "etc")))
    # The hand-written unit tests next to the rules: the glob must not load them as rules.
    for test in RULE_TESTS.glob("*.test.yml"):
        (directory / "etc" / "rules" / test.name).write_text(test.read_text())
    return directory / "etc"


def test_promtool_checks_the_config_and_every_rule_file(rendered: Path) -> None:
    result = run([tool("promtool"), "check", "config", str(rendered / "prometheus.yml")])
    rule_files = sorted(p.name for p in (rendered / "rules").glob("*.rules.yml"))
    assert len(rule_files) == 6
    for name in rule_files:
        assert f"Checking {rendered}/rules/{name}" in result.stdout
    assert f"SUCCESS: {len(rule_files)} rule files found" in result.stdout
    # The unit-test files sit in the same directory and are not rule files.
    assert ".test.yml" not in result.stdout


def test_promtool_refuses_a_broken_config(rendered: Path, tmp_path: Path) -> None:
    # The check can fail: a scrape config without a job name is refused.
    document = yaml.safe_load((rendered / "prometheus.yml").read_text())
    del document["scrape_configs"][0]["job_name"]
    broken = tmp_path / "prometheus.yml"
    broken.write_text(yaml.safe_dump(document))
    result = run([tool("promtool"), "check", "config", str(broken)], check=False)
    assert result.returncode != 0


def test_every_probe_uses_the_module_blackbox_yml_declares(tmp_path: Path) -> None:
    plan = monitored_plan("prod")
    config = yaml.safe_load(files_of(plan.services["prometheus"])[prometheus.CONFIG_PATH])
    (blackbox_file,) = files_of(plan.services["blackbox-exporter"]).items()
    path = tmp_path / "blackbox.yml"
    path.write_text(blackbox_file[1])
    result = run([tool("prometheus-blackbox-exporter"), f"--config.file={path}", "--config.check"])
    assert "Config file is ok" in result.stdout + result.stderr
    modules = yaml.safe_load(blackbox_file[1])["modules"]
    (probes,) = [job for job in config["scrape_configs"] if job["job_name"] == "blackbox"]
    used = {group["labels"]["module"] for group in probes["static_configs"]}
    # prod has open routes (LiveKit's signaling) and guarded ones (Grafana, NPM's panels).
    assert used == {"http_2xx", "https_guarded"}
    assert used <= set(modules)
    assert all(module["http"]["fail_if_not_ssl"] is True for module in modules.values())
