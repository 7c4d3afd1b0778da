"""Influence: who moves the conversation on a topic — reach * resonance * relevance, with learned weights.

Three parts, all per author, topic and event-time window (an hour and a day, tumbling, like the trends):

* **reach**: the author's followers, listed count and total posts, from the latest profile seen;
* **resonance**: the engagement the author receives on the topic in the window. Retweets and quotes observed
  in the stream credit the original author (ingest sends a ``credit`` activity for them); counts carried on
  a post (retweet, like and reply counts) count at their latest value, never twice: per post, retweets are
  the larger of the carried count and the retweets observed, and a count seen again replaces the old one;
* **relevance**: the share of the author's activity in the window (distinct posts of theirs, posted or
  engaged with) that is on the topic. An author posting on two topics gets two relevances.

The score is logistic in log-scaled, standardised features with weights learned on the Kaggle "Influencers in
Social Networks" pairs (``brandpulse train-influence``)::

    logit = reach + resonance + ln(relevance)
    reach     = Σ w_f · z(log1p(x_f))  over followers, listed, posts
    resonance = Σ w_f · z(log1p(x_f))  over retweets received, other engagement received (likes + replies)
    score     = 100 · sigmoid(logit)

so the score's odds are the product e^reach * e^resonance * relevance. The pairs have no topics: there every
author's relevance is 1 and ln 1 = 0, so the AUC measured by the training command is that of this very
function. Ranking is invariant under the sigmoid; the 0-100 scale only makes scores readable (50: a typical
author of the training pairs, wholly on the topic).

State is bounded per author and per topic whatever the traffic (see the ``MAX_*`` constants and
``docs/influence.md``). Accumulators are mutated in place by their one owner (one agent, one key), and
``to_json`` / ``from_json`` give the form a table's changelog carries.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from schemas.records import Activity, Author, Engagement, EnrichedPost, Place, SentimentLabel
from streams.enrich import BRAND_PREFIX
from streams.windows import compound_e4

#: The model's features, in order, named as the stream computes them.
FEATURES: tuple[str, ...] = ("followers", "listed", "posts", "retweets_received", "engagement_received")
REACH: tuple[int, ...] = (0, 1, 2)
RESONANCE: tuple[int, ...] = (3, 4)
#: The columns of the Kaggle pairs each feature is learned from (``A_`` / ``B_`` prefixed there). The pairs
#: carry no likes: ``engagement_received`` (likes + replies on the stream) is learned from
#: ``mentions_received``, the other way the pairs' users were engaged with beside retweets.
KAGGLE_COLUMNS: dict[str, str] = {
    "followers": "follower_count",
    "listed": "listed_count",
    "posts": "posts",
    "retweets_received": "retweets_received",
    "engagement_received": "mentions_received",
}

#: Window sizes of the rankings.
RESOLUTIONS: tuple[tuple[str, int], ...] = (("hour", 3600), ("day", 86_400))
SIZES = dict(RESOLUTIONS)
LABELS: tuple[SentimentLabel, ...] = ("positive", "neutral", "negative")

#: How far back from a key's newest window (event time) an older window is kept, at most: the key's own idle
#: horizon (``agents.influence.KEEP_S``). Within it a window is kept until the watermark passes it (:func:`kept`).
RETAIN_S = SIZES["day"] + SIZES["hour"]


def kept(resolution: str, start: int, newest: int | None, watermark: int | None, lateness_s: int) -> bool:
    """Whether one state's window is kept, given the newest window of its size in that state.

    The current and the previous window always are (the queries read them). An older one is kept until the
    watermark of the state's partition passes its end by the allowed lateness, so that no activity on time
    for it can still come, and at most ``RETAIN_S`` behind the newest (with no watermark known, that long).
    Keeping only the current and previous window made the standings depend on arrival order: with input
    partitions read hours apart in event time, an author's older activity came after a newer window and was
    left out, or not, depending on the interleaving (bench/crash.py, docs/influence.md).
    """
    size = SIZES[resolution]
    if newest is None or start >= newest - size:
        return True
    if start <= newest - RETAIN_S:
        return False
    return watermark is None or start + size + lateness_s > watermark


def newest_start(windows: Iterable[tuple[str, int]], resolution: str) -> int | None:
    """The newest window start of a size among a state's window keys."""
    return max((s for r, s in windows if r == resolution), default=None)


def not_kept(windows: Iterable[tuple[str, int]], watermark: int | None, lateness_s: int) -> list[tuple[str, int]]:
    """The window keys of one state that are no longer kept (:func:`kept`)."""
    keys = list(windows)
    newest = {resolution: newest_start(keys, resolution) for resolution, _ in RESOLUTIONS}
    return [(r, s) for r, s in keys if not kept(r, s, newest[r], watermark, lateness_s)]


#: Bounds of one author's state in one window: topics, posts per topic, evicted posts remembered per topic,
#: distinct posts, observed engagements per post. Past them the least active topic is withdrawn, the least
#: engaging post folded into totals (and remembered, so that a later sighting does not count it again).
MAX_TOPICS_PER_WINDOW = 64
MAX_POSTS_PER_TOPIC = 32
MAX_EVICTED_REMEMBERED = 64
MAX_SEEN_POSTS = 1_024
MAX_OBSERVED_PER_POST = 32
#: Longest post text kept as evidence.
MAX_TEXT = 280
_KINDS = frozenset(("original", "retweet", "reply", "quote"))

#: Authors a ranking holds per topic, window and sentiment (the top 5 are read from them).
CANDIDATES_PER_SENTIMENT = 50
TOP_K = 5
#: How many of each sentiment's best the influencer map counts.
MAP_DEPTH = 50


class WeightsError(ValueError):
    """A weights file that does not describe this model."""


@dataclass(frozen=True)
class InfluenceWeights:
    """The learned model: per feature, the mean and standard deviation of log1p(x), and its weight."""

    coef: tuple[float, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    model: str = "logistic"
    #: What the training command measured (cross-validated AUC and the baselines), kept with the weights.
    evaluation: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(FEATURES)
        if not (len(self.coef) == len(self.mean) == len(self.std) == n):
            raise WeightsError(f"expected {n} values each for coef, mean and std ({', '.join(FEATURES)})")
        for name, values in (("coef", self.coef), ("mean", self.mean), ("std", self.std)):
            if not all(isinstance(v, int | float) and math.isfinite(v) for v in values):
                raise WeightsError(f"{name} must hold finite numbers")
        if any(s <= 0 for s in self.std):
            raise WeightsError("std must be positive")

    def to_json(self) -> dict[str, Any]:
        return {"features": list(FEATURES), "model": self.model, "coef": list(self.coef),
                "mean": list(self.mean), "std": list(self.std), "evaluation": self.evaluation}

    @classmethod
    def from_json(cls, d: Any) -> InfluenceWeights:
        if not isinstance(d, dict):
            raise WeightsError("must be a JSON object")
        if d.get("features") != list(FEATURES):
            raise WeightsError(f"'features' must be {list(FEATURES)}, got {d.get('features')!r}")
        try:
            return cls(coef=tuple(d["coef"]), mean=tuple(d["mean"]), std=tuple(d["std"]),
                       model=str(d.get("model", "logistic")), evaluation=dict(d.get("evaluation") or {}))
        except (KeyError, TypeError) as exc:
            raise WeightsError(f"missing or malformed field: {exc}") from None


@dataclass(frozen=True, slots=True)
class ScoreParts:
    reach: float
    resonance: float
    relevance: float
    logit: float
    score: float


def standardised(values: Sequence[float], w: InfluenceWeights) -> list[float]:
    """z-scores of log1p(x) with the training set's mean and standard deviation."""
    return [(math.log1p(max(0.0, float(v))) - m) / s for v, m, s in zip(values, w.mean, w.std, strict=True)]


def score(values: Sequence[float], relevance: float, w: InfluenceWeights) -> ScoreParts:
    """The influence score of one author on one topic (``values`` in :data:`FEATURES` order)."""
    z = standardised(values, w)
    reach = sum(w.coef[i] * z[i] for i in REACH)
    resonance = sum(w.coef[i] * z[i] for i in RESONANCE)
    relevance = min(1.0, max(0.0, relevance))
    if relevance <= 0.0:
        return ScoreParts(reach, resonance, 0.0, -math.inf, 0.0)
    logit = reach + resonance + math.log(relevance)
    return ScoreParts(reach, resonance, relevance, logit, 100.0 / (1.0 + math.exp(-logit)) if logit > -700 else 0.0)


def stance(compound_mean: float) -> SentimentLabel:
    """VADER's convention, applied to the mean compound of the author's posts on the topic."""
    if compound_mean >= 0.05:
        return "positive"
    if compound_mean <= -0.05:
        return "negative"
    return "neutral"


def activities_of(enriched: EnrichedPost, source_partition: int = 0, source_offset: int = 0) -> list[Activity]:
    """The re-keying step of the influence stage: one activity for the post's author, and one crediting the
    author of the post it retweets, quotes or replies to (keyed by author id downstream).

    Topics include the watched brands (``brand:<name>``), so brands get rankings too. A retweet's carried
    retweet and quote counts are its original's (Twitter reports them so), so they go with the credit and the
    retweeter's own post carries none. A self-reply or self-retweet (a thread) credits nobody.
    """
    post = enriched.post
    topics = enriched.topics + tuple(BRAND_PREFIX + b for b in enriched.brands)
    common = {"created_at": post.created_at, "topics": topics, "compound": enriched.sentiment.compound,
              "label": enriched.sentiment.label, "via_id": post.id, "via_kind": post.kind,
              "source_partition": source_partition, "source_offset": source_offset}
    own = Engagement() if post.kind == "retweet" else post.engagement
    out = [Activity(author=post.author, profile_known=True, role="post", post_id=post.id,
                    post_created_at=post.created_at, text=post.text, engagement=own, **common)]
    ref = post.ref
    if ref is not None and post.kind != "original":
        author = ref.author or (Author(id=ref.author_id, handle=ref.author_handle or ref.author_id)
                                if ref.author_id else None)
        if author is not None and author.id != post.author.id:
            carried = (Engagement(retweets=post.engagement.retweets, quotes=post.engagement.quotes)
                       if post.kind == "retweet" else Engagement())
            out.append(Activity(author=author, profile_known=ref.author is not None, role="credit",
                                post_id=ref.id, post_created_at=ref.created_at, text=ref.text,
                                engagement=carried, **common))
    return out


# ----------------------------------------------------------------------------------------------------------
# The author stage: activity (keyed by author) -> candidates (keyed by topic)


def _need(cond: bool, what: str) -> None:
    if not cond:
        raise ValueError(what)


def _count(v: Any, what: str) -> int:
    _need(type(v) is int and v >= 0, f"{what} must be a non-negative integer")
    return v


def _text(v: Any, what: str, *, optional: bool = False) -> str | None:
    _need((optional and v is None) or isinstance(v, str), f"{what} must be a string")
    return v


def _epoch(iso: Any, what: str) -> int:
    _need(isinstance(iso, str), f"{what} must be a time")
    dt = datetime.fromisoformat(iso)
    _need(dt.tzinfo is not None, f"{what} must carry a UTC offset")
    return int(dt.timestamp())


@dataclass(frozen=True, slots=True)
class ActivityIn:
    """What the author stage needs of one ``influence.activity`` record."""

    author_id: str
    handle: str
    name: str | None
    followers: int
    listed: int
    statuses: int
    location: str | None
    profile_known: bool
    role: str  # "post" | "credit"
    post_id: str
    post_created_s: int | None
    via_id: str
    via_kind: str
    event_s: int
    topics: tuple[str, ...]
    compound_e4: int
    text: str | None
    retweets: int  # carried for post_id: retweets + quotes
    likes: int
    replies: int

    @classmethod
    def from_json(cls, d: Any) -> ActivityIn:
        """Parse and check one record; ValueError (or KeyError, TypeError) says what is wrong."""
        _need(isinstance(d, dict), "an activity must be an object")
        a, e = d["author"], d["engagement"]
        _need(isinstance(a, dict) and isinstance(e, dict), "author and engagement must be objects")
        _need(d["role"] in ("post", "credit"), "role must be post or credit")
        _need(d["via_kind"] in _KINDS, f"via_kind must be one of {sorted(_KINDS)}")
        _need(isinstance(d["topics"], list) and all(isinstance(t, str) for t in d["topics"]),
              "topics must be a list of strings")
        _need(isinstance(d["profile_known"], bool), "profile_known must be a boolean")
        compound = d["compound"]
        _need(isinstance(compound, int | float) and -1.0 <= compound <= 1.0, "compound must be in [-1, 1]")
        created = d.get("post_created_at")
        return cls(
            author_id=_text(a["id"], "author.id"), handle=_text(a["handle"], "author.handle"),
            name=_text(a.get("name"), "author.name", optional=True), followers=_count(a["followers"], "followers"),
            listed=_count(a["listed"], "listed"), statuses=_count(a["statuses"], "statuses"),
            location=_text(a.get("location"), "author.location", optional=True),
            profile_known=d["profile_known"], role=d["role"], post_id=_text(d["post_id"], "post_id"),
            post_created_s=None if created is None else _epoch(created, "post_created_at"),
            via_id=_text(d["via_id"], "via_id"), via_kind=d["via_kind"],
            event_s=_epoch(d["created_at"], "created_at"), topics=tuple(d["topics"]),
            compound_e4=compound_e4(compound), text=_text(d.get("text"), "text", optional=True),
            retweets=_count(e["retweets"], "retweets") + _count(e["quotes"], "quotes"),
            likes=_count(e["likes"], "likes"), replies=_count(e["replies"], "replies"),
        )


@dataclass(slots=True)
class PostStat:
    """One post of the author's, on one topic, in one window.

    Carried counts are lifetime totals. For a post created in the window they are engagement received in it;
    for an older post only their growth while the window watched counts (``base_*`` is the first value seen).
    """

    compound_e4: int = 0
    #: whether ``compound_e4`` is the post's own sentiment: the author's own words, or a retweet repeating
    #: them. A reply or quote is another author's words and says nothing of the credited post's.
    compound_known: bool = False
    authored: bool = False
    created_in_window: bool = False
    retweets: int = 0  # latest carried retweets + quotes
    likes: int = 0
    replies: int = 0
    base_retweets: int = 0
    base_likes: int = 0
    base_replies: int = 0
    #: observed retweets / quotes and replies of it: via post id -> "r" (repost) or "c" (comment)
    observed: dict[str, str] = field(default_factory=dict)
    extra_reposts: int = 0
    extra_replies: int = 0
    text: str | None = None

    def carry(self, retweets: int, likes: int, replies: int, *, first: bool) -> None:
        """A sighting's carried counts. They only grow, so the largest seen is the latest and, for an older
        post, the smallest is the earliest (its base): whatever order the sightings arrive in."""
        if not self.created_in_window:
            if first:
                self.base_retweets, self.base_likes, self.base_replies = retweets, likes, replies
            else:
                self.base_retweets = min(self.base_retweets, retweets)
                self.base_likes = min(self.base_likes, likes)
                self.base_replies = min(self.base_replies, replies)
        self.retweets = max(self.retweets, retweets)
        self.likes = max(self.likes, likes)
        self.replies = max(self.replies, replies)

    def observe(self, via_id: str, kind: str) -> None:
        if via_id in self.observed:
            return
        if len(self.observed) < MAX_OBSERVED_PER_POST:
            self.observed[via_id] = kind
        elif kind == "r":
            self.extra_reposts += 1
        else:
            self.extra_replies += 1

    def reposts(self) -> int:
        """Retweets and quotes received in the window: the carried count's share or what was seen, whichever
        is larger (those seen are among those the count reports)."""
        seen = sum(1 for k in self.observed.values() if k == "r") + self.extra_reposts
        return max(self.retweets - self.base_retweets, seen)

    def likes_received(self) -> int:
        return self.likes - self.base_likes

    def replies_received(self) -> int:
        seen = sum(1 for k in self.observed.values() if k == "c") + self.extra_replies
        return max(self.replies - self.base_replies, seen)

    def engagement(self) -> int:
        return self.reposts() + self.likes_received() + self.replies_received()

    def contribution(self) -> list[int]:
        """[posts, authored, compound sum, compounds known, reposts, likes, replies] it adds to its topic."""
        known = int(self.compound_known)
        return [1, int(self.authored), self.compound_e4 * known, known, self.reposts(), self.likes_received(),
                self.replies_received()]

    def compacted(self) -> PostStat:
        """The same counts without the observed ids (which only de-duplicate) and without the text."""
        reposts = sum(1 for k in self.observed.values() if k == "r") + self.extra_reposts
        replies = sum(1 for k in self.observed.values() if k == "c") + self.extra_replies
        return PostStat(self.compound_e4, self.compound_known, self.authored, self.created_in_window,
                        self.retweets, self.likes, self.replies, self.base_retweets, self.base_likes,
                        self.base_replies, {}, reposts, replies, None)

    def to_json(self) -> list[Any]:
        return [self.compound_e4, self.compound_known, self.authored, self.created_in_window, self.retweets,
                self.likes, self.replies, self.base_retweets, self.base_likes, self.base_replies, self.observed,
                self.extra_reposts, self.extra_replies, self.text]

    @classmethod
    def from_json(cls, d: list[Any]) -> PostStat:
        return cls(*d[:10], dict(d[10]), *d[11:])


@dataclass(slots=True)
class TopicActivity:
    """The author's posts on one topic in one window (bounded; evicted posts are folded into totals)."""

    posts: dict[str, PostStat] = field(default_factory=dict)
    #: totals of evicted posts, as :meth:`PostStat.contribution` lists them
    evicted: list[int] = field(default_factory=lambda: [0] * 7)
    #: the latest evicted posts (compacted), so that a post seen again is taken back out of the totals
    #: instead of counted twice
    remembered: dict[str, PostStat] = field(default_factory=dict)
    #: the score last sent for this topic (to skip unchanged candidates)
    sent: float | None = None

    def stat(self, post_id: str) -> tuple[PostStat, bool]:
        """The post's entry, and whether it is new in this window."""
        ps = self.posts.get(post_id)
        if ps is not None:
            return ps, False
        back = self.remembered.pop(post_id, None)
        if back is not None:
            for i, v in enumerate(back.contribution()):
                self.evicted[i] -= v
        self._make_room(MAX_POSTS_PER_TOPIC - 1)
        self.posts[post_id] = back or PostStat()
        return self.posts[post_id], back is None

    def _make_room(self, keep: int) -> None:
        while len(self.posts) > keep:
            victim = min(self.posts, key=lambda k: (self.posts[k].engagement(), self.posts[k].authored, k))
            old = self.posts.pop(victim).compacted()
            for i, v in enumerate(old.contribution()):
                self.evicted[i] += v
            self.remembered[victim] = old
            while len(self.remembered) > MAX_EVICTED_REMEMBERED:
                del self.remembered[next(iter(self.remembered))]  # the oldest eviction is forgotten

    def activity(self) -> int:
        return len(self.posts) + self.evicted[0]

    def compact(self, keep: int) -> None:
        """Drop observed ids and texts (but the best post's), and keep at most ``keep`` posts."""
        best = max(self.posts, key=lambda k: (self.posts[k].engagement(), self.posts[k].authored, k), default=None)
        for k, ps in self.posts.items():
            c = ps.compacted()
            c.text = ps.text if k == best else None
            self.posts[k] = c
        self._make_room(keep)
        self.remembered.clear()

    def to_json(self) -> dict[str, Any]:
        return {"posts": {k: v.to_json() for k, v in self.posts.items()}, "evicted": self.evicted,
                "remembered": {k: v.to_json() for k, v in self.remembered.items()}, "sent": self.sent}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TopicActivity:
        return cls({k: PostStat.from_json(v) for k, v in d["posts"].items()}, list(d["evicted"]),
                   {k: PostStat.from_json(v) for k, v in d["remembered"].items()}, d.get("sent"))


@dataclass(slots=True)
class AuthorWindow:
    #: distinct posts of the author's in the window (posted or engaged with), on any topic or none
    seen: set[str] = field(default_factory=set)
    seen_extra: int = 0
    topics: dict[str, TopicActivity] = field(default_factory=dict)
    #: topics dropped for the bound since the last candidates: the ranking is told to forget the author there
    withdrawn: set[str] = field(default_factory=set)
    #: the author's latest profile seen in the window (by event time, then post id): the standing in a window
    #: uses the profile the author had then, not one seen later, so it does not depend on arrival order.
    #: [event_s, post id, handle, name, followers, listed, statuses, location]; None if no profile was seen.
    profile: list[Any] | None = None
    #: the author's newest activity in the window (event time)
    last_event_s: int = 0

    def take_profile(self, act: ActivityIn) -> None:
        if act.profile_known and (self.profile is None or (act.event_s, act.post_id) > (self.profile[0],
                                                                                        self.profile[1])):
            self.profile = [act.event_s, act.post_id, act.handle, act.name, act.followers, act.listed,
                            act.statuses, act.location]
        self.last_event_s = max(self.last_event_s, act.event_s)

    def activity(self) -> int:
        return len(self.seen) + self.seen_extra

    def see(self, post_id: str) -> None:
        if post_id in self.seen:
            return
        if len(self.seen) < MAX_SEEN_POSTS:
            self.seen.add(post_id)
        else:
            self.seen_extra += 1

    def topic(self, topic: str) -> TopicActivity:
        ta = self.topics.get(topic)
        if ta is None:
            if len(self.topics) >= MAX_TOPICS_PER_WINDOW:
                victim = min(self.topics, key=lambda t: (self.topics[t].activity(), t))
                del self.topics[victim]
                self.withdrawn.add(victim)
            self.withdrawn.discard(topic)
            ta = self.topics[topic] = TopicActivity()
        return ta

    def to_json(self) -> dict[str, Any]:
        return {"seen": sorted(self.seen), "seen_extra": self.seen_extra,
                "topics": {k: v.to_json() for k, v in self.topics.items()}, "withdrawn": sorted(self.withdrawn),
                "profile": self.profile, "last_event_s": self.last_event_s}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> AuthorWindow:
        # Written before windows kept their own profile: no profile (the author's latest serves), no last event.
        return cls(set(d["seen"]), d["seen_extra"], {k: TopicActivity.from_json(v) for k, v in d["topics"].items()},
                   set(d.get("withdrawn", ())), d.get("profile"), d.get("last_event_s", 0))


@dataclass(slots=True)
class AuthorState:
    """One author's influence state (a table value, keyed by the author id): the latest profile, and the
    current and previous window of each size, and older ones until the watermark passes them (:func:`kept`)."""

    author_id: str
    handle: str = ""
    name: str | None = None
    followers: int = 0
    listed: int = 0
    statuses: int = 0
    location: str | None = None
    profile_s: int | None = None  # event time of the profile kept
    windows: dict[tuple[str, int], AuthorWindow] = field(default_factory=dict)
    last_event_s: int = 0
    #: offset of the newest input record folded in: the author's records all come from one partition, so a
    #: re-read one (after a crash) is recognised and skipped.
    applied_offset: int = -1
    #: source (posts) partition -> offset of the newest post folded in from it: ingest sends a partition's
    #: activity in order, so one from a source at or below it is a post processed twice (after a crash).
    sources: dict[int, int] = field(default_factory=dict)

    def already_applied(self, offset: int) -> bool:
        return offset <= self.applied_offset

    def already_counted(self, source: tuple[int, int] | None) -> bool:
        """Whether the post behind an activity record (its posts ``(partition, offset)``) was folded in."""
        return source is not None and source[1] <= self.sources.get(source[0], -1)

    def apply(self, act: ActivityIn, offset: int | None = None, source: tuple[int, int] | None = None,
              watermark: int | None = None, lateness_s: int = 0) -> list[tuple[str, int]]:
        """Fold one activity in; the windows it touched (none if its windows are no longer kept: see
        :func:`kept`, given the watermark of the author's partition). Windows are dropped by :meth:`prune`,
        once their candidates are out, never here."""
        if offset is not None and offset > self.applied_offset:
            self.applied_offset = offset
        if source is not None and source[1] > self.sources.get(source[0], -1):
            self.sources[source[0]] = source[1]
        if act.profile_known and (self.profile_s is None or act.event_s >= self.profile_s):
            self.handle, self.name, self.location = act.handle, act.name, act.location
            self.followers, self.listed, self.statuses = act.followers, act.listed, act.statuses
            self.profile_s = act.event_s
        elif not self.handle:
            self.handle = act.handle
        touched = []
        for resolution, size in RESOLUTIONS:
            start = act.event_s - act.event_s % size
            window = self.windows.get((resolution, start))
            if window is None:
                if not kept(resolution, start, newest_start(self.windows, resolution), watermark, lateness_s):
                    continue  # too late for this author's state
                window = self.windows[(resolution, start)] = AuthorWindow()
            self._fold(window, act, start)
            touched.append((resolution, start))
        self.last_event_s = max(self.last_event_s, act.event_s)
        return touched

    def prune(self, watermark: int | None, lateness_s: int) -> int:
        """Drop the windows no longer kept (:func:`kept`); how many went."""
        gone = not_kept(self.windows, watermark, lateness_s)
        for key in gone:
            del self.windows[key]
        return len(gone)

    @staticmethod
    def _fold(window: AuthorWindow, act: ActivityIn, start: int) -> None:
        window.see(act.post_id)
        window.take_profile(act)
        for topic in act.topics:
            ps, first = window.topic(topic).stat(act.post_id)
            if not ps.created_in_window and act.post_created_s is not None and act.post_created_s >= start:
                # Any sighting that knows the post's creation time says so (a credit may not know it): from
                # then on its counts are all engagement received in the window, whichever sighting came first.
                ps.created_in_window = True
                ps.base_retweets = ps.base_likes = ps.base_replies = 0
            if act.role == "post":
                if not ps.authored:
                    ps.authored, ps.compound_e4, ps.compound_known = True, act.compound_e4, True
                ps.text = _clip(act.text) or ps.text
            else:
                ps.observe(act.via_id, "c" if act.via_kind == "reply" else "r")
                if not ps.compound_known and act.via_kind == "retweet":
                    ps.compound_e4, ps.compound_known = act.compound_e4, True  # a retweet repeats its words
                if ps.text is None:
                    ps.text = _clip(act.text)
            ps.carry(act.retweets, act.likes, act.replies, first=first)

    def influencer(self, resolution: str, start: int, topic: str, w: InfluenceWeights,
                   locate: Callable[[str | None], Place]) -> dict[str, Any] | None:
        """The author's standing on ``topic`` in one window, as an :class:`~schemas.records.Influencer`'s
        JSON form; None if the window holds nothing on the topic."""
        window = self.windows.get((resolution, start))
        ta = window.topics.get(topic) if window else None
        if window is None or ta is None or not ta.activity():
            return None
        # One pass over the posts: the totals (each post's ``contribution``) and the best post (most engagement,
        # then authored, then the largest id: ``TopicActivity.compact``'s order), each count worked out once.
        n, authored, compound_sum, known, reposts, likes, replies = ta.evicted
        best_id, best_key, best_counts = None, None, (0, 0, 0)
        for k, ps in ta.posts.items():
            r, li, c = ps.reposts(), ps.likes_received(), ps.replies_received()
            n += 1
            authored += ps.authored
            if ps.compound_known:
                compound_sum += ps.compound_e4
                known += 1
            reposts += r
            likes += li
            replies += c
            key = (r + li + c, ps.authored, k)
            if best_key is None or key > best_key:
                best_id, best_key, best_counts = k, key, (r, li, c)
        mean = compound_sum / known / 10_000 if known else 0.0
        relevance = n / max(n, window.activity())
        # The profile the author had in the window; the latest known if the window saw none (credits only).
        if window.profile is not None:
            _, _, handle, name, followers, listed, statuses, location = window.profile
        else:
            handle, name, followers, listed, statuses, location = (self.handle, self.name, self.followers,
                                                                    self.listed, self.statuses, self.location)
        parts = score((followers, listed, statuses, reposts, likes + replies), relevance, w)
        top_post = None
        if best_id is not None:
            top_post = {"id": best_id, "text": ta.posts[best_id].text, "retweets": best_counts[0],
                        "likes": best_counts[1], "replies": best_counts[2]}
        return {
            "author_id": self.author_id, "handle": handle or self.handle or self.author_id, "name": name,
            "score": round(parts.score, 6), "reach": round(parts.reach, 4), "resonance": round(parts.resonance, 4),
            "relevance": round(parts.relevance, 4), "followers": followers, "listed": listed,
            "statuses": statuses, "posts": authored, "activity": window.activity(), "retweets": reposts,
            "likes": likes, "replies": replies, "compound_mean": round(mean, 4), "sentiment": stance(mean),
            "location": location, "place": _place_json(locate(location)), "top_post": top_post,
            "last_event_at": iso_utc(window.last_event_s or self.last_event_s),
        }

    def candidates(self, touched: Iterable[tuple[str, int]], topics_touched: set[str], w: InfluenceWeights,
                   locate: Callable[[str | None], Place]) -> list[tuple[str, str, int, dict[str, Any]]]:
        """(topic, resolution, window start, influencer) for every topic of the touched windows whose standing
        changed: the topics touched, and those whose score moved (relevance falls as the author posts
        elsewhere). A topic withdrawn for the bound gives ``{"author_id", "withdrawn": true}``."""
        out = []
        for resolution, start in touched:
            window = self.windows.get((resolution, start))
            if window is None:
                continue
            for topic in sorted(window.withdrawn):
                out.append((topic, resolution, start, {"author_id": self.author_id, "withdrawn": True,
                                                       "last_event_at": iso_utc(self.last_event_s)}))
            window.withdrawn.clear()
            for topic, ta in window.topics.items():
                inf = self.influencer(resolution, start, topic, w, locate)
                if inf is None or (topic not in topics_touched and ta.sent == inf["score"]):
                    continue
                ta.sent = inf["score"]
                out.append((topic, resolution, start, inf))
        return out

    def expired(self, now_event_s: int) -> bool:
        """Nothing in the last day and an hour of event time: the state can go."""
        return self.last_event_s + SIZES["day"] + SIZES["hour"] <= now_event_s

    def compact(self, level: int) -> None:
        """Make the state smaller (the table's value is too large): ids and texts go first, then posts."""
        keep = max(1, MAX_POSTS_PER_TOPIC >> level)
        for window in self.windows.values():
            for ta in window.topics.values():
                ta.compact(keep)
            if level >= 2:
                window.seen_extra += len(window.seen)
                window.seen = set()

    def to_json(self) -> dict[str, Any]:
        return {
            "author_id": self.author_id, "handle": self.handle, "name": self.name, "followers": self.followers,
            "listed": self.listed, "statuses": self.statuses, "location": self.location,
            "profile_s": self.profile_s, "last_event_s": self.last_event_s, "applied_offset": self.applied_offset,
            "sources": {str(p): o for p, o in self.sources.items()},
            "windows": [[r, s, win.to_json()] for (r, s), win in self.windows.items()],
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> AuthorState:
        return cls(
            author_id=d["author_id"], handle=d["handle"], name=d["name"], followers=d["followers"],
            listed=d["listed"], statuses=d["statuses"], location=d["location"], profile_s=d["profile_s"],
            windows={(r, s): AuthorWindow.from_json(win) for r, s, win in d["windows"]},
            last_event_s=d["last_event_s"], applied_offset=d["applied_offset"],
            sources={int(p): o for p, o in d.get("sources", {}).items()},
        )


@lru_cache(maxsize=65_536)
def _place_json(place: Place) -> dict[str, Any]:
    """A place's JSON form, built once per place (the records that carry it never change it)."""
    return asdict(place)


def _clip(text: str | None) -> str | None:
    return text[:MAX_TEXT] if text else text


@lru_cache(maxsize=16384)
def iso_utc(epoch_s: int) -> str:
    """RFC 3339 UTC with ``Z``, as the codec writes datetimes. Cached: a batch formats the same few seconds (its
    events' and its windows' bounds) once per influencer record, 1.4 % of the worker's samples uncached."""
    return datetime.fromtimestamp(epoch_s, UTC).isoformat().replace("+00:00", "Z")


# ----------------------------------------------------------------------------------------------------------
# The ranking stage: candidates (keyed by topic) -> bounded top influencers per topic, window and sentiment


def rank_key(inf: dict[str, Any]) -> tuple:
    """Best first: score, then followers, then handle and id (a total order: rankings are deterministic)."""
    return (-inf["score"], -inf["followers"], inf["handle"], inf["author_id"])


_INFLUENCER_FIELDS: dict[str, type | tuple[type, ...]] = {
    "author_id": str, "handle": str, "score": (int, float), "reach": (int, float), "resonance": (int, float),
    "relevance": (int, float), "followers": int, "listed": int, "statuses": int, "posts": int, "activity": int,
    "retweets": int, "likes": int, "replies": int, "compound_mean": (int, float), "sentiment": str,
    "place": dict, "last_event_at": str,
}


@dataclass(frozen=True, slots=True)
class CandidateIn:
    """One ``influence.candidates`` record, checked: a standing to fold in, or a withdrawal."""

    resolution: str
    start: int
    author_id: str
    event_s: int
    influencer: dict[str, Any] | None  # None: withdrawn

    @classmethod
    def from_json(cls, d: Any) -> CandidateIn:
        """Parse and check; ValueError (or KeyError, TypeError) says what is wrong."""
        _need(isinstance(d, dict), "a candidate must be an object")
        _need(d["resolution"] in SIZES, f"resolution must be one of {sorted(SIZES)}")
        start = _epoch(d["window_start"], "window_start")
        _need(start % SIZES[d["resolution"]] == 0, "window_start must start a window")
        inf = d["influencer"]
        _need(isinstance(inf, dict), "influencer must be an object")
        author_id = _text(inf["author_id"], "influencer.author_id")
        event_s = _epoch(inf["last_event_at"], "influencer.last_event_at")
        if inf.get("withdrawn") is True:
            return cls(d["resolution"], start, author_id, event_s, None)
        for name, kind in _INFLUENCER_FIELDS.items():
            _need(isinstance(inf[name], kind) and not isinstance(inf[name], bool), f"influencer.{name} is malformed")
        _need(inf["sentiment"] in LABELS, f"influencer.sentiment must be one of {list(LABELS)}")
        _need(math.isfinite(inf["score"]), "influencer.score must be finite")
        for key in ("country_code", "country", "region"):
            _text(inf["place"][key], f"influencer.place.{key}", optional=True)
        return cls(d["resolution"], start, author_id, event_s, inf)


@dataclass(slots=True)
class RankingWindow:
    """One window of a topic's ranking: the best authors per sentiment (bounded), and what was published.

    ``dirty`` names the authors whose entry changed since the owner last persisted the window (the ranking
    stage writes one table record per changed entry, so its changelog traffic follows the changes, not the
    size of the rankings); ``meta_dirty`` says the same of ``dropped`` and ``published``.
    """

    #: sentiment -> author id -> the author's latest influencer record
    held: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: {label: {} for label in LABELS})
    #: authors dropped because a sentiment held CANDIDATES_PER_SENTIMENT better ones, or withdrawn
    dropped: int = 0
    #: what was last published (so that an unchanged top 5 is not published again)
    published: str | None = None
    dirty: set[str] = field(default_factory=set)
    meta_dirty: bool = False

    def upsert(self, inf: dict[str, Any]) -> None:
        author_id, label = inf["author_id"], inf["sentiment"]
        for other in LABELS:
            if other != label:
                self.held[other].pop(author_id, None)
        same = self.held[label]
        same[author_id] = inf
        self.dirty.add(author_id)
        if len(same) > CANDIDATES_PER_SENTIMENT:
            worst = max(same.values(), key=rank_key)
            del same[worst["author_id"]]
            self.dirty.add(worst["author_id"])
            self.dropped += 1
            self.meta_dirty = True

    def withdraw(self, author_id: str) -> None:
        """The author stage dropped this author's topic for its bound: their standing here is no longer kept."""
        for label in LABELS:
            if self.held[label].pop(author_id, None) is not None:
                self.dirty.add(author_id)
                self.dropped += 1
                self.meta_dirty = True

    def get(self, author_id: str) -> dict[str, Any] | None:
        for label in LABELS:
            inf = self.held[label].get(author_id)
            if inf is not None:
                return inf
        return None

    def size(self) -> int:
        return sum(len(h) for h in self.held.values())

    def top(self, depth: int = TOP_K) -> dict[str, list[dict[str, Any]]]:
        return {label: heapq.nsmallest(depth, self.held[label].values(), key=rank_key) for label in LABELS}

    def places(self, depth: int = MAP_DEPTH) -> list[dict[str, Any]]:
        """The influencer map: the top ``depth`` of each sentiment counted by place; unknown kept as a bucket."""
        counts: dict[tuple, dict[str, Any]] = {}
        for label, rows in self.top(depth).items():
            for inf in rows:
                p = inf["place"]
                key = (p["country_code"], p["region"])
                row = counts.get(key)
                if row is None:
                    row = counts[key] = {"country_code": p["country_code"], "country": p["country"],
                                         "region": p["region"], "positive": 0, "neutral": 0, "negative": 0,
                                         "total": 0}
                row[label] += 1
                row["total"] += 1
        return sorted(counts.values(), key=lambda r: (-r["total"], r["country_code"] is None,
                                                      r["country_code"] or "", r["region"] or ""))

    def signature(self) -> str:
        return "|".join(f"{label}:" + ",".join(
            f"{i['author_id']}/{i['score']}/{i['posts']}/{i['retweets']}/{i['likes']}/{i['replies']}" for i in rows)
            for label, rows in self.top().items())

    def meta(self) -> dict[str, Any]:
        return {"dropped": self.dropped, "published": self.published}


@dataclass(slots=True)
class TopicRanking:
    """A topic's rankings: the current and previous window of each size, and older ones until the watermark
    passes them (:func:`kept`).

    The ranking stage keeps these in memory, persisted as one table entry per (window, author) plus one per
    window for its ``meta`` (``entries`` / ``from_entries``), rebuilt from the table after a rebalance.
    """

    topic: str
    windows: dict[tuple[str, int], RankingWindow] = field(default_factory=dict)
    last_event_s: int = 0
    #: windows pruned since the owner last persisted: (resolution, start, authors they held)
    pruned: list[tuple[str, int, list[str]]] = field(default_factory=list)

    def upsert(self, c: CandidateIn, watermark: int | None = None, lateness_s: int = 0) -> bool:
        """Fold one candidate in; False if its window is no longer kept (:func:`kept`, given the watermark of
        the topic's partition). Windows are dropped by :meth:`prune`, once published, never here."""
        window = self.windows.get((c.resolution, c.start))
        if window is None:
            if not kept(c.resolution, c.start, self.newest(c.resolution), watermark, lateness_s):
                return False
            window = self.windows[(c.resolution, c.start)] = RankingWindow(meta_dirty=True)
        if c.influencer is None:
            window.withdraw(c.author_id)
        else:
            window.upsert(c.influencer)
        self.last_event_s = max(self.last_event_s, c.event_s)
        return True

    def newest(self, resolution: str) -> int | None:
        return newest_start(self.windows, resolution)

    def prune(self, watermark: int | None, lateness_s: int) -> int:
        """Drop the windows no longer kept (:func:`kept`), noting them for :meth:`changes`; how many went."""
        gone = not_kept(self.windows, watermark, lateness_s)
        for key in gone:
            old = self.windows.pop(key)
            self.pruned.append((*key, [a for h in old.held.values() for a in h] + sorted(old.dirty)))
        return len(gone)

    def expired(self, now_event_s: int) -> bool:
        return self.last_event_s + SIZES["day"] + SIZES["hour"] <= now_event_s

    def ranking(self, resolution: str, start: int, kind: str, map_depth: int = MAP_DEPTH) -> dict[str, Any]:
        """The :class:`~schemas.records.InfluencerRanking` of one window, as JSON."""
        window = self.windows[(resolution, start)]
        return {
            "topic": self.topic, "kind": kind, "resolution": resolution,
            "window_start": iso_utc(start), "window_end": iso_utc(start + SIZES[resolution]),
            "top": window.top(), "places": window.places(map_depth), "map_depth": map_depth,
            "ranked_authors": window.size(), "exact": window.dropped == 0,
        }

    def changes(self) -> list[tuple[str, int, str | None, dict[str, Any] | None]]:
        """What changed since the last call, as (resolution, start, author id or None for the window's meta,
        the value to store or None to delete); clears the record of changes."""
        out: list[tuple[str, int, str | None, dict[str, Any] | None]] = []
        for resolution, start, authors in self.pruned:
            out.append((resolution, start, None, None))
            out.extend((resolution, start, a, None) for a in dict.fromkeys(authors))
        self.pruned = []
        for (resolution, start), window in self.windows.items():
            for author_id in sorted(window.dirty):
                out.append((resolution, start, author_id, window.get(author_id)))
            window.dirty.clear()
            if window.meta_dirty:
                out.append((resolution, start, None, {**window.meta(), "last_event_s": self.last_event_s}))
                window.meta_dirty = False
        return out

    @classmethod
    def from_entries(cls, topic: str, entries: Iterable[tuple[str, int, str | None, dict[str, Any]]]) -> TopicRanking:
        """Rebuild from stored entries (as :meth:`changes` gave them, deletions applied)."""
        ranking = cls(topic)
        for resolution, start, author_id, value in entries:
            window = ranking.windows.get((resolution, start))
            if window is None:
                window = ranking.windows[(resolution, start)] = RankingWindow()
            if author_id is None:
                window.dropped, window.published = value["dropped"], value["published"]
                ranking.last_event_s = max(ranking.last_event_s, value["last_event_s"])
            else:
                window.held[value["sentiment"]][author_id] = value
        return ranking
