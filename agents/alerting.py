"""forward_alerts: alerts → Alertmanager's API v2 (only when ``BRANDPULSE_ALERTMANAGER_URL`` is set).

Flows in: ``alerts`` (key: the incident's dedup key; CloudEvents JSON). Flows out: ``POST /api/v2/alerts``
to Alertmanager: the incident's alert with labels ``alertname``, ``brand``, ``severity``, ``topic``,
``incident`` and annotations ``summary``, ``description``, ``runbook_url``, ``dashboard_url``
(``streams.alerting`` has the mapping).

The agent only records what Alertmanager should hold, in the table ``alertmanager-alerts`` (key: the dedup
key, co-partitioned with ``alerts``), and marks it due. A timer sends what is due, retrying with
exponential backoff (1 s doubling up to ``BRANDPULSE_ALERTMANAGER_MAX_BACKOFF_SECONDS``) while
Alertmanager is unreachable, so an outage never holds up the alerts topic or the detectors. Every
``BRANDPULSE_ALERTMANAGER_RESEND_SECONDS`` the firing alerts are sent again with a renewed ``endsAt``, as
Prometheus does: Alertmanager resolves an alert that is not renewed. A resolved incident is sent once
more, with its ``endsAt``, and then leaves the table. The table survives a restart, so a new worker
keeps renewing what the old one had sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from time import monotonic
from typing import TYPE_CHECKING, Any

import aiohttp
import faust

from agents.tables import add_table, partition_of, register_codec
from schemas.codec import loads
from streams.alerting import alertmanager_alerts, renew

if TYPE_CHECKING:
    from agents.app import BrandpulseApp

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0


@dataclass(slots=True)
class Entry:
    """What Alertmanager should hold for one incident: its alerts, and whether they still need sending."""

    alerts: list[dict[str, Any]] = field(default_factory=list)
    firing: bool = True
    due: bool = True
    sequence: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"alerts": self.alerts, "firing": self.firing, "due": self.due, "sequence": self.sequence}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Entry:
        return cls(alerts=d["alerts"], firing=d["firing"], due=d["due"], sequence=d.get("sequence", 0))


_EntryValue = register_codec("brandpulse_alertmanager_entry", Entry)


class Forwarder:
    def __init__(self, app: BrandpulseApp) -> None:
        settings = app.bp.settings
        assert settings.alertmanager_url is not None
        self.app = app
        self.settings = settings
        self.metrics = app.bp.metrics
        self.url = f"{settings.alertmanager_url}/api/v2/alerts"
        self.partitions = settings.topic_partitions
        self.lease = timedelta(seconds=max(300.0, 4 * settings.alertmanager_resend_seconds))
        self.table = add_table(app, "alertmanager-alerts", _EntryValue,
                               "What Alertmanager should hold per incident (key: the dedup key).")
        self.assigned: set[int] = set()
        self.backoff = 0.0
        self.retry_at = 0.0
        self.resent_at = monotonic()
        self.session: aiohttp.ClientSession | None = None
        self.lock = asyncio.Lock()

    def owns(self, key: bytes) -> bool:
        """Whether this worker sends the key's alerts: its ``alerts`` partition is assigned here (a table
        also holds standby partitions, whose owner sends them)."""
        return partition_of(key, self.partitions) in self.assigned

    def on_assigned(self, partitions: set[int]) -> None:
        self.assigned = set(partitions)
        self.resent_at = 0.0  # renew everything we now own at the next tick

    def on_revoked(self, partitions: set[int]) -> None:
        self.assigned -= partitions

    def record(self, key: bytes, value: bytes) -> None:
        """One alerts record: what Alertmanager should now hold for its incident."""
        event = loads(value)
        now = datetime.now(UTC)
        alerts = alertmanager_alerts(event, now, self.lease)
        if not alerts:
            return  # a notice: never paged
        data = event["data"]
        entry = self.table.get(key) or Entry()
        if data["sequence"] <= entry.sequence:
            return  # an event seen before (a re-delivery): nothing new
        entry.alerts = alerts
        entry.firing = data["status"] == "firing"
        entry.due = True
        entry.sequence = data["sequence"]
        self.table[key] = entry

    async def tick(self) -> None:
        """Send what is due (and, every resend period, renew the firing alerts); back off on failure."""
        now_m = monotonic()
        if now_m < self.retry_at:
            return
        renew_all = now_m - self.resent_at >= self.settings.alertmanager_resend_seconds
        now = datetime.now(UTC)
        batch: list[tuple[bytes, Entry, int]] = []
        firing = 0
        for key, entry in list(self.table.items()):
            if entry is None or not self.owns(key):
                continue
            firing += entry.firing
            if renew_all and entry.firing and not entry.due:
                entry.alerts = renew(entry.alerts, now, self.lease)
                entry.due = True
            if entry.due:
                batch.append((key, entry, entry.sequence))
        self.metrics.alertmanager_alerts.labels(state="firing").set(firing)
        self.metrics.alertmanager_alerts.labels(state="pending").set(len(batch))
        if renew_all:
            self.resent_at = now_m
        if not batch:
            return
        payload = [a for _, entry, _ in batch for a in entry.alerts]
        error = await self._post(payload)
        if error is not None:
            self.metrics.alertmanager_posts.labels(outcome="error").inc()
            self.backoff = min(self.settings.alertmanager_max_backoff_seconds, max(1.0, self.backoff * 2))
            self.retry_at = monotonic() + self.backoff
            log.warning("Alertmanager at %s: %s; %d alerts kept, retrying in %.0f s", self.url, error,
                        len(payload), self.backoff)
            return
        self.metrics.alertmanager_posts.labels(outcome="ok").inc()
        self.backoff = 0.0
        for key, entry, sequence in batch:
            if not self.owns(key):
                continue  # revoked while we posted
            if entry.sequence != sequence:
                continue  # a newer event arrived while we posted: it is due itself
            if entry.firing:
                entry.due = False
                self.table[key] = entry
            else:
                del self.table[key]  # resolved, and Alertmanager knows
        self.metrics.alertmanager_alerts.labels(state="pending").set(0)

    async def _post(self, payload: list[dict[str, Any]]) -> str | None:
        if self.session is None:
            self.session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.settings.alertmanager_timeout_seconds))
        try:
            async with self.session.post(self.url, json=payload) as resp:
                if 200 <= resp.status < 300:
                    return None
                body = (await resp.text())[:300]
                return f"HTTP {resp.status}: {body}"
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return f"{type(exc).__name__}: {exc}"

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
            self.session = None


def register(app: BrandpulseApp) -> Forwarder | None:
    if app.bp.settings.alertmanager_url is None:
        return None
    fwd = Forwarder(app)

    async def forward_alerts(stream: faust.StreamT) -> AsyncIterator[None]:
        """alerts (by dedup key) → Alertmanager API v2: open / escalate / update / resolve of each incident."""
        async for event in stream.events():
            if event.message.key is not None and event.message.value:
                try:
                    fwd.record(event.message.key, event.message.value)
                except Exception:  # our own records: a bug, not bad input; skip it and say so
                    log.exception("alert at %s[%s]@%s unreadable", event.message.topic, event.message.partition,
                                  event.message.offset)
            yield None

    fwd.agent = app.agent(app.bp.topics.alerts, name="forward_alerts")(forward_alerts)  # type: ignore[attr-defined]

    @app.timer(interval=TICK_SECONDS, name="post_to_alertmanager")
    async def post_to_alertmanager() -> None:
        """Send the alerts Alertmanager should hold, with retries and backoff."""
        if app.timers_paused:
            return
        async with fwd.lock:
            await fwd.tick()

    @app.on_before_shutdown.connect
    async def _close_session(sender: object, **kwargs: object) -> None:
        await fwd.close()

    return fwd
