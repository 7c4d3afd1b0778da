"""ingest_posts: raw posts → enriched posts, per-topic mentions, and dead letters.

Flows in: ``posts`` (raw JSON bytes, any key). Flows out: ``posts.enriched`` (key: post id),
``mentions`` (one per post and topic, key: the topic) and ``posts.dlq`` (the original key and
bytes, the reason and source position in headers).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from time import perf_counter
from typing import TYPE_CHECKING

import faust

from schemas.codec import dead_letter_headers, dumps
from schemas.decode import PostRejected, decode_post
from schemas.records import DeadLetter, RejectReason
from streams.enrich import enrich, mentions_of
from streams.sentiment import default_scorer

if TYPE_CHECKING:
    from agents.app import BrandpulseApp

log = logging.getLogger(__name__)


def register(app: BrandpulseApp) -> faust.types.AgentT:
    settings, topics, metrics = app.bp.settings, app.bp.topics, app.bp.metrics
    scorer = default_scorer()
    max_bytes, max_terms, watchlist = settings.max_message_bytes, settings.max_terms, settings.watchlists

    async def dead_letter(event: faust.types.EventT, reason: RejectReason, detail: str) -> None:
        msg = event.message
        value: bytes = msg.value or b""
        dl = DeadLetter(
            reason=reason,
            detail=detail,
            source_topic=msg.topic,
            source_partition=msg.partition,
            source_offset=msg.offset,
            source_timestamp_ms=int(msg.timestamp * 1000) if msg.timestamp else None,
            original_bytes=len(value),
            truncated=len(value) > max_bytes,
        )
        # A null value (a tombstone) stays null; anything else keeps its bytes.
        kept = None if msg.value is None else value[:max_bytes]
        await topics.dlq.send(key=msg.key, value=kept, headers=dead_letter_headers(dl))
        metrics.rejected_total.inc()
        metrics.by_reason[reason.value].inc()

    async def process(event: faust.types.EventT) -> None:
        started = perf_counter()
        try:
            post = decode_post(event.message.value, max_bytes=max_bytes)
        except PostRejected as rejected:
            await dead_letter(event, rejected.reason, rejected.detail)
            return
        enriched = enrich(post, scorer, watchlist=watchlist, max_terms=max_terms)
        value = dumps(enriched)
        mentions = [(m.topic.encode(), dumps(m)) for m in mentions_of(enriched)]
        await topics.enriched.send(key=post.id.encode(), value=value)
        for key, mention in mentions:
            await topics.mentions.send(key=key, value=mention)
        metrics.enriched_total.inc()
        metrics.mentions.inc(len(mentions))
        metrics.by_label[enriched.sentiment.label].inc()
        metrics.compound.observe(enriched.sentiment.compound)
        metrics.processing_seconds.observe(perf_counter() - started)

    async def ingest_posts(stream: faust.StreamT) -> AsyncIterator[None]:
        """posts (raw JSON) → posts.enriched + mentions (by topic); rejects → posts.dlq."""
        async for events in stream.take_events(settings.batch_max_posts, within=settings.batch_within_seconds):
            metrics.batch_posts.observe(len(events))
            for event in events:
                try:
                    await process(event)
                except Exception as exc:
                    # A bug of ours, not bad input (the decoder's rejections never get here): keep
                    # the post, dead-lettered and re-drivable once fixed, say so loudly with the
                    # traceback, and go on with the posts that follow. If even the dead-letter
                    # send fails, the error propagates: Kafka is in trouble and dropping is worse.
                    log.exception("processing the message at %s[%s]@%s failed; dead-lettered as %s",
                                  event.message.topic, event.message.partition, event.message.offset,
                                  RejectReason.PROCESSING_ERROR.value)
                    await dead_letter(event, RejectReason.PROCESSING_ERROR,
                                      f"{type(exc).__name__}: {exc}"[:500])
            yield None

    return app.agent(topics.posts, name="ingest_posts")(ingest_posts)
