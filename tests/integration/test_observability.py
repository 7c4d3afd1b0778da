"""The view Grafana and on-call get: a real Prometheus (Debian's ``prometheus``) scrapes the real worker during a
paced replay of a brand crisis on the real broker, with deploy/'s rules loaded. Then every PromQL expression of
every dashboard panel, dashboard variable, recording rule and alerting rule is run through Prometheus's HTTP API:
each must be valid and return data, and no query may read a metric or label that does not exist. The live
scrape must pass ``promtool check metrics``, and the metrics-only crisis rule must have fired for the brand.
"""

from __future__ import annotations

import importlib.util
import json
import math
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml

from agents.broker import free_port, stop_process

from .test_alerts import WATCHLIST, write_posts
from .test_trends import run_replay

pytestmark = pytest.mark.integration

DEPLOY = Path(__file__).parents[2] / "deploy"
SCRAPE_SECONDS = 1


def _queries_module():
    spec = importlib.util.spec_from_file_location("deploy_queries", DEPLOY / "queries.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["deploy_queries"] = module
    spec.loader.exec_module(module)
    return module


queries = _queries_module()


class Prometheus:
    def __init__(self, url: str) -> None:
        self.url = url

    def get(self, path: str, **params: str | list[str]) -> dict:
        query = urllib.parse.urlencode(params, doseq=True)
        try:
            with urllib.request.urlopen(f"{self.url}{path}?{query}", timeout=30) as resp:
                body = json.load(resp)
        except urllib.error.HTTPError as exc:  # a bad query answers 400 with the parse error
            body = json.load(exc)
        return body

    def query(self, expr: str) -> dict:
        return self.get("/api/v1/query", query=expr)

    def value(self, expr: str) -> float | None:
        result = self.query(expr)["data"]["result"]
        return float(result[0]["value"][1]) if result else None


@pytest.fixture
def prometheus(tmp_path, debian_binary) -> Iterator[tuple[Prometheus, Path]]:
    """A Prometheus with deploy/'s rules, scraping nothing yet: the test writes its target file."""
    exe = debian_binary("prometheus", package="prometheus")
    rules = tmp_path / "rules"
    shutil.copytree(DEPLOY / "prometheus" / "rules", rules)
    targets = tmp_path / "targets.json"
    targets.write_text("[]")
    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump({
        "global": {"scrape_interval": f"{SCRAPE_SECONDS}s", "evaluation_interval": f"{SCRAPE_SECONDS}s"},
        "rule_files": [str(rules / "*.rules.yml")],
        "scrape_configs": [{"job_name": "brandpulse", "file_sd_configs": [{"files": [str(targets)],
                                                                          "refresh_interval": "1s"}]}],
    }))
    port = free_port()
    log = (tmp_path / "prometheus.log").open("wb")
    proc = subprocess.Popen([exe, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                             f"--web.listen-address=127.0.0.1:{port}", "--web.enable-lifecycle"],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    prom = Prometheus(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{prom.url}/-/ready", timeout=1) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail(f"prometheus did not start:\n{(tmp_path / 'prometheus.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield prom, targets
    finally:
        stop_process(proc)
        log.close()


def wait_for(cond, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        got = cond()
        if got:
            return got
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.5)


def test_every_dashboard_and_rule_query_returns_data_from_a_real_prometheus(start_worker, prometheus, tmp_path,
                                                                           debian_binary):
    prom, targets = prometheus
    # The posts come in order: a short lateness lets the last minute close soon after they stop.
    worker = start_worker(BRANDPULSE_WATCHLIST=json.dumps(WATCHLIST), BRANDPULSE_IDLE_GRACE_SECONDS="2",
                          BRANDPULSE_ALLOWED_LATENESS_SECONDS="5")
    host = worker.web_url.removeprefix("http://")
    targets.write_text(json.dumps([{"targets": [host]}]))
    wait_for(lambda: prom.value('up{job="brandpulse"}') == 1, 30, "Prometheus to scrape the worker")

    # A brand crisis, paced (about 35 s of wall clock for 350 minutes of posts) so that the scrapes see the
    # incident open, escalate and resolve.
    posts = write_posts(tmp_path / "crisis.jsonl", crisis=True)
    n_posts = sum(1 for _ in posts.open())
    # Then one post ten minutes later on another topic: event time moves past the crisis's last minute at once
    # (a quiet stream's watermark would follow the wall clock, a minute per minute).
    last = json.loads(posts.read_text().splitlines()[-1])
    later = datetime.fromisoformat(last["created_at"]) + timedelta(minutes=10)
    with posts.open("a") as f:
        f.write(json.dumps({**last, "id": "sentinel", "text": "later #zzsentinel",
                            "created_at": later.isoformat().replace("+00:00", "Z")}) + "\n")
    run_replay(worker, posts, "--speedup", "600")
    wait_for(lambda: prom.value('sum(brandpulse_posts_total{job="brandpulse", outcome="enriched"})') == n_posts + 1,
             60, f"Prometheus to see all {n_posts + 1} posts enriched")
    brand_posts = 'sum(brandpulse_brand_posts_windowed_total{job="brandpulse", brand="acme"})'
    wait_for(lambda: prom.value(brand_posts) == n_posts, 60, "every post counted in a closed minute window")
    time.sleep(5 * SCRAPE_SECONDS)  # a few more scrapes and rule evaluations after the last post

    # The live scrape is clean by Prometheus's own linter.
    check = subprocess.run([debian_binary("promtool", package="prometheus"), "check", "metrics"], input=worker.metrics_text(),
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0 and not check.stdout.strip() and not check.stderr.strip(), check.stdout + check.stderr

    # Every metric any query reads exists in Prometheus, and every label a query groups or filters by is on it.
    names = set(prom.get("/api/v1/label/__name__/values")["data"])
    failures = []
    for q in queries.all_queries():
        expr = q.runnable()
        missing = queries.metric_names(expr) - names
        if missing:
            failures.append(f"{q.where}: no such metric in Prometheus: {sorted(missing)}")
            continue
        if q.kind == "variable":
            selector, label = queries.label_values_query(expr)
            values = prom.get(f"/api/v1/label/{label}/values", **{"match[]": selector})
            if values["status"] != "success" or not values["data"]:
                failures.append(f"{q.where}: label_values gave nothing: {values}")
            continue
        answer = prom.query(expr)
        if answer["status"] != "success":
            failures.append(f"{q.where}: {answer.get('error')}\n    {expr}")
            continue
        if q.kind == "alert":
            # An alert's condition is false on a healthy run (that is the point); each series it reads has data.
            empty = [n for n in queries.metric_names(expr) if not prom.query(f"count({n})")["data"]["result"]]
            if empty:
                failures.append(f"{q.where}: reads {empty}, which have no series")
        elif not answer["data"]["result"]:
            failures.append(f"{q.where}: no data\n    {expr}")
        for label in queries.grouping_labels(expr) - {"le"}:
            for name in queries.metric_names(expr):
                series = prom.get("/api/v1/series", **{"match[]": name})["data"]
                if series and not any(label in s for s in series):
                    failures.append(f"{q.where}: groups by {label!r}, which {name} does not carry")
    assert not failures, "\n".join(failures)

    # What the panels show is what happened: every post counted, the brand's incident seen at warning or more,
    # and the metrics-only crisis rule fired for the brand.
    assert prom.value('sum(brandpulse_posts_rejected_total{job="brandpulse"})') == 0
    peak = prom.value('max_over_time(max by (brand) (brandpulse_brand_incident_severity{job="brandpulse", '
                      'brand="acme"})[10m:1s])')
    assert peak is not None and peak >= 2, f"the incident never showed as warning or critical (peak {peak})"
    fired = prom.value('max_over_time(ALERTS{alertname="BrandpulseBrandCrisis", brand="acme", '
                       'alertstate="firing"}[10m])')
    assert fired == 1, "BrandpulseBrandCrisis did not fire during the crisis"
    assert prom.value(brand_posts) == n_posts  # every post is about #acme, counted once in its minute window
    share = prom.value('max by (brand) (brandpulse_brand_negative_ratio{job="brandpulse", brand="acme"})')
    assert share is not None and not math.isnan(share) and 0 <= share <= 1
