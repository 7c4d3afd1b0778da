"""Watermark alignment against the real worker and broker: a backlog in which one posts partition covers hours of
event time and the others minutes. Ingest must pause the partition that runs ahead, at aiokafka's level (no hole
in the offsets it delivers, so nothing read again), resume it once the others are done, and lose nothing."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from agents.broker import read_topic

from .test_trends import partition_of, produce

pytestmark = pytest.mark.integration

T0 = datetime(2024, 6, 1, 10, 0, tzinfo=UTC)
PER_PARTITION = 1_200


def skewed_posts() -> list[dict]:
    """Partition 0: 4 hours of event time; partitions 1-3: 20 minutes each, as many posts."""
    by_partition: dict[int, list[str]] = {p: [] for p in range(4)}
    i = 0
    while any(len(ids) < PER_PARTITION for ids in by_partition.values()):
        key = f"a{i}"
        ids = by_partition[partition_of(key.encode())]
        if len(ids) < PER_PARTITION:
            ids.append(key)
        i += 1
    posts = []
    for p, ids in by_partition.items():
        step = 4 * 3600 / PER_PARTITION if p == 0 else 20 * 60 / PER_PARTITION
        for n, post_id in enumerate(ids):
            created = T0 + timedelta(seconds=n * step)
            posts.append({"id": post_id, "text": f"post {n} of partition {p} #p{p} #all",
                          "created_at": created.isoformat().replace("+00:00", "Z"),
                          "author": {"id": f"u{n % 50}", "handle": f"u{n % 50}"}})
    return posts


def metric(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    assert match, f"{name} not on /metrics"
    return float(match.group(1))


def test_a_partition_far_ahead_in_event_time_is_paused_resumed_and_loses_nothing(start_worker):
    worker = start_worker(BRANDPULSE_MAX_PARTITION_DRIFT_SECONDS="600", BRANDPULSE_IDLE_GRACE_SECONDS="2",
                          BRANDPULSE_TOPIC_PARTITIONS="4", BRANDPULSE_BATCH_MAX_POSTS="100")
    s = worker.settings
    posts = skewed_posts()
    asyncio.run(produce(s.bootstrap_servers, s.posts_topic, posts))  # the whole backlog at once

    want = {p["id"] for p in posts}
    deadline = time.monotonic() + 180
    while True:
        records = asyncio.run(read_topic(s.bootstrap_servers, s.enriched_topic))
        got = {orjson.loads(r.value)["post"]["id"] for r in records}
        if want <= got or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert not want - got, f"{len(want - got)} posts never enriched (a partition left paused?)"

    # Once the other partitions have nothing left (idle after the 2 s grace), nothing is held back.
    deadline = time.monotonic() + 60
    while metric(text := worker.metrics_text(), "brandpulse_posts_partitions_paused") and time.monotonic() < deadline:
        time.sleep(1)
    assert metric(text, "brandpulse_posts_partitions_paused") == 0, "a partition stayed paused"
    assert metric(text, "brandpulse_posts_partition_pauses_total") >= 1  # alignment engaged
    # aiokafka's pause leaves no hole in what Faust's stream delivers: nothing had to be read again.
    assert metric(text, 'brandpulse_records_refetched_total{stage="ingest"}') == 0
    assert metric(text, "brandpulse_posts_late_total") == 0
