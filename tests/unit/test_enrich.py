"""The enrichment step (``streams.enrich``) and the sentiment label (``streams.sentiment``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from schemas.decode import decode_post
from schemas.records import EnrichedPost, Mention, Post, Sentiment
from streams import extract
from streams.enrich import enrich, mentions_of
from streams.sentiment import (
    NEGATIVE_THRESHOLD,
    POSITIVE_THRESHOLD,
    SentimentScorer,
    default_scorer,
    label_of,
)

TEXTS = [
    "I love my new #AcmePhone, the camera is AMAZING!!! :)",
    "@AcmeSupport worst update ever. My battery dies by noon. Not happy.",
    "The phone is blue.",
    "The camera isn't bad at all, but the screen is not great either",
    "Kinda meh tbh 😐 #monday",
    "",
]


@pytest.fixture(scope="module")
def vader() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


# --------------------------------------------------------------------------------------------
# sentiment


@pytest.mark.parametrize("text", TEXTS)
def test_compound_equals_vader_polarity_scores(
    text: str, vader: SentimentIntensityAnalyzer, scorer: SentimentScorer
) -> None:
    expected = vader.polarity_scores(text)
    got = scorer.score(text)
    assert got.compound == expected["compound"]
    assert (got.pos, got.neu, got.neg) == (expected["pos"], expected["neu"], expected["neg"])
    assert got.label == label_of(expected["compound"])


@pytest.mark.parametrize("text", TEXTS)
def test_enriched_sentiment_is_the_scorer_result_for_the_post_text(
    text: str, scorer: SentimentScorer, vader: SentimentIntensityAnalyzer, make_post: Callable[..., Post]
) -> None:
    enriched = enrich(make_post(text), scorer)
    assert enriched.sentiment == scorer.score(text)
    assert enriched.sentiment.compound == vader.polarity_scores(text)["compound"]


def test_clear_texts_get_the_expected_labels(scorer: SentimentScorer) -> None:
    assert scorer.score("I love this, it is wonderful").label == "positive"
    assert scorer.score("This is terrible and I hate it").label == "negative"
    assert scorer.score("The phone is blue.").label == "neutral"


def test_label_thresholds_are_plus_and_minus_0_05() -> None:
    assert POSITIVE_THRESHOLD == 0.05
    assert NEGATIVE_THRESHOLD == -0.05


@pytest.mark.parametrize(
    ("compound", "label"),
    [
        (1.0, "positive"),
        (0.5, "positive"),
        (0.05, "positive"),
        (0.0500001, "positive"),
        (0.0499999, "neutral"),
        (0.0, "neutral"),
        (-0.0, "neutral"),
        (-0.0499999, "neutral"),
        (-0.05, "negative"),
        (-0.0500001, "negative"),
        (-1.0, "negative"),
    ],
)
def test_label_of_is_positive_from_0_05_negative_from_minus_0_05_and_neutral_between(
    compound: float, label: str
) -> None:
    assert label_of(compound) == label


def test_default_scorer_is_built_once(scorer: SentimentScorer) -> None:
    assert default_scorer() is default_scorer()
    assert default_scorer().score(TEXTS[0]) == scorer.score(TEXTS[0])


def test_sentiment_values_are_plain_floats_in_range(scorer: SentimentScorer) -> None:
    s = scorer.score(TEXTS[0])
    assert isinstance(s, Sentiment)
    assert -1.0 <= s.compound <= 1.0
    assert all(0.0 <= x <= 1.0 for x in (s.pos, s.neu, s.neg))


# --------------------------------------------------------------------------------------------
# enrich


def test_enrich_finds_hashtags_and_mentions_in_the_text(
    scorer: SentimentScorer, make_post: Callable[..., Post]
) -> None:
    enriched = enrich(make_post("Thanks @AcmeSupport for fixing my #AcmePhone #Camera"), scorer)
    assert enriched.hashtags == ("#acmephone", "#camera")
    assert enriched.mentions == ("@acmesupport",)


def test_enrich_merges_the_source_entities_after_the_text(
    scorer: SentimentScorer, make_post: Callable[..., Post]
) -> None:
    post = make_post("#Acme launch day with @Bob", hashtags=("acme", "Launch"), mentions=("carol", "BOB"))
    enriched = enrich(post, scorer)
    assert enriched.hashtags == ("#acme", "#launch")
    assert enriched.mentions == ("@bob", "@carol")


def test_topics_are_the_hashtags_then_the_mentions(
    scorer: SentimentScorer, make_post: Callable[..., Post]
) -> None:
    enriched = enrich(make_post("@zed likes #b and #a, @amy too"), scorer)
    assert enriched.topics == enriched.hashtags + enriched.mentions
    assert enriched.topics == ("#b", "#a", "@zed", "@amy")


def test_enrich_keeps_the_post_unchanged(scorer: SentimentScorer, make_post: Callable[..., Post]) -> None:
    post = make_post("#Acme is great")
    enriched = enrich(post, scorer)
    assert isinstance(enriched, EnrichedPost)
    assert enriched.post is post


def test_enrich_extracts_terms_with_the_given_cap(
    scorer: SentimentScorer, make_post: Callable[..., Post]
) -> None:
    post = make_post("RT @bob: battery camera screen speaker charger #deal https://t.co/x")
    assert enrich(post, scorer).terms == ("battery", "camera", "screen", "speaker", "charger")
    assert enrich(post, scorer, max_terms=2).terms == ("battery", "camera")


def test_enrich_uses_the_default_term_cap(scorer: SentimentScorer, make_post: Callable[..., Post]) -> None:
    text = " ".join(f"term{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(50))
    assert len(enrich(make_post(text), scorer).terms) == extract.DEFAULT_MAX_TERMS


def test_a_post_without_topics_has_empty_topics(
    scorer: SentimentScorer, make_post: Callable[..., Post]
) -> None:
    enriched = enrich(make_post("nothing to see here"), scorer)
    assert enriched.hashtags == enriched.mentions == enriched.topics == ()


def test_enrich_scores_the_full_text_of_a_decoded_v1_retweet(scorer: SentimentScorer) -> None:
    # The retweet's own text is cut at 140 characters; the decoder rebuilt it from the original.
    original = "Our #AcmePhone update is out and it is absolutely fantastic, the camera is brilliant and fast"
    raw = orjson.dumps(
        {
            "id_str": "2",
            "created_at": "Sat Apr 25 16:19:03 +0000 2015",
            "text": "RT @acme: Our #AcmePhone upd\u2026",
            "user": {"id_str": "9", "screen_name": "fan"},
            "retweeted_status": {
                "id_str": "1",
                "text": original,
                "user": {"id_str": "8", "screen_name": "acme"},
            },
        }
    )
    enriched = enrich(decode_post(raw), scorer)
    assert enriched.post.text == f"RT @acme: {original}"
    assert enriched.sentiment == scorer.score(f"RT @acme: {original}")
    assert enriched.sentiment.label == "positive"
    assert enriched.topics == ("#acmephone", "@acme")


def test_enrich_on_the_canonical_fixture(scorer: SentimentScorer, fixtures_dir: Path) -> None:
    lines = (fixtures_dir / "canonical_posts.jsonl").read_bytes().splitlines()
    enriched = [enrich(decode_post(line), scorer) for line in lines]
    assert [e.topics for e in enriched] == [
        ("#acmephone", "@acmesupport"),
        ("#acmephone", "@maria_tech", "@acmesupport"),
        ("@maria_tech",),
        ("#acmephone",),
    ]
    assert [e.sentiment.label for e in enriched] == [label_of(e.sentiment.compound) for e in enriched]
    assert enriched[0].sentiment.label == "positive"
    assert enriched[2].sentiment.label == "negative"  # "overheating, terrible battery life"


# --------------------------------------------------------------------------------------------
# mentions_of


def test_mentions_of_gives_one_mention_per_topic_with_the_same_post(
    scorer: SentimentScorer, make_post: Callable[..., Post]
) -> None:
    enriched = enrich(make_post("#Acme #Launch with @bob"), scorer)
    found = mentions_of(enriched, 2, 41)
    assert [m.topic for m in found] == ["#acme", "#launch", "@bob"]
    post = enriched.post
    assert all(isinstance(m, Mention) for m in found)
    assert {(m.post_id, m.source_partition, m.source_offset, m.event_s, m.author_id, m.author_handle,
             m.followers, m.compound, m.label, m.terms) for m in found} == {
        (post.id, 2, 41, int(post.created_at.timestamp()), post.author.id, post.author.handle,
         post.author.followers, enriched.sentiment.compound, enriched.sentiment.label, enriched.terms)}


def test_a_mention_keeps_the_text_only_of_a_negative_post_cut_for_the_evidence(
    scorer: SentimentScorer, make_post: Callable[..., Post]
) -> None:
    from streams.crisis import SAMPLE_TEXT_CHARS

    happy = enrich(make_post("#acme I love it, wonderful"), scorer)
    angry = enrich(make_post("#acme awful, terrible, I hate it " + "x" * 400), scorer)
    assert happy.sentiment.label == "positive" and angry.sentiment.label == "negative"
    assert [m.text for m in mentions_of(happy)] == [None]
    assert [m.text for m in mentions_of(angry)] == [angry.post.text[:SAMPLE_TEXT_CHARS]]


def test_mentions_of_a_post_without_topics_is_empty(
    scorer: SentimentScorer, make_post: Callable[..., Post]
) -> None:
    assert mentions_of(enrich(make_post("plain words"), scorer)) == []


def test_mentions_of_follows_the_topics_exactly(
    scorer: SentimentScorer, make_post: Callable[..., Post]
) -> None:
    enriched = enrich(make_post("#a #A @b", hashtags=("a", "c"), mentions=("B",)), scorer)
    assert [m.topic for m in mentions_of(enriched)] == list(enriched.topics) == ["#a", "#c", "@b"]
