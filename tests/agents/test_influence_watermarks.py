"""The influence stages' watermarks: read from the stamps on their input, passed on to the ranking stage."""

from __future__ import annotations

from dataclasses import dataclass, field

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
