"""Crisis alerts end to end: replayed synthetic days through the real worker, the alerts topic read back,
and the incident forwarded to a real Alertmanager (Debian's prometheus-alertmanager) started by the test."""

from __future__ import annotations

import asyncio
import json
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import orjson
import pytest
from jsonschema import Draft202012Validator

from agents.broker import free_port, read_topic, stop_process
from schemas.contracts import json_schema
from streams.synthetic import Crisis, Scenario, series, synthetic_posts

from .test_trends import run_replay

pytestmark = pytest.mark.integration

T0 = int(datetime(2026, 11, 20, 6, 0, tzinfo=UTC).timestamp())
ONSET_MIN = 180
WATCHLIST = {"acme": ["#acme"]}


def write_posts(path: Path, crisis: bool) -> Path:
    sc = Scenario("it", seed=5, base_per_min=2.0, days=(ONSET_MIN + 40 + 130) / 1440, negative_share=0.15,
                  diurnal=0.0, dispersion=0.0, misscored=0.0,
                  crisis=Crisis(onset_min=ONSET_MIN, peak=10, ramp="step", ramp_min=0, hold_min=40, decay_min=1,
                                negative_share=0.8) if crisis else None)
    posts = synthetic_posts(series(sc), "#acme", T0, seed=5)
    path.write_bytes(b"\n".join(orjson.dumps(p) for p in posts) + b"\n")
    return path


def worker_env(**extra: str) -> dict[str, str]:
    return {"BRANDPULSE_WATCHLIST": json.dumps(WATCHLIST), "BRANDPULSE_IDLE_GRACE_SECONDS": "2", **extra}


def alerts(worker, until, timeout: float = 120) -> list[dict]:
    s = worker.settings
    deadline = time.monotonic() + timeout
    while True:
        records = asyncio.run(read_topic(s.bootstrap_servers, s.alerts_topic))
        events = [dict(orjson.loads(r.value), _key=r.key.decode()) for r in records]
        if until(events) or time.monotonic() > deadline:
            return events
        time.sleep(1)


def resolved(events: list[dict]) -> bool:
    return any(e["type"] == "dev.brandpulse.incident.resolve" for e in events)


def test_a_replayed_crisis_raises_one_incident_that_opens_escalates_and_resolves(start_worker, tmp_path):
    worker = start_worker(**worker_env())
    run_replay(worker, write_posts(tmp_path / "crisis.jsonl", crisis=True))
    events = alerts(worker, resolved)
    incidents = [e for e in events if e["type"].startswith("dev.brandpulse.incident.")]
    assert incidents, f"no incident on the alerts topic:\n{worker.log()[-3000:]}"
    # One incident, of the brand, under one dedup key (the Kafka key), in order open -> ... -> resolve.
    assert {e["_key"] for e in incidents} == {incidents[0]["data"]["incident_id"]}
    assert {e["subject"] for e in incidents} == {"brand:acme"}
    kinds = [e["data"]["event"] for e in incidents]
    assert kinds[0] == "open" and kinds[-1] == "resolve" and "escalate" in kinds, kinds
    assert [e["data"]["sequence"] for e in incidents] == list(range(1, len(incidents) + 1))
    assert len({e["id"] for e in incidents}) == len(incidents)  # stable, distinct event ids
    # At the expected event time: opened within minutes of the onset, which it estimates.
    opened = datetime.fromisoformat(incidents[0]["data"]["window_start"]).timestamp()
    assert T0 + ONSET_MIN * 60 <= opened <= T0 + (ONSET_MIN + 5) * 60
    onset = datetime.fromisoformat(incidents[0]["data"]["onset_at"]).timestamp()
    assert abs(onset - (T0 + ONSET_MIN * 60)) <= 120
    assert max(e["data"]["severity"] for e in incidents if e["data"]["event"] == "escalate") in ("warning",
                                                                                                  "critical")
    last = incidents[-1]["data"]
    assert last["status"] == "resolved" and last["resolved_at"] is not None
    # Evidence a responder can act on.
    first_page = next(e["data"] for e in incidents if e["data"]["event"] == "escalate")
    assert first_page["samples"] and all(s["compound"] <= -0.05 for s in first_page["samples"])
    assert first_page["top_negative_authors"] and first_page["incident"]["negatives"] >= 10
    assert first_page["incident"]["negatives_ratio"] >= 5
    assert "brand:acme" in first_page["dashboard_url"] or "brand%3Aacme" in first_page["dashboard_url"]
    # The published contract holds for every event.
    validator = Draft202012Validator(json_schema("alert"))
    for e in events:
        e.pop("_key")
        errors = list(validator.iter_errors(e))
        assert not errors, errors[:3]
    metrics = worker.metrics_text()
    assert 'brandpulse_alert_events_total{event="open",severity="watch"} 1.0' in metrics


def test_a_replayed_calm_day_raises_no_alert(start_worker, tmp_path):
    # A short allowed lateness: the last minute closes soon after the replay, on the wall clock.
    worker = start_worker(**worker_env(BRANDPULSE_ALLOWED_LATENESS_SECONDS="20"))
    path = write_posts(tmp_path / "calm.jsonl", crisis=False)
    run_replay(worker, path)
    newest = max(datetime.fromisoformat(orjson.loads(line)["created_at"]).timestamp()
                 for line in path.read_bytes().splitlines())
    last_minute = newest - newest % 60
    s = worker.settings
    # Wait until the brand's windows up to the end of the day are published: the detector has seen them all.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        stats = [orjson.loads(r.value) for r in asyncio.run(read_topic(s.bootstrap_servers, s.stats_topic))]
        if any(r["topic"] == "brand:acme" and r["resolution"] == "minute"
               and datetime.fromisoformat(r["window_start"]).timestamp() >= last_minute for r in stats):
            break
        time.sleep(1)
    else:
        pytest.fail("the calm day's last minute was never published")
    assert asyncio.run(read_topic(s.bootstrap_servers, s.alerts_topic)) == []
    assert "brandpulse_crisis_detectors 1.0" in worker.metrics_text()


# -- Alertmanager -----------------------------------------------------------------------------------------


class _Webhook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def alertmanager(tmp_path, debian_binary) -> Iterator[tuple[str, list[dict]]]:
    """A real Alertmanager on a free loopback port, routing every alert to a webhook the test serves."""
    binary = debian_binary("prometheus-alertmanager", "alertmanager", package="prometheus-alertmanager")
    _Webhook.received = []
    hook = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    config = tmp_path / "alertmanager.yml"
    config.write_text(f"""
route:
  receiver: hook
  group_by: [incident]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:{hook.server_address[1]}/
        send_resolved: true
""")
    port = free_port()
    log = open(tmp_path / "alertmanager.log", "wb")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen([binary, f"--config.file={config}", f"--storage.path={tmp_path / 'am-data'}",
                             f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as resp:
                if resp.status == 200:
                    break
        except OSError:
            time.sleep(0.2)
    else:
        pytest.fail(f"Alertmanager not ready: {(tmp_path / 'alertmanager.log').read_text()[-2000:]}")
    yield url, _Webhook.received
    stop_process(proc, timeout=10, name="alertmanager")
    log.close()
    hook.shutdown()


def am_alerts(url: str) -> list[dict]:
    with urllib.request.urlopen(f"{url}/api/v2/alerts", timeout=5) as resp:
        return json.loads(resp.read())


def wait(cond, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = cond()
        if got:
            return got
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}")


def test_the_incident_reaches_alertmanager_with_its_labels_and_is_resolved_there(start_worker, alertmanager,
                                                                                tmp_path):
    url, webhook = alertmanager
    # A long allowed lateness: the wall clock moves event time on while the test waits between the two halves.
    worker = start_worker(**worker_env(BRANDPULSE_ALERTMANAGER_URL=url, BRANDPULSE_ALERTMANAGER_RESEND_SECONDS="2",
                                       BRANDPULSE_ALLOWED_LATENESS_SECONDS="900"))
    posts = write_posts(tmp_path / "crisis.jsonl", crisis=True).read_bytes().splitlines()
    # First the calm hours and the first minutes of the crisis: the incident opens and pages.
    cut = next(i for i, line in enumerate(posts)
               if orjson.loads(line)["created_at"] >= datetime.fromtimestamp(T0 + (ONSET_MIN + 15) * 60, UTC)
               .isoformat().replace("+00:00", "Z"))
    (tmp_path / "part1.jsonl").write_bytes(b"\n".join(posts[:cut]) + b"\n")
    (tmp_path / "part2.jsonl").write_bytes(b"\n".join(posts[cut:]) + b"\n")
    run_replay(worker, tmp_path / "part1.jsonl")

    def firing() -> list[dict]:
        return [a for a in am_alerts(url) if a["labels"].get("alertname") == "BrandpulseCrisis"
                and a["status"]["state"] == "active" and a["labels"]["severity"] in ("warning", "critical")]

    (alert,) = wait(firing, 90, "the incident in Alertmanager's API")[:1]
    assert alert["labels"]["brand"] == "acme" and alert["labels"]["topic"] == "brand:acme"
    assert alert["labels"]["incident"].startswith("brand:acme@")
    assert alert["annotations"]["summary"].startswith(f"[{alert['labels']['severity'].upper()}] brand acme")
    assert alert["annotations"]["runbook_url"] and alert["annotations"]["description"]
    # Only one severity of the incident is active at a time: the escalation resolved the lower one.
    active = [a for a in am_alerts(url) if a["status"]["state"] == "active"]
    assert len(active) == 1, [a["labels"] for a in active]
    # Renewed while firing: its lease (endsAt) moves on with every resend period.
    time.sleep(5)
    (again,) = firing()[:1]
    assert again["labels"] == alert["labels"] and again["endsAt"] > alert["endsAt"]
    # Then the rest of the day: the incident resolves, and Alertmanager sends the resolved notification.
    run_replay(worker, tmp_path / "part2.jsonl")
    wait(lambda: not firing(), 120, "the incident to leave Alertmanager's active alerts")
    resolved_hooks = wait(lambda: [n for n in webhook if n["status"] == "resolved"
                                   and n["commonLabels"].get("severity") in ("warning", "critical")], 60,
                          "Alertmanager's resolved notification")
    assert resolved_hooks[0]["commonLabels"]["incident"] == alert["labels"]["incident"]
    assert any(n["status"] == "firing" for n in webhook)
    assert 'brandpulse_alertmanager_posts_total{outcome="ok"}' in worker.metrics_text()
