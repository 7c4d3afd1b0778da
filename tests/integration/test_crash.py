"""Crashes against an oracle: the worker is killed with SIGKILL at random points of a replay and restarted each
time (same consumer group, state restored from the changelogs). No post may be lost from the enriched output
(duplicates are counted: delivery is at-least-once on this broker), and every closed window on hashtag-stats,
each copy of it, must equal the batch oracle computed from the input.

The same check at scale (100,000 posts, 5 kills) is ``bench/crash.py``, which prints its figures.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta

import orjson
import pytest

from agents.broker import read_topic

from .conftest import clean_env
from .test_trends import TAGS, WORDS, expected_late, oracle, produce, sentinels, worker_env, zero

pytestmark = pytest.mark.integration

N_POSTS, KILLS, RATE = 5_000, 3, 250


def make_posts(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    t0 = datetime.fromisoformat("2024-06-01T12:00:07+00:00")
    posts = []
    for i in range(n):
        created = t0 + timedelta(seconds=i * 0.6 + rng.uniform(0, 1.0))  # small disorder, within the lateness
        text = " ".join(rng.choices(WORDS, k=rng.randint(6, 14)))
        tags = rng.sample(TAGS, k=rng.randint(1, 2))
        posts.append({"id": f"p{i}", "text": f"{text} {' '.join(tags)}",
                      "created_at": created.isoformat().replace("+00:00", "Z"),
                      "author": {"id": f"u{rng.randint(0, 300)}", "handle": f"user{i % 301}"}})
    return posts


def test_killed_workers_lose_no_post_and_publish_the_oracles_windows(start_worker, tmp_path):
    posts = make_posts(N_POSTS, seed=8)
    path = tmp_path / "posts.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(p) for p in posts) + b"\n")
    late = expected_late(posts)
    data_end = max(int(datetime.fromisoformat(p["created_at"]).timestamp()) for p in posts)
    want = oracle(posts, late, data_end)
    expected = {k: (r if r is not None else zero(*k)) for k, r in want.items()}

    worker = start_worker(**worker_env())
    replay = subprocess.Popen([sys.executable, "-m", "agents", "replay", str(path), "--rate", str(RATE)],
                              env=clean_env(**worker.env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    began, rng = time.monotonic(), random.Random(3)
    for at in sorted(rng.uniform(0.1, 0.9) * N_POSTS / RATE for _ in range(KILLS)):
        time.sleep(max(0.0, began + at - time.monotonic()))
        os.kill(worker.proc.pid, signal.SIGKILL)
        worker.proc.wait()
        worker.killed = True
        worker = start_worker(**worker_env())  # the same group: takes the state back from the changelogs
    out, _ = replay.communicate(timeout=300)
    assert replay.returncode == 0, out.decode()[-2000:]
    asyncio.run(produce(worker.settings.bootstrap_servers, worker.settings.posts_topic, sentinels()))

    s = worker.settings
    deadline = time.monotonic() + 180
    while True:
        enriched = asyncio.run(read_topic(s.bootstrap_servers, s.enriched_topic))
        stats = asyncio.run(read_topic(s.bootstrap_servers, s.stats_topic))
        seen = {(r["topic"], r["resolution"], int(datetime.fromisoformat(r["window_start"]).timestamp()))
                for r in (orjson.loads(x.value) for x in stats)}
        ids = {r.key.decode() for r in enriched}
        if (set(expected) <= seen and len(ids) >= N_POSTS) or time.monotonic() > deadline:
            break
        time.sleep(2)

    lost = {p["id"] for p in posts} - ids
    assert not lost, f"{len(lost)} posts lost, e.g. {sorted(lost)[:5]}"
    copies = Counter(r.key.decode() for r in enriched)
    duplicates = sum(n - 1 for n in copies.values())
    missing = sorted(set(expected) - seen)[:5]
    assert not missing, f"windows never published, e.g. {missing}"
    wrong, published = [], Counter()
    for rec in stats:
        r = orjson.loads(rec.value)
        key = (r["topic"], r["resolution"], int(datetime.fromisoformat(r["window_start"]).timestamp()))
        if key in expected:
            published[key] += 1
            if r != expected[key]:
                wrong.append((key, {f: (r[f], expected[key][f]) for f in r if r[f] != expected[key].get(f)}))
    print(f"\n{N_POSTS} posts, {KILLS} kills: 0 lost, {duplicates} duplicate enriched records; "
          f"{len(expected)} windows, {sum(published.values()) - len(published)} published twice, {len(wrong)} wrong")
    assert not wrong, f"{len(wrong)} window records differ from the oracle, e.g. {wrong[:3]}"
