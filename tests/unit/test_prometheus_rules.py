"""deploy/prometheus and deploy/alertmanager, checked by Prometheus's and Alertmanager's own tools.

``promtool`` and ``amtool`` come from Debian's ``prometheus`` and ``prometheus-alertmanager`` packages (``make
test`` installs them). Without them the tests skip with the install command, except under CI, where that is a
failure. Every PromQL expression of the rules is also run against a live worker's metrics by
tests/integration/test_observability.py.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

DEPLOY = Path(__file__).parents[2] / "deploy"
RULES = DEPLOY / "prometheus" / "rules" / "brandpulse.rules.yml"
RULE_TESTS = DEPLOY / "prometheus" / "tests" / "brandpulse.test.yml"
ALERTMANAGER = DEPLOY / "alertmanager" / "alertmanager.yml"


@pytest.fixture
def tool(debian_binary):
    return lambda name, package: debian_binary(name, package=package)


def run(*args: str, cwd: Path | None = None) -> str:
    proc = subprocess.run(args, capture_output=True, text=True, cwd=cwd, timeout=120)
    assert proc.returncode == 0, f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


def alerting_rules() -> dict[str, dict]:
    doc = yaml.safe_load(RULES.read_text())
    return {r["alert"]: r for g in doc["groups"] for r in g["rules"] if "alert" in r}


def test_the_rules_are_valid(tool):
    out = run(tool("promtool", "prometheus"), "check", "rules", str(RULES))
    assert "SUCCESS: 25 rules found" in out


def test_every_alerting_rule_passes_its_unit_tests(tool):
    out = run(tool("promtool", "prometheus"), "test", "rules", RULE_TESTS.name, cwd=RULE_TESTS.parent)
    assert "SUCCESS" in out


def test_every_alerting_rule_has_a_firing_and_a_silent_case():
    cases: dict[str, set[bool]] = {}
    for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]:
        for case in test.get("alert_rule_test", []):
            cases.setdefault(case["alertname"], set()).add(bool(case.get("exp_alerts")))
    rules = alerting_rules()
    assert set(cases) == set(rules), f"alerts without tests: {sorted(set(rules) - set(cases))}"
    for name, kinds in cases.items():
        assert kinds == {True, False}, f"{name}: needs a case where it fires and one where it does not"


def test_every_alert_says_who_it_is_for_and_what_to_do():
    for name, rule in alerting_rules().items():
        assert rule["labels"]["component"] in ("pipeline", "brand"), name
        assert rule["labels"]["severity"] in ("warning", "critical"), name
        assert {"summary", "description", "runbook_url"} <= set(rule["annotations"]), name


@pytest.mark.parametrize("config", ["prometheus.yml", "prometheus.compose.yml"])
def test_the_prometheus_configs_are_valid(config, tool):
    path = DEPLOY / "prometheus" / config
    assert path.exists(), path
    doc = yaml.safe_load(path.read_text())
    assert [j for j in doc["scrape_configs"] if j["job_name"] == "brandpulse"], "the rules expect job=brandpulse"
    if config == "prometheus.yml":  # the compose file's rule path is inside the container
        assert "SUCCESS" in run(tool("promtool", "prometheus"), "check", "config", str(path))
    else:
        checked = path.with_name("compose-check.yml")
        try:
            checked.write_text(yaml.safe_dump({**doc, "rule_files": ["rules/*.rules.yml"]}))
            assert "SUCCESS" in run(tool("promtool", "prometheus"), "check", "config", str(checked))
        finally:
            checked.unlink(missing_ok=True)


def test_the_alertmanager_config_is_valid(tool):
    out = run(tool("amtool", "prometheus-alertmanager"), "check-config", str(ALERTMANAGER))
    assert "SUCCESS" in out


@pytest.mark.parametrize(("labels", "receivers"), [
    # brandpulse's forwarder: pages for warning and critical, the brand channel always.
    ({"alertname": "BrandpulseCrisis", "severity": "critical", "brand": "acme", "incident": "brand:acme@1"},
     "brand-pager,brand-chat"),
    ({"alertname": "BrandpulseCrisis", "severity": "warning", "brand": "acme"}, "brand-pager,brand-chat"),
    ({"alertname": "BrandpulseCrisis", "severity": "watch", "brand": "acme"}, "brand-chat"),
    # the rules' brand alerts go the same way ...
    ({"alertname": "BrandpulseBrandNegativeSurge", "severity": "warning", "component": "brand", "brand": "acme"},
     "brand-pager,brand-chat"),
    ({"alertname": "BrandpulseBrandCrisisCritical", "severity": "critical", "component": "brand", "brand": "acme"},
     "brand-pager,brand-chat"),
    # ... and the pipeline's to its engineers, never to the brand team.
    ({"alertname": "BrandpulseNoWorkers", "severity": "critical", "component": "pipeline"},
     "pipeline-pager,pipeline-chat"),
    ({"alertname": "BrandpulseConsumerLagGrowing", "severity": "warning", "component": "pipeline",
      "topic": "posts"}, "pipeline-chat"),
])
def test_brand_crises_and_pipeline_alerts_reach_different_receivers(labels, receivers, tool):
    out = run(tool("amtool", "prometheus-alertmanager"), "config", "routes", "test",
              f"--config.file={ALERTMANAGER}", *(f"{k}={v}" for k, v in labels.items()))
    assert out.splitlines()[0].strip() == receivers


def test_every_rule_alert_is_routed_by_its_component(tool):
    """A new alert without a route would land in the default receiver: each one is tried."""
    amtool = tool("amtool", "prometheus-alertmanager")
    for name, rule in alerting_rules().items():
        out = run(amtool, "config", "routes", "test", f"--config.file={ALERTMANAGER}", f"alertname={name}",
                  *(f"{k}={v}" for k, v in rule["labels"].items()))
        receivers = set(out.splitlines()[0].strip().split(","))
        team = "brand" if rule["labels"]["component"] == "brand" else "pipeline"
        assert receivers and all(r.startswith(team) for r in receivers), (name, receivers)
