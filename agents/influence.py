"""score_authors and rank_influencers: who moves the conversation, per topic, sentiment, hour and day.

Two stages, because the score needs two keys. Relevance is a share of the *author's* activity, so the author
stage is keyed by author; a ranking compares the authors of one *topic*, so the ranking stage is keyed by
topic. Re-keying between them is an explicit send (STYLE.md)::

    influence.activity   (by author id)    ──score_authors──>    influence.candidates (key: topic)
    influence.candidates (by topic)        ──rank_influencers──> influencers          (key: topic)

``score_authors`` folds each activity (``streams.influence.AuthorState``: the latest profile, the author's
hour and day windows, per topic the posts and the engagement they drew) and sends, once per batch, the
author's new standing on every topic whose score changed. ``rank_influencers`` keeps, per topic, window and
sentiment, the best ``CANDIDATES_PER_SENTIMENT`` authors, and publishes the window's ranking (top 5 per
sentiment and the influencer map) on ``influencers`` whenever a top 5 changes.

Both write their table once per batch per key touched, after what they send is delivered: a crash repeats a
send (downstream takes the latest per key and window), never loses one; a re-read activity is recognised by
its offset. Keys with no activity for a day and an hour of event time are forgotten (event time as this
worker sees it on that stage, so a replay of last month keeps its state as the live run did).
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import time
from collections.abc import AsyncIterator, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

import faust

from agents.continuity import mark_read_again, with_skipped
from agents.delivery import delivered, fatal, send, send_batched
from agents.ingest import send_dead_letter, send_part_dead_letter, stamp_watermarks
from agents.tables import (
    KeyPartitionedTable,
    add_table,
    is_mark,
    keys_in,
    mark_events,
    partition_of,
    register_codec,
    restored_floor,
    values_of,
)
from schemas.codec import MENTION_PRODUCER, dumps, header_map, loads, read_stamp, stamp_headers
from schemas.records import RejectReason
from streams.enrich import BRAND_PREFIX
from streams.influence import (
    MAP_DEPTH,
    SIZES,
    ActivityIn,
    AuthorState,
    CandidateIn,
    TopicRanking,
    iso_utc,
)
from streams.places import gazetteer, locate
from streams.windows import MAX_VALUE_BYTES, topic_kind

if TYPE_CHECKING:
    from agents.app import BrandpulseApp

log = logging.getLogger(__name__)

EXPIRY_SWEEP_SECONDS = 10.0
#: A key is looked at again this long (event time) after its last activity.
KEEP_S = SIZES["day"] + SIZES["hour"]
#: An activity dated further than this past the wall clock is left out (a wrong clock or a bad post): its
#: event time would open windows that push every real one out, and expire every key.
FUTURE_ALLOWANCE_S = 3600
#: Most author standings of one topic in one part of an influence.candidates record (about 650 bytes each).
CANDIDATES_PER_PART = 200

_AuthorValue = register_codec("brandpulse_influence_author", AuthorState, MAX_VALUE_BYTES)


def entry_key(topic: str, resolution: str, start: int, author_id: str | None) -> bytes:
    """The ranking table's key of one author's entry in one window (author None: the window's meta)."""
    return dumps([topic, resolution, start, author_id])


class RankingEntries(KeyPartitionedTable):
    """The ranking table: one entry per (topic, window, author), in the partition of the topic, so that it is
    co-partitioned with ``influence.candidates`` and a query for the topic finds its owner."""

    def partition_for_key(self, key: Any) -> int:
        if is_mark(key):
            return super().partition_for_key(key)
        return partition_of(loads(key)[0].encode(), self.partitions or 1)


class _Stage:
    """What both stages share: state per key, the assigned partitions, event time seen, an expiry schedule.

    The author stage's state per key is its table's value; the ranking stage overrides ``value`` / ``items`` /
    ``forget`` to keep its state in memory, persisted entry by entry."""

    def __init__(self, app: BrandpulseApp, table: faust.Table, name: str, budget: int,
                 protected: frozenset[bytes] = frozenset()) -> None:
        self.app = app
        self.metrics = app.bp.metrics
        self.table = table
        self.name = name
        #: most table keys this worker keeps (see ``evict``), and keys never evicted
        self.budget = budget
        self.protected = protected
        self.partitions = app.bp.settings.topic_partitions
        self.assigned: set[int] = set()
        self.lock = asyncio.Lock()
        #: input partition -> the next offset expected (agents.continuity); forgotten on revoke
        self.expected: dict[int, int] = {}
        #: newest event time this worker has seen on the stage's input
        self.now_s = 0
        #: heap of (event time at which to look at the key again, key); one entry per key
        self.due: list[tuple[int, bytes]] = []
        self.scheduled: set[bytes] = set()
        self.needs_rebuild = False
        self.lateness = app.bp.settings.allowed_lateness_seconds
        #: per input partition, the event-time watermark its records are stamped with (as on ``mentions``):
        #: a window older than the previous one is kept until it passes (``streams.influence.kept``)
        self.watermarks = stamp_watermarks(app.bp.settings)

    def observe(self, msg: Any, now: float) -> int | None:
        """Take a record's watermark stamp, if it has one; the watermark of its partition."""
        stamp = read_stamp(header_map(msg.headers))
        if stamp is not None:
            self.watermarks.observe(msg.partition, *stamp, now)
        return self.watermarks.watermark(msg.partition, now)

    def stamp(self, producer: tuple[str, bytes], now: float) -> list[tuple[str, bytes]]:
        """Headers for what this stage sends on: the lowest watermark of the assigned partitions that have one,
        and those partitions (so the next stage keeps a window until every partition has passed it)."""
        known = {p: w for p in self.assigned if (w := self.watermarks.watermark(p, now)) is not None}
        if not known:
            return [producer]
        return [producer, *stamp_headers(min(known.values()), known)]

    def owns(self, key: bytes) -> bool:
        return partition_of(key, self.partitions) in self.assigned

    def on_assigned(self, partitions: set[int]) -> None:
        self.assigned = set(partitions)
        self.needs_rebuild = True

    def on_revoked(self, partitions: set[int]) -> None:
        self.assigned -= partitions
        self.watermarks.forget(partitions)
        for p in partitions:
            self.expected.pop(p, None)

    def schedule(self, key: bytes, last_event_s: int) -> None:
        """Look at the key once its idle horizon has passed (one heap entry per key: a key touched again is
        re-scheduled when its entry comes up and it is not yet idle)."""
        if key not in self.scheduled:
            self.scheduled.add(key)
            heapq.heappush(self.due, (last_event_s + KEEP_S, key))

    def expire(self) -> int:
        """Forget the keys of owned partitions idle for KEEP_S of event time; how many went."""
        if self.needs_rebuild:
            if self.app.rebalancing or not self.app.tables.recovery.completed.is_set():
                return 0
            self.rebuild()
            self.due = [(v.last_event_s + KEEP_S, k) for k, v in self.items() if v is not None]
            heapq.heapify(self.due)
            self.scheduled = {k for _, k in self.due}
            self.needs_rebuild = False
            self.now_s = max([self.now_s, *(v.last_event_s for _, v in self.items() if v is not None)])
        gone = 0
        while self.due and self.due[0][0] <= self.now_s:
            due = self._next_due()
            if due is None:
                break
            _, key, value = due
            if value.expired(self.now_s):
                self.forget(key)
                gone += 1
            else:
                self.schedule(key, value.last_event_s)
        return gone

    def _next_due(self) -> tuple[int, bytes, Any] | None:
        """Pop the expiry schedule's earliest entry of an owned key that still has state (None: no more)."""
        while self.due:
            at, key = heapq.heappop(self.due)
            self.scheduled.discard(key)
            if self.owns(key):
                value = self.value(key)
                if value is not None:
                    return at, key, value
        return None

    def evict(self) -> int:
        """Forget the least recently active keys (by event time) of owned partitions until the table holds at
        most ``budget`` keys; how many went. The expiry heap is ordered by last activity already: an entry whose
        key was active since it was scheduled is put back where it now belongs, so what goes is the least
        recently active key."""
        if self.needs_rebuild or len(self.table) <= self.budget:
            return 0
        gone, kept = 0, []
        while len(self.table) > self.budget:
            due = self._next_due()
            if due is None:
                break
            at, key, value = due
            if value.last_event_s + KEEP_S > at:
                self.schedule(key, value.last_event_s)
            elif key in self.protected:
                kept.append((at, key))
            else:
                self.forget(key)
                gone += 1
        for at, key in kept:
            heapq.heappush(self.due, (at, key))
            self.scheduled.add(key)
        return gone

    async def settle(self, futures: list[Any], dead: int) -> None:
        """Wait for every send of a batch; stop the worker if Kafka refused one (the batch is then re-read)."""
        error = await delivered(futures)
        if error is not None:
            fatal("Kafka refused a record of the influence %s stage: %r", self.name, error)
        if dead:
            self.metrics.rejected_total.inc(dead)
            self.metrics.by_reason[RejectReason.PROCESSING_ERROR.value].inc(dead)

    def value(self, key: bytes) -> Any:
        return self.table.get(key)

    def items(self) -> Iterable[tuple[bytes, Any]]:
        return values_of(self.table)

    def forget(self, key: bytes) -> None:
        del self.table[key]

    def rebuild(self) -> None:
        """After an assignment, once the table is recovered: derive what is kept in memory."""

    def __len__(self) -> int:
        return keys_in(self.table, self.partitions)


class _RankingStage(_Stage):
    """The ranking stage's state: :class:`TopicRanking` per topic in memory, one table entry per (topic,
    window, author) and one per window for its meta. Its changelog carries what changed, not whole rankings
    (a topic's ranking is up to 600 authors: rewriting it per batch cost 20 KB of changelog per post)."""

    def __init__(self, app: BrandpulseApp, table: faust.Table, name: str, budget: int,
                 protected: frozenset[bytes] = frozenset()) -> None:
        super().__init__(app, table, name, budget, protected)
        self.index: dict[bytes, TopicRanking] = {}

    def value(self, key: bytes) -> TopicRanking | None:
        return self.index.get(key)

    def items(self) -> Iterable[tuple[bytes, TopicRanking]]:
        return self.index.items()

    def forget(self, key: bytes) -> None:
        ranking = self.index.pop(key)
        for (resolution, start), window in ranking.windows.items():
            for held in window.held.values():
                for author_id in held:
                    self.table.pop(entry_key(ranking.topic, resolution, start, author_id), None)
            self.table.pop(entry_key(ranking.topic, resolution, start, None), None)

    def persist(self, key: bytes, ranking: TopicRanking) -> None:
        """Write what changed in ``ranking`` since it was last persisted: an entry per author changed."""
        for resolution, start, author_id, value in ranking.changes():
            k = entry_key(ranking.topic, resolution, start, author_id)
            if value is None:
                self.table.pop(k, None)
            else:
                self.table[k] = dumps(value)
        self.index[key] = ranking

    def rebuild(self) -> None:
        grouped: dict[str, list[tuple[str, int, str | None, dict[str, Any]]]] = {}
        for k, v in values_of(self.table):
            if v is None:
                continue
            topic, resolution, start, author_id = loads(k)
            if self.owns(topic.encode()):
                grouped.setdefault(topic, []).append((resolution, start, author_id, loads(v)))
        self.index = {t.encode(): TopicRanking.from_entries(t, entries) for t, entries in grouped.items()}

    def ensure_index(self) -> None:
        if self.needs_rebuild and not self.app.rebalancing and self.app.tables.recovery.completed.is_set():
            self.expire()  # rebuilds the index and the expiry schedule

    def on_revoked(self, partitions: set[int]) -> None:
        super().on_revoked(partitions)
        for key in [k for k in self.index if not self.owns(k)]:
            del self.index[key]

    def __len__(self) -> int:
        return len(self.index)


class Influence:
    """The influence stages' runtime state on this worker."""

    def __init__(self, app: BrandpulseApp) -> None:
        self.app = app
        self.settings = app.bp.settings
        self.metrics = app.bp.metrics
        self.weights = self.settings.influence_weights
        wl = self.settings.watchlists
        #: rankings never evicted for the budget: the watched brands and their topics
        watched = frozenset({(BRAND_PREFIX + b.name).encode() for b in wl.brands}
                            | {t.encode() for b in wl.brands for t in b.topics})
        self.authors = _Stage(app, add_table(
            app, "influence-authors", _AuthorValue,
            "Per author: the latest profile and hour / day activity per topic (key: the author id)."), "authors",
            self.settings.influence_max_authors)
        self.rankings = _RankingStage(app, add_table(
            app, "influence-rankings", bytes,
            "Per topic, window and author: the author's standing (key: [topic, resolution, start, author id]; "
            "author null: the window's meta).", table_class=RankingEntries), "rankings",
            self.settings.influence_max_entries, protected=watched)

    # -- the author stage ---------------------------------------------------------------------------

    async def fold_activity(self, events: list[faust.types.EventT]) -> None:
        async with self.authors.lock:
            try:
                holes: list = []
                events = await with_skipped(self.app, "influence-authors", events, self.authors.expected,
                                            partial(restored_floor, self.authors.table), holes=holes)
                await self._fold_activity(events)
                # After every value the batch changed (agents.tables: batch marks).
                mark_events(self.authors.table, events, self.authors.assigned)
                await mark_read_again(self.app, holes)
            except Exception as exc:  # state changed in place before it was written: re-read after a restart
                log.exception("the influence author stage failed part-way through a batch")
                fatal("the influence author stage failed part-way through a batch: %r", exc)

    async def _fold_activity(self, events: list[faust.types.EventT]) -> None:
        stage, metrics = self.authors, self.metrics
        #: author key -> (state, windows touched, topics touched)
        touched: dict[bytes, tuple[AuthorState, set[tuple[str, int]], set[str]]] = {}
        dead: list[Any] = []
        horizon = time.time() + FUTURE_ALLOWANCE_S
        # What goes on carries the watermark as it stood before the batch, as ingest's records do: each activity
        # is on time against its own record's stamp, and an earlier record's may be lower than the last one's.
        headers = stage.stamp((MENTION_PRODUCER, self.app.bp.producer_id.encode()), time.monotonic())
        for event in events:
            msg = event.message
            watermark = stage.observe(msg, time.monotonic())
            if not msg.value:
                continue
            try:
                doc = loads(msg.value)
                if not isinstance(doc, dict) or not isinstance(doc.get("activities"), list):
                    raise ValueError("an activity record must be an object with a list of activities")
            except Exception as exc:  # our own records: a bug, not bad input; keep it
                log.exception("activities at %s[%s]@%s unreadable", msg.topic, msg.partition, msg.offset)
                dead.append(await self._dead_letter(event, f"{type(exc).__name__}: {exc}"[:500]))
                continue
            # A record is applied to an author's state as a whole (one table write per batch): read again after a
            # restart, it is recognised per author by its offset; a post processed again by ingest (a new record)
            # by its source position.
            replayed: set[bytes] = set()
            for d in doc["activities"]:
                try:
                    act = ActivityIn.from_json(d)
                    source = (int(d["source_partition"]), int(d["source_offset"]))
                except Exception as exc:
                    log.exception("an activity at %s[%s]@%s unreadable", msg.topic, msg.partition, msg.offset)
                    dead.append(await self._dead_letter_part(event, d, f"{type(exc).__name__}: {exc}"[:500]))
                    continue
                key = act.author_id.encode()
                if is_mark(key):  # a hostile author id: it would overwrite a batch mark (agents.tables)
                    dead.append(await self._dead_letter_part(event, d, "an author id may not start with NUL"))
                    continue
                entry = touched.get(key)
                state = entry[0] if entry else (stage.table.get(key) or AuthorState(act.author_id))
                if key in replayed or (entry is None and state.already_applied(msg.offset)):
                    replayed.add(key)
                    metrics.influence_replayed.inc()
                    continue
                if state.already_counted(source):
                    metrics.influence_replayed.inc()
                    continue
                if act.event_s > horizon:
                    metrics.influence_future.inc()
                    continue
                windows = state.apply(act, msg.offset, source, watermark, stage.lateness)
                if not windows:
                    metrics.influence_late.labels(stage="authors").inc()
                entry = touched.setdefault(key, (state, set(), set()))
                entry[1].update(windows)
                entry[2].update(act.topics)
                metrics.influence_activities.labels(role=act.role).inc()
                stage.now_s = max(stage.now_s, act.event_s)
        futures = list(dead)
        sent = 0
        by_topic: dict[str, list[dict[str, Any]]] = {}
        for state, windows, topics in touched.values():
            for topic, resolution, start, inf in state.candidates(sorted(windows), topics, self.weights, locate):
                by_topic.setdefault(topic, []).append(
                    {"resolution": resolution, "window_start": iso_utc(start), "influencer": inf})
                sent += 1
        # One record per topic and batch (in chunks), not one per author: Faust's per-message cost dominates.
        # Re-keyed once per batch: one record per partition holding every topic of it, not one per topic.
        parts = [(partition_of(topic.encode(), stage.partitions),
                  dumps({"topic": topic, "candidates": standings[i:i + CANDIDATES_PER_PART]}))
                 for topic, standings in by_topic.items() for i in range(0, len(standings), CANDIDATES_PER_PART)]
        futures += [future for future, _ in await send_batched(self.app.bp.topics.candidates, "topics", parts,
                                                               headers)]
        await stage.settle(futures, len(dead))
        metrics.influence_candidates.inc(sent)
        for key, (state, _, _) in touched.items():
            if stage.assigned and not stage.owns(key):
                continue  # revoked while we waited: its new owner's changelog must not get our state
            # Windows the watermark has passed go once their candidates are out, not while the batch folds.
            state.prune(stage.watermarks.watermark(partition_of(key, stage.partitions), time.monotonic()),
                        stage.lateness)
            stage.table[key] = state  # one changelog record per author per batch
            stage.schedule(key, state.last_event_s)
        evicted = stage.evict()
        if evicted:
            metrics.influence_evicted.labels(table="influence-authors").inc(evicted)
        metrics.influence_authors.set(len(stage))

    async def _dead_letter(self, event: faust.types.EventT, detail: str) -> Any:
        return await send_dead_letter(self.app.bp.topics.dlq, event, RejectReason.PROCESSING_ERROR, detail,
                                      self.settings.max_message_bytes)

    async def _dead_letter_part(self, event: faust.types.EventT, part: Any, detail: str) -> Any:
        """One unreadable part of a batch record (an activity, a topic's candidates): that part alone, with the
        record's position."""
        return await send_part_dead_letter(self.app.bp.topics.dlq, event, None, dumps(part),
                                           RejectReason.PROCESSING_ERROR, detail)

    # -- the ranking stage --------------------------------------------------------------------------

    async def fold_candidates(self, events: list[faust.types.EventT]) -> None:
        async with self.rankings.lock:
            try:
                holes: list = []
                events = await with_skipped(self.app, "influence-rankings", events, self.rankings.expected,
                                            partial(restored_floor, self.rankings.table), holes=holes)
                await self._fold_candidates(events)
                # After every entry the batch changed (agents.tables: batch marks).
                mark_events(self.rankings.table, events, self.rankings.assigned, raw=True)
                await mark_read_again(self.app, holes)
            except Exception as exc:
                log.exception("the influence ranking stage failed part-way through a batch")
                fatal("the influence ranking stage failed part-way through a batch: %r", exc)

    async def _fold_candidates(self, events: list[faust.types.EventT]) -> None:
        stage, metrics = self.rankings, self.metrics
        stage.ensure_index()
        touched: dict[bytes, tuple[TopicRanking, set[tuple[str, int]]]] = {}
        dead: list[Any] = []
        for event in events:
            msg = event.message
            watermark = stage.observe(msg, time.monotonic())
            if not msg.value:
                continue
            try:
                doc = loads(msg.value)
                if not isinstance(doc, dict) or not isinstance(doc.get("topics"), list):
                    raise ValueError("a candidates record must be an object with a list of topics")
            except Exception as exc:
                log.exception("candidates at %s[%s]@%s unreadable", msg.topic, msg.partition, msg.offset)
                dead.append(await self._dead_letter(event, f"{type(exc).__name__}: {exc}"[:500]))
                continue
            for part in doc["topics"]:
                try:
                    if not isinstance(part, dict) or not isinstance(part.get("topic"), str) \
                            or not isinstance(part.get("candidates"), list):
                        raise ValueError("a topic's candidates must be an object with a topic and a list")
                    candidates = [CandidateIn.from_json(c) for c in part["candidates"]]
                except Exception as exc:
                    log.exception("candidates at %s[%s]@%s unreadable", msg.topic, msg.partition, msg.offset)
                    dead.append(await self._dead_letter_part(event, part, f"{type(exc).__name__}: {exc}"[:500]))
                    continue
                key = part["topic"].encode()
                entry = touched.get(key)
                ranking = entry[0] if entry else (stage.index.get(key) or TopicRanking(part["topic"]))
                entry = touched.setdefault(key, (ranking, set()))
                for candidate in candidates:
                    if ranking.upsert(candidate, watermark, stage.lateness):
                        entry[1].add((candidate.resolution, candidate.start))
                    else:
                        metrics.influence_late.labels(stage="rankings").inc()
                    stage.now_s = max(stage.now_s, candidate.event_s)
        futures = list(dead)
        published: list[str] = []
        for key, (ranking, windows) in touched.items():
            for resolution, start in sorted(windows):
                window = ranking.windows[(resolution, start)]  # windows go after publishing (below), not before
                signature = window.signature()
                if signature == window.published:
                    continue
                record = ranking.ranking(resolution, start, topic_kind(ranking.topic))
                futures.append(await send(self.app.bp.topics.influencers, key=key, value=dumps(record)))
                window.published, window.meta_dirty = signature, True
                published.append(resolution)
        await stage.settle(futures, len(dead))
        for resolution in published:
            metrics.influence_rankings.labels(resolution=resolution).inc()
        now = time.monotonic()
        for key, (ranking, _) in touched.items():
            if stage.assigned and not stage.owns(key):
                continue
            ranking.prune(stage.watermarks.watermark(partition_of(key, stage.partitions), now), stage.lateness)
            stage.persist(key, ranking)  # one changelog record per entry changed
            stage.schedule(key, ranking.last_event_s)
        evicted = stage.evict()
        if evicted:
            metrics.influence_evicted.labels(table="influence-rankings").inc(evicted)
        metrics.influence_topics.set(len(stage))

    # -- queries ------------------------------------------------------------------------------------

    def ranking(self, topic: str, resolution: str, which: str, map_depth: int = MAP_DEPTH) -> dict[str, Any] | None:
        """The current (newest) or previous window's ranking of ``topic`` on this worker, or None."""
        self.rankings.ensure_index()
        ranking = self.rankings.index.get(topic.encode())
        if ranking is None:
            return None
        newest = ranking.newest(resolution)
        if newest is None:
            return None
        start = newest if which == "current" else newest - SIZES[resolution]
        if (resolution, start) not in ranking.windows:
            return None
        return ranking.ranking(resolution, start, topic_kind(topic), map_depth)

    # -- expiry -------------------------------------------------------------------------------------

    async def sweep(self) -> None:
        for stage, table in ((self.authors, "influence-authors"), (self.rankings, "influence-rankings")):
            async with stage.lock:
                try:
                    gone = stage.expire()
                except Exception:  # an exception in a Faust timer stops the whole worker
                    log.exception("expiring %s failed; trying again later", table)
                    continue
            if gone:
                self.metrics.influence_expired.labels(table=table).inc(gone)
        self.metrics.influence_authors.set(len(self.authors))
        self.metrics.influence_topics.set(len(self.rankings))


def register(app: BrandpulseApp) -> Influence:
    influence = Influence(app)
    settings = app.bp.settings
    topics = app.bp.topics

    async def score_authors(stream: faust.StreamT) -> AsyncIterator[None]:
        """influence.activity (by author) → influence.candidates (by topic): each author's standing per topic."""
        async for events in stream.take_events(settings.state_batch_max_records,
                                                 within=settings.state_batch_within_seconds):
            await influence.fold_activity(events)
            yield None

    async def rank_influencers(stream: faust.StreamT) -> AsyncIterator[None]:
        """influence.candidates (by topic) → influencers: top 5 per sentiment and the map, hour and day."""
        async for events in stream.take_events(settings.state_batch_max_records,
                                                 within=settings.state_batch_within_seconds):
            await influence.fold_candidates(events)
            yield None

    app.agent(topics.activity, name="score_authors")(score_authors)
    app.agent(topics.candidates, name="rank_influencers")(rank_influencers)

    @app.timer(interval=EXPIRY_SWEEP_SECONDS, name="expire_influence")
    async def expire_influence() -> None:
        """Forget authors and rankings idle for a day and an hour of event time."""
        if not app.timers_paused:
            await influence.sweep()

    @app.task
    async def load_gazetteer() -> None:
        """Load the gazetteers once at start-up (about a second), not on the first post with a location."""
        await asyncio.get_running_loop().run_in_executor(None, gazetteer)

    return influence
