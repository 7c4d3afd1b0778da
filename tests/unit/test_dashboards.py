"""deploy/grafana: the dashboards are what deploy/grafana/build.py builds, well-formed Grafana JSON, and read
only metrics and labels the worker serves. (Running every query against a live Prometheus:
tests/integration/test_observability.py.)"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
import yaml

from agents.cli import catalogue_app
from agents.metrics import catalogue

DEPLOY = Path(__file__).parents[2] / "deploy"


def load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


build = load(DEPLOY / "grafana" / "build.py", "deploy_grafana_build")
queries = load(DEPLOY / "queries.py", "deploy_queries")


@pytest.fixture(scope="module")
def served() -> dict[str, tuple[str, ...]]:
    """Every series name the worker serves -> its labels (histograms as _bucket / _sum / _count)."""
    out: dict[str, tuple[str, ...]] = {"up": ()}
    for row in catalogue(catalogue_app().bp.metrics.registry):
        name, labels = str(row["name"]), tuple(row["labels"])  # type: ignore[arg-type]
        if row["type"] == "histogram":
            out[name + "_bucket"] = (*labels, "le")
            out[name + "_sum"] = out[name + "_count"] = labels
        else:
            out[name] = labels
    return out


def recorded() -> set[str]:
    return {q.where.removeprefix("record ") for q in queries.rule_queries() if q.kind == "record"}


def test_the_dashboards_are_what_the_builder_builds():
    built = build.build()
    assert sorted(built) == sorted(p.name for p in (DEPLOY / "grafana" / "dashboards").glob("*.json"))
    for name, text in built.items():
        assert (DEPLOY / "grafana" / "dashboards" / name).read_text() == text, \
            f"{name} is stale: run .venv/bin/python deploy/grafana/build.py"


def test_three_dashboards_with_their_template_variables():
    dashboards = queries.dashboards()
    assert set(dashboards) == {"brandpulse-brands", "brandpulse-crisis", "brandpulse-pipeline"}
    for uid, dash in dashboards.items():
        names = {v["name"] for v in dash["templating"]["list"]}
        assert {"datasource", "job"} <= names, uid
        assert ("brand" in names) == (uid != "brandpulse-pipeline"), uid
        assert ("instance" in names) == (uid == "brandpulse-pipeline"), uid  # the worker variable
        (ds,) = [v for v in dash["templating"]["list"] if v["type"] == "datasource"]
        assert ds["query"] == "prometheus"


@pytest.mark.parametrize("uid", ["brandpulse-brands", "brandpulse-crisis", "brandpulse-pipeline"])
def test_the_dashboard_json_is_well_formed(uid):
    dash = queries.dashboards()[uid]
    assert dash["uid"] == uid and dash["title"].startswith("brandpulse / ") and dash["schemaVersion"] >= 36
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids)) and all(isinstance(i, int) and i > 0 for i in ids)
    defined = {"$" + v["name"] for v in dash["templating"]["list"]} | set(queries.BUILTINS)
    occupied: set[tuple[int, int]] = set()
    for panel in dash["panels"]:
        pos = panel["gridPos"]
        assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24 and pos["h"] > 0, (uid, panel["title"])
        cells = {(x, y) for x in range(pos["x"], pos["x"] + pos["w"]) for y in range(pos["y"], pos["y"] + pos["h"])}
        assert not cells & occupied, f"{uid}: panel {panel['title']!r} overlaps another"
        occupied |= cells
        if panel["type"] == "row":
            continue
        assert panel["type"] in {"timeseries", "stat", "state-timeline"}, panel["type"]
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert panel["title"] and panel["description"], panel
        refs = [t["refId"] for t in panel["targets"]]
        assert refs and len(refs) == len(set(refs)) and all(refs), (uid, panel["title"])
        for target in panel["targets"]:
            assert target["datasource"] == panel["datasource"]
            used = set(re.findall(r"\$[a-zA-Z_]+", target["expr"]))
            assert used <= defined, f"{uid}: {panel['title']!r} uses undefined {used - defined}"


def test_every_query_reads_served_metrics_and_labels(served):
    """No panel, variable or rule may read a metric or a label the worker does not serve."""
    names = set(served) | recorded()
    for query in queries.all_queries():
        used = queries.metric_names(query.expr)
        assert used, f"{query.where}: reads no metric? {query.expr}"
        assert used <= names, f"{query.where}: {sorted(used - names)} not served (docs/metrics.md)"
        labels = {label for name in used if name in served for label in served[name]} | {"job", "instance"}
        if used <= set(served):  # a recorded series carries what its rule grouped by
            grouped = queries.grouping_labels(query.expr)
            assert grouped <= labels, f"{query.where}: groups by {sorted(grouped - labels)}, not a label of {used}"
        for selector in re.findall(r"\{([^}]*)\}", query.expr):
            matched = {m.group(1) for m in re.finditer(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)", selector)}
            assert matched <= labels | {"alertname", "component"}, f"{query.where}: no label {matched - labels}"


def test_the_metric_name_finder_finds_names_and_not_label_values():
    assert queries.metric_names('sum by (brand) (rate(brandpulse_brand_posts_windowed_total{label="brandpulse_x"}'
                                '[5m])) / up') == {"brandpulse_brand_posts_windowed_total", "up"}
    assert queries.grouping_labels("sum by (job, topic) (x) / max by (brand) (y)") == {"job", "topic", "brand"}


def test_grafana_provisioning_reads_the_dashboards_compose_mounts():
    provider = yaml.safe_load((DEPLOY / "grafana" / "provisioning" / "dashboards" / "brandpulse.yml").read_text())
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    ds = yaml.safe_load((DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text())
    assert ds["datasources"][0]["type"] == "prometheus" and ds["datasources"][0]["url"] == "http://prometheus:9090"
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    mounts = " ".join(str(v) for v in compose["services"]["grafana"].get("volumes", []))
    assert "grafana/dashboards" in mounts and "/var/lib/grafana/dashboards" in mounts
    assert "grafana/provisioning" in mounts
