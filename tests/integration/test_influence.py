"""Influencer rankings end to end: a replay whose top 5 per sentiment is known in advance comes back exactly
from the HTTP endpoint and from the ``influencers`` topic, on the real broker and the real worker."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from agents.broker import read_topic
from agents.settings import DEFAULT_WEIGHTS, read_weights
from schemas.contracts import schema_path

from .test_trends import get, run_replay

pytestmark = pytest.mark.integration

T0 = datetime(2024, 6, 1, 12, 5, tzinfo=UTC)
TEXTS = {
    "positive": "I love #brandx, the new release is wonderful and great",
    "neutral": "#brandx opens the new store at nine on Monday",
    "negative": "#brandx is terrible, awful support and a broken order",
}
PLACES = ["London, UK", "Brooklyn, NY", "Paris, France", "Everywhere"]
PER_SENTIMENT = 8
RETWEETERS = 6


def iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def make_posts() -> tuple[list[dict], dict[str, list[str]]]:
    """Eight authors per sentiment, each posting once on #brandx. Within a sentiment every feature of the
    score (followers, listed, posts, likes received) grows with the author's index, so with weights that are
    all positive the top 5 is the five highest indexes, best first, whatever their values."""
    posts, expected = [], {}
    t = T0
    for label, text in TEXTS.items():
        handles = []
        for i in range(PER_SENTIMENT):
            handle = f"{label[:3]}{i}"
            handles.append(handle)
            t += timedelta(seconds=7)
            posts.append({
                "id": f"{handle}-post", "text": text, "created_at": iso(t),
                "author": {"id": f"id-{handle}", "handle": handle, "followers": 100 * 4 ** i, "listed": 2 * 3 ** i,
                           "statuses": 50 * 2 ** i, "location": PLACES[i % len(PLACES)]},
                "engagement": {"likes": 5 * i, "retweets": 0},
            })
        expected[label] = list(reversed(handles))[:5]
    # A post dated 2099 (a wrong clock) must not push the real windows out or expire anyone.
    posts.insert(3, {"id": "future-post", "text": "#brandx from the future", "created_at": "2099-01-01T00:00:00Z",
                     "author": {"id": "id-future", "handle": "future", "followers": 10**9}})
    # A post on #credit retweeted by six others: the retweets credit its author.
    origin = {"id": "id-origin", "handle": "origin", "followers": 300, "location": "Toronto, Canada"}
    posts.append({"id": "origin-post", "text": "Launching #credit today, so proud", "created_at": iso(t),
                  "author": origin})
    for i in range(RETWEETERS):
        posts.append({"id": f"rt{i}", "kind": "retweet", "text": "RT @origin: Launching #credit today, so proud",
                      "created_at": iso(t + timedelta(seconds=10 + i)),
                      "author": {"id": f"id-fan{i}", "handle": f"fan{i}"},
                      "ref": {"id": "origin-post", "author_id": "id-origin", "author_handle": "origin",
                              "author": origin, "text": "Launching #credit today, so proud"}})
    return posts, expected


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> tuple[Path, list[dict], dict[str, list[str]]]:
    weights = read_weights(DEFAULT_WEIGHTS)
    assert all(c > 0 for c in weights.coef), "the scenario's expected ranking assumes positive weights"
    posts, expected = make_posts()
    path = tmp_path_factory.mktemp("influence") / "posts.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(p) for p in posts) + b"\n")
    return path, posts, expected


def handles(ranking: dict) -> dict[str, list[str]]:
    return {label: [i["handle"] for i in rows] for label, rows in ranking["top"].items()}


def wait_for(worker, path: str, done, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    status, body = get(worker, path)
    while not (status == 200 and done(body)) and time.monotonic() < deadline:
        time.sleep(0.5)
        status, body = get(worker, path)
    assert status == 200, body
    return body


def test_the_known_top_five_per_sentiment_comes_back_from_the_endpoint_and_the_topic(start_worker, scenario):
    path, posts, expected = scenario
    worker = start_worker(BRANDPULSE_WATCHLIST=json.dumps({"brandx": ["#brandx"]}))
    run_replay(worker, path)

    complete = lambda body: sum(len(v) for v in body["top"].values()) == 15 and body["ranked_authors"] == 24  # noqa: E731
    for topic in ("%23brandx", "brand:brandx"):
        for resolution in ("hour", "day"):
            body = wait_for(worker, f"/topics/{topic}/influencers?resolution={resolution}", complete)
            assert handles(body) == expected, (topic, resolution)
            assert body["exact"] is True
            assert body["window_start"] == ("2024-06-01T12:00:00Z" if resolution == "hour" else "2024-06-01T00:00:00Z")
    best = body["top"]["positive"][0]
    assert (best["followers"], best["listed"], best["likes"], best["posts"]) == (100 * 4**7, 2 * 3**7, 35, 1)
    assert best["relevance"] == 1.0 and best["sentiment"] == "positive"
    assert best["top_post"] == {"id": "pos7-post", "text": TEXTS["positive"], "retweets": 0, "likes": 35, "replies": 0}
    scores = [i["score"] for i in body["top"]["negative"]]
    assert scores == sorted(scores, reverse=True)

    # The influencer map of the 8 per sentiment: places cycle London, Brooklyn, Paris, unknown.
    status, m = get(worker, "/topics/%23brandx/influencer-map?resolution=hour")
    assert status == 200
    counts = {(p["country_code"], p["region"]): (p["positive"], p["neutral"], p["negative"]) for p in m["places"]}
    assert counts == {("GB", None): (2, 2, 2), ("US", "New York"): (2, 2, 2), ("FR", None): (2, 2, 2),
                      (None, None): (2, 2, 2)}
    status, m = get(worker, "/topics/%23brandx/influencer-map?resolution=hour&depth=1")
    assert sum(p["total"] for p in m["places"]) == 3  # the best of each sentiment: pos7, neu7, neg7 (all unknown)
    assert [(p["country_code"], p["total"]) for p in m["places"]] == [(None, 3)]

    # The same rankings from the influencers topic: the latest record per (topic, resolution, window).
    schema = json.loads(schema_path("influencer-ranking").read_text())
    latest: dict[tuple, dict] = {}
    for rec in asyncio.run(read_topic(worker.settings.bootstrap_servers, worker.settings.influencers_topic)):
        r = orjson.loads(rec.value)
        jsonschema.validate(r, schema)
        assert rec.key.decode() == r["topic"]
        latest[(r["topic"], r["resolution"], r["window_start"])] = r
    for topic in ("#brandx", "brand:brandx"):
        assert handles(latest[(topic, "hour", "2024-06-01T12:00:00Z")]) == expected
        assert handles(latest[(topic, "day", "2024-06-01T00:00:00Z")]) == expected

    # The retweets credit the original author, whose profile the retweets carried.
    credit = wait_for(worker, "/topics/%23credit/influencers",
                      lambda b: any(i["handle"] == "origin" and i["retweets"] == RETWEETERS
                                    for i in b["top"]["positive"]))
    origin = next(i for i in credit["top"]["positive"] if i["handle"] == "origin")
    assert origin["place"]["country_code"] == "CA" and origin["top_post"]["id"] == "origin-post"
    fans = [i for rows in credit["top"].values() for i in rows if i["handle"].startswith("fan")]
    assert fans and all(f["retweets"] == 0 for f in fans)

    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for f in text_string_to_metric_families(worker.metrics_text()) for s in f.samples}
    assert samples[("brandpulse_influence_activities_total", (("role", "post"),))] == len(posts) - 1
    # The 2099 post is dead-lettered by ingest (over BRANDPULSE_MAX_FUTURE_SECONDS ahead): it never reaches
    # the influence stage, whose own guard for records dated ahead stays a second line.
    assert samples[("brandpulse_posts_rejected_total", (("reason", "future"),))] == 1
    assert samples[("brandpulse_influence_future_activities_total", ())] == 0
    assert samples[("brandpulse_influence_activities_total", (("role", "credit"),))] == RETWEETERS
    assert samples[("brandpulse_influence_authors", ())] == 3 * PER_SENTIMENT + 1 + RETWEETERS

    assert get(worker, "/topics/%23brandx/influencers?resolution=week")[0] == 400
    assert get(worker, "/topics/%23brandx/influencer-map?depth=0")[0] == 400
    assert get(worker, "/topics/%23never-seen/influencers")[0] == 404
    assert get(worker, "/topics/%23brandx/influencers?window=previous")[0] == 404


def test_rankings_survive_a_restart_and_keep_folding(start_worker, scenario, tmp_path):
    """A new worker of the same deployment rebuilds the rankings from the changelog it recovers, and folds
    new standings into them: the top 5 after the restart is the old one with the newcomer in place."""
    from agents.broker import stop_process

    path, _, expected = scenario
    # Every record its own batch, as in test_crash.py (docs/reliability.md: with the producer's default batches
    # the stages read their input again from their last batch mark after a short restore; one record per batch
    # keeps the broker's short ListOffsets rarest).
    one_per_batch = {"BRANDPULSE_PRODUCER_MAX_BATCH_BYTES": "1"}
    first = start_worker(**one_per_batch)
    run_replay(first, path)
    complete = lambda body: sum(len(v) for v in body["top"].values()) == 15  # noqa: E731
    before = wait_for(first, "/topics/%23brandx/influencers?resolution=day", complete)
    assert handles(before) == expected
    assert stop_process(first.proc, timeout=30, name="worker") == 0

    second = start_worker(**one_per_batch)  # same app id and topics, a new process: state from the changelog
    after = wait_for(second, "/topics/%23brandx/influencers?resolution=day", complete)
    assert after == before

    newcomer = {"id": "star-post", "text": TEXTS["positive"], "created_at": "2024-06-01T12:59:00Z",
                "author": {"id": "id-star", "handle": "star", "followers": 10**9, "listed": 10**6,
                           "statuses": 10**6, "location": "Paris"}, "engagement": {"likes": 1000}}
    more = tmp_path / "more.jsonl"
    more.write_bytes(orjson.dumps(newcomer) + b"\n")
    run_replay(second, more)
    body = wait_for(second, "/topics/%23brandx/influencers?resolution=day",
                    lambda b: b["top"]["positive"] and b["top"]["positive"][0]["handle"] == "star")
    assert handles(body)["positive"] == ["star", *expected["positive"][:4]]
    assert handles(body)["negative"] == expected["negative"]
    assert body["ranked_authors"] == 3 * PER_SENTIMENT + 1
