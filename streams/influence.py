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

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
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

#: Bounds of one author's state in one window: topics, posts per topic, distinct posts, observed engagements
#: per post. Past them the least active topic / least engaging post is folded into totals.
MAX_TOPICS_PER_WINDOW = 64
MAX_POSTS_PER_TOPIC = 64
MAX_SEEN_POSTS = 1_024
MAX_OBSERVED_PER_POST = 256
#: Longest post text kept as evidence.
MAX_TEXT = 280

#: Authors a ranking holds per topic, window and sentiment (the top 5 are read from them).
CANDIDATES_PER_SENTIMENT = 100
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


def activities_of(enriched: EnrichedPost) -> list[Activity]:
    """The re-keying step of the influence stage: one activity for the post's author, and one crediting the
    author of the post it retweets, quotes or replies to (keyed by author id downstream).

    Topics include the watched brands (``brand:<name>``), so brands get rankings too. A retweet's carried
    retweet and quote counts are its original's (Twitter reports them so), so they go with the credit and the
    retweeter's own post carries none. A self-reply or self-retweet (a thread) credits nobody.
    """
    post = enriched.post
    topics = enriched.topics + tuple(BRAND_PREFIX + b for b in enriched.brands)
    common = {"created_at": post.created_at, "topics": topics, "compound": enriched.sentiment.compound,
              "label": enriched.sentiment.label, "via_id": post.id, "via_kind": post.kind}
    own = Engagement() if post.kind == "retweet" else post.engagement
    out = [Activity(author=post.author, profile_known=True, role="post", post_id=post.id, text=post.text,
                    engagement=own, **common)]
    ref = post.ref
    if ref is not None and post.kind != "original":
        author = ref.author or (Author(id=ref.author_id, handle=ref.author_handle or ref.author_id)
                                if ref.author_id else None)
        if author is not None and author.id != post.author.id:
            carried = (Engagement(retweets=post.engagement.retweets, quotes=post.engagement.quotes)
                       if post.kind == "retweet" else Engagement())
            out.append(Activity(author=author, profile_known=ref.author is not None, role="credit",
                                post_id=ref.id, text=ref.text, engagement=carried, **common))
    return out


# ----------------------------------------------------------------------------------------------------------
# The author stage: activity (keyed by author) -> candidates (keyed by topic)


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
    def from_json(cls, d: dict[str, Any]) -> ActivityIn:
        a, e = d["author"], d["engagement"]
        return cls(
            author_id=a["id"], handle=a["handle"], name=a.get("name"), followers=a["followers"],
            listed=a["listed"], statuses=a["statuses"], location=a.get("location"),
            profile_known=d["profile_known"], role=d["role"], post_id=d["post_id"], via_id=d["via_id"],
            via_kind=d["via_kind"], event_s=int(datetime.fromisoformat(d["created_at"]).timestamp()),
            topics=tuple(d["topics"]), compound_e4=compound_e4(d["compound"]), text=d.get("text"),
            retweets=e["retweets"] + e["quotes"], likes=e["likes"], replies=e["replies"],
        )


@dataclass(slots=True)
class PostStat:
    """One post of the author's, on one topic, in one window."""

    compound_e4: int
    authored: bool = False
    #: latest counts carried on the post (retweets includes quotes)
    retweets: int = 0
    likes: int = 0
    replies: int = 0
    #: observed retweets / quotes and replies of it: via post id -> "r" (repost) or "c" (comment)
    observed: dict[str, str] = field(default_factory=dict)
    extra_reposts: int = 0
    extra_replies: int = 0
    text: str | None = None

    def reposts(self) -> int:
        seen = sum(1 for k in self.observed.values() if k == "r") + self.extra_reposts
        return max(self.retweets, seen)

    def replies_received(self) -> int:
        seen = sum(1 for k in self.observed.values() if k == "c") + self.extra_replies
        return max(self.replies, seen)

    def engagement(self) -> int:
        return self.reposts() + self.likes + self.replies_received()

    def to_json(self) -> list[Any]:
        return [self.compound_e4, self.authored, self.retweets, self.likes, self.replies, self.observed,
                self.extra_reposts, self.extra_replies, self.text]

    @classmethod
    def from_json(cls, d: list[Any]) -> PostStat:
        return cls(d[0], d[1], d[2], d[3], d[4], dict(d[5]), d[6], d[7], d[8])


@dataclass(slots=True)
class TopicActivity:
    """The author's posts on one topic in one window (bounded; evicted posts are folded into totals)."""

    posts: dict[str, PostStat] = field(default_factory=dict)
    #: totals of evicted posts: [count, authored, compound_e4, reposts, likes, replies]
    evicted: list[int] = field(default_factory=lambda: [0, 0, 0, 0, 0, 0])
    #: the score last sent for this topic (to skip unchanged candidates)
    sent: float | None = None

    def stat(self, post_id: str, compound: int) -> PostStat:
        ps = self.posts.get(post_id)
        if ps is None:
            if len(self.posts) >= MAX_POSTS_PER_TOPIC:
                victim = min(self.posts, key=lambda k: (self.posts[k].engagement(), k))
                old = self.posts.pop(victim)
                for i, v in enumerate((1, int(old.authored), old.compound_e4, old.reposts(), old.likes,
                                       old.replies_received())):
                    self.evicted[i] += v
            ps = self.posts[post_id] = PostStat(compound)
        return ps

    def activity(self) -> int:
        return len(self.posts) + self.evicted[0]

    def to_json(self) -> dict[str, Any]:
        return {"posts": {k: v.to_json() for k, v in self.posts.items()}, "evicted": self.evicted, "sent": self.sent}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TopicActivity:
        return cls({k: PostStat.from_json(v) for k, v in d["posts"].items()}, list(d["evicted"]), d.get("sent"))


@dataclass(slots=True)
class AuthorWindow:
    #: distinct posts of the author's in the window (posted or engaged with), on any topic or none
    seen: set[str] = field(default_factory=set)
    seen_extra: int = 0
    topics: dict[str, TopicActivity] = field(default_factory=dict)

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
            ta = self.topics[topic] = TopicActivity()
        return ta

    def to_json(self) -> dict[str, Any]:
        return {"seen": sorted(self.seen), "seen_extra": self.seen_extra,
                "topics": {k: v.to_json() for k, v in self.topics.items()}}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> AuthorWindow:
        return cls(set(d["seen"]), d["seen_extra"], {k: TopicActivity.from_json(v) for k, v in d["topics"].items()})


@dataclass(slots=True)
class AuthorState:
    """One author's influence state (a table value, keyed by the author id): the latest profile, and the
    current and previous window of each size."""

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

    def already_applied(self, offset: int) -> bool:
        return offset <= self.applied_offset

    def apply(self, act: ActivityIn, offset: int | None = None) -> list[tuple[str, int]]:
        """Fold one activity in; the windows it touched (none if it is older than every window kept)."""
        if offset is not None and offset > self.applied_offset:
            self.applied_offset = offset
        if act.profile_known and (self.profile_s is None or act.event_s >= self.profile_s):
            self.handle, self.name, self.location = act.handle, act.name, act.location
            self.followers, self.listed, self.statuses = act.followers, act.listed, act.statuses
            self.profile_s = act.event_s
        elif not self.handle:
            self.handle = act.handle
        touched = []
        for resolution, size in RESOLUTIONS:
            start = act.event_s - act.event_s % size
            newest = max((s for r, s in self.windows if r == resolution), default=None)
            if newest is not None and start < newest - size:
                continue  # older than the previous window: too late for this author's state
            if newest is None or start > newest:
                for key in [k for k in self.windows if k[0] == resolution and k[1] < start - size]:
                    del self.windows[key]
            window = self.windows.get((resolution, start))
            if window is None:
                window = self.windows[(resolution, start)] = AuthorWindow()
            self._fold(window, act)
            touched.append((resolution, start))
        self.last_event_s = max(self.last_event_s, act.event_s)
        return touched

    @staticmethod
    def _fold(window: AuthorWindow, act: ActivityIn) -> None:
        window.see(act.post_id)
        for topic in act.topics:
            ps = window.topic(topic).stat(act.post_id, act.compound_e4)
            if act.role == "post":
                if not ps.authored:
                    ps.authored, ps.compound_e4 = True, act.compound_e4
                ps.text = _clip(act.text) or ps.text
            else:
                kind = "c" if act.via_kind == "reply" else "r"
                if act.via_id in ps.observed:
                    pass
                elif len(ps.observed) < MAX_OBSERVED_PER_POST:
                    ps.observed[act.via_id] = kind
                elif kind == "r":
                    ps.extra_reposts += 1
                else:
                    ps.extra_replies += 1
                if ps.text is None:
                    ps.text = _clip(act.text)
            # Counts carried on a post count at their latest value: they only grow, so the largest seen.
            ps.retweets = max(ps.retweets, act.retweets)
            ps.likes = max(ps.likes, act.likes)
            ps.replies = max(ps.replies, act.replies)

    def influencer(self, resolution: str, start: int, topic: str, w: InfluenceWeights,
                   locate: Callable[[str | None], Place]) -> dict[str, Any] | None:
        """The author's standing on ``topic`` in one window, as an :class:`~schemas.records.Influencer`'s
        JSON form; None if the window holds nothing on the topic."""
        window = self.windows.get((resolution, start))
        ta = window.topics.get(topic) if window else None
        if window is None or ta is None or not ta.activity():
            return None
        ev = ta.evicted
        stats = list(ta.posts.values())
        n = len(stats) + ev[0]
        authored = sum(1 for p in stats if p.authored) + ev[1]
        reposts = sum(p.reposts() for p in stats) + ev[3]
        likes = sum(p.likes for p in stats) + ev[4]
        replies = sum(p.replies_received() for p in stats) + ev[5]
        mean = (sum(p.compound_e4 for p in stats) + ev[2]) / n / 10_000
        relevance = n / max(n, window.activity())
        parts = score((self.followers, self.listed, self.statuses, reposts, likes + replies), relevance, w)
        best_id = max(ta.posts, key=lambda k: (ta.posts[k].engagement(), ta.posts[k].authored, k), default=None)
        top_post = None
        if best_id is not None:
            b = ta.posts[best_id]
            top_post = {"id": best_id, "text": b.text, "retweets": b.reposts(), "likes": b.likes,
                        "replies": b.replies_received()}
        return {
            "author_id": self.author_id, "handle": self.handle or self.author_id, "name": self.name,
            "score": round(parts.score, 4), "reach": round(parts.reach, 4), "resonance": round(parts.resonance, 4),
            "relevance": round(parts.relevance, 4), "followers": self.followers, "listed": self.listed,
            "statuses": self.statuses, "posts": authored, "activity": window.activity(), "retweets": reposts,
            "likes": likes, "replies": replies, "compound_mean": round(mean, 4), "sentiment": stance(mean),
            "location": self.location, "place": asdict(locate(self.location)), "top_post": top_post,
            "last_event_at": iso_utc(self.last_event_s),
        }

    def candidates(self, touched: Iterable[tuple[str, int]], topics_touched: set[str], w: InfluenceWeights,
                   locate: Callable[[str | None], Place]) -> list[tuple[str, str, int, dict[str, Any]]]:
        """(topic, resolution, window start, influencer) for every topic of the touched windows whose standing
        changed: the topics touched, and those whose score moved (relevance falls as the author posts
        elsewhere)."""
        out = []
        for resolution, start in touched:
            window = self.windows.get((resolution, start))
            if window is None:
                continue
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

    def to_json(self) -> dict[str, Any]:
        return {
            "author_id": self.author_id, "handle": self.handle, "name": self.name, "followers": self.followers,
            "listed": self.listed, "statuses": self.statuses, "location": self.location,
            "profile_s": self.profile_s, "last_event_s": self.last_event_s, "applied_offset": self.applied_offset,
            "windows": [[r, s, win.to_json()] for (r, s), win in self.windows.items()],
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> AuthorState:
        return cls(
            author_id=d["author_id"], handle=d["handle"], name=d["name"], followers=d["followers"],
            listed=d["listed"], statuses=d["statuses"], location=d["location"], profile_s=d["profile_s"],
            windows={(r, s): AuthorWindow.from_json(win) for r, s, win in d["windows"]},
            last_event_s=d["last_event_s"], applied_offset=d["applied_offset"],
        )


def _clip(text: str | None) -> str | None:
    return text[:MAX_TEXT] if text else text


def iso_utc(epoch_s: int) -> str:
    """RFC 3339 UTC with ``Z``, as the codec writes datetimes."""
    return datetime.fromtimestamp(epoch_s, UTC).isoformat().replace("+00:00", "Z")


# ----------------------------------------------------------------------------------------------------------
# The ranking stage: candidates (keyed by topic) -> bounded top influencers per topic, window and sentiment


def rank_key(inf: dict[str, Any]) -> tuple:
    """Best first: score, then followers, then handle and id (a total order: rankings are deterministic)."""
    return (-inf["score"], -inf["followers"], inf["handle"], inf["author_id"])


@dataclass(slots=True)
class RankingWindow:
    #: author id -> the author's latest influencer record
    held: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: authors dropped because a sentiment held CANDIDATES_PER_SENTIMENT better ones
    dropped: int = 0
    #: what was last published (so that an unchanged top 5 is not published again)
    published: str | None = None

    def upsert(self, inf: dict[str, Any]) -> None:
        self.held[inf["author_id"]] = inf
        same = [a for a in self.held.values() if a["sentiment"] == inf["sentiment"]]
        if len(same) > CANDIDATES_PER_SENTIMENT:
            worst = max(same, key=rank_key)
            del self.held[worst["author_id"]]
            self.dropped += 1

    def top(self, depth: int = TOP_K) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {label: [] for label in LABELS}
        for inf in self.held.values():
            out[inf["sentiment"]].append(inf)
        return {label: sorted(rows, key=rank_key)[:depth] for label, rows in out.items()}

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

    def to_json(self) -> dict[str, Any]:
        return {"held": self.held, "dropped": self.dropped, "published": self.published}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> RankingWindow:
        return cls(dict(d["held"]), d["dropped"], d.get("published"))


@dataclass(slots=True)
class TopicRanking:
    """A topic's rankings (a table value, keyed by the topic): the current and previous window of each size."""

    topic: str
    windows: dict[tuple[str, int], RankingWindow] = field(default_factory=dict)
    last_event_s: int = 0

    def upsert(self, resolution: str, start: int, inf: dict[str, Any], event_s: int) -> bool:
        """Fold one candidate in; False if its window is older than the two kept."""
        size = SIZES[resolution]
        newest = self.newest(resolution)
        if newest is not None and start < newest - size:
            return False
        if newest is None or start > newest:
            for key in [k for k in self.windows if k[0] == resolution and k[1] < start - size]:
                del self.windows[key]
        window = self.windows.get((resolution, start))
        if window is None:
            window = self.windows[(resolution, start)] = RankingWindow()
        window.upsert(inf)
        self.last_event_s = max(self.last_event_s, event_s)
        return True

    def newest(self, resolution: str) -> int | None:
        return max((s for r, s in self.windows if r == resolution), default=None)

    def expired(self, now_event_s: int) -> bool:
        return self.last_event_s + SIZES["day"] + SIZES["hour"] <= now_event_s

    def ranking(self, resolution: str, start: int, kind: str, map_depth: int = MAP_DEPTH) -> dict[str, Any]:
        """The :class:`~schemas.records.InfluencerRanking` of one window, as JSON."""
        window = self.windows[(resolution, start)]
        return {
            "topic": self.topic, "kind": kind, "resolution": resolution,
            "window_start": iso_utc(start), "window_end": iso_utc(start + SIZES[resolution]),
            "top": window.top(), "places": window.places(map_depth), "map_depth": map_depth,
            "ranked_authors": len(window.held), "exact": window.dropped == 0,
        }

    def to_json(self) -> dict[str, Any]:
        return {"topic": self.topic, "last_event_s": self.last_event_s,
                "windows": [[r, s, w.to_json()] for (r, s), w in self.windows.items()]}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TopicRanking:
        return cls(d["topic"], {(r, s): RankingWindow.from_json(w) for r, s, w in d["windows"]},
                   d["last_event_s"])
