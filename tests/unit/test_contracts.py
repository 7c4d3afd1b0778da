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


def test_a_mention_and_a_batch_of_them_validate_against_their_published_schemas():
    from agents.trends import mentions_in
    from schemas.records import MentionBatch

    mentions = tuple(mentions_of(enrich(retweet(), SentimentScorer()), 3, 17))
    jsonschema.validate(orjson.loads(dumps(mentions[0])), json.loads(schema_path("mention").read_text()))
    batch = dumps(MentionBatch(mentions))
    jsonschema.validate(orjson.loads(batch), json.loads(schema_path("mention-batch").read_text()))
    # What ingest writes is what the trend stage reads: ingest joins the serialised mentions itself.
    joined = b'{"mentions":[' + b",".join(dumps(m) for m in mentions) + b"]}"
    assert orjson.loads(joined) == orjson.loads(batch)
    assert [(t, source) for t, source, _, _ in mentions_in(joined)] == [(m.topic, (3, 17)) for m in mentions]


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
    jsonschema.validate({"activities": activities}, json.loads(schema_path("activity-batch").read_text()))
    assert candidates
    for doc in candidates:
        jsonschema.validate(doc, json.loads(schema_path("influence-candidates").read_text()))
    jsonschema.validate({"topics": candidates}, json.loads(schema_path("influence-candidates-batch").read_text()))
    jsonschema.validate(ranking, json.loads(schema_path("influencer-ranking").read_text()))
    united = next(i for rows in ranking["top"].values() for i in rows if i["handle"] == "united")
    assert united["place"] == {"country_code": "US", "country": "United States", "region": "Illinois"}
    assert united["retweets"] == 3 and united["followers"] == 1_000_000
