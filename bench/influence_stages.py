"""Benchmark: the influence stages' own cost and traffic, without Kafka or Faust.

    .venv/bin/python bench/influence_stages.py [--posts 20000] [--batch 500]

Runs the pure code of ``score_authors`` and ``rank_influencers`` (``streams.influence``) over the same generated
posts as ``bench/ingest.py``, batch by batch as the agents do, and prints the time per post and the bytes each
stage would send: candidates, ranking updates, and changelog records (author states; ranking entries). It
asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest import generate_canonical  # noqa: E402

from agents.settings import DEFAULT_WEIGHTS, read_weights  # noqa: E402
from schemas.codec import dumps, loads  # noqa: E402
from schemas.decode import decode_post  # noqa: E402
from streams.enrich import enrich  # noqa: E402
from streams.influence import ActivityIn, AuthorState, CandidateIn, TopicRanking, activities_of, iso_utc  # noqa: E402
from streams.places import gazetteer, locate  # noqa: E402
from streams.sentiment import SentimentScorer  # noqa: E402
from streams.windows import topic_kind  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    weights = read_weights(DEFAULT_WEIGHTS)
    gazetteer()
    scorer = SentimentScorer()
    activities = [dumps(a) for raw in generate_canonical(args.posts)
                  for a in activities_of(enrich(decode_post(raw), scorer))]
    authors: dict[str, AuthorState] = {}
    rankings: dict[str, TopicRanking] = {}
    sent = {"candidates": 0, "rankings": 0, "author changelog": 0, "ranking changelog": 0}
    counts = {"candidates": 0, "rankings": 0}
    started = time.perf_counter()
    for b in range(0, len(activities), args.batch):
        touched: dict[str, tuple[AuthorState, set, set]] = {}
        for raw in activities[b:b + args.batch]:
            act = ActivityIn.from_json(loads(raw))
            state = touched[act.author_id][0] if act.author_id in touched else (
                authors.get(act.author_id) or AuthorState(act.author_id))
            entry = touched.setdefault(act.author_id, (state, set(), set()))
            entry[1].update(state.apply(act))
            entry[2].update(act.topics)
        by_topic: dict[str, list] = {}
        for key, (state, windows, topics) in touched.items():
            for topic, resolution, start, inf in state.candidates(sorted(windows), topics, weights, locate):
                by_topic.setdefault(topic, []).append(
                    {"resolution": resolution, "window_start": iso_utc(start), "influencer": inf})
            authors[key] = state
            sent["author changelog"] += len(dumps(state.to_json()))
        candidates = []
        for topic, standings in by_topic.items():  # one record per topic and batch, as score_authors sends
            value = dumps({"topic": topic, "candidates": standings})
            sent["candidates"] += len(value)
            counts["candidates"] += 1
            candidates.extend((topic, c) for c in loads(value)["candidates"])
        windows_touched: dict[str, tuple[TopicRanking, set]] = {}
        for topic, doc in candidates:
            c = CandidateIn.from_json(doc)
            ranking = windows_touched[topic][0] if topic in windows_touched else (
                rankings.get(topic) or TopicRanking(topic))
            if ranking.upsert(c):
                windows_touched.setdefault(topic, (ranking, set()))[1].add((c.resolution, c.start))
        for topic, (ranking, windows) in windows_touched.items():
            for resolution, start in windows:
                window = ranking.windows.get((resolution, start))
                if window is None or window.signature() == window.published:
                    continue
                sent["rankings"] += len(dumps(ranking.ranking(resolution, start, topic_kind(topic))))
                counts["rankings"] += 1
                window.published, window.meta_dirty = window.signature(), True
            sent["ranking changelog"] += sum(len(dumps(v)) + 60 for *_, v in ranking.changes())
            rankings[topic] = ranking
    elapsed = time.perf_counter() - started
    print(f"{args.posts:,} posts, {len(activities):,} activities, batches of {args.batch}: "
          f"{elapsed:.1f} s, {elapsed / args.posts * 1e6:,.0f} µs per post (one core, no Kafka)")
    for name, total in sent.items():
        extra = f" in {counts[name]:,} records" if name in counts else ""
        print(f"  {name:<18} {total / 1e6:8.1f} MB{extra}, {total / args.posts:,.0f} bytes per post")


if __name__ == "__main__":
    main()
