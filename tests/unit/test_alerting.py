"""Alert events onto Alertmanager's API v2 and PagerDuty Events v2, field for field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson

from schemas.codec import dumps
from schemas.records import AlertEvent
from streams.alerting import alertmanager_alerts, pagerduty_event, renew
from streams.crisis import CrisisConfig, Detector, alert_data
from streams.synthetic import Crisis, Scenario, series

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def events() -> list[dict]:
    sc = Scenario("c", seed=5, base_per_min=2.0, days=0.5, negative_share=0.15, diurnal=0.0, dispersion=0.0,
                  misscored=0.0, crisis=Crisis(onset_min=180, peak=10, ramp="step", ramp_min=0, hold_min=60,
                                               decay_min=1, negative_share=0.8))
    det, out = Detector("brand:acme"), []
    for m in series(sc):
        for t in det.step(m, CrisisConfig()):
            if t.is_notice:
                continue
            data = alert_data(t, kind="brand", brand="acme", topics=("#acme",), dashboard_url="http://g/d",
                              runbook_url="http://rb")
            ev = AlertEvent(specversion="1.0", id=f"{t.incident_id}/{t.sequence}", source="/brandpulse/test",
                            type=f"dev.brandpulse.incident.{t.event}", subject=t.topic,
                            time=datetime.fromtimestamp(t.minute.start_s + 60, UTC),
                            datacontenttype="application/json", dataschema="x", data=data)
            out.append(orjson.loads(dumps(ev)))
    return out


def test_an_open_incident_is_one_firing_alert_with_its_labels_and_annotations():
    ev = events()[0]
    (alert,) = alertmanager_alerts(ev, NOW, LEASE)
    assert alert["labels"] == {"alertname": "BrandpulseCrisis", "brand": "acme", "severity": "watch",
                               "topic": "brand:acme", "incident": ev["data"]["incident_id"]}
    assert set(alert["annotations"]) == {"summary", "description", "runbook_url", "dashboard_url"}
    assert alert["startsAt"] == ev["data"]["opened_at"].replace("+00:00", "Z")
    assert alert["endsAt"] == (NOW + LEASE).isoformat().replace("+00:00", "Z")
    assert alert["generatorURL"] == "http://g/d"


def test_an_escalation_fires_the_new_severity_and_ends_the_old_one():
    esc = next(e for e in events() if e["data"]["event"] == "escalate")
    new, old = alertmanager_alerts(esc, NOW, LEASE)
    assert new["labels"]["severity"] == esc["data"]["severity"]
    assert old["labels"]["severity"] == esc["data"]["previous_severity"]
    assert old["endsAt"] == NOW.isoformat().replace("+00:00", "Z")


def test_a_resolve_ends_the_alert_and_is_not_renewed():
    res = events()[-1]
    assert res["data"]["status"] == "resolved"
    (alert,) = alertmanager_alerts(res, NOW, LEASE)
    assert datetime.fromisoformat(alert["endsAt"]) <= NOW
    assert renew([alert], NOW, LEASE) == []


def test_a_notice_never_reaches_alertmanager():
    assert alertmanager_alerts({"type": "dev.brandpulse.notice.volume_spike", "data": {}}, NOW, LEASE) == []


def test_pagerduty_triggers_and_resolves_by_the_dedup_key():
    evs = events()
    trigger = pagerduty_event(evs[0], "KEY")
    assert trigger["event_action"] == "trigger" and trigger["dedup_key"] == evs[0]["data"]["incident_id"]
    assert trigger["payload"]["severity"] == "info" and trigger["payload"]["component"] == "brand:acme"
    assert {link["text"] for link in trigger["links"]} == {"dashboard", "runbook"}
    assert pagerduty_event(evs[-1], "KEY") == {"routing_key": "KEY", "event_action": "resolve",
                                               "dedup_key": evs[0]["data"]["incident_id"]}
