"""Event-time windows: the streaming fold equals a batch oracle, in any order; lateness, gaps, expiry."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.codec import dumps
from streams.sketches import EXACT_DISTINCT_LIMIT, TERM_CAPACITY, DistinctCounter, TermCounter
from streams.windows import Observation, TopicWindows, batch_windows, compound_e4, topic_kind

T0 = int(datetime(2024, 6, 1, 12, 0, tzinfo=UTC).timestamp())
FAR = T0 + 10 * 86_400
LABEL = {1: "positive", 0: "neutral", -1: "negative"}


def obs(offset_s: int, author: str = "a", compound: float = 0.0, terms: tuple[str, ...] = ()) -> Observation:
    label = "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"
    return Observation(T0 + offset_s, author, compound_e4(compound), label, terms)


observations = st.lists(
    st.builds(
        obs,
        st.integers(0, 3 * 3600),
        st.sampled_from([f"u{i}" for i in range(12)]),
        st.sampled_from([-0.9421, -0.3, -0.05, 0.0, 0.0258, 0.05, 0.4404, 0.9999]),
        st.lists(st.sampled_from(["delay", "bag", "crew", "great", "refund", "seat"]), max_size=3, unique=True).map(tuple),
    ),
    max_size=120,
)


def fold(items: list[Observation], topic: str = "#x") -> list:
    tw = TopicWindows(topic)
    for o in items:
        assert tw.add(o)
    return [w for w in tw.close(FAR, lateness_s=60, idle_s=0) if w.posts]


@settings(max_examples=200, deadline=None)
@given(observations, st.randoms(use_true_random=False))
def test_the_streaming_fold_equals_the_batch_oracle_in_any_order(items, rnd):
    shuffled = list(items)
    rnd.shuffle(shuffled)
    assert fold(shuffled) == list(batch_windows("#x", items))


def test_compound_sums_are_exact_whatever_the_order():
    values = [0.1, 0.2, 0.3, -0.4404, 0.7003, -0.1027] * 50
    items = [obs(i % 60, compound=v) for i, v in enumerate(values)]  # one minute window
    shuffled = list(items)
    random.Random(3).shuffle(shuffled)
    (a_min, a_hour), (b_min, b_hour) = fold(items), fold(shuffled)
    assert a_min.compound_sum == b_min.compound_sum == round(sum(round(v * 1e4) for v in values) / 1e4, 4)
    assert a_min.compound_sumsq == b_min.compound_sumsq
    assert a_min == b_min and a_hour == b_hour


def test_a_minute_window_holds_its_counts_authors_and_terms():
    tw = TopicWindows("#united")
    tw.add(obs(5, "alice", 0.6, ("crew", "great")))
    tw.add(obs(20, "bob", -0.7, ("delay", "bag")))
    tw.add(obs(50, "alice", -0.5, ("delay",)))
    minute, hour = [w for w in tw.close(T0 + 3600 + 60, lateness_s=60, idle_s=0)]
    assert (minute.resolution, minute.window_start, minute.window_end) == (
        "minute", datetime(2024, 6, 1, 12, 0, tzinfo=UTC), datetime(2024, 6, 1, 12, 1, tzinfo=UTC))
    assert (minute.posts, minute.positive, minute.neutral, minute.negative) == (3, 1, 0, 2)
    assert minute.compound_sum == -0.6
    assert minute.compound_mean == -0.2
    assert minute.compound_sumsq == round(0.36 + 0.49 + 0.25, 8)
    assert (minute.authors, minute.authors_exact) == (2, True)
    assert [(t.term, t.count) for t in minute.top_terms["negative"]] == [("delay", 2), ("bag", 1)]
    assert [(t.term, t.count) for t in minute.top_terms["positive"]] == [("crew", 1), ("great", 1)]
    assert hour.resolution == "hour" and hour.posts == 3
    assert minute.kind == "hashtag" and topic_kind("brand:acme") == "brand" and topic_kind("acme corp") == "keyword"


def test_a_window_closes_only_when_the_watermark_passes_its_end_plus_the_lateness():
    tw = TopicWindows("#x")
    tw.add(obs(10))
    assert tw.next_close_s(30) == T0 + 60 + 30
    assert tw.close(T0 + 89, lateness_s=30, idle_s=0) == []
    (minute,) = tw.close(T0 + 90, lateness_s=30, idle_s=0)
    assert minute.resolution == "minute" and minute.posts == 1


def test_a_post_for_a_window_already_emitted_is_late_and_changes_nothing():
    tw = TopicWindows("#x")
    tw.add(obs(10))
    tw.close(T0 + 200, lateness_s=30, idle_s=0)
    before = orjson.dumps(tw.to_json())
    assert tw.add(obs(59)) is False
    assert orjson.dumps(tw.to_json()) == before
    assert tw.add(obs(60)) is True  # the next minute is still open


def test_a_post_within_the_lateness_lands_in_its_own_window():
    tw = TopicWindows("#x")
    tw.add(obs(70))  # minute 1
    assert tw.close(T0 + 60 + 59, lateness_s=60, idle_s=0) == []  # minute 0 has no data anyway
    assert tw.add(obs(30))  # minute 0, 40 s after minute 1 began: within the 60 s lateness
    windows = [w for w in tw.close(T0 + 500, lateness_s=60, idle_s=3600) if w.resolution == "minute"]
    assert [(w.window_start.minute, w.posts) for w in windows] == [(0, 1), (1, 1)]


def test_gaps_between_windows_come_out_as_zero_windows():
    tw = TopicWindows("#x")
    tw.add(obs(0))
    tw.close(T0 + 200, lateness_s=0, idle_s=3600)
    tw.add(obs(4 * 60 + 1))
    minutes = [w for w in tw.close(T0 + 600, lateness_s=0, idle_s=3600) if w.resolution == "minute"]
    assert [(w.window_start.minute, w.posts, w.compound_mean) for w in minutes] == [
        (1, 0, None), (2, 0, None), (3, 0, None), (4, 1, 0.0)]


def test_a_gap_longer_than_the_idle_horizon_is_not_filled():
    tw = TopicWindows("#x")
    tw.add(obs(0))
    tw.close(T0 + 200, lateness_s=0, idle_s=120)
    tw.add(obs(10 * 60))
    minutes = [w for w in tw.close(T0 + 2000, lateness_s=0, idle_s=120) if w.resolution == "minute"]
    assert [w.window_start.minute for w in minutes] == [10]


def test_a_watched_topic_emits_zero_windows_while_it_is_quiet():
    tw = TopicWindows("brand:acme")
    tw.add(obs(0))
    out = tw.close(T0 + 5 * 60, lateness_s=0, idle_s=3600, continuous=True)
    assert [(w.window_start.minute, w.posts) for w in out if w.resolution == "minute"] == [
        (0, 1), (1, 0), (2, 0), (3, 0), (4, 0)]
    assert tw.next_close_s(0, continuous=True) == T0 + 6 * 60


def test_a_quiet_key_expires_after_the_idle_horizon_once_its_windows_are_closed():
    tw = TopicWindows("#x")
    tw.add(obs(0))
    assert not tw.expired(T0 + 7200, idle_s=3600)  # windows still open
    tw.close(T0 + 7200, lateness_s=0, idle_s=3600)
    assert not tw.expired(T0 + 3599, idle_s=3600)
    assert tw.expired(T0 + 3600, idle_s=3600)


@settings(max_examples=60, deadline=None)
@given(observations, st.integers(0, 3 * 3600))
def test_state_survives_a_round_trip_through_its_changelog_form(items, cut):
    whole = TopicWindows("#x")
    restored = TopicWindows("#x")
    for o in items:
        whole.add(o)
        restored.add(o)
    restored.close(T0 + cut, lateness_s=0, idle_s=3600)
    whole.close(T0 + cut, lateness_s=0, idle_s=3600)
    restored = TopicWindows.from_json(orjson.loads(dumps(restored.to_json())))
    assert restored.close(FAR, lateness_s=0, idle_s=3600) == whole.close(FAR, lateness_s=0, idle_s=3600)


def test_distinct_authors_are_exact_up_to_the_limit_then_estimated_closely():
    small = DistinctCounter()
    for i in range(EXACT_DISTINCT_LIMIT):
        small.add(f"user{i}")
        small.add(f"user{i}")
    assert (small.count(), small.is_exact) == (EXACT_DISTINCT_LIMIT, True)
    for n in (1_000, 20_000):
        big = DistinctCounter()
        for i in range(n):
            big.add(f"user{i}")
        assert not big.is_exact
        assert abs(big.count() - n) / n < 0.05, (n, big.count())


def test_the_author_sketch_does_not_depend_on_the_order_of_authors():
    ids = [f"user{i}" for i in range(3000)]
    a, b = DistinctCounter(), DistinctCounter()
    for x in ids:
        a.add(x)
    random.Random(1).shuffle(ids)
    for x in ids:
        b.add(x)
    assert a.to_json() == b.to_json()
    assert DistinctCounter.from_json(a.to_json()).count() == a.count()


def test_term_counts_are_exact_below_capacity_and_bounded_above():
    exact = TermCounter()
    for word in ["delay"] * 5 + ["bag"] * 3 + ["crew"]:
        exact.add(word)
    assert exact.top(2) == [("delay", 5), ("bag", 3)]

    rng = random.Random(5)
    stream = ["heavy"] * 3000 + ["second"] * 1500 + [f"rare{rng.randint(0, 20_000)}" for _ in range(6000)]
    rng.shuffle(stream)
    sketch = TermCounter()
    for word in stream:
        sketch.add(word)
    assert len(sketch.counts) == TERM_CAPACITY
    top = dict(sketch.top(2))
    bound = len(stream) / TERM_CAPACITY
    assert list(top) == ["heavy", "second"]
    assert 3000 <= top["heavy"] <= 3000 + bound
    assert 1500 <= top["second"] <= 1500 + bound


def test_a_record_re_read_after_a_crash_is_recognised_and_not_counted_twice():
    tw = TopicWindows("#x")
    for offset, o in enumerate([obs(1), obs(2), obs(3)]):
        assert not tw.already_applied(offset)
        tw.add(o, offset)
    restored = TopicWindows.from_json(orjson.loads(dumps(tw.to_json())))
    assert [restored.already_applied(o) for o in (0, 1, 2, 3)] == [True, True, True, False]
    restored.add(obs(4), 3)
    (minute, _) = restored.close(FAR, lateness_s=0, idle_s=0)
    assert minute.posts == 4


def test_a_history_keeps_recent_windows_their_trend_and_the_latest_word_cloud():
    from streams.windows import HISTORY_LIMITS, TopicHistory

    tw, history = TopicWindows("#x"), TopicHistory("#x")
    for minute in range(200):
        for i in range(minute % 3):
            tw.add(obs(minute * 60 + i, f"u{i}", -0.6 if minute % 2 else 0.6, ("delay",) if minute % 2 else ("crew",)))
    for w in tw.close(FAR, lateness_s=0, idle_s=86_400):
        history.add(w)
        history.add(w)  # published twice after a restart: kept once
    minutes = history.trend("minute")
    assert len(minutes) == HISTORY_LIMITS["minute"]
    assert minutes[-1]["window_start"] == "2024-06-01T15:19:00Z" and minutes[-1]["posts"] == 199 % 3
    assert [m["posts"] for m in history.trend("minute", from_s=T0 + 197 * 60)] == [2, 0, 1]
    # Minute 199 (odd: one negative post about "delay") is the latest with posts.
    assert history.top_terms["minute"] == {"positive": [], "neutral": [], "negative": [["delay", 1]]}
    latest, baseline, ratio = history.growth(baseline_windows=3)
    assert (latest, baseline) == (1, 1.0) and ratio == 1.0
    restored = TopicHistory.from_json(orjson.loads(dumps(history.to_json())))
    assert restored.trend("hour") == history.trend("hour")


def test_an_expired_topic_keeps_its_history_only_with_enough_posts_and_not_forever():
    from streams.windows import HISTORY_MIN_POSTS, HISTORY_RETENTION_S, TopicHistory

    def history_with(posts: int) -> TopicHistory:
        tw, h = TopicWindows("#x"), TopicHistory("#x")
        for i in range(posts):
            tw.add(obs(i))
        for w in tw.close(FAR, lateness_s=0, idle_s=0):
            h.add(w)
        return h

    newest = T0  # the hour window starts at T0
    assert not history_with(HISTORY_MIN_POSTS - 1).worth_keeping(newest + 10)
    assert history_with(HISTORY_MIN_POSTS).worth_keeping(newest + HISTORY_RETENTION_S - 1)
    assert not history_with(HISTORY_MIN_POSTS).worth_keeping(newest + HISTORY_RETENTION_S)


def test_a_key_whose_windows_are_all_closed_is_due_again_when_it_expires():
    tw = TopicWindows("#x")
    tw.add(obs(10))
    assert tw.next_close_s(0, idle_s=3600) == T0 + 60  # its minute first
    tw.close(T0 + 3600, lateness_s=0, idle_s=3600)
    assert tw.next_close_s(0) is None  # nothing left to close...
    assert tw.next_close_s(0, idle_s=3600) == T0 + 10 + 3600  # ...but a visit due when it expires
    assert tw.expired(T0 + 10 + 3600, idle_s=3600)


def test_a_post_for_an_hour_already_published_is_refused_even_if_its_minute_was_not():
    tw = TopicWindows("#x")
    tw.add(obs(10 * 60))
    (_minute, hour) = tw.close(T0 + 3600, lateness_s=0, idle_s=86_400)  # hour 12:00 published with 1 post
    assert hour.resolution == "hour" and hour.posts == 1
    assert tw.add(obs(30 * 60)) is False  # its minute is newer than any published, but its hour is not
    assert tw.close(T0 + 7200, lateness_s=0, idle_s=86_400) == []  # nothing published again


def test_zero_windows_of_a_watched_topic_stop_at_the_idle_horizon_after_a_jump_in_event_time():
    tw = TopicWindows("brand:acme")
    tw.add(obs(0))
    out = tw.close(T0 + 30 * 86_400, lateness_s=0, idle_s=3600, continuous=True)
    minutes = [w for w in out if w.resolution == "minute"]
    assert minutes[0].posts == 1
    assert len(minutes) <= 1 + 60 + 1  # the post's minute, then at most an hour of zeros
    assert minutes[-1].window_end == datetime.fromtimestamp(T0 + 30 * 86_400, UTC)


def test_growth_compares_the_latest_minute_with_the_hour_before_it():
    from streams.windows import TopicHistory

    tw, h = TopicWindows("#x"), TopicHistory("#x")
    for i in range(60):
        tw.add(obs(i))  # 60 posts in minute 0, five hours ago
    tw.add(obs(5 * 3600 + 10))  # then one post
    for w in tw.close(FAR, lateness_s=0, idle_s=600):
        h.add(w)
    latest, baseline, ratio = h.growth()
    assert (latest, baseline, ratio) == (1, 0.0, 2.0)  # the old burst is not this hour's baseline


def test_a_post_processed_twice_upstream_is_counted_once():
    """Ingest re-processes posts after a crash and sends their mentions again, at new offsets: the source
    (posts partition, offset) on each mention lets the fold count each post once, across a restore too."""
    tw = TopicWindows("#a")
    assert tw.add(obs(1), offset=10, source=(0, 100))
    assert tw.add(obs(2), offset=11, source=(1, 7))
    restored = TopicWindows.from_json(orjson.loads(orjson.dumps(tw.to_json())))
    for again in ((0, 100), (0, 99), (1, 7)):  # the same posts, re-sent as offsets 12, 13, 14
        assert restored.already_counted(again)
    assert not restored.already_counted((0, 101)) and not restored.already_counted((2, 0))
    assert not restored.already_counted(None)  # a mention without a source (an older producer) is not skipped
    assert restored.add(obs(3), offset=12, source=(0, 101))
    (minute,) = [s for s in restored.close(T0 + 500, lateness_s=60, idle_s=3600) if s.resolution == "minute"]
    assert minute.posts == 3


def worst_case_observations(minute_s: int, n: int = 2_000) -> list[Observation]:
    """Posts that fill one minute window as far as its sketches allow: authors past the exact limit, every
    label's terms at capacity and at their longest, negative evidence with full-length text."""
    out = []
    for i in range(n):
        label = LABEL[(i % 3) - 1]
        compound = {"positive": 0.9, "neutral": 0.0, "negative": -0.9}[label]
        terms = tuple(f"{label[:3]}{i:05d}{j}".ljust(40, "x") for j in range(2))
        out.append(Observation(T0 + minute_s + i % 60, f"author-{i:08d}-{'y' * 40}", compound_e4(compound), label,
                               terms, post_id=f"{i:019d}", text="z" * 500, author_handle="h" * 15,
                               followers=10**9))
    return out


def test_one_window_at_its_largest_is_small_enough_that_a_few_open_ones_need_no_measuring():
    from streams.windows import MAX_VALUE_BYTES, UNMEASURED_OPEN_WINDOWS

    tw = TopicWindows("#x")
    for o in worst_case_observations(0):
        assert tw.add(o)
    minute = tw.open[("minute", T0)]
    assert not minute.authors.is_exact and len(minute.terms["negative"].to_json()) == TERM_CAPACITY
    largest = max(len(dumps(acc.to_json())) for acc in tw.open.values())
    # The budget the constant rests on: that many windows, each at its largest, still fit.
    assert UNMEASURED_OPEN_WINDOWS * largest < MAX_VALUE_BYTES, largest


def test_a_topic_over_the_value_limit_sheds_its_oldest_windows_and_only_as_many_as_needed():
    tw = TopicWindows("#x")
    for minute in range(30):
        for o in worst_case_observations(minute * 60, n=600):
            tw.add(o)
    size = len(dumps(tw.to_json()))
    limit = size // 2
    at = tw.shed_watermark(lateness_s=60, max_bytes=limit)
    assert at is not None
    closed = tw.close(at, lateness_s=60, idle_s=3_600)
    assert len(dumps(tw.to_json())) <= limit
    minutes = [w for w in closed if w.resolution == "minute"]
    # The oldest minutes went, in order, and one fewer would not have been enough.
    assert [int(w.window_start.timestamp()) for w in minutes] == [T0 + 60 * i for i in range(len(minutes))]
    assert 0 < len(minutes) < 30 and all(w.posts == 600 for w in minutes)
    assert tw.shed_watermark(lateness_s=60, max_bytes=limit) is None
    # What was published early is final: a post for it now is late, and refused.
    assert not tw.add(worst_case_observations(0, n=1)[0])


def test_a_topic_within_the_value_limit_sheds_nothing():
    tw = TopicWindows("#x")
    for minute in range(30):
        tw.add(obs(minute * 60, terms=("delay",)))
    assert len(tw.open) > 6
    assert tw.shed_watermark(lateness_s=60) is None
