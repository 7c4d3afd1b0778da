"""Event-time tumbling windows per topic: one-minute and one-hour statistics, folded post by post.

Shape: ``Observation`` (one post under one topic) → ``TopicWindows.add`` → … → ``TopicWindows.close``
→ ``WindowStats`` (one closed window, the ``hashtag-stats`` record).

* Event time is the post's ``created_at``. A window ``[start, start + size)`` closes once the
  watermark (the caller's stream time, in epoch seconds) reaches ``start + size + lateness``.
* A post whose minute window this key has already emitted is **late**: ``add`` refuses it and the
  caller dead-letters it. Nothing already published is ever contradicted, and hour windows stay the
  sum of their minutes.
* Every statistic is order-independent: the compound sums are integers in VADER's own unit (its
  compound is rounded to 4 decimals, so sums are exact in 1e-4), and the sketches depend on the set
  of values seen (``streams.sketches``). Replaying the same posts fast or slowly, or in another
  interleaving, gives the same records.
* Empty windows: a gap between two non-empty windows is emitted as zero windows (up to the idle
  horizon). A watched topic (``continuous``) also emits zero windows while it is quiet. A key with no
  open window and no post for ``idle_seconds`` of event time can be dropped (``expired``), which keeps
  state bounded as topics come and go.

Accumulators are mutated in place by their one owner (see ``streams.sketches``). ``to_json`` /
``from_json`` give the immutable form a table's changelog carries.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from schemas.codec import dumps
from schemas.records import SentimentLabel, TermCount, TopicKind, WindowStats
from streams.crisis import Evidence, NegativePost
from streams.enrich import BRAND_PREFIX
from streams.sketches import TOP_TERMS, DistinctCounter, TermCounter

#: (name, seconds) of each window size, smallest first.
RESOLUTIONS: tuple[tuple[str, int], ...] = (("minute", 60), ("hour", 3600))
_SIZES = dict(RESOLUTIONS)
LABELS: tuple[SentimentLabel, ...] = ("positive", "neutral", "negative")
#: Largest serialised table value (a changelog record): under Kafka's default message limit (1 MiB) with room
#: for the record's framing. A ``TopicWindows`` that would be larger sheds its oldest windows
#: (:meth:`TopicWindows.shed_watermark`); an influence value is compacted (``streams.influence``).
MAX_VALUE_BYTES = 900_000
#: A topic with at most this many open windows cannot reach ``MAX_VALUE_BYTES``: one window's JSON is at most
#: ~115 kB (4,096 HLL registers, 3 x 500 terms of 40 characters, 256 negative authors; measured in
#: tests/unit/test_windows.py). Only a topic with more is measured (see :meth:`TopicWindows.shed_watermark`).
UNMEASURED_OPEN_WINDOWS = 6


def topic_kind(topic: str) -> TopicKind:
    if topic.startswith("#"):
        return "hashtag"
    if topic.startswith("@"):
        return "mention"
    if topic.startswith(BRAND_PREFIX):
        return "brand"
    return "keyword"


@dataclass(frozen=True, slots=True)
class Observation:
    """One post seen under one topic: what the windows need of it."""

    event_s: int  # epoch seconds of the post's created_at
    author_id: str
    compound_e4: int  # VADER compound times 10,000 (exact: VADER rounds to 4 decimals)
    label: SentimentLabel
    terms: tuple[str, ...]
    #: For the crisis evidence of negative posts (sample posts and negative voices); optional.
    post_id: str | None = None
    text: str | None = None
    author_handle: str | None = None
    followers: int = 0


def compound_e4(compound: float) -> int:
    return round(compound * 10_000)


@dataclass(slots=True)
class WindowAcc:
    posts: int = 0
    compound_e4: int = 0
    compound_sq_e8: int = 0
    positive: int = 0
    neutral: int = 0
    negative: int = 0
    authors: DistinctCounter = field(default_factory=DistinctCounter)
    terms: dict[str, TermCounter] = field(default_factory=lambda: {label: TermCounter() for label in LABELS})
    #: Minute windows only: bounded evidence of the negative posts, for the crisis detector.
    evidence: Evidence | None = None

    def add(self, obs: Observation, evidence: bool = False) -> None:
        self.posts += 1
        self.compound_e4 += obs.compound_e4
        self.compound_sq_e8 += obs.compound_e4 * obs.compound_e4
        if obs.label == "positive":
            self.positive += 1
        elif obs.label == "negative":
            self.negative += 1
        else:
            self.neutral += 1
        self.authors.add(obs.author_id)
        counter = self.terms[obs.label]
        for term in obs.terms:
            counter.add(term)
        if evidence and obs.label == "negative" and obs.post_id is not None:
            if self.evidence is None:
                self.evidence = Evidence.for_minute()
            self.evidence.add_post(NegativePost(
                post_id=obs.post_id, text=obs.text, author_id=obs.author_id, author_handle=obs.author_handle,
                followers=obs.followers, compound=obs.compound_e4 / 1e4, created_s=obs.event_s))

    def to_json(self) -> dict[str, Any]:
        return {
            "posts": self.posts, "compound_e4": self.compound_e4, "compound_sq_e8": self.compound_sq_e8,
            "positive": self.positive, "neutral": self.neutral, "negative": self.negative,
            "authors": self.authors.to_json(), "terms": {k: v.to_json() for k, v in self.terms.items()},
            "evidence": self.evidence.to_json() if self.evidence is not None else None,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> WindowAcc:
        return cls(
            posts=d["posts"], compound_e4=d["compound_e4"], compound_sq_e8=d["compound_sq_e8"],
            positive=d["positive"], neutral=d["neutral"], negative=d["negative"],
            authors=DistinctCounter.from_json(d["authors"]),
            terms={label: TermCounter.from_json(d["terms"].get(label, {})) for label in LABELS},
            evidence=Evidence.from_json(d["evidence"]) if d.get("evidence") else None,
        )


def _stats(topic: str, resolution: str, start_s: int, acc: WindowAcc | None) -> WindowStats:
    size = _SIZES[resolution]
    acc = acc or WindowAcc()
    return WindowStats(
        topic=topic,
        kind=topic_kind(topic),
        resolution=resolution,  # type: ignore[arg-type]
        window_start=datetime.fromtimestamp(start_s, UTC),
        window_end=datetime.fromtimestamp(start_s + size, UTC),
        posts=acc.posts,
        positive=acc.positive,
        neutral=acc.neutral,
        negative=acc.negative,
        compound_sum=acc.compound_e4 / 1e4,
        compound_sumsq=acc.compound_sq_e8 / 1e8,
        compound_mean=round(acc.compound_e4 / acc.posts / 1e4, 6) if acc.posts else None,
        authors=acc.authors.count(),
        authors_exact=acc.authors.is_exact,
        top_terms={label: tuple(TermCount(t, c) for t, c in acc.terms[label].top(TOP_TERMS)) for label in LABELS},
    )


@dataclass(slots=True)
class TopicWindows:
    """The open windows of one topic (a table value, keyed by the topic)."""

    topic: str
    #: (resolution, window start in epoch seconds) -> accumulator
    open: dict[tuple[str, int], WindowAcc] = field(default_factory=dict)
    #: resolution -> end of the last window emitted (None: nothing emitted yet)
    closed_through: dict[str, int | None] = field(default_factory=lambda: {r: None for r, _ in RESOLUTIONS})
    #: newest event time seen under this topic
    last_event_s: int | None = None
    #: offset of the newest input record folded in. A topic's records all come from one partition, so a
    #: record at or below it is one already counted (re-read after a crash) and is skipped: the fold is
    #: idempotent under at-least-once delivery.
    applied_offset: int = -1
    #: source (posts) partition -> offset of the newest post folded in from it. Ingest sends a partition's
    #: mentions in order, so a mention from a source record at or below it is a post processed twice (ingest
    #: re-read it after a crash) and is skipped: a restart upstream cannot change a window either.
    sources: dict[int, int] = field(default_factory=dict)
    #: The evidence of the minute windows the last :meth:`close` emitted, by window start (not state: the
    #: caller takes it in the same step as the windows).
    closed_evidence: dict[int, Evidence] = field(default_factory=dict)

    def already_applied(self, offset: int) -> bool:
        return offset <= self.applied_offset

    def already_counted(self, source: tuple[int, int] | None) -> bool:
        """Whether the post behind a mention (its posts ``(partition, offset)``) was already folded in."""
        return source is not None and source[1] <= self.sources.get(source[0], -1)

    def add(self, obs: Observation, offset: int | None = None, source: tuple[int, int] | None = None) -> bool:
        """Fold one observation in; False (and no change) if any of its windows was already emitted.

        ``offset`` is the input record's offset (see ``applied_offset``) and ``source`` its post's (see
        ``sources``); the caller skips records for which :meth:`already_applied` or :meth:`already_counted`
        holds.
        """
        if offset is not None and offset > self.applied_offset:
            self.applied_offset = offset
        if source is not None and source[1] > self.sources.get(source[0], -1):
            self.sources[source[0]] = source[1]
        for resolution, size in RESOLUTIONS:
            done = self.closed_through[resolution]
            if done is not None and obs.event_s - obs.event_s % size < done:
                return False  # a window of this post was already published (at any resolution)
        for resolution, size in RESOLUTIONS:
            key = (resolution, obs.event_s - obs.event_s % size)
            acc = self.open.get(key)
            if acc is None:
                acc = self.open[key] = WindowAcc()
            acc.add(obs, evidence=resolution == "minute")
        if self.last_event_s is None or obs.event_s > self.last_event_s:
            self.last_event_s = obs.event_s
        return True

    def next_close_s(self, lateness_s: int, *, continuous: bool = False, idle_s: int | None = None) -> int | None:
        """The watermark at which this key next needs a visit: a window to close, or (given ``idle_s``,
        for a key that is not ``continuous``) the moment it expires."""
        ends = [start + _SIZES[res] + lateness_s for res, start in self.open]
        if continuous:
            ends += [
                done + _SIZES[res] + lateness_s for res, done in self.closed_through.items() if done is not None
            ]
        elif idle_s is not None and not self.open and self.last_event_s is not None:
            ends.append(self.last_event_s + idle_s)
        return min(ends) if ends else None

    def close(
        self, watermark_s: int, *, lateness_s: int, idle_s: int, continuous: bool = False
    ) -> list[WindowStats]:
        """Emit every window that the watermark has passed, oldest first per resolution.

        Gaps between emitted windows come out as zero windows when shorter than ``idle_s``;
        ``continuous`` topics also emit zero windows up to the watermark.
        """
        out: list[WindowStats] = []
        self.closed_evidence = {}
        for resolution, size in RESOLUTIONS:
            done = self.closed_through[resolution]
            due = sorted(
                start for res, start in self.open if res == resolution and start + size + lateness_s <= watermark_s
            )
            for start in due:
                if done is not None and start > done and start - done <= idle_s:
                    out.extend(_stats(self.topic, resolution, s, None) for s in range(done, start, size))
                acc = self.open.pop((resolution, start))
                if acc.evidence is not None:
                    self.closed_evidence[start] = acc.evidence
                out.append(_stats(self.topic, resolution, start, acc))
                done = start + size
            if continuous and done is not None:
                # Zero windows while quiet, but never more than the idle horizon's worth: after a jump in
                # event time (an old replay, then live data) the rest is skipped, as gaps are.
                floor = watermark_s - lateness_s - idle_s
                if done < floor and not any(res == resolution for res, _ in self.open):
                    done = floor - floor % size
                while done + size + lateness_s <= watermark_s and (resolution, done) not in self.open:
                    out.append(_stats(self.topic, resolution, done, None))
                    done += size
            self.closed_through[resolution] = done
        return out

    def shed_watermark(self, lateness_s: int, max_bytes: int = MAX_VALUE_BYTES) -> int | None:
        """None if this topic's value fits in ``max_bytes``; otherwise the lowest watermark at which
        :meth:`close` takes enough of its oldest windows for the rest to fit.

        The hard bound on a topic's state: the windows stay open until the slowest input partition's watermark
        passes them, so an input partition that trails the others by hours of event time (a backlog read
        unevenly) keeps hundreds of them open, and a value over the broker's limit would be refused, which
        stops the worker. Closing the oldest ones early publishes them with what they hold so far; the posts
        for them still to come are late, and set aside in ``mentions.late`` with the reason, never dropped.
        """
        if len(self.open) <= UNMEASURED_OPEN_WINDOWS:
            return None
        total = len(dumps(self.to_json()))
        if total <= max_bytes:
            return None
        ends = sorted((start + _SIZES[res], len(dumps(acc.to_json()))) for (res, start), acc in self.open.items())
        for end, size in ends:
            total -= size
            if total <= max_bytes:
                return end + lateness_s
        return ends[-1][0] + lateness_s

    def expired(self, watermark_s: int, idle_s: int) -> bool:
        """No open window, and no post for ``idle_s`` of event time: the state can be dropped."""
        return not self.open and (self.last_event_s is None or self.last_event_s + idle_s <= watermark_s)

    def to_json(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "open": [[res, start, acc.to_json()] for (res, start), acc in self.open.items()],
            "closed_through": self.closed_through,
            "last_event_s": self.last_event_s,
            "applied_offset": self.applied_offset,
            "sources": {str(p): o for p, o in self.sources.items()},
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TopicWindows:
        return cls(
            topic=d["topic"],
            open={(res, start): WindowAcc.from_json(acc) for res, start, acc in d["open"]},
            closed_through={r: d["closed_through"].get(r) for r, _ in RESOLUTIONS},
            last_event_s=d["last_event_s"],
            applied_offset=d.get("applied_offset", -1),
            sources={int(p): o for p, o in d.get("sources", {}).items()},
        )


def batch_windows(topic: str, observations: list[Observation]) -> Iterator[WindowStats]:
    """The oracle: every non-empty window of ``observations`` in one batch, in :meth:`TopicWindows.close`'s
    order (minutes, then hours, each by start)."""
    accs: dict[tuple[str, int], WindowAcc] = {}
    for obs in observations:
        for resolution, size in RESOLUTIONS:
            key = (resolution, obs.event_s - obs.event_s % size)
            accs.setdefault(key, WindowAcc()).add(obs)
    order = [name for name, _ in RESOLUTIONS]
    for (resolution, start), acc in sorted(accs.items(), key=lambda kv: (order.index(kv[0][0]), kv[0][1])):
        yield _stats(topic, resolution, start, acc)


#: How many closed windows a topic's history keeps: 3 hours of minutes, 3 days of hours.
HISTORY_LIMITS = {"minute": 180, "hour": 72}
#: A topic whose windows expire keeps its history only if it holds at least this many posts: the long
#: tail of one-off hashtags is forgotten, topics with a real trend stay queryable.
HISTORY_MIN_POSTS = 10
#: A kept history is dropped once its newest hour is this old (event time): its whole span.
HISTORY_RETENTION_S = 72 * 3600
#: Columns of one window in a history (compact: the history is queried, not published).
HISTORY_FIELDS = ("start_s", "posts", "positive", "neutral", "negative", "compound_sum", "authors")


@dataclass(slots=True)
class TopicHistory:
    """The recent closed windows of one topic, for queries: trends, word clouds, growth.

    Bounded by :data:`HISTORY_LIMITS`; the top terms are kept for the latest window of each size only.
    """

    topic: str
    windows: dict[str, list[list[Any]]] = field(default_factory=lambda: {r: [] for r, _ in RESOLUTIONS})
    top_terms: dict[str, dict[str, list[list[Any]]]] = field(default_factory=dict)

    def add(self, stats: WindowStats) -> None:
        rows = self.windows[stats.resolution]
        start = int(stats.window_start.timestamp())
        if rows and rows[-1][0] >= start:
            return  # a window published again after a restart: already here
        rows.append([start, stats.posts, stats.positive, stats.neutral, stats.negative,
                     round(stats.compound_sum, 4), stats.authors])
        del rows[: max(0, len(rows) - HISTORY_LIMITS[stats.resolution])]
        if stats.posts:
            self.top_terms[stats.resolution] = {
                label: [[t.term, t.count] for t in terms] for label, terms in stats.top_terms.items()
            }

    def trend(self, resolution: str, from_s: int | None = None, to_s: int | None = None) -> list[dict[str, Any]]:
        out = []
        for row in self.windows[resolution]:
            if (from_s is None or row[0] >= from_s) and (to_s is None or row[0] < to_s):
                d = dict(zip(HISTORY_FIELDS, row, strict=True))
                d["window_start"] = datetime.fromtimestamp(row[0], UTC).isoformat().replace("+00:00", "Z")
                d["compound_mean"] = round(row[5] / row[1], 6) if row[1] else None
                out.append(d)
        return out

    def growth(self, baseline_windows: int = 60) -> tuple[int, float, float] | None:
        """(posts in the latest minute, mean posts per minute before it, growth ratio), or None.

        The ratio is (latest + 1) / (baseline + 1): a topic against its own past, damped for quiet ones.
        """
        rows = self.windows["minute"]
        if not rows:
            return None
        latest_start, latest = rows[-1][0], rows[-1][1]
        since = latest_start - baseline_windows * 60
        # The minutes of the hour before; those the history does not hold (quiet, or new) count as zeros.
        baseline = sum(r[1] for r in rows[:-1] if r[0] >= since) / baseline_windows
        return latest, baseline, (latest + 1) / (baseline + 1)

    def posts(self) -> int:
        return sum(row[1] for row in self.windows["hour"])

    def newest_s(self) -> int | None:
        rows = self.windows["hour"] or self.windows["minute"]
        return rows[-1][0] if rows else None

    def worth_keeping(self, watermark_s: int) -> bool:
        """Whether to keep this history once its topic's windows expired (see HISTORY_MIN_POSTS)."""
        newest = self.newest_s()
        return (self.posts() >= HISTORY_MIN_POSTS and newest is not None
                and newest + HISTORY_RETENTION_S > watermark_s)

    def to_json(self) -> dict[str, Any]:
        return {"topic": self.topic, "windows": self.windows, "top_terms": self.top_terms}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TopicHistory:
        return cls(topic=d["topic"], windows={r: d["windows"].get(r, []) for r, _ in RESOLUTIONS},
                   top_terms=d.get("top_terms", {}))
