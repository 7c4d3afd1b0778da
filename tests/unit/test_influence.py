"""Influence scoring (``streams.influence``): each part of the score, the credit rules, relevance, rankings."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from schemas.codec import dumps
from schemas.records import Author, Engagement, Place, Post, Reference
from streams import influence as inf
from streams.enrich import enrich
from streams.influence import (
    ActivityIn,
    AuthorState,
    CandidateIn,
    InfluenceWeights,
    RankingWindow,
    TopicRanking,
    WeightsError,
    activities_of,
    score,
)
from streams.sentiment import SentimentScorer
from streams.watchlist import Watchlist

T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
#: Unit weights on standardised features with mean 0 and deviation 1: z = log1p(x), so the arithmetic is plain.
UNIT = InfluenceWeights(coef=(1.0, 1.0, 1.0, 1.0, 1.0), mean=(0.0,) * 5, std=(1.0,) * 5)


def nowhere(_: str | None) -> Place:
    return Place(None, None, None)


def author(uid: str, followers: int = 0, **kw) -> Author:
    return Author(id=uid, handle=kw.pop("handle", uid), followers=followers, **kw)


@pytest.fixture
def fold(scorer: SentimentScorer) -> Callable[..., dict[str, AuthorState]]:
    """Enrich posts, turn them into activity records (through their JSON, as on Kafka) and fold them into a
    state per author; returns the states."""

    def run(*posts: Post, states: dict[str, AuthorState] | None = None,
            watchlist: Watchlist | None = None) -> dict[str, AuthorState]:
        states = {} if states is None else states
        for post in posts:
            e = enrich(post, scorer, watchlist=watchlist or Watchlist())
            for act in activities_of(e):
                a = ActivityIn.from_json(orjson.loads(dumps(act)))
                states.setdefault(a.author_id, AuthorState(a.author_id)).apply(a)
        return states

    return run


def standing(state: AuthorState, topic: str, resolution: str = "hour") -> dict:
    start = max(s for r, s in state.windows if r == resolution)
    out = state.influencer(resolution, start, topic, UNIT, nowhere)
    assert out is not None
    return out


def post(pid: str, text: str, who: Author, *, minutes: float = 0, **kw) -> Post:
    return Post(id=pid, text=text, created_at=T0 + timedelta(minutes=minutes), author=who, **kw)


# --------------------------------------------------------------------------------------------
# the score


def test_score_parts_add_up_to_the_logit_and_the_odds_are_their_product():
    parts = score((100, 10, 50, 7, 3), 0.25, UNIT)
    assert parts.reach == pytest.approx(math.log1p(100) + math.log1p(10) + math.log1p(50))
    assert parts.resonance == pytest.approx(math.log1p(7) + math.log1p(3))
    assert parts.logit == pytest.approx(parts.reach + parts.resonance + math.log(0.25))
    odds = parts.score / (100 - parts.score)
    assert odds == pytest.approx(math.exp(parts.reach) * math.exp(parts.resonance) * 0.25)


def test_score_grows_with_each_feature_given_positive_weights():
    base = score((100, 10, 50, 7, 3), 1.0, UNIT).score
    for i in range(5):
        values = [100, 10, 50, 7, 3]
        values[i] *= 10
        assert score(values, 1.0, UNIT).score > base


def test_no_relevance_means_no_influence_on_the_topic():
    assert score((10**6, 10**4, 10**5, 10**3, 10**3), 0.0, UNIT).score == 0.0


def test_weights_refuse_a_file_for_another_feature_set():
    doc = UNIT.to_json() | {"features": ["followers", "listed"]}
    with pytest.raises(WeightsError, match="features"):
        InfluenceWeights.from_json(doc)
    with pytest.raises(WeightsError, match="std"):
        InfluenceWeights.from_json(UNIT.to_json() | {"std": [1, 1, 0, 1, 1]})
    assert InfluenceWeights.from_json(UNIT.to_json()) == UNIT


# --------------------------------------------------------------------------------------------
# resonance: credits and carried counts


def test_a_retweet_credits_the_original_author(fold):
    alice, bob = author("alice", 5_000), author("bob", 10)
    original = Reference(id="p1", author_id="alice", author_handle="alice", author=alice, text="great #launch")
    states = fold(
        post("p1", "great #launch", alice),
        post("r1", "RT @alice: great #launch", bob, minutes=1, kind="retweet", ref=original),
    )
    a, b = standing(states["alice"], "#launch"), standing(states["bob"], "#launch")
    assert (a["retweets"], a["posts"]) == (1, 1)
    assert (b["retweets"], b["posts"]) == (0, 1)  # the retweeter posted, but earned nothing
    assert a["top_post"]["id"] == "p1" and a["top_post"]["retweets"] == 1


def test_a_retweets_carried_count_is_the_originals_and_goes_to_its_author(fold):
    alice, bob = author("alice"), author("bob")
    original = Reference(id="p1", author_id="alice", author=alice, text="big news #launch",
                         created_at=T0)  # posted in this hour
    states = fold(post("r1", "RT @alice: big news #launch", bob, minutes=20, kind="retweet", ref=original,
                       engagement=Engagement(retweets=40, quotes=2)))
    assert standing(states["alice"], "#launch")["retweets"] == 42
    assert standing(states["bob"], "#launch")["retweets"] == 0


def test_an_old_posts_lifetime_counts_do_not_count_in_todays_window_only_their_growth(fold):
    alice = author("alice")
    old = Reference(id="p1", author_id="alice", author=alice, text="from last week #t",
                    created_at=T0 - timedelta(days=7))
    rt = [post(f"r{i}", "RT @alice: from last week #t", author(f"fan{i}"), minutes=i, kind="retweet", ref=old,
               engagement=Engagement(retweets=10_000 + 10 * i)) for i in range(3)]
    states = fold(*rt)
    # 10,000 retweets were received last week; this hour saw 3 retweets and the count grow by 20.
    assert standing(states["alice"], "#t")["retweets"] == 20
    unknown_age = Reference(id="p2", author_id="alice", author=alice, text="undated #u")
    fold(post("r9", "RT @alice: undated #u", author("fan9"), kind="retweet", ref=unknown_age,
              engagement=Engagement(retweets=500)), states=states)
    assert standing(states["alice"], "#u")["retweets"] == 1  # an original of unknown age: what was seen


def test_observed_retweets_and_the_carried_count_are_not_added_up(fold):
    alice = author("alice")
    original = Reference(id="p1", author_id="alice", author=alice)
    carried = post("p1", "hello #t", alice, engagement=Engagement(retweets=5))
    retweets = [post(f"r{i}", "RT @alice: hello #t", author(f"fan{i}"), minutes=1, kind="retweet", ref=original)
                for i in range(3)]
    states = fold(carried, *retweets)
    assert standing(states["alice"], "#t")["retweets"] == 5  # the 3 seen are among the 5 reported
    more = [post(f"r{i}", "RT @alice: hello #t", author(f"fan{i}"), minutes=2, kind="retweet", ref=original)
            for i in range(3, 7)]
    fold(*more, states=states)
    assert standing(states["alice"], "#t")["retweets"] == 7  # more seen than reported: what was seen


def test_a_like_count_seen_twice_counts_once(fold):
    alice = author("alice")
    first = post("p1", "hello #t", alice, engagement=Engagement(likes=10))
    again = post("p1", "hello #t", alice, minutes=5, engagement=Engagement(likes=10))
    states = fold(first, again)
    assert standing(states["alice"], "#t")["likes"] == 10
    assert standing(states["alice"], "#t")["posts"] == 1
    fold(post("p1", "hello #t", alice, minutes=9, engagement=Engagement(likes=12)), states=states)
    assert standing(states["alice"], "#t")["likes"] == 12  # the latest value, not 22 or 34


def test_the_same_retweet_delivered_twice_counts_once(fold):
    alice = author("alice")
    original = Reference(id="p1", author_id="alice", author=alice)
    rt = post("r1", "RT @alice: hi #t", author("bob"), kind="retweet", ref=original)
    states = fold(rt, rt)
    assert standing(states["alice"], "#t")["retweets"] == 1


def test_a_reply_credits_the_author_replied_to_and_a_self_reply_credits_nobody(fold):
    alice = author("alice")
    to_alice = Reference(id="p1", author_id="alice", author_handle="alice")
    states = fold(post("p1", "hi #t", alice),
                  post("c1", "@alice so true #t", author("bob"), kind="reply", ref=to_alice),
                  post("c2", "and another thing #t", alice, kind="reply", ref=to_alice))
    a = standing(states["alice"], "#t")
    assert a["replies"] == 1
    assert a["posts"] == 2


def test_a_reply_or_quote_says_nothing_of_the_credited_authors_sentiment(fold):
    alice = author("alice")
    to_alice = Reference(id="p1", author_id="alice", author_handle="alice")
    states = fold(post("p1", "What a wonderful, lovely day #t", alice),
                  *[post(f"c{i}", "@alice this is awful, terrible, I hate it #t", author(f"troll{i}"), minutes=1,
                         kind="reply", ref=to_alice) for i in range(5)])
    a = standing(states["alice"], "#t")
    assert a["sentiment"] == "positive" and a["replies"] == 5
    quoted_only = fold(post("q1", "awful take, I hate this #v", author("bob"), kind="quote",
                            ref=Reference(id="x1", author_id="carol", author_handle="carol")))
    assert standing(quoted_only["carol"], "#v")["sentiment"] == "neutral"  # nothing known of carol's words


def test_a_credit_without_a_profile_does_not_erase_the_known_one(fold):
    alice = author("alice", 9_000, listed=40)
    states = fold(post("p1", "hi #t", alice),
                  post("r1", "RT @alice: hi #t", author("bob"), minutes=3, kind="retweet",
                       ref=Reference(id="p1", author_id="alice", author_handle="alice")))
    a = standing(states["alice"], "#t")
    assert (a["followers"], a["listed"], a["retweets"]) == (9_000, 40, 1)


def test_reach_follows_the_latest_profile_by_event_time(fold):
    states = fold(post("p2", "later #t", author("alice", 200), minutes=10),
                  post("p1", "earlier #t", author("alice", 100)))
    assert standing(states["alice"], "#t")["followers"] == 200


# --------------------------------------------------------------------------------------------
# relevance


def test_an_author_posting_on_two_topics_gets_two_relevances(fold):
    alice = author("alice")
    states = fold(post("p1", "one #a", alice), post("p2", "two #a", alice, minutes=1),
                  post("p3", "three #a", alice, minutes=2), post("p4", "four #b", alice, minutes=3))
    assert standing(states["alice"], "#a")["relevance"] == 0.75
    assert standing(states["alice"], "#b")["relevance"] == 0.25
    assert standing(states["alice"], "#a")["score"] > standing(states["alice"], "#b")["score"]


def test_posts_on_no_topic_count_in_the_authors_activity(fold):
    alice = author("alice")
    states = fold(post("p1", "about #a", alice), post("p2", "lunch was nice", alice, minutes=1))
    assert standing(states["alice"], "#a")["relevance"] == 0.5
    assert standing(states["alice"], "#a")["activity"] == 2


def test_one_post_on_two_topics_is_wholly_relevant_to_both(fold):
    states = fold(post("p1", "#a and #b", author("alice")))
    assert standing(states["alice"], "#a")["relevance"] == standing(states["alice"], "#b")["relevance"] == 1.0


def test_watched_brands_get_standings_too(fold):
    wl = Watchlist.parse({"acme": ["#acme", "acme corp"]})
    states = fold(post("p1", "acme corp is great #acme", author("alice")), watchlist=wl)
    assert standing(states["alice"], "brand:acme")["posts"] == 1


def test_relevance_is_per_window(fold):
    alice = author("alice")
    states = fold(post("p1", "#a", alice), post("p2", "#b", alice, minutes=61))  # the next hour
    assert standing(states["alice"], "#b", "hour")["relevance"] == 1.0
    assert standing(states["alice"], "#b", "day")["relevance"] == 0.5


# --------------------------------------------------------------------------------------------
# stance, windows, state


def test_an_authors_sentiment_on_a_topic_is_the_label_of_their_mean(fold):
    alice = author("alice")
    states = fold(post("p1", "I love #t, it is wonderful", alice), post("p2", "#t is terrible", alice, minutes=1))
    s = standing(states["alice"], "#t")
    assert s["sentiment"] == inf.stance(s["compound_mean"])


def activity(p: Post) -> list[ActivityIn]:
    return [ActivityIn.from_json(orjson.loads(dumps(a))) for a in activities_of(enrich(p, SentimentScorer()))]


T0_S = int(T0.timestamp())
LATENESS = 120


def test_an_activity_older_than_the_previous_window_is_set_aside_once_the_watermark_passed_it(fold):
    alice = author("alice")
    states = fold(post("p1", "#t", alice, minutes=180))
    day = T0_S - T0_S % 86_400
    # The watermark has passed the first hour's end by more than the lateness: too late for that hour.
    assert states["alice"].apply(activity(post("p0", "#t", alice))[0], watermark=T0_S + 3600 + LATENESS,
                                 lateness_s=LATENESS) == [("day", day)]
    # Not yet passed: the hour is kept, however far behind the author's newest window (within a day).
    assert states["alice"].apply(activity(post("p00", "#t", alice))[0], watermark=T0_S + 3600 + LATENESS - 1,
                                 lateness_s=LATENESS) == [("hour", T0_S), ("day", day)]


def test_with_no_watermark_an_older_window_is_kept_a_day_and_an_hour_behind_the_newest(fold):
    alice = author("alice")
    states = fold(post("p1", "#t", alice, minutes=60 * 25))
    assert ("hour", T0_S + 3600) in dict.fromkeys(states["alice"].apply(activity(post("p0", "#t", alice,
                                                                                     minutes=61))[0]))
    assert ("hour", T0_S) not in dict.fromkeys(states["alice"].apply(activity(post("p00", "#t", alice))[0]))


def test_a_new_hour_keeps_the_previous_one_and_prune_drops_older_ones_the_watermark_passed(fold):
    alice = author("alice")
    states = fold(post("p1", "#t", alice), post("p2", "#t", alice, minutes=60), post("p3", "#t", alice, minutes=120))
    state = states["alice"]
    hours = sorted(s for r, s in state.windows if r == "hour")
    assert [h - T0_S for h in hours] == [0, 3600, 7200]  # nothing is dropped while the batch folds
    assert state.prune(T0_S + 3600 + LATENESS - 1, LATENESS) == 0  # the first hour may still get posts
    assert state.prune(T0_S + 3600 + LATENESS, LATENESS) == 1
    assert sorted(s - T0_S for r, s in state.windows if r == "hour") == [3600, 7200]
    assert state.prune(T0_S + 10 * 3600, LATENESS) == 0  # the current and previous always stay


def test_an_authors_standings_do_not_depend_on_the_order_their_activity_arrives_in(fold):
    """Input partitions read hours apart in event time deliver an author's activity out of order (bench/crash.py).
    Every window's standing must come out the same as in event-time order: the same activity kept, and the
    profile the author had in that window, not the latest one seen."""
    import random

    bob = author("bob", 10)
    posts = []
    for i in range(40):
        who = author("alice", 100 * (i + 1), handle=f"alice{i}", location=f"Town {i}")
        engagement = Engagement(likes=i, retweets=2 * i)
        posts.append(post(f"a{i}", f"post {i} #t #x{i % 3}", who, minutes=17 * i, engagement=engagement))
        if i % 4 == 0:
            original = Reference(id=f"a{i}", author_id="alice", author=who)
            posts.append(post(f"r{i}", f"RT @alice: post {i} #t", bob, minutes=17 * i + 5, kind="retweet",
                              ref=original, engagement=Engagement(retweets=2 * i + 3)))

    def standings(order: list[Post]) -> dict:
        state = AuthorState("alice")
        for p in order:
            for a in activity(p):
                if a.author_id == "alice":
                    state.apply(a, watermark=None, lateness_s=LATENESS)
        return {(r, s, t): state.influencer(r, s, t, UNIT, nowhere)
                for (r, s), w in state.windows.items() for t in w.topics}

    in_order = standings(posts)
    assert len({k[:2] for k in in_order}) == 12 + 1  # every hour of the 11 h and the day: nothing left out
    shuffled = list(posts)
    for seed in range(5):
        random.Random(seed).shuffle(shuffled)
        assert standings(shuffled) == in_order
    last = max(s for r, s, _ in in_order if r == "hour")
    assert in_order[("hour", last, "#t")]["handle"] == "alice39"  # the window's own latest profile
    first = min(s for r, s, _ in in_order if r == "hour")
    assert in_order[("hour", first, "#t")]["handle"] == "alice3"  # posts 0-3 are in the first hour
    assert in_order[("hour", first, "#t")]["followers"] == 400


def test_an_older_posts_base_count_is_its_earliest_sighting_whatever_the_order(fold):
    alice = author("alice", 10)
    old = Reference(id="o1", author_id="alice", author=alice, created_at=T0 - timedelta(days=3))
    sightings = [post(f"r{i}", "RT @alice: old #t", author(f"b{i}"), minutes=i, kind="retweet", ref=old,
                      engagement=Engagement(retweets=10 + 5 * i)) for i in range(3)]
    forward = fold(*sightings)
    backward = fold(*reversed(sightings))
    assert standing(forward["alice"], "#t")["retweets"] == standing(backward["alice"], "#t")["retweets"] == 10


def test_candidates_are_sent_for_topics_touched_or_whose_score_moved(fold):
    alice = author("alice")
    states = fold(post("p1", "#a", alice), post("p2", "#b", alice, minutes=1))
    state = states["alice"]
    window = [("hour", max(s for r, s in state.windows if r == "hour"))]
    first = state.candidates(window, {"#a", "#b"}, UNIT, nowhere)
    assert {c[0] for c in first} == {"#a", "#b"}
    assert state.candidates(window, set(), UNIT, nowhere) == []  # nothing changed
    fold(post("p3", "#c", alice, minutes=2), states=states)
    moved = state.candidates(window, {"#c"}, UNIT, nowhere)
    assert {c[0] for c in moved} == {"#a", "#b", "#c"}  # their relevance fell


def test_author_state_survives_its_changelog_form(fold):
    alice = author("alice", 50, location="Paris")
    original = Reference(id="p1", author_id="alice", author=alice)
    states = fold(post("p1", "#t", alice, engagement=Engagement(likes=3)),
                  post("r1", "RT @alice: #t", author("bob"), kind="retweet", ref=original))
    state = states["alice"]
    again = AuthorState.from_json(orjson.loads(dumps(state.to_json())))
    assert again == state
    assert standing(again, "#t") == standing(state, "#t")


def test_state_is_bounded_by_the_posts_kept_per_topic(fold):
    alice = author("alice")
    posts = [post(f"p{i}", "#t", alice, minutes=i * 0.1, engagement=Engagement(likes=i)) for i in range(200)]
    states = fold(*posts)
    window = states["alice"].windows[("hour", int(T0.timestamp()))]
    assert len(window.topics["#t"].posts) == inf.MAX_POSTS_PER_TOPIC
    s = standing(states["alice"], "#t")
    assert s["posts"] == 200 and s["likes"] == sum(range(200))  # evicted posts still count
    assert s["top_post"]["id"] == "p199"


def test_an_evicted_post_seen_again_is_not_counted_twice(fold):
    alice = author("alice")
    first = post("p0", "#t", alice, engagement=Engagement(retweets=5))
    busy = [post(f"p{i}", "#t", alice, minutes=1, engagement=Engagement(likes=100 + i))
            for i in range(1, inf.MAX_POSTS_PER_TOPIC + 2)]  # more engaging: p0 is evicted
    states = fold(first, *busy)
    assert "p0" not in states["alice"].windows[("hour", int(T0.timestamp()))].topics["#t"].posts
    fold(post("p0", "#t", alice, minutes=5, engagement=Engagement(retweets=7)), states=states)
    s = standing(states["alice"], "#t")
    assert s["retweets"] == 7  # not 5 + 7
    assert s["posts"] == len(busy) + 1


def test_compaction_keeps_the_counts_and_the_best_posts_text(fold):
    alice = author("alice")
    original = Reference(id="p1", author_id="alice", author=alice, created_at=T0)
    states = fold(post("p1", "best #t", alice, engagement=Engagement(likes=9)),
                  post("p2", "other #t", alice, minutes=1),
                  *[post(f"r{i}", "RT @alice: best #t", author(f"f{i}"), minutes=2, kind="retweet", ref=original)
                    for i in range(3)])
    before = standing(states["alice"], "#t")
    states["alice"].compact(1)
    after = standing(states["alice"], "#t")
    assert {k: after[k] for k in ("retweets", "likes", "posts", "score")} == \
           {k: before[k] for k in ("retweets", "likes", "posts", "score")}
    assert after["top_post"]["text"] == "best #t"


def test_a_topic_dropped_for_the_bound_is_withdrawn_from_its_ranking(fold):
    alice = author("alice")
    tags = [f"#t{i}" for i in range(inf.MAX_TOPICS_PER_WINDOW + 1)]
    states = fold(*[post(f"p{i}", tag, alice, minutes=i * 0.01) for i, tag in enumerate(tags)])
    state = states["alice"]
    window = [("hour", int(T0.timestamp()))]
    out = state.candidates(window, set(tags), UNIT, nowhere)
    withdrawn = [c for c in out if c[3].get("withdrawn")]
    assert [c[0] for c in withdrawn] == ["#t0"]  # the least active, first by name
    ranking = TopicRanking("#t0")
    ranking.upsert(CandidateIn("hour", window[0][1], "alice", 0, candidate("alice", 5.0)))
    ranking.upsert(CandidateIn.from_json(orjson.loads(dumps(
        {"resolution": "hour", "window_start": inf.iso_utc(window[0][1]), "influencer": withdrawn[0][3]}))))
    assert ranking.windows[window[0]].size() == 0
    assert ranking.ranking("hour", window[0][1], "hashtag")["exact"] is False


def test_malformed_records_are_refused_with_a_reason_not_folded():
    good = activities_of(enrich(post("p1", "#t", author("alice")), SentimentScorer()))[0]
    doc = orjson.loads(dumps(good))
    assert ActivityIn.from_json(doc).topics == ("#t",)
    for broken, reason in (({**doc, "role": "boss"}, "role"), ({**doc, "topics": "#t"}, "topics"),
                           ({**doc, "compound": 3}, "compound"), ({**doc, "via_kind": None}, "via_kind"),
                           ({**doc, "author": {**doc["author"], "followers": -1}}, "followers")):
        with pytest.raises(ValueError, match=reason):
            ActivityIn.from_json(broken)
    cand = {"resolution": "hour", "window_start": "2024-06-01T12:00:00Z",
            "influencer": candidate("a", 1.0) | {"reach": 0.0, "resonance": 0.0, "relevance": 1.0, "listed": 0,
                                                "statuses": 0, "activity": 1, "compound_mean": 0.5,
                                                "last_event_at": "2024-06-01T12:00:00Z"}}
    assert CandidateIn.from_json(cand).influencer is not None
    for broken, reason in (({**cand, "resolution": "week"}, "resolution"),
                           ({**cand, "window_start": "2024-06-01T12:30:00Z"}, "window"),
                           ({**cand, "influencer": {**cand["influencer"], "sentiment": "angry"}}, "sentiment"),
                           ({**cand, "influencer": {**cand["influencer"], "score": "high"}}, "score")):
        with pytest.raises(ValueError, match=reason):
            CandidateIn.from_json(broken)


# --------------------------------------------------------------------------------------------
# rankings


def candidate(uid: str, score_: float, sentiment: str = "positive", *, country: str | None = None,
              followers: int = 0) -> dict:
    return {"author_id": uid, "handle": uid, "score": score_, "sentiment": sentiment, "followers": followers,
            "posts": 1, "retweets": 0, "likes": 0, "replies": 0,
            "place": {"country_code": country, "country": country and f"Country {country}", "region": None}}


def test_the_top_five_per_sentiment_are_the_best_scores_best_first():
    w = RankingWindow()
    for i in range(8):
        w.upsert(candidate(f"p{i}", 10.0 + i, "positive"))
        w.upsert(candidate(f"n{i}", 20.0 - i, "negative"))
    top = w.top()
    assert [c["author_id"] for c in top["positive"]] == ["p7", "p6", "p5", "p4", "p3"]
    assert [c["author_id"] for c in top["negative"]] == ["n0", "n1", "n2", "n3", "n4"]
    assert top["neutral"] == []


def test_ties_break_on_followers_then_handle():
    w = RankingWindow()
    w.upsert(candidate("b", 5.0, followers=1))
    w.upsert(candidate("a", 5.0, followers=1))
    w.upsert(candidate("c", 5.0, followers=9))
    assert [c["author_id"] for c in w.top()["positive"]] == ["c", "a", "b"]


def test_an_author_whose_stance_changes_moves_to_the_other_table():
    w = RankingWindow()
    w.upsert(candidate("alice", 50.0, "positive"))
    w.upsert(candidate("alice", 50.0, "negative"))
    assert w.top()["positive"] == [] and [c["author_id"] for c in w.top()["negative"]] == ["alice"]


def test_a_full_sentiment_drops_its_weakest_author_and_says_the_ranking_is_no_longer_exact():
    ranking = TopicRanking("#t")
    start = int(T0.timestamp())
    for i in range(inf.CANDIDATES_PER_SENTIMENT + 3):
        ranking.upsert(CandidateIn("hour", start, f"u{i}", start, candidate(f"u{i}", float(i))))
    window = ranking.windows[("hour", start)]
    assert window.size() == inf.CANDIDATES_PER_SENTIMENT
    assert {"u0", "u1", "u2"}.isdisjoint(window.held["positive"])
    record = ranking.ranking("hour", start, "hashtag")
    assert record["exact"] is False and record["ranked_authors"] == inf.CANDIDATES_PER_SENTIMENT


def test_the_influencer_map_counts_places_by_sentiment_with_unknown_as_its_own_bucket():
    w = RankingWindow()
    w.upsert(candidate("a", 9, "positive", country="US"))
    w.upsert(candidate("b", 8, "negative", country="US"))
    w.upsert(candidate("c", 7, "negative", country="GB"))
    w.upsert(candidate("d", 6, "neutral"))
    places = {p["country_code"]: p for p in w.places()}
    assert (places["US"]["positive"], places["US"]["negative"], places["US"]["total"]) == (1, 1, 2)
    assert places["GB"]["negative"] == 1
    assert places[None] == {"country_code": None, "country": None, "region": None, "positive": 0, "neutral": 1,
                            "negative": 0, "total": 1}
    assert sum(p["total"] for p in w.places(depth=1)) == 3  # the best of each sentiment


def test_the_signature_changes_only_when_a_top_five_does():
    w = RankingWindow()
    for i in range(6):
        w.upsert(candidate(f"u{i}", 10.0 + i))
    before = w.signature()
    w.upsert(candidate("u0", 10.5))  # sixth place moves, the top 5 does not
    assert w.signature() == before
    w.upsert(candidate("u0", 99.0))
    assert w.signature() != before


def test_a_topic_keeps_the_current_and_previous_window_and_older_ones_until_the_watermark_passes():
    ranking = TopicRanking("#t")
    start = int(T0.timestamp())
    for h in range(3):
        assert ranking.upsert(CandidateIn("hour", start + h * 3600, "a", start + h * 3600, candidate("a", 1.0)))
    assert ranking.upsert(CandidateIn("hour", start, "b", start, candidate("b", 1.0)),
                          start + 3600 + LATENESS - 1, LATENESS)  # the watermark has not passed it yet
    assert ranking.prune(start + 3600 + LATENESS - 1, LATENESS) == 0
    assert ranking.prune(start + 3600 + LATENESS, LATENESS) == 1
    assert sorted(s - start for r, s in ranking.windows if r == "hour") == [3600, 7200]
    assert not ranking.upsert(CandidateIn("hour", start, "b", start, candidate("b", 1.0)),
                              start + 3600 + LATENESS, LATENESS)  # older than both, and passed
    assert ranking.prune(start + 100 * 3600, LATENESS) == 0  # the current and previous always stay


def test_a_ranking_persisted_as_its_changes_is_rebuilt_whole():
    store: dict[tuple, dict] = {}

    def persist(r: TopicRanking) -> None:
        for res, start, author_id, value in r.changes():
            if value is None:
                store.pop((res, start, author_id), None)
            else:
                store[(res, start, author_id)] = orjson.loads(dumps(value))

    ranking = TopicRanking("#t")
    start = int(T0.timestamp())
    for i in range(inf.CANDIDATES_PER_SENTIMENT + 2):  # two are dropped
        ranking.upsert(CandidateIn("hour", start, f"u{i}", start, candidate(f"u{i}", float(i))))
    ranking.upsert(CandidateIn("day", start - start % 86_400, "n", start, candidate("n", 3.0, "negative")))
    persist(ranking)
    assert ranking.changes() == []  # nothing new since
    ranking.upsert(CandidateIn("hour", start, "u10", start, candidate("u10", 10.0, "negative")))  # moves
    ranking.upsert(CandidateIn("hour", start + 7200, "z", start + 7200, candidate("z", 1.0)))
    assert ranking.prune(start + 7200, LATENESS) == 1  # the watermark passed the first hour
    persist(ranking)
    again = TopicRanking.from_entries("#t", [(*k, v) for k, v in store.items()])
    assert {k: (w.held, w.dropped) for k, w in again.windows.items()} == \
           {k: (w.held, w.dropped) for k, w in ranking.windows.items()}
    assert again.last_event_s == ranking.last_event_s
    assert not any(k[1] == start for k in store)  # the pruned window left nothing behind


def test_a_post_processed_twice_upstream_counts_once_for_its_author():
    """Ingest re-processes posts after a crash and sends their activity again, at new offsets: the source
    (posts partition, offset) lets the author stage count each post once, across a restore too."""
    alice = author("alice")
    act = ActivityIn.from_json(orjson.loads(dumps(activities_of(enrich(post("p0", "#t", alice), SentimentScorer()))[0])))
    state = AuthorState("alice")
    assert state.apply(act, offset=5, source=(2, 40))
    restored = AuthorState.from_json(orjson.loads(orjson.dumps(state.to_json())))
    assert restored.already_counted((2, 40)) and restored.already_counted((2, 39))
    assert not restored.already_counted((2, 41)) and not restored.already_counted((0, 40))
    assert not restored.already_counted(None)
    assert restored.to_json() == state.to_json()
