"""The influence stages' watermarks: read from the stamps on their input, passed on to the ranking stage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import orjson

from schemas.codec import MENTION_COVERS, MENTION_PRODUCER, MENTION_WATERMARK, header_map


@dataclass
class Msg:
    partition: int
    headers: list[tuple[str, bytes]] = field(default_factory=list)


def stamped(partition: int, producer: str, watermark: int, covers: set[int]) -> Msg:
    return Msg(partition, [(MENTION_PRODUCER, producer.encode()), (MENTION_WATERMARK, str(watermark).encode()),
                           (MENTION_COVERS, ",".join(map(str, sorted(covers))).encode())])


def test_the_author_stage_has_a_partitions_watermark_once_its_stamps_cover_every_input_partition(make_app):
    app = make_app(topic_partitions="4")
    stage = app.bp.influence.authors
    assert stage.observe(Msg(1), 0.0) is None  # unstamped
    assert stage.observe(stamped(1, "w1", 5_000, {0, 1}), 0.0) is None  # posts partitions 2 and 3 unaccounted
    assert stage.observe(stamped(1, "w2", 4_000, {2, 3}), 0.0) == 4_000  # the lower of the two
    assert stage.observe(Msg(1), 1.0) == 4_000  # an unstamped record leaves it
    assert stage.observe(stamped(2, "w1", 9_000, {0, 1, 2, 3}), 1.0) == 9_000  # per partition


def test_what_the_author_stage_sends_on_carries_the_lowest_watermark_of_the_partitions_it_knows(make_app):
    app = make_app(topic_partitions="4")
    stage = app.bp.influence.authors
    producer = (MENTION_PRODUCER, b"me")
    stage.assigned = {0, 1, 2}
    assert stage.stamp(producer, 0.0) == [producer]  # no watermark yet: no claim
    stage.observe(stamped(0, "w", 7_000, {0, 1, 2, 3}), 0.0)
    stage.observe(stamped(2, "w", 6_000, {0, 1, 2, 3}), 0.0)
    stage.observe(stamped(3, "w", 1_000, {0, 1, 2, 3}), 0.0)  # not this worker's: left out
    headers = header_map(stage.stamp(producer, 0.0))
    assert headers[MENTION_WATERMARK] == b"6000" and headers[MENTION_COVERS] == b"0,2"
    # The ranking stage reads such claims like ingest's: a watermark once all four partitions are claimed.
    ranking = make_app(topic_partitions="4").bp.influence.rankings
    assert ranking.observe(Msg(1, stage.stamp(producer, 0.0)), 0.0) is None
    assert ranking.observe(stamped(1, "other", 8_000, {1, 3}), 0.0) == 6_000
    stage.on_revoked({0, 2})  # what is revoked is forgotten, and claimed no more
    assert stage.stamp(producer, 0.0) == [producer]


@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    value: bytes
    headers: list[tuple[str, bytes]]


@dataclass
class Event:
    message: Record


def activity_record(app, partition: int, offset: int, post_id: str, at: datetime, stamp: int) -> Event:
    from schemas.codec import dumps
    from schemas.records import Author, Post
    from streams.enrich import enrich
    from streams.influence import activities_of
    from streams.sentiment import SentimentScorer

    post = Post(id=post_id, text="love it #t", created_at=at, author=Author(id="alice", handle="alice"))
    (act,) = activities_of(enrich(post, SentimentScorer()), 0, offset)
    value = b'{"activities":[' + dumps(act) + b"]}"
    return Event(Record(app.bp.settings.activity_topic, partition, offset, value,
                        stamped(partition, "ingest", stamp, {0, 1, 2, 3}).headers))


async def test_candidates_carry_the_watermark_from_before_the_batch_that_made_them(make_app, outputs):
    """A batch's first activity is on time against its own record's stamp, which may be lower than the last
    record's: stamped with the last, its candidates could be dropped as late by the ranking stage."""
    from agents.tables import partition_of

    app = make_app(topic_partitions="4", allowed_lateness_seconds="60")
    sent = outputs(app)
    stage = app.bp.influence.authors
    hour = datetime(2024, 6, 1, 12, tzinfo=UTC)
    p = partition_of(b"alice", 4)
    stage.table, stage.assigned, stage.needs_rebuild = {}, {p}, False  # the one partition of this worker
    for q in range(4):  # a batch before: every partition at the end of the hour plus 10 s
        stage.observe(stamped(q, "ingest", int(hour.timestamp()) + 3610, {0, 1, 2, 3}), 0.0)
    await app.bp.influence._fold_activity([
        activity_record(app, p, 0, "a1", hour + timedelta(seconds=3599), int(hour.timestamp()) + 3630),
        activity_record(app, p, 1, "a2", hour + timedelta(seconds=3700), int(hour.timestamp()) + 3800),
    ])
    (call,) = sent.kwargs(sent.candidates)
    standings = [c for part in orjson.loads(call["value"])["topics"] for c in part["candidates"]]
    assert {(c["resolution"], c["window_start"]) for c in standings} >= {("hour", "2024-06-01T12:00:00Z")}
    # Stamped with the last record's 3,800 s the ranking stage would take the hour as passed (3,600 + 60 s).
    assert header_map(call["headers"])[MENTION_WATERMARK] == str(int(hour.timestamp()) + 3610).encode()
    assert ("hour", int(hour.timestamp())) in stage.table[b"alice"].windows  # kept: it is the previous hour
