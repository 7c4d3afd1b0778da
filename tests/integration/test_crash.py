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
from datetime import datetime

import orjson
import pytest

from agents.broker import read_topic

from .conftest import clean_env
from .test_trends import expected_late, make_posts, oracle, produce, sentinels, worker_env, zero

pytestmark = pytest.mark.integration

N_POSTS, KILLS, RATE = 5_000, 3, 250


def replay_with_kills(start_worker, tmp_path, *, workers: int, kills: int, restart: bool) -> str:
    """Replay N_POSTS at RATE posts/s into ``workers`` workers of one group, SIGKILL a worker ``kills`` times at
    random points (restarting it when ``restart``), then check the outputs against the oracle. Returns a summary."""
    posts = make_posts(N_POSTS, seed=8, step_s=0.6, jitter_s=1.0, authors=301, late=set())
    path = tmp_path / "posts.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(p) for p in posts) + b"\n")
    late = expected_late(posts)
    data_end = max(int(datetime.fromisoformat(p["created_at"]).timestamp()) for p in posts)
    want = oracle(posts, late, data_end)
    expected = {k: (r if r is not None else zero(*k)) for k, r in want.items()}

    # Every record its own batch. The embedded broker under-reports a changelog's end by up to one batch, so a
    # restored table can lack its last changes (a Tansu limitation; docs/reliability.md); the batch marks read
    # that input again (agents.tables). With the producer's default batches bench/crash.py's 100k runs are exact
    # too since Faust's commits no longer pass records it dropped (agents.faust_fixes.fix_fetch_gaps), but one
    # run of the test looped that way once stalled reading the output topics (docs/reliability.md, "Open"); this
    # test keeps the configuration in which the broker's short ListOffsets is rarest.
    env = {**worker_env(), "BRANDPULSE_PRODUCER_MAX_BATCH_BYTES": "1"}
    running = [start_worker(**env) for _ in range(workers)]
    replay = subprocess.Popen([sys.executable, "-m", "agents", "replay", str(path), "--rate", str(RATE)],
                              env=clean_env(**running[0].env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    began, rng = time.monotonic(), random.Random(3)
    kills_at: list[float] = []
    for at in sorted(rng.uniform(0.1, 0.9) * N_POSTS / RATE for _ in range(kills)):
        time.sleep(max(0.0, began + at - time.monotonic()))
        victim = running.pop(rng.randrange(len(running)))
        kills_at.append(time.monotonic() - began)
        print(f"\nkill at {at:.1f} s of the replay: {victim.log_path.name}")
        os.kill(victim.proc.pid, signal.SIGKILL)
        victim.proc.wait()
        victim.killed = True
        if restart:  # the same group: it takes its share of the state back from the changelogs
            running.append(start_worker(**env))
    out, _ = replay.communicate(timeout=300)
    assert replay.returncode == 0, out.decode()[-2000:]
    s = running[0].settings
    asyncio.run(produce(s.bootstrap_servers, s.posts_topic, sentinels()))

    # Until every post and window is out, or nothing new came for 120 s (a busy machine drains slowly; a stall
    # is what fails).
    post_ids, progress, last = {p["id"] for p in posts}, time.monotonic(), (-1, -1)
    while True:
        enriched = asyncio.run(read_topic(s.bootstrap_servers, s.enriched_topic))
        stats = asyncio.run(read_topic(s.bootstrap_servers, s.stats_topic))
        seen = {(r["topic"], r["resolution"], int(datetime.fromisoformat(r["window_start"]).timestamp()))
                for r in (orjson.loads(x.value) for x in stats)}
        ids = {r.key.decode() for r in enriched}
        if (len(ids), len(seen)) != last:
            progress, last = time.monotonic(), (len(ids), len(seen))
            # Progress on stdout, so that a run cut short by the test timeout says where it stood
            print(f"{time.monotonic() - began:6.1f} s: {len(ids & post_ids)}/{len(post_ids)} posts enriched, "
                  f"{len(seen & set(expected))}/{len(expected)} windows published", flush=True)
        if (set(expected) <= seen and post_ids <= ids) or time.monotonic() - progress > 120:
            break
        time.sleep(2)
    for w in running:
        assert w.proc.poll() is None, f"a surviving worker died:\n{w.log()[-3000:]}"

    lost = post_ids - ids
    if lost:
        inputs = asyncio.run(read_topic(s.bootstrap_servers, s.posts_topic))
        where = {orjson.loads(r.value)["id"]: (r.partition, r.offset) for r in inputs}
        dead = asyncio.run(read_topic(s.bootstrap_servers, s.dlq_topic))
        pytest.fail(f"{len(lost)} posts lost, e.g. {[(i, where.get(i)) for i in sorted(lost)[:5]]}; "
                    f"{len(inputs)} input records, {len(dead)} dead letters")
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
    late_now = asyncio.run(read_topic(s.bootstrap_servers, s.late_topic))
    if late_now:  # where they came from: the source partition of each late mention's post
        from .test_trends import partition_of
        late_ids = [orjson.loads(r.value)["post_id"] for r in late_now]
        from schemas.codec import read_dead_letter_headers
        why = Counter(read_dead_letter_headers(r.headers).get("brandpulse.detail", "?").split(":")[0][:40]
                      for r in late_now)
        print("late by stage/detail", why.most_common(5))
        print("late by source partition", Counter(partition_of(i.encode()) for i in late_ids),
              "ids", sorted(late_ids, key=lambda i: int(i[1:]))[:3], sorted(late_ids, key=lambda i: int(i[1:]))[-3:])
    summary = (f"[{len(late_now)} mentions set aside as late] {N_POSTS} posts, {workers} worker(s), {kills} kill(s){' with restarts' if restart else ''}: 0 lost, "
               f"{duplicates} duplicate enriched records; {len(expected)} windows, "
               f"{sum(published.values()) - len(published)} published twice, {len(wrong)} wrong")
    print("\n" + summary)
    if wrong:
        print(explain_short_windows(s, posts, wrong, kills_at))
    assert not wrong, f"{len(wrong)} window records differ from the oracle, e.g. {str(wrong[:2])[:3000]}"
    return summary


def explain_short_windows(s, posts: list[dict], wrong: list, kills_at: list[float],
                          mentions: list | None = None) -> str:
    """Where the posts a wrong window misses were lost: never sent on ``mentions`` by ingest, or sent and then not
    counted by the trend stage, with the mentions records (partition, offset, producer) that held them. Printed
    on failure, so that a run that fails once in many says why. ``mentions``: the topic's records, if the caller
    has read them already."""
    from schemas.codec import MENTION_PRODUCER, header_map
    from schemas.decode import decode_post
    from streams.enrich import enrich, mentions_of
    from streams.sentiment import SentimentScorer
    from streams.watchlist import Watchlist

    from .test_trends import WATCHLIST, partition_of

    sent: dict[tuple[str, str], list[tuple[int, int, str]]] = {}
    if mentions is None:
        mentions = asyncio.run(read_topic(s.bootstrap_servers, s.mentions_topic))
    for rec in mentions:
        if not rec.value:
            continue
        producer = header_map(rec.headers).get(MENTION_PRODUCER, b"?").decode()
        for m in orjson.loads(rec.value)["mentions"]:
            sent.setdefault((m["topic"], m["post_id"]), []).append((rec.partition, rec.offset, producer))
    scorer, wl = SentimentScorer(), Watchlist.parse(WATCHLIST)
    members: dict[tuple[str, str, int], list[str]] = {}
    for p in posts:
        e = enrich(decode_post(orjson.dumps(p)), scorer, watchlist=wl)
        t = int(e.post.created_at.timestamp())
        for m in mentions_of(e):
            for resolution, size in (("minute", 60), ("hour", 3600)):
                members.setdefault((m.topic, resolution, t - t % size), []).append(p["id"])
    lines = [f"kills at {[round(k, 1) for k in kills_at]} s of the replay"]
    never, short = Counter(), 0
    for key, diff in wrong:
        if "posts" not in diff:
            lines.append(f"{key}: differs in {sorted(diff)} only")
            continue
        got, want = diff["posts"]
        ids = members.get(key, [])
        unsent = [i for i in ids if (key[0], i) not in sent]
        for i in unsent:
            never[partition_of(i.encode())] += 1
        short += want - got
        if len(lines) < 12:
            records = sorted({w for i in ids for w in sent.get((key[0], i), [])})
            lines.append(f"{key}: published {got} posts, oracle {want}; {len(unsent)} of its posts never sent on "
                         f"mentions (source partitions {sorted({partition_of(i.encode()) for i in unsent})}); "
                         f"mentions records holding the rest: {records[:4]}...{records[-4:]}")
    lines.append(f"{short} posts short in all; never sent by ingest, by source partition: {dict(never)} "
                 f"(the rest were sent and not counted by the trend stage, or counted and not restored)")
    return "\n".join(lines)


def test_killed_workers_lose_no_post_and_publish_the_oracles_windows(start_worker, tmp_path):
    replay_with_kills(start_worker, tmp_path, workers=1, kills=KILLS, restart=True)


def test_when_one_of_two_workers_dies_the_other_takes_over_and_loses_nothing(start_worker, tmp_path):
    """A rebalance: 2 workers on 4 partitions, one killed mid-replay and not restarted. (Its posts missing at the
    end of a few earlier runs were Faust's stream skipping records after a seek: agents/continuity.py.)"""
    replay_with_kills(start_worker, tmp_path, workers=2, kills=1, restart=False)
