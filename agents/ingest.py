"""ingest_posts: raw posts → enriched posts, per-topic mentions, per-author activities, and dead letters.

Flows in: ``posts`` (raw JSON bytes, any key). Flows out: ``posts.enriched`` (key: post id),
``mentions`` (one record per batch and partition holding the batch's mentions, one per post and topic
or watched brand, of the topics in that partition; headers: this worker's event-time watermark),
``influence.activity`` (likewise one record per batch and partition, of activities by author id: one for
each post's author and one crediting the author of what it retweets, quotes or replies to; the same
watermark headers) and
``posts.dlq`` (the original key and bytes, the reason and source position in headers). Every output of a
batch is delivered before the batch is acknowledged (``agents.delivery``), and metrics count what was
delivered.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from time import monotonic, perf_counter, time
from typing import TYPE_CHECKING, Any

import faust
from faust.types import TP

from agents import faust_fixes
from agents.continuity import mark_read_again, with_skipped
from agents.delivery import delivered, fatal, send, send_batched
from agents.tables import partition_of
from schemas.codec import (
    MENTION_CONTROL,
    MENTION_PRODUCER,
    dead_letter_headers,
    dumps,
    stamp_headers,
)
from schemas.decode import PostRejected, decode_post
from schemas.records import DeadLetter, EnrichedPost, RejectReason
from streams.enrich import enrich, mentions_of
from streams.extract import stop_words
from streams.influence import activities_of
from streams.sentiment import default_scorer
from streams.watermarks import PartitionWatermarks

if TYPE_CHECKING:
    from agents.app import BrandpulseApp
    from agents.settings import Settings

log = logging.getLogger(__name__)


def stamp_watermarks(settings: Settings) -> PartitionWatermarks:
    """The watermarks of a stage that reads the stamps ingest puts on its records (trends, influence)."""
    return PartitionWatermarks(
        idle_grace_s=settings.idle_grace_seconds,
        producer_expiry_s=max(60.0, settings.session_timeout_seconds * 3),
        # The posts topic has the same partition count as every brandpulse topic.
        sources=frozenset(range(settings.topic_partitions)),
    )


@dataclass
class Outcome:
    """What one input became: its pending deliveries, and what to count once they are delivered."""

    event: faust.types.EventT
    futures: list[Awaitable[Any]] = field(default_factory=list)
    #: serialised mentions and activities with their partitions, sent with the batch's others once it is processed
    pending: list[tuple[int, bytes]] = field(default_factory=list)
    pending_activities: list[tuple[int, bytes]] = field(default_factory=list)
    enriched: EnrichedPost | None = None
    mentions: int = 0
    rejected: RejectReason | None = None
    late: bool = False
    seconds: float = 0.0


def _dead_letter_headers(msg: Any, reason: RejectReason, detail: str, original_bytes: int,
                         truncated: bool = False) -> list[tuple[str, bytes]]:
    """The headers of a dead letter whose source is ``msg``'s position."""
    return dead_letter_headers(DeadLetter(
        reason=reason,
        detail=detail,
        source_topic=msg.topic,
        source_partition=msg.partition,
        source_offset=msg.offset,
        source_timestamp_ms=int(msg.timestamp * 1000) if msg.timestamp else None,
        original_bytes=original_bytes,
        truncated=truncated,
    ))


def dead_letter_record(event: faust.types.EventT, reason: RejectReason, detail: str,
                       max_bytes: int) -> tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]:
    """(key, value, headers) of the dead letter for ``event``'s message."""
    msg = event.message
    value: bytes = msg.value or b""
    headers = _dead_letter_headers(msg, reason, detail, len(value), truncated=len(value) > max_bytes)
    # A null value (a tombstone) stays null; anything else keeps its bytes, up to the size limit.
    kept = None if msg.value is None else value[:max_bytes]
    return msg.key, kept, headers


async def send_dead_letter(topic: faust.TopicT, event: faust.types.EventT, reason: RejectReason, detail: str,
                           max_bytes: int) -> Awaitable[Any]:
    """Queue the dead letter of ``event``'s message on ``topic``; the delivery future (see ``agents.delivery``)."""
    key, value, headers = dead_letter_record(event, reason, detail, max_bytes)
    return await send(topic, key=key, value=value, headers=headers)


async def send_part_dead_letter(topic: faust.TopicT, event: faust.types.EventT, key: bytes | None, value: bytes,
                                reason: RejectReason, detail: str) -> Awaitable[Any]:
    """Queue the dead letter of one part of ``event``'s record (a mention or an activity of a batch): the part's
    bytes, with the record's position as its source."""
    headers = _dead_letter_headers(event.message, reason, detail, len(value))
    return await send(topic, key=key, value=value, headers=headers)


def register(app: BrandpulseApp) -> faust.types.AgentT:
    settings, topics, metrics, progress = app.bp.settings, app.bp.topics, app.bp.metrics, app.bp.progress
    producer = (MENTION_PRODUCER, app.bp.producer_id.encode())
    scorer = default_scorer()
    stop_words()  # scikit-learn's list: imported now (about 1.5 s), not when the first post is waiting for it
    max_bytes, max_terms, watchlist = settings.max_message_bytes, settings.max_terms, settings.watchlists
    lateness = settings.allowed_lateness_seconds
    max_future = settings.max_future_seconds
    broadcast = {"watermark": None, "at": 0.0}
    #: Held by a batch from its first post to its last delivery, and by the timer's announcement. A watermark
    #: announced mid-batch would cover posts whose mentions are not sent yet, and the trend stage would close
    #: their windows first (bench/crash.py's late mentions: a watermark record ahead of the batch it covered).
    batch_lock = asyncio.Lock()
    partitions = settings.topic_partitions  # of mentions and influence.activity, as of every brandpulse topic
    positions = progress.positions  # posts partition -> next offset to process (forgotten on revoke)
    lag_state: dict[str, frozenset[int]] = {"idle": frozenset()}

    def refresh_lag() -> None:
        """Tell the watermark which partitions have records left (never idle) and which have none."""
        consumer = app.consumer
        for p in [p for p in positions if p not in progress.partitions]:
            del positions[p]
        backlog, caught_up, seen = set(), set(), {}
        for p in progress.partitions:
            tp = TP(topics.posts.get_topic_name(), p)
            try:
                end = consumer.highwater(tp)
            except Exception:  # not fetched from yet
                end = None
            # Not processed from yet: where the consumer stands (after the seek, the committed offset); with no
            # committed offset, where auto_offset_reset starts it.
            nxt = positions.get(p, getattr(consumer, "_read_offset", {}).get(tp))
            if isinstance(end, int) and end >= 0:
                if nxt is None:
                    nxt = 0 if settings.auto_offset_reset == "earliest" else end
                (backlog if end > nxt else caught_up).add(p)
            seen[p] = (end, nxt)
        progress.lag(backlog, caught_up)
        if log.isEnabledFor(logging.DEBUG):
            now = monotonic()
            idle = progress.idle(now)
            if idle != lag_state["idle"]:
                for p in sorted(idle ^ lag_state["idle"]):
                    newest, at = progress.partitions.get(p, (None, now))
                    log.debug("posts partition %s %s the watermark: newest event %s, last post %.1f s ago, "
                              "highwater %s, next offset %s", p, "no longer holds" if p in idle else "holds",
                              newest, now - at, *seen.get(p, (None, None)))
                lag_state["idle"] = idle


    async def align() -> None:
        """Pause the posts partitions that run too far ahead of the slowest one in event time, and resume them
        once it has caught up (Flink calls this watermark alignment). Faust and aiokafka deliver partitions
        unevenly under a backlog: in bench/crash.py at 100k posts one partition trailed the others by hours of
        event time, no window of any topic could close, and a topic's open windows passed the broker's 1 MB
        limit. A partition not known to have records left is never what holds the others back for long: it
        counts as idle after the grace period. The pause is aiokafka's, not Faust's (see
        ``faust_fixes.pause_fetching``): Faust's drops the records it has already fetched."""
        # What this stage paused is progress.paused: the watermark must know it, and forget() drops a revoked
        # partition from it (no longer ours to resume).
        paused = progress.paused
        ahead = progress.ahead(settings.max_partition_drift_seconds, monotonic())
        name = topics.posts.get_topic_name()
        # Every partition ahead is paused again: aiokafka forgets a pause when the group assigns the partition
        # anew, and pausing a paused one changes nothing.
        pause, resume = ahead, paused - ahead
        if pause:
            await faust_fixes.pause_fetching(app.consumer, {TP(name, p) for p in pause}, paused=True)
            if pause - paused:
                metrics.partition_pauses.inc(len(pause - paused))
                log.debug("posts partitions %s paused: over %s s of event time ahead of the slowest",
                          sorted(pause - paused), settings.max_partition_drift_seconds)
        if resume:
            await faust_fixes.pause_fetching(app.consumer, {TP(name, p) for p in resume}, paused=False)
            progress.resume(resume, monotonic())
            log.debug("posts partitions %s resumed", sorted(resume))
        progress.paused = ahead  # (paused - resume) | pause
        metrics.partitions_paused.set(len(ahead))

    def stamp(watermark: int) -> list[tuple[str, bytes]]:
        return stamp_headers(watermark, progress.covers())

    async def dead_letter(out: Outcome, reason: RejectReason, detail: str) -> None:
        out.futures = [await send_dead_letter(topics.dlq, out.event, reason, detail, max_bytes)]
        out.rejected = reason

    async def process(event: faust.types.EventT) -> Outcome:
        out = Outcome(event)
        started = perf_counter()
        positions[event.message.partition] = event.message.offset + 1
        try:
            post = decode_post(event.message.value, max_bytes=max_bytes)
        except PostRejected as rejected:
            await dead_letter(out, rejected.reason, rejected.detail)
            return out
        if post.created_at.timestamp() > time() + max_future:
            # Believed, it would drag event time ahead and make every post after it late.
            await dead_letter(out, RejectReason.FUTURE,
                              f"posted {post.created_at:%Y-%m-%d %H:%M:%S} UTC, over {max_future} s after this "
                              "worker's clock")
            return out
        enriched = enrich(post, scorer, watchlist=watchlist, max_terms=max_terms)
        now, partition, event_s = monotonic(), event.message.partition, int(post.created_at.timestamp())
        out.futures.append(await send(topics.enriched, key=post.id.encode(), value=dumps(enriched)))
        mentions = mentions_of(enriched, partition, event.message.offset)
        out.mentions = len(mentions)
        if progress.is_late(partition, event_s, lateness):
            # A good post, too late for its windows: enriched as usual, its mentions kept aside.
            out.late = True
            _, _, late_headers = dead_letter_record(
                event, RejectReason.LATE,
                f"posted {post.created_at:%Y-%m-%d %H:%M:%S} UTC, over {lateness} s behind its partition",
                max_bytes)
            for m in mentions:
                out.futures.append(await send(topics.late, key=m.topic.encode(), value=dumps(m), headers=late_headers))
        else:
            progress.observe(partition, event_s, now)
            # Re-keyed once per batch (see ``send_mentions``), not once per mention.
            out.pending = [(partition_of(m.topic.encode(), partitions), dumps(m)) for m in mentions]
        # Every post, late or not and with topics or none: relevance is a share of all the author's activity.
        out.pending_activities = [(partition_of(act.author.id.encode(), partitions), dumps(act))
                                  for act in activities_of(enriched, partition, event.message.offset)]
        out.enriched = enriched
        out.seconds = perf_counter() - started
        return out

    async def send_rekeyed(outcomes: list[Outcome], watermark: int | None) -> None:
        """Re-key the batch once: one ``mentions`` record and one ``influence.activity`` record per partition
        (``agents.delivery.send_batched``), not one per mention or activity. Mentions are stamped with the
        watermark as it stood when the batch began, which every mention of the batch is on time against: a
        partition's mentions may take more than one record, and the trend stage may close windows between
        them. The watermark after the batch goes out with the next batch (or the announcement). Each post's
        outcome waits for every record that holds one of its mentions or activities."""
        mentions = [(p, v, out) for out in outcomes for p, v in out.pending]
        activities = [(p, v, out) for out in outcomes for p, v in out.pending_activities]
        # Activities carry the same stamp: the influence stage keeps a window until the watermark passes it.
        headers = [producer] if watermark is None else [producer, *stamp(watermark)]
        if mentions:
            await send_parts(topics.mentions, "mentions", mentions, headers)
        if activities:
            await send_parts(topics.activity, "activities", activities, headers)
        for out in outcomes:
            out.pending, out.pending_activities = [], []

    async def send_parts(topic: faust.TopicT, field: str, items: list[tuple[int, bytes, Outcome]],
                         headers: list[tuple[str, bytes]] | None) -> None:
        for future, held in await send_batched(topic, field, [(p, v) for p, v, _ in items], headers):
            for out in {id(o): o for o in (items[i][2] for i in held)}.values():
                out.futures.append(future)

    async def settle(outcomes: list[Outcome]) -> None:
        """Wait for every delivery of the batch; dead-letter inputs whose outputs were refused."""
        retry: list[Outcome] = []
        for out in outcomes:
            error = await delivered(out.futures)
            if error is None:
                count(out, time())
            elif out.rejected is not None:
                fatal("Kafka refused the dead letter of %s[%s]@%s: %r", out.event.message.topic,
                      out.event.message.partition, out.event.message.offset, error)
            else:
                log.error("Kafka refused an output of %s[%s]@%s (%r); dead-lettering the input",
                          out.event.message.topic, out.event.message.partition, out.event.message.offset, error)
                retry.append(out)
                await dead_letter(out, RejectReason.PROCESSING_ERROR,
                                  f"Kafka refused an output record: {type(error).__name__}: {error}"[:500])
        for out in retry:
            error = await delivered(out.futures)
            if error is not None:
                fatal("Kafka refused the dead letter of %s[%s]@%s: %r", out.event.message.topic,
                      out.event.message.partition, out.event.message.offset, error)
            count(out, time())

    def count(out: Outcome, delivered_at: float) -> None:
        if out.rejected is not None:
            metrics.rejected_total.inc()
            metrics.by_reason[out.rejected.value].inc()
            return
        assert out.enriched is not None
        metrics.enriched_total.inc()
        if out.late:
            metrics.late_posts.inc()
            metrics.late_mentions.inc(out.mentions)
        else:
            metrics.mentions.inc(out.mentions)
        metrics.by_label[out.enriched.sentiment.label].inc()
        metrics.compound.observe(out.enriched.sentiment.compound)
        metrics.processing_seconds.observe(out.seconds)
        metrics.end_to_end_seconds.observe(max(0.0, delivered_at - out.enriched.post.created_at.timestamp()))

    async def process_or_dead_letter(event: Any) -> Outcome:
        try:
            return await process(event)
        except Exception as exc:
            # A bug of ours, not bad input (the decoder's rejections never get here): keep the post,
            # dead-lettered and re-drivable once fixed, say so loudly with the traceback, and go on with the
            # posts that follow.
            log.exception("processing the message at %s[%s]@%s failed; dead-lettered as %s",
                          event.message.topic, event.message.partition, event.message.offset,
                          RejectReason.PROCESSING_ERROR.value)
            out = Outcome(event)
            await dead_letter(out, RejectReason.PROCESSING_ERROR, f"{type(exc).__name__}: {exc}"[:500])
            return out

    async def ingest_posts(stream: faust.StreamT) -> AsyncIterator[None]:
        """posts (raw JSON) → posts.enriched + mentions (by topic); rejects → posts.dlq."""
        async for events in stream.take_events(settings.batch_max_posts, within=settings.batch_within_seconds):
            # The progress a watermark reports includes this batch's posts as soon as they are processed, and
            # their mentions go out only at the end: the timer must not announce it in between.
            async with batch_lock:
                metrics.batch_posts.observe(len(events))
                refresh_lag()
                began = progress.watermark(monotonic())
                outcomes = []
                holes: list = []
                try:
                    events = await with_skipped(app, "ingest", events, dict(positions), holes=holes)
                except Exception as exc:  # Kafka would not give the skipped posts back: read them after a restart
                    fatal("reading again the posts Faust's stream skipped failed: %r", exc)
                for event in events:
                    outcomes.append(await process_or_dead_letter(event))
                await send_rekeyed(outcomes, began)
                await settle(outcomes)  # before Faust acknowledges the batch
                await mark_read_again(app, holes)  # and only then may its commits pass the posts read again
                await announce_watermark()
                await align()
            yield None

    async def announce_watermark() -> None:  # key null, value empty: a watermark record
        """Stamp the watermark on every mentions partition at most once a second, if it moved, so that
        partitions no post went to still close their windows."""
        now = monotonic()
        watermark = progress.watermark(now)
        if watermark is None or watermark == broadcast["watermark"] or now - broadcast["at"] < 1.0:
            return
        headers = [producer, *stamp(watermark), (MENTION_CONTROL, b"watermark")]
        for partition in range(settings.topic_partitions):
            await topics.mentions.send(key=None, value=b"", partition=partition, headers=headers)
        broadcast.update(watermark=watermark, at=now)

    def event_time_lag() -> float:
        watermark = progress.watermark(monotonic())
        return float("nan") if watermark is None else time() - watermark

    metrics.event_time_lag.set_function(event_time_lag)

    def partition_drift() -> float:
        drift = progress.drift(monotonic())
        return float("nan") if drift is None else float(drift)

    metrics.partition_drift.set_function(partition_drift)

    @app.timer(interval=1.0, name="announce_watermark")
    async def announce_when_idle() -> None:
        """When no posts flow, event time follows the wall clock (streams.watermarks): say so."""
        if app.bp.assigned and not app.timers_paused and not batch_lock.locked():
            try:
                async with batch_lock:  # a batch is mid-way: it announces when its mentions are out
                    refresh_lag()
                    await announce_watermark()
                    await align()
            except Exception:  # an exception in a Faust timer stops the whole worker
                log.exception("announcing the watermark failed; trying again in a second")

    return app.agent(topics.posts, name="ingest_posts")(ingest_posts)
