"""The walking skeleton end to end: real tweets and malformed messages in, real topics and /metrics out."""

from __future__ import annotations

import asyncio
import gzip
import time
from collections import Counter

import orjson
import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from agents.broker import read_topic
from agents.cli import sample_path
from agents.tables import partition_of
from schemas.codec import read_dead_letter_headers
from schemas.decode import decode_post
from streams.enrich import enrich
from streams.sentiment import SentimentScorer

pytestmark = pytest.mark.integration

#: Malformed messages and the reason each must be dead-lettered with.
MALFORMED: list[tuple[bytes, str]] = [
    (b"this is not json", "not_json"),
    (b'{"truncated": ', "not_json"),
    (b'"a string"', "not_object"),
    (b"[1, 2, 3]", "not_object"),
    (b'{"some": "object"}', "unknown_format"),
    (b'{"text": "caf\xc3"}', "not_utf8"),
    (b"[" * 3000 + b"]" * 3000, "too_deep"),
    (b'{"id": "1", "text": "t", "author": {"id": "1", "handle": "h"}}', "missing_field"),
    (b'{"id": "1", "text": "t", "created_at": "yesterday", "author": {"id": "1", "handle": "h"}}',
     "invalid_field"),
    (b'{"id": "1", "text": "t", "created_at": "2024-01-01T00:00:00Z", '
     b'"author": {"id": "1", "handle": "h", "followers": 123456789012345678901234567890}}', "invalid_field"),
    (b"", "empty"),
    (b'{"id": "1", "text": "' + b"x" * 70_000 + b'", "created_at": "2024-01-01T00:00:00Z", '
     b'"author": {"id": "1", "handle": "h"}}', "too_large"),
]


def sample_tweets() -> list[bytes]:
    with gzip.open(sample_path(), "rb") as f:
        return [line.strip() for line in f if line.strip()]


async def produce(bootstrap: list[str], topic: str, messages: list[tuple[bytes | None, bytes]],
                  max_request_size: int = 4 * 1024 * 1024) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_request_size=max_request_size, linger_ms=10)
    await producer.start()
    try:
        futures = [await producer.send(topic, value, key=key) for key, value in messages]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


def read_until(bootstrap: list[str], topic: str, count: int, timeout: float = 90.0) -> list:
    deadline = time.monotonic() + timeout
    records: list = []
    while time.monotonic() < deadline:
        records = asyncio.run(read_topic(bootstrap, topic))
        if len(records) >= count:
            return records
        time.sleep(0.5)
    return records


def posts_metrics(text: str) -> tuple[dict[str, float], dict[str, float]]:
    outcomes: dict[str, float] = {}
    reasons: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == "brandpulse_posts_total":
                outcomes[s.labels["outcome"]] = s.value
            elif s.name == "brandpulse_posts_rejected_total":
                reasons[s.labels["reason"]] = s.value
    return outcomes, reasons


def test_real_tweets_are_enriched_and_malformed_messages_dead_lettered_exactly(start_worker):
    worker = start_worker(BRANDPULSE_MAX_MESSAGE_BYTES="65536")
    settings = worker.settings
    tweets = sample_tweets()
    scorer = SentimentScorer()
    expected = {}
    expected_mentions = Counter()
    for raw in tweets:
        e = enrich(decode_post(raw), scorer)
        expected[e.post.id] = e.sentiment.compound
        expected_mentions.update(e.topics)

    # Interleave the bad among the good, each with its own key so it can be found again.
    messages: list[tuple[bytes | None, bytes]] = [(None, raw) for raw in tweets]
    for i, (value, _) in enumerate(MALFORMED):
        messages.insert(i * 80, (f"bad-{i}".encode(), value))
    asyncio.run(produce(settings.bootstrap_servers, settings.posts_topic, messages))

    n, m = len(tweets), len(MALFORMED)
    enriched = read_until(settings.bootstrap_servers, settings.enriched_topic, n)
    dead = read_until(settings.bootstrap_servers, settings.dlq_topic, m)
    time.sleep(2)  # anything extra would have arrived by now
    enriched = asyncio.run(read_topic(settings.bootstrap_servers, settings.enriched_topic))
    dead = asyncio.run(read_topic(settings.bootstrap_servers, settings.dlq_topic))

    assert len(enriched) == n
    got = {rec.key.decode(): orjson.loads(rec.value)["sentiment"]["compound"] for rec in enriched}
    assert got == expected

    assert len(dead) == m
    by_key = {rec.key.decode(): rec for rec in dead}
    for i, (value, reason) in enumerate(MALFORMED):
        rec = by_key[f"bad-{i}"]
        headers = read_dead_letter_headers(rec.headers)
        assert headers["brandpulse.reason"] == reason, (i, headers)
        assert headers["brandpulse.source.topic"] == settings.posts_topic
        assert int(headers["brandpulse.source.offset"]) >= 0
        if reason == "too_large":
            assert headers["brandpulse.truncated"] == "true"
            assert rec.value == value[: settings.max_message_bytes]
        else:
            assert (rec.value or b"") == value

    # Every mention of every post, in the windows' input or set aside as late (the sample is in time
    # order, so none should be); the keyless records on mentions are watermark announcements.
    # (ingest batches them: one record per batch and partition)
    deadline = time.monotonic() + 60
    while True:
        mentions = asyncio.run(read_topic(settings.bootstrap_servers, settings.mentions_topic))
        batched = [(rec.partition, m) for rec in mentions if rec.value for m in orjson.loads(rec.value)["mentions"]]
        if len(batched) >= sum(expected_mentions.values()) or time.monotonic() > deadline:
            break
        time.sleep(1)
    late = asyncio.run(read_topic(settings.bootstrap_servers, settings.late_topic))
    assert late == []
    assert all(rec.key is None for rec in mentions)
    assert Counter(m["topic"] for _, m in batched) == expected_mentions
    assert all(p == partition_of(m["topic"].encode(), settings.topic_partitions) for p, m in batched)

    outcomes, reasons = posts_metrics(worker.metrics_text())
    assert outcomes == {"enriched": n, "rejected": m}
    assert {r: c for r, c in reasons.items() if c} == dict(Counter(reason for _, reason in MALFORMED))
