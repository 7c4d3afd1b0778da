"""Trend windows end to end: a fast and a slow replay publish the same hashtag-stats, equal to an oracle."""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import murmur2

from agents.broker import read_topic
from schemas.codec import dumps
from schemas.decode import decode_post
from streams.enrich import enrich, mentions_of
from streams.sentiment import SentimentScorer
from streams.watchlist import Watchlist
from streams.windows import Observation, batch_windows, compound_e4

from .conftest import clean_env

pytestmark = pytest.mark.integration

T0 = datetime(2024, 6, 1, 12, 0, 7, tzinfo=UTC)
WATCHLIST = {"acme": ["#acme", "@acmesupport", "acme corp"]}
LATENESS = 60
PARTITIONS = 4
WORDS = ("great love awesome thanks happy terrible awful hate broken refund late delay crew seat bag order "
         "support service the a and but with today again never").split()
TAGS = ["#alpha", "#beta", "#gamma", "#acme", "@acmesupport", "acme corp", "#delta"]
LATE_IDS = {"p100", "p250", "p400", "p555", "p700"}


def make_posts(n: int = 800, *, seed: int = 11, step_s: float = 1.9, jitter_s: float = 1.5, authors: int = 61,
               late: frozenset[str] | set[str] = LATE_IDS) -> list[dict]:
    rng = random.Random(seed)
    posts = []
    for i in range(n):
        created = T0 + timedelta(seconds=i * step_s + rng.uniform(0, jitter_s))  # small disorder, within the lateness
        if f"p{i}" in late:
            created -= timedelta(minutes=10)  # far behind everything before it
        text = " ".join(rng.choices(WORDS, k=rng.randint(6, 14)))
        tags = rng.sample(TAGS, k=rng.randint(1, 2))
        posts.append({"id": f"p{i}", "text": f"{text} {' '.join(tags)}",
                      "created_at": created.isoformat().replace("+00:00", "Z"),
                      "author": {"id": f"u{rng.randint(0, authors - 1)}", "handle": f"user{i % authors}"}})
    return posts


def sentinels() -> list[dict]:
    """One post 2.5 h after the data on every input partition: event time moves on everywhere."""
    out, i = {}, 0
    while len(out) < PARTITIONS:
        key = f"sentinel{i}"
        out.setdefault(partition_of(key.encode()), {"id": key, "text": "later #zzsentinel",
                                                   "created_at": "2024-06-01T15:00:00Z",
                                                   "author": {"id": "s", "handle": "s"}})
        i += 1
    return list(out.values())


def partition_of(key: bytes) -> int:  # the replay producer's partitioner, keyed by post id
    return (murmur2(key) & 0x7FFFFFFF) % PARTITIONS


def expected_late(posts: list[dict]) -> set[str]:
    """Kafka Streams' rule, as ingest applies it: over the lateness behind its own partition's newest."""
    newest: dict[int, float] = {}
    late = set()
    for p in posts:
        t = datetime.fromisoformat(p["created_at"]).timestamp()
        part = partition_of(p["id"].encode())
        if part in newest and t < newest[part] - LATENESS:
            late.add(p["id"])
        else:
            newest[part] = max(newest.get(part, t), t)
    return late


def oracle(posts: list[dict], late: set[str], data_end_s: int) -> dict[tuple, dict]:
    """Every window record the worker must publish up to ``data_end_s``, computed in one batch."""
    scorer, wl = SentimentScorer(), Watchlist.parse(WATCHLIST)
    by_key: dict[str, list[Observation]] = defaultdict(list)
    for p in posts:
        if p["id"] in late:
            continue
        e = enrich(decode_post(orjson.dumps(p)), scorer, watchlist=wl)
        for m in mentions_of(e):
            by_key[m.topic].append(Observation(int(e.post.created_at.timestamp()), e.post.author.id,
                                               compound_e4(e.sentiment.compound), e.sentiment.label, e.terms))
    watched = {"brand:acme", *wl.brands[0].topics}
    out: dict[tuple, dict] = {}
    for key, observations in by_key.items():
        records = [orjson.loads(dumps(w)) for w in batch_windows(key, observations)]
        for resolution, size in (("minute", 60), ("hour", 3600)):
            starts = sorted(int(datetime.fromisoformat(r["window_start"]).timestamp())
                            for r in records if r["resolution"] == resolution)
            last = (data_end_s - data_end_s % size) if key in watched else starts[-1]
            for s in range(starts[0], last + 1, size):  # zero windows fill the gaps (and quiet watched keys)
                out[(key, resolution, s)] = None  # type: ignore[assignment]
        for r in records:
            out[(key, r["resolution"], int(datetime.fromisoformat(r["window_start"]).timestamp()))] = r
    return out


def zero(key: str, resolution: str, start_s: int) -> dict:
    from streams.windows import _stats

    return orjson.loads(dumps(_stats(key, resolution, start_s, None)))


async def produce(bootstrap: list[str], topic: str, posts: list[dict]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await asyncio.gather(*[await producer.send(topic, orjson.dumps(p), key=p["id"].encode()) for p in posts])
    finally:
        await producer.stop()


def published(worker, wanted: set[tuple], timeout: float = 120) -> tuple[dict[tuple, dict], list]:
    s = worker.settings
    deadline = time.monotonic() + timeout
    while True:
        records = asyncio.run(read_topic(s.bootstrap_servers, s.stats_topic))
        got: dict[tuple, dict] = {}
        for rec in records:
            r = orjson.loads(rec.value)
            k = (r["topic"], r["resolution"], int(datetime.fromisoformat(r["window_start"]).timestamp()))
            assert got.get(k, r) == r, f"two different records for {k}"
            got[k] = r
        if wanted <= set(got) or time.monotonic() > deadline:
            late = asyncio.run(read_topic(s.bootstrap_servers, s.late_topic))
            return got, late
        time.sleep(1)


def run_replay(worker, path: Path, *extra: str) -> None:
    env = clean_env(**worker.env)
    result = subprocess.run([sys.executable, "-m", "agents", "replay", str(path), *extra], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> tuple[list[dict], Path, set[str], dict]:
    posts = make_posts()
    path = tmp_path_factory.mktemp("trends") / "posts.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(p) for p in posts) + b"\n")
    late = expected_late(posts)
    assert late == LATE_IDS  # the scenario is what it claims to be
    data_end = max(int(datetime.fromisoformat(p["created_at"]).timestamp()) for p in posts)
    want = oracle(posts, late, data_end)
    return posts, path, late, want


def worker_env() -> dict[str, str]:
    import json

    return {"BRANDPULSE_WATCHLIST": json.dumps(WATCHLIST), "BRANDPULSE_ALLOWED_LATENESS_SECONDS": str(LATENESS),
            "BRANDPULSE_IDLE_GRACE_SECONDS": "2", "BRANDPULSE_TOPIC_PARTITIONS": str(PARTITIONS)}


def check(worker, scenario, *replay_args: str) -> dict[tuple, dict]:
    _posts, path, late, want = scenario
    run_replay(worker, path, *replay_args)
    asyncio.run(produce(worker.settings.bootstrap_servers, worker.settings.posts_topic, sentinels()))
    got, late_records = published(worker, set(want))
    expected = {k: (r if r is not None else zero(*k)) for k, r in want.items()}
    in_range = {k: v for k, v in got.items() if k in expected}
    missing = sorted(set(expected) - set(got))[:5]
    assert not missing, f"windows never published, e.g. {missing}"
    diffs = {k: {f: (in_range[k][f], expected[k][f]) for f in expected[k] if in_range[k][f] != expected[k][f]}
             for k in expected if in_range[k] != expected[k]}
    assert not diffs, f"{len(diffs)} windows differ from the oracle, e.g. {list(diffs.items())[:3]}"
    # Nothing published that the oracle does not have, before the data's end (sentinel and trailing zeros aside).
    data_end = max(k[2] for k in want)
    extra = [k for k in got if k not in expected and k[0] != "#zzsentinel" and k[2] <= data_end
             and not (k[0] in {"brand:acme", "#acme", "@acmesupport", "acme corp"} and got[k]["posts"] == 0)]
    assert extra == []
    late_posts = Counter(orjson.loads(r.value)["post_id"] for r in late_records)
    assert set(late_posts) == late
    return in_range


def test_fast_and_slow_replays_publish_the_same_windows_as_the_oracle(start_worker, scenario):
    fast = check(start_worker(**worker_env()), scenario)
    # A second deployment of its own: fresh app id and topics.
    slow = check(start_worker(**worker_env(), BRANDPULSE_APP_ID=f"slow-{time.time_ns()}",
                              BRANDPULSE_TOPIC_PREFIX=f"slow-{time.time_ns()}."), scenario, "--speedup", "60")
    assert fast == slow
    brand_minutes = [r for (k, res, _), r in fast.items() if k == "brand:acme" and res == "minute"]
    assert sum(r["posts"] for r in brand_minutes) > 100  # the brand aggregate is really there


def get(worker, path: str) -> tuple[int, dict]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"{worker.web_url}{path}", timeout=10) as resp:
            return resp.status, orjson.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, orjson.loads(exc.read())


def test_queries_answer_from_the_published_windows(start_worker, scenario):
    from prometheus_client.parser import text_string_to_metric_families

    worker = start_worker(**worker_env())
    check(worker, scenario)
    want = scenario[3]

    status, body = get(worker, "/topics/%23alpha/trend?resolution=minute")
    assert status == 200, body
    oracle_minutes = sorted((k[2], (r or {"posts": 0})["posts"]) for k, r in want.items()
                            if k[0] == "#alpha" and k[1] == "minute")
    got = [(int(datetime.fromisoformat(w["window_start"]).timestamp()), w["posts"]) for w in body["windows"]]
    assert got == oracle_minutes

    first = oracle_minutes[3][0]
    status, body = get(worker, f"/topics/%23alpha/trend?resolution=minute&from={datetime.fromtimestamp(first, UTC).isoformat().replace('+00:00', 'Z')}")
    assert [w["posts"] for w in body["windows"]] == [p for _, p in oracle_minutes[3:]]

    (hour_key,) = [k for k in want if k[0] == "#alpha" and k[1] == "hour"]
    status, body = get(worker, "/topics/%23alpha/terms?resolution=hour")
    assert status == 200
    assert body["terms"] == {label: [{"term": t["term"], "count": t["count"]} for t in want[hour_key]["top_terms"][label]]
                             for label in ("positive", "neutral", "negative")}

    status, body = get(worker, "/topics/brand:acme/summary")
    (brand_hour,) = [r for k, r in want.items() if k[0] == "brand:acme" and k[1] == "hour"]
    assert status == 200 and body["last_24_hours"]["posts"] == brand_hour["posts"]

    status, body = get(worker, "/brands")
    assert body["brands"][0]["brand"] == "acme" and "#acme" in body["brands"][0]["topics"]
    status, body = get(worker, "/trending?limit=5")
    assert status == 200 and body["scope"]["partitions"] == [0, 1, 2, 3]
    assert get(worker, "/topics/%23never-seen/trend")[0] == 404
    assert get(worker, "/topics/%23alpha/trend?resolution=day")[0] == 400
    assert get(worker, "/topics/%23alpha/trend?from=yesterday")[0] == 400

    def metric_samples() -> dict:
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for f in text_string_to_metric_families(worker.metrics_text()) for s in f.samples}

    # Event time moved 2.5 h past the data: every topic has expired but the watched ones (and the
    # sentinel's own), so state does not grow with the topics ever seen.
    deadline = time.monotonic() + 30
    while metric_samples()[("brandpulse_trend_keys", ())] != 5 and time.monotonic() < deadline:
        time.sleep(1)
    samples = metric_samples()
    assert samples[("brandpulse_trend_keys", ())] == 5  # brand:acme, #acme, @acmesupport, acme corp, #zzsentinel
    assert samples[("brandpulse_trend_keys_expired_total", ())] >= 3
    for label in ("positive", "neutral", "negative"):
        assert samples[("brandpulse_brand_posts_windowed_total", (("brand", "acme"), ("label", label)))] \
            == brand_hour[label]
    assert samples[("brandpulse_trend_windows_emitted_total", (("resolution", "minute"),))] > 0
    assert samples[("brandpulse_posts_late_total", ())] == len(LATE_IDS)


def test_a_topic_that_goes_quiet_still_closes_its_window_on_the_wall_clock(start_worker):
    worker = start_worker(BRANDPULSE_IDLE_GRACE_SECONDS="1", BRANDPULSE_ALLOWED_LATENESS_SECONDS="0")
    post = {"id": "q1", "text": "only post #quiet", "created_at": "2024-06-01T12:00:57Z",
            "author": {"id": "a", "handle": "a"}}
    started = time.monotonic()
    asyncio.run(produce(worker.settings.bootstrap_servers, worker.settings.posts_topic, [post]))
    got, _ = published(worker, {("#quiet", "minute", int(datetime(2024, 6, 1, 12, 0, tzinfo=UTC).timestamp()))},
                       timeout=60)
    (minute,) = [r for (k, res, _), r in got.items() if k == "#quiet" and res == "minute"]
    assert minute["posts"] == 1
    # No later post ever came: event time followed the wall clock once the source was idle.
    assert time.monotonic() - started < 60


def test_a_topic_query_gives_the_same_answer_on_every_worker(start_worker, scenario):
    first = start_worker(**worker_env())
    second = start_worker(**worker_env())  # same deployment: they share the partitions
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        owned = [get(w, "/trending")[1]["scope"]["partitions"] for w in (first, second)]
        if sorted(owned[0] + owned[1]) == [0, 1, 2, 3] and owned[0] and owned[1]:
            break
        time.sleep(1)
    assert sorted(owned[0] + owned[1]) == [0, 1, 2, 3] and owned[0] and owned[1], owned
    check(first, scenario)
    for topic in ("%23alpha", "%23beta", "%23gamma", "brand:acme", "acme%20corp"):
        answers = [get(w, f"/topics/{topic}/trend?resolution=minute") for w in (first, second)]
        assert answers[0][0] == 200, (topic, answers[0])
        assert answers[0] == answers[1], topic
