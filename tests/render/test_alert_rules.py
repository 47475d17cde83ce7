"""Every alert rule against its hand-written unit test (tests/render/rules/*.test.yml), run by
Debian's promtool: `promtool check rules`, then `promtool test rules`. The tests' series and
expected alerts are written from what each alert must catch, not from the renderer."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components.metrics import BACKUP_LAST_SUCCESS_METRIC
from components.render.alert_rules import rule_files
from tests.render.tools import run, tool

RULE_TESTS = Path(__file__).parent / "rules"
# One rule set per kind of target (issue 14, "Alerts").
EXPECTED_ALERTS = {
    "hosts": {"HostDown", "HostDiskAlmostFull"},
    "containers": {"ContainerRestarting", "ContainerOomKilled"},
    "databases": {"DatabaseDown", "ScrapeTargetDown"},
    "certificates": {"EndpointDown", "CertificateExpiring"},
    "backups": {"BackupStale"},
    "watchdog": {"Watchdog"},
}


@pytest.fixture(scope="module")
def rules_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("rules")
    for name, text in rule_files().items():
        (directory / name).write_text(text)
    for test in RULE_TESTS.glob("*.test.yml"):
        (directory / test.name).write_text(test.read_text())
    return directory


def _alerts(path: Path) -> set[str]:
    return {r["alert"] for g in yaml.safe_load(path.read_text())["groups"] for r in g["rules"]}


def test_one_rule_file_per_kind_of_target(rules_dir: Path) -> None:
    found = {p.name.removesuffix(".rules.yml"): _alerts(p) for p in rules_dir.glob("*.rules.yml")}
    assert found == EXPECTED_ALERTS


def test_promtool_checks_every_rule_file(rules_dir: Path) -> None:
    files = sorted(str(p) for p in rules_dir.glob("*.rules.yml"))
    result = run([tool("promtool"), "check", "rules", *files])
    assert result.stdout.count("SUCCESS") == len(files)


def test_every_alert_has_a_unit_test_that_expects_it(rules_dir: Path) -> None:
    for group, alerts in EXPECTED_ALERTS.items():
        test = yaml.safe_load((rules_dir / f"{group}.test.yml").read_text())
        assert test["rule_files"] == [f"{group}.rules.yml"]
        expected = {
            case["alertname"]
            for t in test["tests"]
            for case in t["alert_rule_test"]
            if case["exp_alerts"]
        }
        assert expected == alerts, group


@pytest.mark.parametrize("group", sorted(EXPECTED_ALERTS))
def test_promtool_runs_the_unit_tests(rules_dir: Path, group: str) -> None:
    result = run([tool("promtool"), "test", "rules", f"{group}.test.yml"], cwd=rules_dir)
    # promtool only warns when a test's rule file is missing: the file must be there.
    assert "WARNING" not in result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_a_unit_test_fails_against_a_weakened_rule(rules_dir: Path, tmp_path: Path) -> None:
    # The tests can fail: with HostDown's `for` at 10 minutes its test's alert never comes.
    text = (rules_dir / "hosts.rules.yml").read_text().replace("for: 2m", "for: 10m")
    (tmp_path / "hosts.rules.yml").write_text(text)
    (tmp_path / "hosts.test.yml").write_text((RULE_TESTS / "hosts.test.yml").read_text())
    result = run([tool("promtool"), "test", "rules", "hosts.test.yml"], cwd=tmp_path, check=False)
    assert result.returncode != 0
    assert "HostDown" in result.stdout + result.stderr


def test_the_backup_rule_reads_the_metric_the_backup_jobs_write(rules_dir: Path) -> None:
    text = (rules_dir / "backups.rules.yml").read_text()
    assert BACKUP_LAST_SUCCESS_METRIC in text
    assert BACKUP_LAST_SUCCESS_METRIC in (RULE_TESTS / "backups.test.yml").read_text()
