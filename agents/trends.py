"""track_trends: mentions → event-time window statistics per topic and brand.

Flows in: ``mentions`` (one record per ingest batch and partition, key null; value: the batch's
mentions of topics in that partition, ``schemas.records.MentionBatch``; headers: the producer's event-time
watermark). Flows out: ``hashtag-stats`` (key: the topic; one record per closed minute and hour
window) and ``mentions.late`` (a mention, key: its topic, for a window already published, which only a source that
sat idle and then resumed with older posts can produce; ingest sets aside the ordinary late ones).

State: the table ``trend-windows`` (key: the topic, value: its open windows, changelog-backed), fed by
the ``mentions`` topic it is co-partitioned with. It is written once per batch per topic touched, and
its changelog partition is computed from the key, so a timer can close windows outside stream
iteration (a Faust table otherwise takes the partition from the current event). Windows close when the partition's
watermark passes their end plus the lateness (``streams.watermarks``): after each batch, and every
second on a timer, so that quiet topics close too. Faust's ``on_window_close`` is not used: with
many keys across partitions it has been seen to fire for only a few of them.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from functools import partial
from time import monotonic, time
from typing import TYPE_CHECKING, Any

import faust

from agents.continuity import mark_read_again, with_skipped
from agents.crisis import Crisis
from agents.delivery import delivered, fatal, send
from agents.ingest import send_dead_letter, send_part_dead_letter, stamp_watermarks
from agents.tables import add_table, keys_in, mark_events, partition_of, register_codec, restored_floor, values_of
from schemas.codec import (
    MENTION_CONTROL,
    dumps,
    header_map,
    loads,
    read_stamp,
)
from schemas.records import RejectReason, WindowStats
from streams.crisis import SAMPLE_TEXT_CHARS
from streams.enrich import BRAND_PREFIX
from streams.windows import LABELS, MAX_VALUE_BYTES, Observation, TopicHistory, TopicWindows, compound_e4

if TYPE_CHECKING:
    from agents.app import BrandpulseApp

log = logging.getLogger(__name__)

SWEEP_SECONDS = 1.0
HISTORY_SWEEP_SECONDS = 600.0


_WindowsValue = register_codec("brandpulse_windows", TopicWindows)
_HistoryValue = register_codec("brandpulse_history", TopicHistory)


#: A mention's (topic, its post's (partition, offset) in ``posts``, what the windows need of it, its fields)
MentionIn = tuple[str, tuple[int, int], Observation, dict[str, Any]]


def mentions_in(value: bytes) -> list[MentionIn]:
    """A ``mentions`` record's value (``schemas.records.MentionBatch``) → its mentions, in order."""
    doc = loads(value)
    out: list[MentionIn] = []
    for m in doc["mentions"]:
        label = m["label"]
        if label not in LABELS:
            raise ValueError(f"a mention's label must be one of {list(LABELS)}, not {label!r}")
        negative = label == "negative"
        obs = Observation(
            event_s=int(m["event_s"]),
            author_id=m["author_id"],
            compound_e4=compound_e4(m["compound"]),
            label=label,
            terms=tuple(m["terms"]),
            # What the crisis evidence keeps of a negative post (the others need none of it).
            post_id=m["post_id"] if negative else None,
            text=(m.get("text") or "")[:SAMPLE_TEXT_CHARS] if negative else None,
            author_handle=m.get("author_handle") if negative else None,
            followers=m.get("followers", 0) if negative else 0,
        )
        out.append((m["topic"], (int(m["source_partition"]), int(m["source_offset"])), obs, m))
    return out


class Trends:
    """The trend stage's runtime state on this worker: watermarks and the close schedule."""

    def __init__(self, app: BrandpulseApp) -> None:
        settings = app.bp.settings
        self.app = app
        self.settings = settings
        self.metrics = app.bp.metrics
        self.partitions = settings.topic_partitions
        self.lateness = settings.allowed_lateness_seconds
        self.idle = settings.topic_idle_seconds
        self.watermarks = stamp_watermarks(settings)
        wl = settings.watchlists
        #: Keys that publish zero windows while quiet and never expire: brands and their topics.
        self.watched: frozenset[str] = frozenset(
            {BRAND_PREFIX + b.name for b in wl.brands} | {t for b in wl.brands for t in b.topics}
        )
        #: partition -> heap of (watermark at which the key next has something to close, key)
        self.due: dict[int, list[tuple[int, bytes]]] = {}
        self.assigned: set[int] = set()
        #: mentions partition -> the next offset expected (agents.continuity); forgotten on revoke
        self.expected: dict[int, int] = {}
        self.needs_rebuild = False
        #: Folding a batch and closing windows both await deliveries part-way; the timer's sweep must not
        #: interleave with them on the same topic's state.
        self.lock = asyncio.Lock()
        self.table = add_table(app, "trend-windows", _WindowsValue,
                                 "Open minute and hour windows per topic and brand (key: the topic).")
        self.history = add_table(app, "trend-history", _HistoryValue,
                                   "Recent closed windows per topic and brand, for queries (key: the topic).")
        self.history_swept = monotonic()
        #: The crisis detectors, fed each minute window this stage closes.
        self.crisis = Crisis(app)
        #: topic -> (start of its latest closed minute, posts, baseline posts per minute, growth ratio)
        self.latest_minutes: dict[str, tuple[int, int, float, float]] = {}

    # -- partitions -------------------------------------------------------------------------------

    def partition_of(self, key: bytes) -> int:
        return partition_of(key, self.partitions)

    def on_assigned(self, partitions: set[int]) -> None:
        self.assigned = set(partitions)
        self.due = {p: self.due.get(p, []) for p in partitions}
        self.needs_rebuild = True  # recovered table keys need their close times scheduled

    def on_revoked(self, partitions: set[int]) -> None:
        for brand in self.settings.watchlists.names:
            if self.partition_of((BRAND_PREFIX + brand).encode()) in partitions:
                self.metrics.brand_released(brand)
        self.watermarks.forget(partitions)
        for p in partitions:
            self.due.pop(p, None)
            self.expected.pop(p, None)
        self.assigned -= partitions

    def _rebuild(self) -> None:
        self.due = {p: [] for p in self.assigned}
        self.crisis.rebuild(self.assigned, self.partition_of)
        for key, tw in values_of(self.table):
            if tw is not None:
                self._schedule(key, tw)
        self.needs_rebuild = False

    def continuous(self, topic: str) -> bool:
        """Whether the topic publishes zero windows while quiet: watched, or with an incident open."""
        return topic in self.watched or topic in self.crisis.open_topics

    def _schedule(self, key: bytes, tw: TopicWindows) -> None:
        at = tw.next_close_s(self.lateness, continuous=self.continuous(tw.topic), idle_s=self.idle)
        heap = self.due.get(self.partition_of(key))
        if at is not None and heap is not None:
            heapq.heappush(heap, (at, key))

    # -- folding ------------------------------------------------------------------------------------

    async def fold_batch(self, events: list[faust.types.EventT]) -> None:
        async with self.lock:
            try:
                holes: list = []
                events = await with_skipped(self.app, "trends", events, self.expected,
                                            partial(restored_floor, self.table), holes=holes)
                shed = await self._fold_batch(events)
                await self._close_due(shed)
                # After every value the batch changed, the shed ones included (agents.tables: batch marks).
                mark_events(self.table, events, self.assigned)
                await mark_read_again(self.app, holes)
            except Exception as exc:
                # State was changed in place before it was written: Faust would acknowledge the batch
                # as the generator closes, so stop before it commits and let the restart re-read it.
                log.exception("the trend stage failed part-way through a batch")
                fatal("the trend stage failed part-way through a batch: %r", exc)

    async def close_due(self) -> None:
        async with self.lock:
            try:
                await self._close_due()
            except Exception as exc:  # windows may be closed in memory but not published: restart
                log.exception("closing windows failed")
                fatal("closing windows failed: %r", exc)

    async def _fold_batch(self, events: list[faust.types.EventT]) -> dict[bytes, tuple[TopicWindows, int]]:
        """Fold a batch into the topics' windows and write each topic touched, except those that would outgrow
        the broker's message limit: those are returned (key → (windows, the watermark that sheds enough of
        them)) for :meth:`_close_due` to close and write."""
        touched: dict[bytes, TopicWindows] = {}
        dead: list[tuple[RejectReason, Any]] = []  # (reason, delivery) of records set aside
        now = monotonic()
        for event in events:
            msg = event.message
            headers = header_map(msg.headers)
            stamp = read_stamp(headers)
            if stamp is not None:
                self.watermarks.observe(msg.partition, *stamp, now)
            if MENTION_CONTROL in headers or not msg.value:
                continue  # a watermark announcement, nothing to fold
            try:
                mentions = mentions_in(msg.value)
            except Exception as exc:  # our own records: a bug, not bad input; keep it
                log.exception("mentions at %s[%s]@%s unreadable", msg.topic, msg.partition, msg.offset)
                dead.append(await self._dead_letter(event, RejectReason.PROCESSING_ERROR,
                                                    f"{type(exc).__name__}: {exc}"[:500]))
                continue
            # A record was applied to a topic's windows as a whole (one table write per batch), so a record
            # read again after a restart is recognised per topic by its offset; a post processed again by
            # ingest (a new record) by its source position.
            replayed: set[bytes] = set()
            for topic, source, obs, fields in mentions:
                key = topic.encode()
                if key in replayed:
                    self.metrics.trend_replayed.inc()
                    continue
                tw = touched.get(key) or self.table.get(key) or TopicWindows(topic)
                if key not in touched and tw.already_applied(msg.offset):
                    replayed.add(key)
                    self.metrics.trend_replayed.inc()
                    continue
                if tw.already_counted(source):
                    self.metrics.trend_replayed.inc()
                    continue
                touched[key] = tw  # even when late: the applied offset moved
                if not tw.add(obs, msg.offset, source):
                    # Only after a source sat idle past the grace period and resumed with older posts
                    # (ingest sets aside the posts late in their own partition).
                    self.metrics.late_mentions.inc()
                    dead.append(await self._set_aside_late(event, key, fields, (
                        f"{tw.topic}: the minute window of {datetime.fromtimestamp(obs.event_s):%Y-%m-%d %H:%M} "
                        f"UTC was already published (allowed lateness {self.lateness} s)")))
        for reason, future in dead:
            error = await delivered([future])
            if error is not None:
                fatal("Kafka refused a record the trend stage set aside: %r", error)
            if reason is not RejectReason.LATE:
                self.metrics.rejected_total.inc()
                self.metrics.by_reason[reason.value].inc()
        shed: dict[bytes, tuple[TopicWindows, int]] = {}
        for key, tw in touched.items():
            if self.assigned and self.partition_of(key) not in self.assigned:
                continue  # revoked while dead letters were delivered
            at = tw.shed_watermark(self.lateness)
            if at is not None:
                log.warning("%s holds %d open windows, over the %d-byte limit of a table value: closing its oldest "
                            "ones early (watermark %s for it); an input partition trails the others in event time",
                            tw.topic, len(tw.open), MAX_VALUE_BYTES, at)
                shed[key] = (tw, at)  # written once its oldest windows are closed
                continue
            self.table[key] = tw  # one changelog record per topic per batch
            self._schedule(key, tw)
        return shed

    async def _set_aside_late(self, event: faust.types.EventT, key: bytes, fields: dict[str, Any],
                              detail: str) -> tuple[RejectReason, Any]:
        """One late mention of a ``mentions`` record to ``mentions.late``: the mention alone, keyed by its topic,
        with the record's position as its source."""
        return RejectReason.LATE, await send_part_dead_letter(self.app.bp.topics.late, event, key, dumps(fields),
                                                              RejectReason.LATE, detail)

    async def _dead_letter(
        self, event: faust.types.EventT, reason: RejectReason, detail: str
    ) -> tuple[RejectReason, Any]:
        topic = self.app.bp.topics.late if reason is RejectReason.LATE else self.app.bp.topics.dlq
        return reason, await send_dead_letter(topic, event, reason, detail, self.settings.max_message_bytes)

    # -- closing ------------------------------------------------------------------------------------

    async def _close_due(self, shed: dict[bytes, tuple[TopicWindows, int]] | None = None) -> None:
        shed = shed or {}
        if self.needs_rebuild and not self.app.rebalancing and self.app.tables.recovery.completed.is_set():
            self._rebuild()
        now = monotonic()
        stats_topic = self.app.bp.topics.stats
        closing: list[tuple[bytes, TopicWindows, list[WindowStats], int]] = []
        for key, (tw, at) in shed.items():
            # Ahead of the watermark, so that the value fits: see TopicWindows.shed_watermark.
            watermark = max(at, self.watermarks.watermark(self.partition_of(key), now) or at)
            closed = tw.close(watermark, lateness_s=self.lateness, idle_s=self.idle,
                              continuous=self.continuous(tw.topic))
            self.metrics.windows_shed.inc(sum(1 for stats in closed if stats.posts))
            closing.append((key, tw, closed, watermark))
        for p, heap in self.due.items():
            watermark = self.watermarks.watermark(p, now)
            if watermark is None:
                continue
            seen: set[bytes] = set(shed)
            while heap and heap[0][0] <= watermark:
                _, key = heapq.heappop(heap)
                if key in seen:
                    continue
                seen.add(key)
                tw = self.table.get(key)
                if tw is None:
                    continue
                closed = tw.close(watermark, lateness_s=self.lateness, idle_s=self.idle,
                                  continuous=self.continuous(tw.topic))
                closing.append((key, tw, closed, watermark))
        # The crisis detectors see each closed minute, with the evidence of its negative posts.
        detecting = []
        for key, tw, closed, _ in closing:
            det, records = self.crisis.step(key, tw.topic, closed, tw.closed_evidence)
            tw.closed_evidence = {}
            if det is not None:
                detecting.append((key, det, records))
        # Every window and alert is published before any state records it as closed: a crash repeats a
        # window or an alert (with the same id), never loses one. One wait for all deliveries, not one per
        # topic (each would sit out the producer's linger).
        futures = [await send(stats_topic, key=key, value=dumps(stats))
                   for key, _, closed, _ in closing for stats in closed]
        futures += [await send(self.app.bp.topics.alerts, key=akey, value=value)
                    for _, _, records in detecting for akey, value, _ in records]
        error = await delivered(futures)
        if error is not None:
            fatal("Kafka refused a hashtag-stats or alerts record: %r", error)
        for key, det, records in detecting:
            if self.partition_of(key) in self.assigned:
                self.crisis.delivered(key, det, records)
        published_at = time()
        for key, tw, closed, watermark in closing:
            for stats in closed:
                self._count(stats, published_at)
            if self.partition_of(key) not in self.assigned:
                continue  # revoked while we waited: its new owner's changelog must not get our state
            if closed:
                self._remember(key, tw.topic, closed)
            if not self.continuous(tw.topic) and tw.expired(watermark, self.idle):
                if key in self.table:  # a topic shed in the batch that created it was never written
                    del self.table[key]
                self.crisis.forget(key)
                kept = self.history.get(key)
                if kept is not None and not kept.worth_keeping(watermark):
                    del self.history[key]
                self.latest_minutes.pop(tw.topic, None)
                self.metrics.trend_keys_expired.inc()
                continue
            if closed or key in shed:
                self.table[key] = tw
            self._schedule(key, tw)
        self.metrics.trend_keys.set(keys_in(self.table, self.partitions))
        self.metrics.crisis_detectors.set(len(self.crisis.table))
        self.metrics.trend_histories.set(len(self.history))
        if now - self.history_swept >= HISTORY_SWEEP_SECONDS:
            self.history_swept = now
            self._sweep_histories(now)

    def _sweep_histories(self, now: float) -> None:
        """Drop kept histories of expired topics once they are older than their span."""
        for key in [k for k, h in self.history.items() if k not in self.table and h is not None]:
            watermark = self.watermarks.watermark(self.partition_of(key), now)
            h = self.history.get(key)
            if watermark is not None and h is not None and not h.worth_keeping(watermark):
                del self.history[key]

    def _remember(self, key: bytes, topic: str, closed: list[WindowStats]) -> None:
        history = self.history.get(key) or TopicHistory(topic)
        for stats in closed:
            history.add(stats)
        self.history[key] = history  # one changelog record per topic per close
        if any(s.resolution == "minute" for s in closed):
            growth = history.growth()
            if growth is not None:
                self.latest_minutes[topic] = (history.windows["minute"][-1][0], *growth)

    def trending(self, limit: int) -> dict[str, Any]:
        """Topics of this worker in the latest closed minute, by volume and by growth on their own past."""
        if not self.latest_minutes:
            return {"minute": None, "by_volume": [], "by_growth": []}
        now_minute = max(v[0] for v in self.latest_minutes.values())
        for topic in [t for t, v in self.latest_minutes.items() if v[0] < now_minute - 300]:
            del self.latest_minutes[topic]  # bounded: only the last five minutes' topics stay
        rows = [{"topic": t, "posts": v[1], "baseline_per_minute": round(v[2], 3), "growth": round(v[3], 3)}
                for t, v in self.latest_minutes.items() if v[0] == now_minute and v[1] > 0]
        return {
            "minute": datetime.fromtimestamp(now_minute, UTC).isoformat().replace("+00:00", "Z"),
            "by_volume": sorted(rows, key=lambda r: (-r["posts"], r["topic"]))[:limit],
            "by_growth": sorted(rows, key=lambda r: (-r["growth"], -r["posts"], r["topic"]))[:limit],
        }

    def _count(self, stats: WindowStats, published_at: float) -> None:
        self.metrics.windows_emitted.labels(resolution=stats.resolution).inc()
        self.metrics.window_delay.labels(resolution=stats.resolution).observe(
            max(0.0, published_at - stats.window_end.timestamp()))
        if stats.kind == "brand" and stats.resolution == "minute":
            self.metrics.brand_window(stats)


def register(app: BrandpulseApp) -> Trends:
    trends = Trends(app)
    settings = app.bp.settings

    async def track_trends(stream: faust.StreamT) -> AsyncIterator[None]:
        """mentions (by topic) → hashtag-stats: minute and hour windows per topic and brand."""
        async for events in stream.take_events(settings.state_batch_max_records,
                                                 within=settings.state_batch_within_seconds):
            await trends.fold_batch(events)
            yield None

    trends.agent = app.agent(app.bp.topics.mentions, name="track_trends")(track_trends)

    @app.timer(interval=SWEEP_SECONDS, name="close_quiet_windows")
    async def close_quiet_windows() -> None:
        """Close the windows of topics that went quiet (event time follows the wall clock when idle)."""
        if trends.assigned and not app.timers_paused:
            await trends.close_due()  # stops the process itself on an unexpected error

    return trends
