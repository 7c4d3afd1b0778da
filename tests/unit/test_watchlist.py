"""Watchlists: brands, their topics, keyword matching, and brand-aware sentiment."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from schemas.records import Author, Post
from streams.enrich import enrich
from streams.sentiment import SentimentScorer
from streams.watchlist import Watchlist, WatchlistError

UNITED = {"united-airlines": ["#united", "@united", "United Airlines"], "amazon": ["#amazon", "@amazon", "amazon"]}


def post(text: str, **kw) -> Post:
    return Post(id="1", text=text, created_at=datetime(2024, 1, 1, tzinfo=UTC), author=Author(id="a", handle="h"), **kw)


def vader_without(text: str, *words: str) -> float:
    """An independent VADER analyser whose lexicon lacks ``words``."""
    analyzer = SentimentIntensityAnalyzer()
    for w in words:
        analyzer.lexicon.pop(w, None)
    return analyzer.polarity_scores(text)["compound"]


def test_a_watchlist_sorts_entries_into_hashtags_mentions_and_keywords():
    wl = Watchlist.parse(UNITED)
    (united, amazon) = wl.brands
    assert united.name == "united-airlines"
    assert united.topics == {"#united", "@united", "united airlines"}
    assert united.keywords == ("united airlines",)
    assert united.neutral_words == {"united", "airlines"}
    assert amazon.neutral_words == {"amazon"}
    assert wl.names == ("united-airlines", "amazon")


@pytest.mark.parametrize(
    ("text", "keywords"),
    [
        ("Flying UNITED   Airlines today", ("united airlines",)),
        ("united\nairlines lost my bag", ("united airlines",)),
        ("reunited airlines", ()),
        ("unitedairlines", ()),
        ("United Airlinesx", ()),
        ("ordered on Amazon, then on amazon again", ("amazon",)),
        ("Ｕｎｉｔｅｄ Ａｉｒｌｉｎｅｓ in full width", ("united airlines",)),
    ],
)
def test_keywords_match_case_folded_on_word_boundaries(text, keywords):
    assert Watchlist.parse(UNITED).keywords_in(text) == keywords


def test_a_brand_counts_a_post_once_however_many_of_its_topics_it_carries():
    wl = Watchlist.parse(UNITED)
    assert wl.brands_of(["#united", "@united", "united airlines", "#other"]) == ("united-airlines",)
    assert wl.brands_of(["#amazon", "#united"]) == ("united-airlines", "amazon")
    assert wl.brands_of(["#other"]) == ()


def test_a_post_about_a_brand_does_not_score_the_brand_name_as_sentiment():
    text = "Flying United today, the crew was fine"
    e = enrich(post(text), SentimentScorer(), watchlist=Watchlist.parse({"united": ["united", "#united"]}))
    assert e.brands == ("united",)
    assert e.keywords == ("united",)
    assert e.sentiment.compound == vader_without(text, "united")
    assert e.vader_compound == SentimentIntensityAnalyzer().polarity_scores(text)["compound"]
    assert e.vader_compound > e.sentiment.compound  # "united" is +1.8 in VADER's lexicon


def test_brand_words_only_go_neutral_for_posts_about_that_brand():
    wl = Watchlist.parse(UNITED)
    text = "We stand united and we love it"  # "united" alone is not the keyword "united airlines"
    e = enrich(post(text), SentimentScorer(), watchlist=wl)
    assert e.brands == ()
    assert e.sentiment.compound == e.vader_compound == SentimentIntensityAnalyzer().polarity_scores(text)["compound"]


def test_a_hashtag_of_the_brand_makes_its_words_neutral_in_the_text():
    text = "#united lost my bag but the united crew was nice"
    e = enrich(post(text), SentimentScorer(), watchlist=Watchlist.parse(UNITED))
    assert e.topics == ("#united",)
    assert e.brands == ("united-airlines",)
    assert e.sentiment.compound == vader_without(text, "united", "airlines")


def test_scoring_with_neutral_words_leaves_the_lexicon_as_it_was():
    scorer = SentimentScorer()
    text = "Amazon delivered, I love amazon"
    before = scorer.score(text)
    neutral = scorer.score(text, frozenset({"amazon"}))
    assert neutral.compound == vader_without(text, "amazon")
    assert scorer.score(text) == before


def test_a_post_without_brand_words_in_the_lexicon_is_scored_once():
    scorer = SentimentScorer()
    assert not scorer.scores_any("ordered on #acme today", frozenset({"acme"}))
    assert scorer.scores_any("Amazon again", frozenset({"amazon"}))


def test_keyword_topics_are_part_of_the_topics_the_post_is_re_keyed_by():
    e = enrich(post("Stuck at the gate with United Airlines #travel"), SentimentScorer(),
               watchlist=Watchlist.parse(UNITED))
    assert e.topics == ("#travel", "united airlines")
    assert e.keywords == ("united airlines",)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (["#a"], "a JSON object"),
        ({"Bad Name": ["#a"]}, "brand 'Bad Name'"),
        ({"ok": []}, "non-empty list"),
        ({"ok": "#a"}, "non-empty list"),
        ({"ok": ["#two words"]}, "must be one word after #"),
        ({"ok": [5]}, "5 is not a #hashtag"),
        ({"ok": ["!!"]}, "'!!' is not a #hashtag"),
        ({f"b{i}": ["#x"] for i in range(501)}, "at most 500"),
    ],
)
def test_a_bad_watchlist_is_refused_naming_the_brand_and_entry(doc, message):
    with pytest.raises(WatchlistError, match=None) as info:
        Watchlist.parse(doc)
    assert message in str(info.value)
