"""The published JSON Schemas of what brandpulse reads and writes, generated from the records.

``schemas/jsonschema/*.schema.json`` are the files downstream teams consume; a unit test fails when
they differ from what these functions generate (regenerate with ``brandpulse schemas --write``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from schemas.records import (
    Activity,
    ActivityBatch,
    AlertEvent,
    EnrichedPost,
    InfluenceCandidates,
    InfluenceCandidatesBatch,
    InfluencerRanking,
    Mention,
    MentionBatch,
    Post,
    WindowStats,
)

SCHEMA_DIR = Path(__file__).parent / "jsonschema"

#: file stem -> (record, title, description)
CONTRACTS: dict[str, tuple[type, str, str]] = {
    "post": (
        Post,
        "brandpulse canonical post",
        "One social post, the canonical input format (topic `posts`); Twitter API v1.1 tweet objects "
        "and Twitter API v2 responses are also accepted and mapped onto it.",
    ),
    "enriched-post": (
        EnrichedPost,
        "brandpulse enriched post",
        "A post with VADER sentiment and the topics it is about (topic `posts.enriched`, key: post id).",
    ),
    "mention": (
        Mention,
        "brandpulse mention",
        "What the trend windows need of one enriched post under one topic (internal): an element of a "
        "`mention-batch`, and alone the value of a mention set aside as late (topic `mentions.late`, key: the "
        "topic, e.g. `#united`).",
    ),
    "mention-batch": (
        MentionBatch,
        "brandpulse mention batch",
        "The mentions of one ingest batch whose topics hash to one partition (topic `mentions`, key: null; "
        "internal). Re-keying once per batch, not once per mention.",
    ),
    "window-stats": (
        WindowStats,
        "brandpulse window statistics",
        "One closed event-time window (minute or hour) of one topic or brand (topic `hashtag-stats`, "
        "key: the topic, e.g. `#united` or `brand:united-airlines`).",
    ),
    "influencer-ranking": (
        InfluencerRanking,
        "brandpulse influencer ranking",
        "The top influencers of one topic or brand in one event-time hour or day: up to 5 per sentiment with "
        "score, its parts and evidence, and the influencer map (topic `influencers`, key: the topic). Published "
        "whenever a top 5 changes; the latest record per (topic, resolution, window_start) is the ranking.",
    ),
    "alert": (
        AlertEvent,
        "brandpulse alert event",
        "A CloudEvents 1.0 event (structured JSON mode) on topic `alerts`, key: the incident's dedup key. "
        "Incident events (`dev.brandpulse.incident.open|escalate|update|resolve`) carry status, severity, the "
        "figures observed against the baseline, and evidence; notices (`dev.brandpulse.notice.volume_spike|"
        "sentiment_drift`) never page. `id` is stable: a consumer that sees an event twice can tell.",
    ),
    "activity": (
        Activity,
        "brandpulse influence activity",
        "One observed post's bearing on one author's influence: the author posted, or a post of theirs was "
        "retweeted, quoted or replied to (internal): an element of an `activity-batch`.",
    ),
    "activity-batch": (
        ActivityBatch,
        "brandpulse influence activity batch",
        "The activities of one ingest batch whose author ids hash to one partition (topic `influence.activity`, "
        "key: null; internal). Re-keying once per batch, not once per activity.",
    ),
    "influence-candidates": (
        InfluenceCandidates,
        "brandpulse influence candidates",
        "The authors' latest standings on one topic, per hour or day, that changed in one batch (internal): "
        "an element of an `influence-candidates-batch`.",
    ),
    "influence-candidates-batch": (
        InfluenceCandidatesBatch,
        "brandpulse influence candidates batch",
        "The standings that changed in one batch of the author stage, for the topics that hash to one partition "
        "(topic `influence.candidates`, key: null; internal).",
    ),
}


def json_schema(stem: str) -> dict[str, Any]:
    record, title, description = CONTRACTS[stem]
    schema = TypeAdapter(record).json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://brandpulse.dev/schemas/{stem}.schema.json",
        **schema,
        "title": title,
        "description": description,
    }


def schema_path(stem: str) -> Path:
    return SCHEMA_DIR / f"{stem}.schema.json"
