"""Mapping an alert event onto Alertmanager's API v2 and onto PagerDuty Events v2, field for field.

Shape: an ``alerts`` record (a CloudEvents dict) → ``alertmanager_alerts`` → the postable alerts that make
Alertmanager hold what the incident is now; → ``pagerduty_event`` → one PagerDuty Events v2 event.

Alertmanager identifies an alert by its label set. The labels are ``alertname``, ``brand``, ``severity``,
``topic`` and ``incident`` (the dedup key), so each incident is its own alert, and an escalation changes
its label set: the new severity fires and the old one is resolved in the same request. ``startsAt`` is the
incident's opening (event time); a firing alert's ``endsAt`` is a lease that the forwarder renews, because
Alertmanager resolves an alert that is not sent again before its ``endsAt``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

ALERTNAME = "BrandpulseCrisis"
PAGERDUTY_SEVERITY = {"watch": "info", "warning": "warning", "critical": "critical"}


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def labels(data: dict[str, Any], severity: str) -> dict[str, str]:
    return {
        "alertname": ALERTNAME,
        "brand": data.get("brand") or "",
        "severity": severity,
        "topic": data["topic"],
        "incident": data["incident_id"],
    }


def annotations(data: dict[str, Any]) -> dict[str, str]:
    out = {"summary": data["summary"], "description": data["description"]}
    if data.get("runbook_url"):
        out["runbook_url"] = data["runbook_url"]
    if data.get("dashboard_url"):
        out["dashboard_url"] = data["dashboard_url"]
    return out


def alertmanager_alerts(event: dict[str, Any], now: datetime, lease: timedelta) -> list[dict[str, Any]]:
    """The postable alerts (``POST /api/v2/alerts``) of one incident event; ``[]`` for a notice."""
    if not event["type"].startswith("dev.brandpulse.incident."):
        return []
    data = event["data"]
    starts = datetime.fromisoformat(data["opened_at"])
    base = {"annotations": annotations(data), "startsAt": _iso(starts)}
    if data.get("dashboard_url"):
        base["generatorURL"] = data["dashboard_url"]
    out = []
    if data["status"] == "resolved":
        resolved = datetime.fromisoformat(data["resolved_at"] or data["window_end"])
        ends = min(max(resolved, starts), now)  # in the past: Alertmanager marks it resolved now
        out.append({**base, "labels": labels(data, data["severity"]), "endsAt": _iso(ends)})
        return out
    out.append({**base, "labels": labels(data, data["severity"]), "endsAt": _iso(now + lease)})
    previous = data.get("previous_severity")
    if data["event"] == "escalate" and previous and previous != data["severity"]:
        # The lower severity's alert ends now: one incident, one firing alert.
        out.append({**base, "labels": labels(data, previous), "endsAt": _iso(now)})
    return out


def renew(alerts: list[dict[str, Any]], now: datetime, lease: timedelta) -> list[dict[str, Any]]:
    """The firing alerts of an entry with their lease renewed (resolved ones are not sent again)."""
    out = []
    for a in alerts:
        if datetime.fromisoformat(a["endsAt"]) > now:
            out.append({**a, "endsAt": _iso(now + lease)})
    return out


def pagerduty_event(event: dict[str, Any], routing_key: str) -> dict[str, Any]:
    """The PagerDuty Events v2 event (``POST https://events.pagerduty.com/v2/enqueue``) of an incident event:
    ``trigger`` while firing (PagerDuty folds repeats by ``dedup_key``), ``resolve`` at the end."""
    data = event["data"]
    if data["status"] == "resolved":
        return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": data["incident_id"]}
    links = [{"href": data["dashboard_url"], "text": "dashboard"}] if data.get("dashboard_url") else []
    if data.get("runbook_url"):
        links.append({"href": data["runbook_url"], "text": "runbook"})
    return {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": data["incident_id"],
        "payload": {
            "summary": data["summary"][:1024],
            "source": event["source"],
            "severity": PAGERDUTY_SEVERITY[data["severity"]],
            "timestamp": event["time"],
            "component": data["topic"],
            "group": data.get("brand") or "",
            "class": event["type"],
            "custom_details": {
                "description": data["description"],
                "incident": data["incident"],
                "current": data["current"],
                "samples": data["samples"],
                "top_negative_authors": data["top_negative_authors"],
                "rising_terms": data["rising_terms"],
            },
        },
        "links": links,
    }
