"""brandpulse's sentiment is exactly vaderSentiment's, on the 4,200 human-rated tweets of the VADER paper."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from streams.enrich import enrich
from streams.sentiment import SentimentScorer, label_of

GROUND_TRUTH = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "vader_groundtruth" / "tweets_GroundTruth.txt"


def ground_truth() -> list[tuple[str, float, str]]:
    if not GROUND_TRUTH.exists():
        pytest.skip(f"{GROUND_TRUTH} is absent (it ships in the shared reference data, not in the project)")
    rows = []
    for line in GROUND_TRUTH.read_text(encoding="utf-8", errors="strict").splitlines():
        if not line.strip():
            continue
        tweet_id, mean, text = line.split("\t", 2)
        rows.append((tweet_id, float(mean), text))
    return rows


def pearson(xs: list[float], ys: list[float]) -> float:
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return cov / math.sqrt(sum((x - mx) ** 2 for x in xs) * sum((y - my) ** 2 for y in ys))


def test_every_ground_truth_tweet_scores_exactly_as_vader_does():
    rows = ground_truth()
    assert len(rows) == 4200
    ours = SentimentScorer()
    theirs = SentimentIntensityAnalyzer()
    mismatches = []
    for tweet_id, _, text in rows:
        got = ours.score(text)
        want = theirs.polarity_scores(text)
        if (got.compound, got.pos, got.neu, got.neg) != (want["compound"], want["pos"], want["neu"], want["neg"]):
            mismatches.append(tweet_id)
        assert got.label == label_of(want["compound"])
    assert mismatches == []


def test_compound_correlates_with_the_human_ratings_as_published():
    rows = ground_truth()
    scorer = SentimentScorer()
    compounds = [scorer.score(text).compound for _, _, text in rows]
    r = pearson(compounds, [mean for _, mean, _ in rows])
    print(f"\nPearson r between VADER compound and the human mean over {len(rows):,} tweets: {r:.3f}")
    assert round(r, 3) == 0.872


def test_enrichment_scores_the_text_it_is_given():
    from datetime import UTC, datetime

    from schemas.records import Author, Post

    text = "The flight was delayed for 5 hours and nobody told us anything. Awful."
    post = Post(id="1", text=text, created_at=datetime(2024, 1, 1, tzinfo=UTC), author=Author(id="a", handle="h"))
    assert enrich(post, SentimentScorer()).sentiment.compound == SentimentIntensityAnalyzer().polarity_scores(text)[
        "compound"
    ]
