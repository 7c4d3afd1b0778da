"""The crisis stage: one detector per topic and brand, fed the minute windows the trend stage closes.

Flows in: each closed minute window of a key (``WindowStats`` and its negative-post evidence), handed over
by ``track_trends`` as it closes them, on the same worker and partition. Flows out: ``alerts`` (key: the
incident's dedup key; value: a CloudEvents 1.0 event in structured JSON mode, schema
``schemas/jsonschema/alert.schema.json``): incident open / escalate / update / resolve, and notices.

Why in the trend stage and not an agent on ``hashtag-stats``: the evidence (sample negative posts, the
negative voices) lives with the open windows, and a second hop would cost Faust's per-message overhead
for every window of every topic. The detector state lives in its own table, ``crisis-detectors`` (key: the
topic, co-partitioned with ``mentions``), written after the alerts of a close are delivered: a crash
publishes an event again with the same id, never loses one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from agents.tables import add_table, register_codec
from schemas.codec import dumps
from schemas.records import AlertEvent, WindowStats
from streams.crisis import SEVERITIES, Detector, Evidence, Minute, Transition, alert_data, notice_data
from streams.enrich import BRAND_PREFIX
from streams.windows import topic_kind

if TYPE_CHECKING:
    from agents.app import BrandpulseApp

log = logging.getLogger(__name__)

ALERT_SCHEMA_URL = "https://brandpulse.dev/schemas/alert.schema.json"
INCIDENT_TYPE = "dev.brandpulse.incident."
NOTICE_TYPE = "dev.brandpulse.notice."

_DetectorValue = register_codec("brandpulse_detector", Detector)


class Crisis:
    """The crisis stage's runtime: which keys are watched, the detector table, the alert records."""

    def __init__(self, app: BrandpulseApp) -> None:
        settings = app.bp.settings
        self.app = app
        self.settings = settings
        self.metrics = app.bp.metrics
        self.cfg = settings.crisis_config()
        self.scope = settings.crisis_scope
        self.source = f"/brandpulse/{settings.app_id}"
        wl = settings.watchlists
        #: brand name -> its topics; topic -> the brands it stands for
        self.brand_topics: dict[str, tuple[str, ...]] = {b.name: tuple(sorted(b.topics)) for b in wl.brands}
        self.topic_brands: dict[str, list[str]] = {}
        for b in wl.brands:
            for t in b.topics:
                self.topic_brands.setdefault(t, []).append(b.name)
        self.table = add_table(app, "crisis-detectors", _DetectorValue,
                               "The crisis detector of each topic and brand (key: the topic).")
        #: incident id -> (topic, severity, brand or None) of the incidents open on this worker
        self.open_incidents: dict[str, tuple[str, str, str | None]] = {}
        #: topics with an open incident: they publish zero windows while quiet (as watched ones do), so
        #: that their incident sees the quiet minutes that resolve it
        self.open_topics: set[str] = set()

    def watches(self, topic: str) -> bool:
        """Whether the key runs a detector. A watched brand's own topics do not: the brand's detector sees
        all their posts, so one crisis pages once, as the brand, not once per hashtag."""
        if self.scope == "off" or topic in self.topic_brands:
            return False
        return self.scope == "all" or topic.startswith(BRAND_PREFIX)

    def brand_of(self, topic: str) -> str | None:
        if topic.startswith(BRAND_PREFIX):
            return topic[len(BRAND_PREFIX):]
        brands = self.topic_brands.get(topic)
        return brands[0] if brands else None

    def dashboard_url(self, topic: str, brand: str | None, start_s: int, end_s: int) -> str:
        template = self.settings.dashboard_url
        if template:
            return template.format(topic=quote(topic, safe=""), brand=quote(brand or "", safe=""),
                                   from_ms=start_s * 1000, to_ms=end_s * 1000)
        def iso(s: int) -> str:
            return datetime.fromtimestamp(s, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return (f"{self.settings.web_url}/topics/{quote(topic, safe='')}/trend?resolution=minute"
                f"&from={iso(start_s)}&to={iso(end_s)}")

    # -- one close -----------------------------------------------------------------------------------

    def step(self, key: bytes, topic: str, closed: list[WindowStats],
             evidence: dict[int, Evidence]) -> tuple[Detector | None, list[tuple[bytes, bytes, Transition]]]:
        """Fold a key's newly closed minute windows into its detector: the detector (to write once the
        records are delivered) and the alert records (key, value, transition) to send."""
        if not self.watches(topic):
            return None, []
        minutes = [s for s in closed if s.resolution == "minute"]
        if not minutes:
            return None, []
        det = self.table.get(key) or Detector(topic)
        records = []
        for stats in minutes:
            start = int(stats.window_start.timestamp())
            for t in det.step(Minute.of(stats), self.cfg, evidence.get(start), stats):
                records.append((t.incident_id.encode(), dumps(self.event(t)), t))
        return det, records

    def event(self, t: Transition) -> AlertEvent:
        brand = self.brand_of(t.topic)
        start = min(t.onset_s, t.minute.start_s) - 3600
        end = t.minute.start_s + 3600
        link = self.dashboard_url(t.topic, brand, start, end)
        data: Any
        if t.is_notice:
            data = notice_data(t, brand=brand, dashboard_url=link)
            kind, event_id = NOTICE_TYPE + t.event, t.incident_id
        else:
            topics = self.brand_topics.get(brand, (t.topic,)) if brand and t.topic.startswith(BRAND_PREFIX) \
                else (t.topic,)
            data = alert_data(t, kind=topic_kind(t.topic), brand=brand, topics=topics, dashboard_url=link,
                              runbook_url=self.settings.runbook_url)
            kind, event_id = INCIDENT_TYPE + t.event, f"{t.incident_id}/{t.sequence}"
        return AlertEvent(
            specversion="1.0", id=event_id, source=self.source, type=kind, subject=t.topic,
            time=datetime.fromtimestamp(t.minute.start_s + 60, UTC), datacontenttype="application/json",
            dataschema=ALERT_SCHEMA_URL, data=data,
        )

    def delivered(self, key: bytes, det: Detector, records: list[tuple[bytes, bytes, Transition]]) -> None:
        """The key's alert records are on the topic: write its detector, count, log."""
        self.table[key] = det
        changed = False
        for _, _, t in records:
            if t.is_notice:
                self.metrics.notices.labels(kind=t.event).inc()
                log.info("notice %s: %s", t.event, t.topic)
                continue
            assert t.severity is not None
            self.metrics.alert_events.labels(event=t.event, severity=t.severity).inc()
            changed = True
            if t.event == "resolve":
                self.open_incidents.pop(t.incident_id, None)
            else:
                self.open_incidents[t.incident_id] = (t.topic, t.severity, self._gauge_brand(t.topic))
            log.warning("incident %s %s (%s): %d negatives since %s, %.1fx expected", t.incident_id, t.event,
                        t.severity, t.incident.negatives, datetime.fromtimestamp(t.onset_s, UTC).isoformat(),
                        t.incident.negatives_ratio)
        if changed:  # not on every closed minute of every key: most change no incident
            self._gauges()

    def forget(self, key: bytes) -> None:
        """The key's windows expired, and its detector goes with them. A key with an open incident does not
        expire: it publishes zero windows until the quiet minutes resolve it."""
        if key in self.table:
            del self.table[key]

    def rebuild(self, assigned: set[int], partition_of: Callable[[bytes], int]) -> None:
        """After a rebalance or a restart: the open incidents of this worker's partitions, from the table."""
        self.open_incidents = {}
        for key, det in self.table.items():
            if det is not None and det.frozen and partition_of(key) in assigned:
                assert det.incident is not None and det.severity is not None
                self.open_incidents[det.incident] = (det.topic, det.severity, self._gauge_brand(det.topic))
        self._gauges()

    def _gauge_brand(self, topic: str) -> str | None:
        """The brand whose severity gauge an incident of ``topic`` sets: only a brand's own key does."""
        return self.brand_of(topic) if topic.startswith(BRAND_PREFIX) else None

    def _gauges(self) -> None:
        self.open_topics = {topic for topic, _, _ in self.open_incidents.values()}
        counts = dict.fromkeys(SEVERITIES, 0)
        brands: dict[str, int] = {}
        for _, severity, brand in self.open_incidents.values():
            counts[severity] += 1
            if brand is not None:
                brands[brand] = max(brands.get(brand, 0), SEVERITIES.index(severity) + 1)  # type: ignore[arg-type]
        for severity, n in counts.items():
            self.metrics.incidents_open.labels(severity=severity).set(n)
        for brand in self.brand_topics:
            self.metrics.brand_incident_severity.labels(brand=brand).set(brands.get(brand, 0))
