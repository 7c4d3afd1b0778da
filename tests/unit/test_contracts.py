"""The published JSON Schemas match the records, and real output validates against them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import jsonschema
import orjson
import pytest

from schemas.codec import dumps
from schemas.contracts import CONTRACTS, json_schema, schema_path
from schemas.records import Author, Engagement, Post, Reference
from streams.enrich import enrich, mentions_of
from streams.sentiment import SentimentScorer


@pytest.mark.parametrize("stem", list(CONTRACTS))
def test_published_schema_files_are_current(stem):
    published = json.loads(schema_path(stem).read_text())
    assert published == json_schema(stem), "regenerate with: brandpulse schemas --write"


def retweet() -> Post:
    original = Author(id="9", handle="united", followers=1_000_000, verified=True, location="Chicago, IL")
    return Post(
        id="123", text="RT @united: We are sorry about the #delay", created_at=datetime(2024, 1, 1, 8, tzinfo=UTC),
        author=Author(id="1", handle="alice"), kind="retweet",
        ref=Reference(id="100", author_id="9", author_handle="united", author=original, text="We are sorry",
                      created_at=datetime(2024, 1, 1, 8, tzinfo=UTC)),
        hashtags=("delay",), engagement=Engagement(retweets=3), source="twitter_v1",
    )


def test_an_enriched_post_validates_against_its_published_schema():
    enriched = enrich(retweet(), SentimentScorer())
    doc = orjson.loads(dumps(enriched))
    jsonschema.validate(doc, json.loads(schema_path("enriched-post").read_text()))
    assert doc["post"]["created_at"] == "2024-01-01T08:00:00Z"


def test_a_mention_validates_against_its_published_schema():
    (mention, *_) = mentions_of(enrich(retweet(), SentimentScorer()))
    jsonschema.validate(orjson.loads(dumps(mention)), json.loads(schema_path("mention").read_text()))


def test_a_canonical_post_round_trips_through_the_decoder():
    from schemas.decode import decode_post

    post = retweet()
    assert decode_post(dumps(post)) == post.__class__(**{**{f: getattr(post, f) for f in post.__slots__},
                                                          "source": "canonical"})


def test_the_schema_rejects_a_post_without_an_author():
    schema = json.loads(schema_path("post").read_text())
    doc = orjson.loads(dumps(retweet()))
    del doc["author"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, schema)


def influence_records() -> tuple[list[dict], list[dict], dict]:
    """Activity, candidate and ranking records as the influence stages build them from a real retweet."""
    from agents.settings import DEFAULT_WEIGHTS, read_weights
    from streams.influence import ActivityIn, AuthorState, CandidateIn, TopicRanking, activities_of, iso_utc
    from streams.places import locate

    weights = read_weights(DEFAULT_WEIGHTS)
    acts = activities_of(enrich(retweet(), SentimentScorer()))
    activities = [orjson.loads(dumps(a)) for a in acts]
    ranking = TopicRanking("#delay")
    candidates = []
    for doc in activities:
        act = ActivityIn.from_json(doc)
        state = AuthorState(act.author_id)
        windows = state.apply(act)
        for topic, resolution, start, inf in state.candidates(windows, set(act.topics), weights, locate):
            doc = orjson.loads(dumps({"topic": topic, "candidates": [
                {"resolution": resolution, "window_start": iso_utc(start), "influencer": inf}]}))
            candidates.append(doc)
            ranking.upsert(CandidateIn.from_json(doc["candidates"][0]))
    candidates.append({"topic": "#delay", "candidates": [{
        "resolution": "hour", "window_start": "2024-01-01T08:00:00Z",
        "influencer": {"author_id": "1", "withdrawn": True, "last_event_at": "2024-01-01T08:00:00Z"}}]})
    (resolution, start), *_ = ranking.windows
    return activities, candidates, orjson.loads(dumps(ranking.ranking(resolution, start, "hashtag")))


def test_influence_records_validate_against_their_published_schemas():
    activities, candidates, ranking = influence_records()
    assert [a["role"] for a in activities] == ["post", "credit"]
    for doc in activities:
        jsonschema.validate(doc, json.loads(schema_path("activity").read_text()))
    assert candidates
    for doc in candidates:
        jsonschema.validate(doc, json.loads(schema_path("influence-candidates").read_text()))
    jsonschema.validate(ranking, json.loads(schema_path("influencer-ranking").read_text()))
    united = next(i for rows in ranking["top"].values() for i in rows if i["handle"] == "united")
    assert united["place"] == {"country_code": "US", "country": "United States", "region": "Illinois"}
    assert united["retweets"] == 3 and united["followers"] == 1_000_000
