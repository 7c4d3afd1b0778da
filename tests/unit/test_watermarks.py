"""Watermarks across the re-keying step: the slowest active source partition sets the pace."""

from __future__ import annotations

from streams.watermarks import PartitionWatermarks, SourceProgress


def test_the_source_watermark_is_the_slowest_active_partition():
    sp = SourceProgress(idle_grace_s=10)
    sp.assign({0, 1}, now=0)
    sp.observe(0, 1_000, now=1)
    assert sp.watermark(now=1) is None  # partition 1 not read yet: it may hold older posts
    sp.observe(1, 400, now=2)
    assert sp.watermark(now=2) == 400
    sp.observe(1, 900, now=3)
    assert sp.watermark(now=3) == 900


def test_an_idle_source_partition_stops_holding_the_others_back():
    sp = SourceProgress(idle_grace_s=10)
    sp.assign({0, 1}, now=0)
    sp.lag(backlog=set(), caught_up={1})  # the consumer knows partition 1 has nothing to read
    sp.observe(0, 1_000, now=1)
    assert sp.watermark(now=9) is None
    sp.observe(0, 1_050, now=10.5)
    assert sp.watermark(now=10.5) == 1_050  # partition 1 never delivered within the grace period


def test_a_partition_not_read_yet_whose_backlog_is_unknown_holds_for_the_assignment_grace():
    sp = SourceProgress(idle_grace_s=10, assign_grace_s=60)
    sp.assign({0, 1}, now=0)
    sp.observe(0, 1_000, now=30)
    assert sp.watermark(now=30) is None  # partition 1: no highwater yet, maybe a table still recovering
    sp.observe(0, 1_070, now=61)
    assert sp.watermark(now=61) == 1_070


def test_a_partition_with_a_backlog_never_counts_as_idle():
    """After a rebalance, the partitions taken over from a dead worker have its unprocessed posts: their
    older event times must hold the watermark, however long the takeover (table recovery) takes."""
    sp = SourceProgress(idle_grace_s=2)
    sp.assign({0}, now=0)
    sp.observe(0, 5_000, now=1)
    sp.assign({1}, now=2)  # taken over, its backlog not read yet
    sp.lag(backlog={1}, caught_up={0})
    sp.observe(0, 5_100, now=100)
    assert sp.watermark(now=100) is None  # 98 s later, still held back
    sp.observe(1, 3_000, now=101)  # the backlog starts: 2,000 s older than partition 0
    assert sp.watermark(now=101) == 3_000
    assert not sp.is_late(1, 3_050, lateness_s=60)
    sp.lag(backlog=set(), caught_up={0, 1})
    assert sp.watermark(now=103) == 5_100  # read through, both idle after the grace: the newest event


def test_when_every_source_is_idle_the_watermark_follows_the_wall_clock():
    sp = SourceProgress(idle_grace_s=10)
    sp.observe(0, 1_000, now=0)
    sp.observe(1, 2_000, now=5)
    assert sp.watermark(now=5) == 1_000
    assert sp.watermark(now=15) == 2_000  # both idle: newest event, no advance yet
    assert sp.watermark(now=75) == 2_060  # then one second per second


def test_forgotten_partitions_no_longer_count():
    sp = SourceProgress(idle_grace_s=10)
    sp.observe(0, 100, now=0)
    sp.observe(1, 900, now=0)
    sp.positions.update({0: 41, 1: 7})
    sp.forget({0})
    assert sp.watermark(now=1) == 900
    # Where this worker had got to in partition 0 is gone too: if it gets the partition back, the consumer
    # reads again from the committed offset, and the old position would call it caught up too soon.
    assert sp.positions == {1: 7}


ALL = frozenset({0, 1})


def test_a_partition_watermark_is_the_minimum_over_live_producers():
    pw = PartitionWatermarks(idle_grace_s=10, producer_expiry_s=60, sources=ALL)
    assert pw.watermark(0, now=0) is None
    pw.observe(0, "a", 500, frozenset({0}), now=0)
    pw.observe(0, "b", 300, frozenset({1}), now=1)
    assert pw.watermark(0, now=2) == 300
    pw.observe(0, "b", 200, frozenset({1}), now=3)  # stamps never go back
    assert pw.watermark(0, now=3) == 300
    assert pw.watermark(1, now=3) is None


def test_nothing_closes_until_the_producers_cover_every_source_partition():
    pw = PartitionWatermarks(idle_grace_s=10, producer_expiry_s=60, sources=ALL)
    pw.observe(0, "a", 900, frozenset({0}), now=0)
    assert pw.watermark(0, now=1) is None  # source partition 1's worker not heard from yet
    pw.observe(0, "b", 100, frozenset({1}), now=2)
    assert pw.watermark(0, now=2) == 100


def test_a_silent_producer_holds_the_watermark_until_it_is_forgotten():
    pw = PartitionWatermarks(idle_grace_s=10, producer_expiry_s=60, sources=ALL)
    pw.observe(0, "a", 1_000, frozenset({0}), now=0)
    pw.observe(0, "b", 5_000, frozenset({1}), now=0)
    assert pw.watermark(0, now=20) == 1_000  # "a" is silent: it may be crashed, so it holds
    pw.observe(0, "b", 5_100, frozenset({1}), now=70)
    # "a" silent for over a minute: forgotten; until someone claims its source partition nothing closes
    assert pw.watermark(0, now=70) is None
    pw.observe(0, "b", 5_200, ALL, now=71)
    assert pw.watermark(0, now=100) == 5_200  # no extrapolation: "b" announces its own idle progress


def test_a_producer_whose_sources_another_now_claims_no_longer_holds_the_watermark():
    # A worker killed and restarted (a new producer id) replays its backlog: the dead one's last stamp is stale at
    # once, not after a minute in which every topic's open windows pile up.
    pw = PartitionWatermarks(idle_grace_s=10, producer_expiry_s=60, sources=ALL)
    pw.observe(0, "dead", 1_000, ALL, now=0)
    pw.observe(0, "restarted", 900, ALL, now=1)  # from the last commit: behind the dead one's stamp
    assert pw.watermark(0, now=2) == 900
    pw.observe(0, "restarted", 50_000, ALL, now=3)  # past the backlog
    assert pw.watermark(0, now=3) == 50_000
    assert set(pw.stamps[0]) == {"restarted"}


def test_a_producer_that_loses_some_of_its_sources_still_bounds_the_rest():
    pw = PartitionWatermarks(idle_grace_s=10, producer_expiry_s=60, sources=FOUR)
    pw.observe(0, "a", 1_000, FOUR, now=0)
    pw.observe(0, "b", 3_000, frozenset({2, 3}), now=1)  # a rebalance gave sources 2-3 to "b"
    assert pw.stamps[0]["a"][1] == frozenset({0, 1})
    assert pw.watermark(0, now=2) == 1_000  # "a" still holds for sources 0-1
    pw.observe(0, "a", 2_000, frozenset({0, 1}), now=3)
    assert pw.watermark(0, now=3) == 2_000


def test_a_post_is_late_only_relative_to_its_own_partition():
    sp = SourceProgress(idle_grace_s=10)
    sp.observe(0, 1_000, now=0)
    sp.observe(1, 100, now=0)
    assert not sp.is_late(0, 880, lateness_s=120)  # exactly at the allowed lateness
    assert sp.is_late(0, 879, lateness_s=120)
    assert not sp.is_late(1, 50, lateness_s=120)  # partition 1 is behind, not its post
    assert not sp.is_late(2, 0, lateness_s=120)  # nothing seen there yet


FOUR = frozenset({0, 1, 2, 3})


def test_a_producer_that_takes_over_more_partitions_starts_again_from_its_new_lower_stamp():
    # The rebalance bug: a worker read source partitions 0-1 (stamp 5,000); its peer died, and it now covers all
    # four, held back at 1,200 by the dead peer's backlog. Kept at 5,000, it would close the backlog's windows.
    pw = PartitionWatermarks(idle_grace_s=10, producer_expiry_s=60, sources=FOUR)
    pw.observe(0, "a", 5_000, frozenset({0, 1}), now=0)
    assert pw.watermark(0, now=0) is None  # partitions 2-3: their worker not heard from yet
    pw.observe(0, "a", 1_200, FOUR, now=1)
    assert pw.watermark(0, now=2) == 1_200
    pw.observe(0, "a", 1_100, FOUR, now=3)  # an older stamp over the same partitions (a re-read): ignored
    assert pw.watermark(0, now=4) == 1_200
    pw.observe(0, "a", 1_300, FOUR, now=5)
    assert pw.watermark(0, now=6) == 1_300


def test_partitions_far_ahead_of_the_slowest_are_the_ones_to_pause():
    sp = SourceProgress(idle_grace_s=10)
    sp.assign({0, 1, 2}, now=0)
    sp.observe(0, 1_000, now=1)
    sp.observe(1, 1_500, now=1)
    sp.observe(2, 2_000, now=1)
    assert sp.watermark(now=2) == 1_000
    assert sp.ahead(600, now=2) == frozenset({2})  # 1,000 s ahead; partition 1 is 500 s ahead
    assert sp.drift(now=2) == 1_000
    assert sp.ahead(0, now=2) == frozenset()  # 0 turns it off
    sp.observe(0, 1_900, now=3)  # the slowest caught up
    assert sp.ahead(600, now=3) == frozenset()
    assert sp.drift(now=3) == 500  # partition 2 over the new slowest, partition 1


def test_nothing_is_ahead_while_a_partition_has_not_been_read():
    sp = SourceProgress(idle_grace_s=10)
    sp.assign({0, 1}, now=0)
    sp.observe(1, 5_000, now=1)
    assert sp.watermark(now=2) is None
    assert sp.ahead(60, now=2) == frozenset()
    assert sp.drift(now=2) is None


def test_a_paused_partition_never_counts_as_idle():
    """Paused for running ahead, a partition is fetched no more, so the highwater it last reported goes stale and
    says it has nothing left. Counted idle, it would let the watermark pass the posts it still has to deliver
    (bench/crash.py: posts of a resumed partition set aside as late)."""
    sp = SourceProgress(idle_grace_s=2)
    sp.assign({0, 1}, now=0)
    sp.observe(0, 1_000, now=1)
    sp.observe(1, 2_000, now=1)
    sp.lag(backlog={0}, caught_up={1})  # partition 1: position at its last highwater
    assert sp.watermark(now=10) == 1_000 and sp.idle(now=10) == frozenset({1})
    sp.observe(0, 2_500, now=10)
    assert sp.watermark(now=11) == 2_500  # past partition 1's newest: its next posts would be behind it
    sp.paused = frozenset({1})
    assert sp.idle(now=11) == frozenset() and sp.watermark(now=11) == 2_000
    sp.forget({1})
    assert sp.paused == frozenset()


def test_a_resumed_partition_gets_the_idle_grace_again():
    """Resumed after a long pause, a partition's last post is as old as the pause, and until the consumer
    fetches from it again its stale highwater says it has nothing left: counted idle at once, it let the
    watermark pass the posts it was about to deliver (bench/crash.py, 2026-12-02: 434 mentions late in a clean
    run)."""
    sp = SourceProgress(idle_grace_s=2)
    sp.assign({0, 1}, now=0)
    sp.observe(0, 1_000, now=1)
    sp.observe(1, 2_000, now=1)
    sp.paused = frozenset({1})
    sp.lag(backlog={0}, caught_up={1})  # partition 1's highwater from before its pause
    sp.observe(0, 1_900, now=30)
    sp.resume({1}, now=30)
    assert sp.paused == frozenset()
    sp.observe(0, 2_500, now=31)
    assert sp.idle(now=31) == frozenset() and sp.watermark(now=31) == 2_000  # partition 1 holds it back
    assert sp.idle(now=32.5) == frozenset({1})  # the grace has passed since the resume with nothing fetched
