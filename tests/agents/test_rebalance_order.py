"""A revocation that waits for a stage's lock while the group assigns again must not undo the newer assignment
(agents.app): the trend stage would keep folding mentions and never close a window again."""

from __future__ import annotations

import asyncio

from faust.types import TP


async def test_a_revocation_that_finds_a_newer_assignment_leaves_the_stages_partitions_alone(make_app):
    app = make_app()
    s = app.bp.settings
    every = {TP(topic, p) for topic in (s.posts_topic, s.mentions_topic, s.activity_topic, s.candidates_topic)
             for p in range(s.topic_partitions)}
    await app.on_partitions_assigned.send(every)
    assert app.bp.trends.assigned == set(range(s.topic_partitions))

    await app.bp.trends.lock.acquire()  # a batch half-way through
    revoking = asyncio.ensure_future(app.on_partitions_revoked.send(every))
    await asyncio.sleep(0.05)  # the revocation now waits for the trend stage's lock
    await app.on_partitions_assigned.send(every)  # the group has moved on
    app.bp.trends.lock.release()
    await revoking

    assert app.bp.trends.assigned == set(range(s.topic_partitions))
    assert set(app.bp.trends.due) == set(range(s.topic_partitions))
    assert app.bp.influence.authors.assigned == set(range(s.topic_partitions))


async def test_an_ordinary_revocation_still_takes_the_partitions_away(make_app):
    app = make_app()
    s = app.bp.settings
    every = {TP(s.mentions_topic, p) for p in range(s.topic_partitions)}
    await app.on_partitions_assigned.send(every)
    await app.on_partitions_revoked.send({TP(s.mentions_topic, 0)})
    assert app.bp.trends.assigned == set(range(1, s.topic_partitions))
    assert 0 not in app.bp.trends.due
