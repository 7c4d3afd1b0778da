"""brandpulse's sentiment is exactly vaderSentiment's, every float bit for bit.

On the 4,200 human-rated tweets of the VADER paper, the texts of the project's fixtures and of the bundled
sample tweets, and 5,000 texts of the benchmark's generator; with and without neutral (brand) words,
which must score as vaderSentiment scores with those words popped from its lexicon. The property-based
parity tests are in ``test_vader_fast.py``.
"""

from __future__ import annotations

import contextlib
import gzip
import math
import random
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson
import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from schemas.decode import PostRejected, decode_post
from schemas.records import Sentiment
from streams.enrich import enrich
from streams.sentiment import SentimentScorer, label_of
from streams.vader import Vader

ROOT = Path(__file__).resolve().parents[2]
GROUND_TRUTH = ROOT.parent / "shared" / "data" / "vader_groundtruth" / "tweets_GroundTruth.txt"
FIXTURES = ROOT / "tests" / "fixtures"
SAMPLE = ROOT / "agents" / "samples" / "tweets-2015-cc0.jsonl.gz"

#: Brand-word sets for the neutral-words parity: lexicon words of brand names ("united" +1.8,
#: "amazon"), the rule words that are lexicon words ("no", "kind", "doubt"), common sentiment words,
#: and words that are not in the lexicon at all (a no-op).
NEUTRAL_SETS = (
    frozenset({"united"}),
    frozenset({"amazon", "apple", "delta"}),
    frozenset({"no"}),
    frozenset({"kind", "doubt"}),
    frozenset({"good", "great", "love", "bad", "hate", "thanks"}),
    frozenset({"acmephone", "acmesupport", "least", "but"}),
)


def theirs() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def bits(scores: Mapping[str, float]) -> tuple[tuple[str, str, str], ...]:
    """Every key, type and exact bit pattern (``float.hex`` tells -0.0 from 0.0), in order."""
    return tuple((k, type(v).__name__, v.hex()) for k, v in scores.items())


def sentiment_bits(s: Sentiment) -> tuple[tuple[str, str, str], ...]:
    return bits({"neg": s.neg, "neu": s.neu, "pos": s.pos, "compound": s.compound})


def popped_scores(analyzer: SentimentIntensityAnalyzer, text: str, words: frozenset[str]) -> dict[str, float]:
    """vaderSentiment's scores with ``words`` popped from its lexicon for the call."""
    removed = {w: analyzer.lexicon.pop(w) for w in words if w in analyzer.lexicon}
    try:
        return analyzer.polarity_scores(text)
    finally:
        analyzer.lexicon.update(removed)


def mismatches(texts: list[str], neutral: frozenset[str] = frozenset(), ours: Vader | None = None) -> list[str]:
    """The texts whose scores differ in any bit, through ``Vader`` and through ``SentimentScorer``."""
    ours = ours if ours is not None else Vader()
    scorer, reference = SentimentScorer(ours), theirs()
    bad = []
    for text in texts:
        want = bits(popped_scores(reference, text, neutral) if neutral else reference.polarity_scores(text))
        compound, pos, neu, neg = ours.scores(text, neutral)
        got = bits({"neg": neg, "neu": neu, "pos": pos, "compound": compound})
        s = scorer.score(text, neutral)
        plain_dict_differs = not neutral and bits(ours.polarity_scores(text)) != want
        if got != want or sentiment_bits(s) != want or s.label != label_of(compound) or plain_dict_differs:
            bad.append(text)
    return bad


# ------------------------------------------------------------------------------------------------
# The inputs


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


def _strings_under_text_keys(doc: Any) -> Iterator[str]:
    """Every string held by a ``text`` or ``full_text`` key anywhere in a JSON document (iteratively)."""
    pending = [doc]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("text", "full_text") and isinstance(v, str):
                    yield v
                else:
                    pending.append(v)
        elif isinstance(node, list):
            pending.extend(node)


def _texts_of(messages: list[bytes]) -> list[str]:
    """The texts of raw messages: each ``text``/``full_text`` field, and the text the decoder gives the post
    (a v1.1 retweet's is rebuilt from the original's full text)."""
    texts: dict[str, None] = {}
    for raw in messages:
        try:
            doc = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        texts.update(dict.fromkeys(_strings_under_text_keys(doc)))
        with contextlib.suppress(PostRejected):
            texts[decode_post(raw).text] = None
    return list(texts)


def fixture_texts() -> list[str]:
    messages: list[bytes] = []
    for path in sorted(FIXTURES.glob("*.jsonl")):
        messages += [line for line in path.read_bytes().splitlines() if line.strip()]
    for path in sorted(FIXTURES.glob("*.json")):
        doc = orjson.loads(path.read_bytes())
        messages.append(path.read_bytes())
        messages += [orjson.dumps({"data": post, "includes": doc.get("includes", {})}) for post in doc["data"]]
    return _texts_of(messages)


def sample_texts() -> list[str]:
    with gzip.open(SAMPLE, "rb") as f:
        return _texts_of([line for line in f if line.strip()])


#: bench/ingest.py's word list (copied, so this test does not import the benchmark and its broker).
WORDS = tuple(
    """
    the a flight service today crew seat bag delay gate app update price store order support team new
    launch event city game match fans weather morning night week great good love awesome happy thanks
    excellent amazing best nice cool fun bad terrible awful worst hate angry broken lost late cancelled
    refund rude slow sad disappointed never again problem issue help waiting hours still no yes really
    very so just and but with for from about this that my our your their is was are were will can not
    """.split()
)


def generated_texts(n: int, seed: int = 7) -> list[str]:
    """The texts of bench/ingest.py's ``generate_canonical(n, seed)``: the same random draws, in order."""
    rng = random.Random(seed)
    tags = [f"tag{i}" for i in range(1000)]
    weights = [1 / (i + 1) for i in range(1000)]
    out = []
    for _ in range(n):
        text_words: list[str] = []
        while len(" ".join(text_words)) < rng.randint(80, 200):
            text_words.append(rng.choice(WORDS))
        hashtags = {f"#{t}" for t in rng.choices(tags, weights, k=rng.randint(1, 3))}
        text = " ".join(text_words) + " " + " ".join(sorted(hashtags))
        out.append(text[:240])
        rng.randint(0, 50_000), rng.randint(0, 10**6)  # the author's id and followers
    return out


# ------------------------------------------------------------------------------------------------
# Parity


def test_every_ground_truth_tweet_scores_exactly_as_vader_does():
    rows = ground_truth()
    assert len(rows) == 4200
    assert mismatches([text for _, _, text in rows]) == []


@pytest.mark.parametrize("neutral", NEUTRAL_SETS, ids=lambda s: "+".join(sorted(s)))
def test_ground_truth_with_neutral_words_scores_as_vader_without_them(neutral):
    texts = [text for _, _, text in ground_truth()]
    assert mismatches(texts, neutral) == []


def test_every_fixture_text_scores_exactly_as_vader_does():
    texts = fixture_texts()
    assert len(texts) >= 20  # 4 canonical, 5 v1.1 (with retweeted and quoted texts), 5 v2, the malformed lines
    assert mismatches(texts) == []
    for neutral in NEUTRAL_SETS:
        assert mismatches(texts, neutral) == []


def test_every_sample_tweet_text_scores_exactly_as_vader_does():
    texts = sample_texts()
    assert len(texts) >= 966
    assert mismatches(texts) == []
    for neutral in NEUTRAL_SETS:
        assert mismatches(texts, neutral) == []


def test_the_benchmarks_generated_texts_score_exactly_as_vader_does():
    texts = generated_texts(5_000)
    assert len(texts) == 5_000
    assert mismatches(texts) == []
    assert mismatches(texts[:1_000], frozenset({"good", "no", "great"})) == []


def test_neutral_words_leave_the_shared_lexicon_alone():
    vader = Vader()
    before = dict(vader.lexicon)
    scorer = SentimentScorer(vader)
    assert scorer.score("United was great", frozenset({"united"})).compound != scorer.score("United was great").compound
    assert vader.lexicon == before
    assert "united" in vader.lexicon


def test_the_comparison_can_fail():
    # Bit patterns are compared, so the sign of a zero or one ulp is a mismatch ...
    assert bits({"compound": 0.0}) != bits({"compound": -0.0})
    assert bits({"pos": 0.5}) != bits({"pos": math.nextafter(0.5, 1.0)})
    # ... and a scorer whose lexicon is off for one word fails on the texts that use it, and only there.
    texts = generated_texts(200)
    off = Vader()
    off.lexicon["awful"] += 0.1
    assert mismatches(texts, ours=off) == [t for t in texts if "awful" in t.split()] != []


# ------------------------------------------------------------------------------------------------
# What the published model gives


def pearson(xs: list[float], ys: list[float]) -> float:
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return cov / math.sqrt(sum((x - mx) ** 2 for x in xs) * sum((y - my) ** 2 for y in ys))


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
