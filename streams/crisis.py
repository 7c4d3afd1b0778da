"""The crisis detector: one online detector per topic and brand over its closed one-minute windows.

Shape: closed minute ``WindowStats`` (+ the minute's ``Evidence``) → ``Detector.step`` →
``Transition`` (open / escalate / update / resolve, or a notice) → ``alert_data`` → ``AlertData``.

What it watches, and why (docs/alerts.md has the derivations and the measured figures):

* **The count of negative posts** (VADER compound ≤ -0.05) against a negative-binomial baseline of
  expected negatives per minute: a one-sided CUSUM of the log-likelihood ratio of "``count_shift`` times
  the expected negatives" against "as expected". The overdispersion comes from the baseline's own variance, so a
  bursty key needs more evidence than a Poisson-quiet one.
* **The negative share**, with a binomial CUSUM of "the share doubled" against the baseline share. The
  baseline share is shrunk toward a prior worth ``prior_posts`` posts, so a quiet key's share cannot
  swing on a handful of posts. Evidence grows with volume: 0 → 3 negatives on a quiet key carries little,
  20 % → 40 % over 2,000 posts carries a lot.
* **The log volume** (EWMA mean and variance, plus a small bias term in the variance): information only.

A crisis needs both the count and the share evidence past their thresholds, at least ``min_negatives``
negatives since the onset, and ``min_ratio``x the negatives the baseline expected over that span. A
volume spike alone (a viral positive post, a neutral news burst) or a slow drift in sentiment are
notices, never pages. Baselines freeze while an incident is open, and while both CUSUMs are building
toward it (for at most ``max_hold_minutes``), so a crisis never becomes the normal it is measured
against. Both CUSUMs are bounded at ``evidence_cap`` times their thresholds, so a burst that has passed
drains in minutes.

Lifecycle: ``watch`` (open the incident, no page) → ``warning`` (neither accumulator fell for
``warning_minutes``, or ``warning_ratio``x the expected negatives) → ``critical`` (``critical_ratio``x
and a majority of the recent posts negative). Severity only rises within an incident. After
``quiet_minutes`` quiet minutes (recent negatives back under ``resolve_ratio``x the baseline) it is
resolved; a re-trigger within ``cooldown_minutes`` after that re-opens the same incident (same dedup key).

State is O(1) per key: a fixed set of sums, two accumulators, and bounded evidence (a few sample posts,
32 author counters, 40 term counters). Everything here is pure and deterministic: the same windows give
the same events, with the same ids, however fast they are replayed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from schemas.records import (
    AlertData,
    AlertEventKind,
    AlertFigures,
    NegativeAuthor,
    NoticeData,
    NoticeKind,
    RisingTerm,
    SamplePost,
    Severity,
    TopicKind,
    WindowStats,
)
from streams.sketches import TermCounter, hash64

SEVERITIES: tuple[Severity, ...] = ("watch", "warning", "critical")
_RANK = {s: i for i, s in enumerate(SEVERITIES)}

#: Bounds of the evidence kept per minute and per incident.
WORST_SAMPLES = 3
RANDOM_SAMPLES = 2
AUTHOR_COUNTERS = 32
#: A minute window's negative authors are counted exactly up to this many (Space-Saving above it): the minute's
#: top authors then depend only on which posts it holds, not on the order they arrived in (a replay, a crash
#: and restart, another interleaving of partitions). An incident's counters (``AUTHOR_COUNTERS``) take the
#: minutes in order, so they are as deterministic.
MINUTE_AUTHOR_COUNTERS = 256
TOP_AUTHORS = 5
TERM_COUNTERS = 40
TOP_RISING_TERMS = 5
MIN_RISING_COUNT = 3
SAMPLE_TEXT_CHARS = 280
#: Zero minutes folded one by one after a gap in a key's windows; a longer gap decays the sums at once.
MAX_GAP_STEPS = 120
#: A minute weighs in the share baselines as at most this many minutes of expected volume.
SHARE_WEIGHT_CAP = 3.0


@dataclass(frozen=True)
class CrisisConfig:
    """The detector's thresholds. A field with a ``BRANDPULSE_CRISIS_<FIELD>`` setting takes it
    (``Settings.crisis_config``, docs/settings.md); the others are fixed here and documented in
    docs/alerts.md."""

    baseline_half_life_minutes: float = 360.0
    long_half_life_minutes: float = 4320.0
    prior_share: float = 0.25
    prior_posts: float = 200.0
    count_shift: float = 3.0
    share_shift: float = 2.0
    count_threshold: float = 6.0
    share_threshold: float = 8.0
    evidence_cap: float = 2.0
    min_negatives: int = 10
    min_ratio: float = 2.0
    min_expected_negatives_per_hour: float = 0.5
    warmup_minutes: int = 120
    max_hold_minutes: int = 240
    warning_minutes: int = 10
    warning_ratio: float = 5.0
    critical_ratio: float = 15.0
    critical_share: float = 0.5
    quiet_minutes: int = 60
    resolve_ratio: float = 2.0
    fast_half_life_minutes: float = 3.0
    cooldown_minutes: int = 60
    update_minutes: int = 15
    volume_z_notice: float = 3.0
    volume_bias: float = 0.1
    volume_notice_min_posts: int = 20
    notice_interval_minutes: int = 60
    drift_notice_delta: float = 0.1
    drift_notice_min_posts: int = 500
    drift_notice_interval_minutes: int = 1440

    @property
    def decay(self) -> float:
        return 0.5 ** (1.0 / self.baseline_half_life_minutes)

    @property
    def long_decay(self) -> float:
        return 0.5 ** (1.0 / self.long_half_life_minutes)

    @property
    def fast_decay(self) -> float:
        return 0.5 ** (1.0 / self.fast_half_life_minutes)


# -- evidence ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NegativePost:
    """What the evidence needs of one negative post."""

    post_id: str
    text: str | None
    author_id: str
    author_handle: str | None
    followers: int
    compound: float
    created_s: int

    @property
    def badness(self) -> float:
        """Most negative x highest reach: |compound| x log10(10 + followers)."""
        return -self.compound * math.log10(10 + self.followers)

    def to_json(self) -> list[Any]:
        return [self.post_id, self.text, self.author_id, self.author_handle, self.followers, self.compound,
                self.created_s]

    @classmethod
    def from_json(cls, d: list[Any]) -> NegativePost:
        return cls(*d)


def _worst_key(p: NegativePost) -> tuple[float, str]:
    return (-p.badness, p.post_id)


def _random_key(p: NegativePost) -> tuple[int, str]:
    return (hash64(p.post_id), p.post_id)


@dataclass(slots=True)
class Evidence:
    """Bounded evidence of a span of minutes: sample negative posts, negative authors, negative terms.

    Samples depend only on the set of posts seen (the worst by a total order, the random ones by the
    smallest hashes of their ids), so they are the same however the posts were interleaved.
    """

    worst: list[NegativePost] = field(default_factory=list)
    random: list[NegativePost] = field(default_factory=list)
    authors: TermCounter = field(default_factory=lambda: TermCounter(capacity=AUTHOR_COUNTERS))
    #: author id -> (handle, followers), for the authors the counter holds
    profiles: dict[str, tuple[str | None, int]] = field(default_factory=dict)
    terms: TermCounter = field(default_factory=lambda: TermCounter(capacity=TERM_COUNTERS))

    def add_post(self, post: NegativePost) -> None:
        self._keep(post)
        self._count_author(post.author_id, post.author_handle, post.followers, 1)

    def _keep(self, post: NegativePost) -> None:
        for kept, key, limit in ((self.worst, _worst_key, WORST_SAMPLES), (self.random, _random_key, RANDOM_SAMPLES)):
            if any(p.post_id == post.post_id for p in kept):
                continue
            if len(kept) < limit or key(post) < key(kept[-1]):
                kept.append(post)
                kept.sort(key=key)  # type: ignore[arg-type]
                del kept[limit:]

    @classmethod
    def for_minute(cls) -> Evidence:
        """The evidence of one minute window (see ``MINUTE_AUTHOR_COUNTERS``)."""
        return cls(authors=TermCounter(capacity=MINUTE_AUTHOR_COUNTERS))

    def _count_author(self, author_id: str, handle: str | None, followers: int, count: int) -> None:
        evicted = self.authors.add(author_id, count)
        if evicted is not None:
            self.profiles.pop(evicted, None)
        # The profile of the author's post with the most followers (ties: the greatest handle), whatever the order.
        new = (followers, handle or "")
        old = self.profiles.get(author_id)
        if old is None or new > (old[1], old[0] or ""):
            self.profiles[author_id] = (handle or None, followers)

    def merge(self, other: Evidence) -> None:
        for post in other.worst + other.random:
            self._keep(post)
        for author_id, count in sorted(other.authors.counts.items()):
            handle, followers = other.profiles.get(author_id, (None, 0))
            self._count_author(author_id, handle, followers, count)
        for term, count in sorted(other.terms.counts.items()):
            self.terms.add(term, count)

    def add_terms(self, stats: WindowStats) -> None:
        for t in stats.top_terms.get("negative", ()):
            self.terms.add(t.term, t.count)

    def samples(self) -> tuple[SamplePost, ...]:
        out = [(p, "worst") for p in self.worst]
        out += [(p, "random") for p in self.random if all(p.post_id != w.post_id for w in self.worst)]
        return tuple(
            SamplePost(id=p.post_id, text=p.text, author_id=p.author_id, author_handle=p.author_handle,
                       followers=p.followers, compound=p.compound,
                       created_at=datetime.fromtimestamp(p.created_s, UTC), why=why)  # type: ignore[arg-type]
            for p, why in out
        )

    def top_authors(self) -> tuple[NegativeAuthor, ...]:
        return tuple(
            NegativeAuthor(author_id=a, handle=self.profiles.get(a, (None, 0))[0],
                           followers=self.profiles.get(a, (None, 0))[1], negatives=c)
            for a, c in self.authors.top(TOP_AUTHORS)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "worst": [p.to_json() for p in self.worst],
            "random": [p.to_json() for p in self.random],
            "authors": self.authors.to_json(),
            "author_counters": self.authors.capacity,
            "profiles": {a: list(v) for a, v in self.profiles.items()},
            "terms": self.terms.to_json(),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Evidence:
        return cls(
            worst=[NegativePost.from_json(p) for p in d["worst"]],
            random=[NegativePost.from_json(p) for p in d["random"]],
            authors=TermCounter.from_json(d["authors"], d.get("author_counters", AUTHOR_COUNTERS)),
            profiles={a: (v[0], v[1]) for a, v in d["profiles"].items()},
            terms=TermCounter.from_json(d.get("terms", {}), TERM_COUNTERS),
        )


# -- the detector ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Minute:
    """One closed minute of one key, as the detector sees it."""

    start_s: int
    posts: int
    negatives: int
    compound_sum: float

    @classmethod
    def of(cls, stats: WindowStats) -> Minute:
        return cls(int(stats.window_start.timestamp()), stats.posts, stats.negative, stats.compound_sum)


@dataclass(frozen=True, slots=True)
class Transition:
    """What one minute did to the key's incident (or a notice it raised)."""

    event: AlertEventKind | NoticeKind
    topic: str
    incident_id: str
    sequence: int
    severity: Severity | None
    previous_severity: Severity | None
    reopened: bool
    minute: Minute
    opened_s: int
    onset_s: int
    resolved_s: int | None
    current: AlertFigures
    incident: AlertFigures
    evidence: Evidence | None
    rising_terms: tuple[RisingTerm, ...]
    long_run_share: float | None = None

    @property
    def is_notice(self) -> bool:
        return self.event in ("volume_spike", "sentiment_drift")


def nb_llr(x: int, mu: float, shift: float, phi: float) -> float:
    """log P(x | NB(shift*mu, phi)) - log P(x | NB(mu, phi)), with variance mu + phi*mu^2 (phi = 0: Poisson)."""
    if phi < 1e-9:
        return x * math.log(shift) - (shift - 1.0) * mu
    r = 1.0 / phi
    t = math.log((r + mu) / (r + shift * mu))
    return x * (math.log(shift) + t) + r * t


def binomial_llr(x: int, n: int, p0: float, p1: float) -> float:
    """log P(x | Bin(n, p1)) - log P(x | Bin(n, p0))."""
    return x * math.log(p1 / p0) + (n - x) * math.log((1.0 - p1) / (1.0 - p0))


def log_z(x: float, w: float, s: float, s2: float, bias: float) -> float:
    """z of ``x`` against exponentially weighted sums (weight ``w``, sum ``s``, sum of squares ``s2``), the
    variance plus ``bias``: the volume channel, on log(1 + volume)."""
    mean = s / w
    var = max(0.0, s2 / w - mean * mean)
    return (x - mean) / math.sqrt(var + bias)


def incident_id(topic: str, opened_s: int) -> str:
    """The dedup key of an incident: stable across replays, unique per key and opening minute."""
    stamp = datetime.fromtimestamp(opened_s, UTC).strftime("%Y%m%dT%H%MZ")
    return f"{topic}@{stamp}"


@dataclass(slots=True)
class Detector:
    """The detector state of one key (a table value). Sums are exponentially weighted per minute."""

    topic: str
    minutes: int = 0
    last_start_s: int | None = None
    # baseline (decay: baseline half-life)
    w: float = 0.0
    s_posts: float = 0.0
    s_neg: float = 0.0
    s_neg2: float = 0.0
    s_compound: float = 0.0
    sh_posts: float = 0.0
    sh_neg: float = 0.0
    s_lv: float = 0.0
    s_lv2: float = 0.0
    # long-run share (decay: long half-life), for drift notices
    l_posts: float = 0.0
    l_neg: float = 0.0
    # recent negatives (decay: fast half-life), for the quiet test
    fast_neg: float = 0.0
    fast_posts: float = 0.0
    fast_w: float = 0.0
    # the two CUSUMs and the span since the count evidence was last zero
    c_count: float = 0.0
    c_share: float = 0.0
    run_start_s: int | None = None
    run_minutes: int = 0
    run_posts: int = 0
    run_neg: int = 0
    run_compound: float = 0.0
    run_expected_posts: float = 0.0
    run_expected_neg: float = 0.0
    run_evidence: Evidence | None = None
    # the incident
    incident: str | None = None
    sequence: int = 0
    severity: Severity | None = None
    opened_s: int | None = None
    onset_s: int | None = None
    open_evidence: tuple[float, float] = (0.0, 0.0)
    quiet: int = 0
    held: int = 0
    last_event_s: int | None = None
    resolved_s: int | None = None
    reopened: bool = False
    # key's term baseline (decayed counts of its windows' top terms)
    terms: TermCounter = field(default_factory=lambda: TermCounter(capacity=TERM_COUNTERS))
    last_volume_notice_s: int | None = None
    last_drift_notice_s: int | None = None

    # -- baseline figures ---------------------------------------------------------------------------

    def expected_posts(self) -> float:
        return self.s_posts / self.w if self.w else 0.0

    def expected_negatives(self, cfg: CrisisConfig) -> float:
        mean = self.s_neg / self.w if self.w else 0.0
        return max(mean, cfg.min_expected_negatives_per_hour / 60.0)

    def overdispersion(self) -> float:
        if self.w < 10:
            return 0.0
        mean = self.s_neg / self.w
        var = self.s_neg2 / self.w - mean * mean
        if mean <= 0:
            return 0.0
        return min(2.0, max(0.0, (var - mean) / (mean * mean)))

    def baseline_share(self, cfg: CrisisConfig) -> float:
        """The recent share, shrunk toward the key's long-run share (itself shrunk toward the prior)."""
        return (self.sh_neg + cfg.prior_posts * self.long_share(cfg)) / (self.sh_posts + cfg.prior_posts)

    def long_share(self, cfg: CrisisConfig) -> float:
        return (self.l_neg + cfg.prior_posts * cfg.prior_share) / (self.l_posts + cfg.prior_posts)

    def baseline_compound(self) -> float | None:
        return round(self.s_compound / self.s_posts, 4) if self.s_posts > 0.5 else None

    def volume_z(self, posts: int, cfg: CrisisConfig) -> float:
        if self.w < 1:
            return 0.0
        return log_z(math.log1p(posts), self.w, self.s_lv, self.s_lv2, cfg.volume_bias)

    def recent_share(self) -> float | None:
        return self.fast_neg / self.fast_posts if self.fast_posts > 0 else None

    @property
    def frozen(self) -> bool:
        return self.incident is not None and self.resolved_s is None

    # -- one minute ----------------------------------------------------------------------------------

    def step(self, minute: Minute, cfg: CrisisConfig, evidence: Evidence | None = None,
             stats: WindowStats | None = None) -> list[Transition]:
        """Fold one closed minute in; the transitions it causes, in order. Minutes come oldest first; a
        minute at or before the last one folded (a window published again after a restart) is ignored."""
        if self.last_start_s is not None:
            if minute.start_s <= self.last_start_s:
                return []
            gap = (minute.start_s - self.last_start_s) // 60 - 1
            if gap > MAX_GAP_STEPS:
                self._skip(gap - MAX_GAP_STEPS, cfg)
                gap = MAX_GAP_STEPS
            out: list[Transition] = []
            for i in range(gap, 0, -1):  # quiet minutes the windows did not publish count as zeros
                out += self._step(Minute(minute.start_s - 60 * i, 0, 0, 0.0), cfg, None, None)
            return out + self._step(minute, cfg, evidence, stats)
        return self._step(minute, cfg, evidence, stats)

    def _skip(self, minutes: int, cfg: CrisisConfig) -> None:
        """A long silence: decay the sums as that many zero minutes would, and start the evidence over."""
        d, dl, df = cfg.decay ** minutes, cfg.long_decay ** minutes, cfg.fast_decay ** minutes
        ones = (1 - d) / (1 - cfg.decay)
        self.w = self.w * d + ones
        self.s_posts *= d
        self.s_neg *= d
        self.s_neg2 *= d
        self.s_compound *= d
        self.sh_posts *= d
        self.sh_neg *= d
        self.s_lv *= d
        self.s_lv2 *= d
        self.l_posts *= dl
        self.l_neg *= dl
        self.fast_neg *= df
        self.fast_posts *= df
        self.fast_w = self.fast_w * df + (1 - df) / (1 - cfg.fast_decay)
        self._reset_run()
        self.minutes += minutes

    def _reset_run(self, cusums: bool = True) -> None:
        if cusums:
            self.c_count = self.c_share = 0.0
        self.run_start_s = None
        self.run_minutes = self.run_posts = self.run_neg = 0
        self.run_compound = self.run_expected_posts = self.run_expected_neg = 0.0
        self.run_evidence = None

    def _step(self, m: Minute, cfg: CrisisConfig, evidence: Evidence | None,
              stats: WindowStats | None) -> list[Transition]:
        self.last_start_s = m.start_s
        mu = self.expected_negatives(cfg)
        mu_posts = self.expected_posts()
        p0 = self.baseline_share(cfg)
        p1 = min(0.95, max(p0 + 0.05, p0 * cfg.share_shift))
        z = self.volume_z(m.posts, cfg)
        warm = self.minutes >= cfg.warmup_minutes

        # The accumulators, on the baseline as it stood before this minute.
        llr_count = nb_llr(m.negatives, mu, cfg.count_shift, self.overdispersion())
        llr_share = binomial_llr(m.negatives, m.posts, p0, p1) if m.posts else 0.0
        # Bounded accumulators: the evidence of a burst that has passed must drain in minutes, not hours,
        # or any later fluctuation of the other signal would meet it still high.
        self.c_count = min(cfg.evidence_cap * cfg.count_threshold, max(0.0, self.c_count + llr_count))
        self.c_share = min(cfg.evidence_cap * cfg.share_threshold, max(0.0, self.c_share + llr_share))
        if self.c_count > 0 or self.frozen:
            if self.run_start_s is None:
                self.run_start_s = m.start_s
            self.run_minutes += 1
            self.run_posts += m.posts
            self.run_neg += m.negatives
            self.run_compound += m.compound_sum
            self.run_expected_posts += mu_posts
            self.run_expected_neg += mu
            if self.c_share > 0 or self.frozen:
                if self.run_evidence is None:
                    self.run_evidence = Evidence()
                if evidence is not None:
                    self.run_evidence.merge(evidence)
                if stats is not None:
                    self.run_evidence.add_terms(stats)
        elif not self.frozen:
            self._reset_run(cusums=False)  # the count evidence is back to zero: a later excess starts anew
        self.fast_neg = self.fast_neg * cfg.fast_decay + m.negatives
        self.fast_posts = self.fast_posts * cfg.fast_decay + m.posts
        self.fast_w = self.fast_w * cfg.fast_decay + 1.0

        # The minute's figures, on the baseline as it stood before this minute, built only when a
        # transition or a notice needs them: most minutes raise none.
        baseline_compound = self.baseline_compound()
        built: list[AlertFigures] = []

        def current() -> AlertFigures:
            if not built:
                built.append(self._figures(1, m.posts, m.negatives, m.compound_sum, mu_posts, mu, z, p0,
                                           baseline_compound))
            return built[0]

        out = self._lifecycle(m, cfg, warm, current)

        # While the evidence builds toward a crisis the baseline holds still too, or a slow crisis on a
        # quiet key would become its own baseline before it is caught; but never for longer than
        # ``max_hold_minutes``, or a lasting change of level (a brand that grew) would lock it.
        building = self.c_count >= cfg.count_threshold / 2 and self.c_share >= cfg.share_threshold / 2
        self.held = self.held + 1 if building and not self.frozen else 0
        if not self.frozen and (not building or self.held > cfg.max_hold_minutes):
            self._learn(m, mu_posts, cfg, stats)
        if not self.frozen and warm:
            out += self._notices(m, cfg, z, current)
        self.minutes += 1
        return out

    def _learn(self, m: Minute, mu_posts: float, cfg: CrisisConfig, stats: WindowStats | None) -> None:
        d, dl = cfg.decay, cfg.long_decay
        self.w = self.w * d + 1.0
        self.s_posts = self.s_posts * d + m.posts
        self.s_neg = self.s_neg * d + m.negatives
        self.s_neg2 = self.s_neg2 * d + m.negatives * m.negatives
        self.s_compound = self.s_compound * d + m.compound_sum
        lv = math.log1p(m.posts)
        self.s_lv = self.s_lv * d + lv
        self.s_lv2 = self.s_lv2 * d + lv * lv
        # The share baselines weigh a burst minute as at most SHARE_WEIGHT_CAP expected minutes: a viral
        # positive post must not make the usual share of negatives look like a rise once it has passed.
        cap = SHARE_WEIGHT_CAP * max(mu_posts, 1.0)
        scale = cap / m.posts if m.posts > cap and self.minutes >= cfg.warmup_minutes else 1.0
        self.sh_posts = self.sh_posts * d + m.posts * scale
        self.sh_neg = self.sh_neg * d + m.negatives * scale
        self.l_posts = self.l_posts * dl + m.posts * scale
        self.l_neg = self.l_neg * dl + m.negatives * scale
        if stats is not None and stats.posts:
            # Decayed term counts, kept as integers x1000 so the counter's arithmetic stays exact.
            counts = self.terms.counts
            for term in list(counts):
                counts[term] = int(counts[term] * d)
                if counts[term] == 0:
                    del counts[term]
            for label_terms in stats.top_terms.values():
                for t in label_terms:
                    self.terms.add(t.term, t.count * 1000)

    def _figures(self, minutes: int, posts: int, negatives: int, compound_sum: float, exp_posts: float,
                 exp_neg: float, z: float, baseline_share: float, baseline_compound: float | None) -> AlertFigures:
        return AlertFigures(
            minutes=minutes,
            posts=posts,
            negatives=negatives,
            negative_share=round(negatives / posts, 4) if posts else None,
            compound_mean=round(compound_sum / posts, 4) if posts else None,
            expected_posts=round(exp_posts, 3),
            expected_negatives=round(exp_neg, 3),
            baseline_share=round(baseline_share, 4),
            baseline_compound_mean=baseline_compound,
            negatives_ratio=round(negatives / exp_neg, 3) if exp_neg > 0 else 0.0,
            count_evidence=round(self.c_count, 3),
            share_evidence=round(self.c_share, 3),
            volume_z=round(z, 3),
        )

    def _run_figures(self, cfg: CrisisConfig, z: float) -> AlertFigures:
        return self._figures(self.run_minutes, self.run_posts, self.run_neg, self.run_compound,
                             self.run_expected_posts, self.run_expected_neg, z, self.baseline_share(cfg),
                             self.baseline_compound())

    def _ratio(self) -> float:
        return self.run_neg / self.run_expected_neg if self.run_expected_neg > 0 else 0.0

    def _triggered(self, cfg: CrisisConfig) -> bool:
        return (self.c_count >= cfg.count_threshold and self.c_share >= cfg.share_threshold
                and self.run_neg >= cfg.min_negatives and self._ratio() >= cfg.min_ratio)

    def _severity(self, cfg: CrisisConfig, m: Minute) -> Severity:
        ratio = self._ratio()
        recent = self.recent_share()
        if ratio >= cfg.critical_ratio and recent is not None and recent > cfg.critical_share:
            return "critical"
        assert self.opened_s is not None
        # Sustained: neither accumulator fell since the opening (both may sit at their bound).
        grew = self.c_count >= self.open_evidence[0] and self.c_share >= self.open_evidence[1]
        if ratio >= cfg.warning_ratio or (m.start_s - self.opened_s >= cfg.warning_minutes * 60 and grew):
            return "warning"
        return "watch"

    def _lifecycle(self, m: Minute, cfg: CrisisConfig, warm: bool,
                   current: Callable[[], AlertFigures]) -> list[Transition]:
        if (self.incident is not None and self.resolved_s is not None
                and m.start_s - self.resolved_s >= cfg.cooldown_minutes * 60):
            self.incident = None  # the cooldown is over: a new trigger is a new incident
            self.severity = None
            self.reopened = False
        if not self.frozen:
            if not (warm and self._triggered(cfg)):
                return []
            reopened = self.incident is not None
            if not reopened:
                self.incident = incident_id(self.topic, m.start_s)
                self.sequence = 0
            self.reopened = reopened
            self.resolved_s = None
            self.opened_s = m.start_s
            self.onset_s = self.run_start_s if self.run_start_s is not None else m.start_s
            self.open_evidence = (self.c_count, self.c_share)
            self.quiet = 0
            self.severity = "watch"
            out = [self._transition("open", m, None, cfg, current)]
            severity = self._severity(cfg, m)
            if severity != "watch":
                previous, self.severity = self.severity, severity
                out.append(self._transition("escalate", m, previous, cfg, current))
            return out
        # An incident is open.
        assert self.severity is not None
        mu = self.expected_negatives(cfg)
        recent_rate = self.fast_neg / self.fast_w if self.fast_w else 0.0
        if recent_rate <= cfg.resolve_ratio * mu:
            self.quiet += 1
        else:
            self.quiet = 0
        if self.quiet >= cfg.quiet_minutes:
            self.resolved_s = m.start_s + 60
            out = [self._transition("resolve", m, self.severity, cfg, current)]
            self._reset_run()
            self.fast_neg = self.fast_posts = 0.0
            return out
        severity = self._severity(cfg, m)
        if _RANK[severity] > _RANK[self.severity]:
            previous, self.severity = self.severity, severity
            return [self._transition("escalate", m, previous, cfg, current)]
        if self.last_event_s is not None and m.start_s - self.last_event_s >= cfg.update_minutes * 60:
            return [self._transition("update", m, self.severity, cfg, current)]
        return []

    def _transition(self, event: AlertEventKind, m: Minute, previous: Severity | None, cfg: CrisisConfig,
                    current: Callable[[], AlertFigures]) -> Transition:
        assert self.incident is not None and self.opened_s is not None and self.onset_s is not None
        figures = current()
        self.sequence += 1
        self.last_event_s = m.start_s
        return Transition(
            event=event, topic=self.topic, incident_id=self.incident, sequence=self.sequence, severity=self.severity,
            previous_severity=previous, reopened=self.reopened, minute=m, opened_s=self.opened_s,
            onset_s=self.onset_s, resolved_s=self.resolved_s if event == "resolve" else None,
            current=figures, incident=self._run_figures(cfg, figures.volume_z),
            evidence=_copy(self.run_evidence), rising_terms=self.rising_terms(),
        )

    def _notices(self, m: Minute, cfg: CrisisConfig, z: float,
                 current: Callable[[], AlertFigures]) -> list[Transition]:
        out = []
        interval = cfg.notice_interval_minutes * 60
        if (z >= cfg.volume_z_notice and m.posts >= cfg.volume_notice_min_posts
                and (self.last_volume_notice_s is None or m.start_s - self.last_volume_notice_s >= interval)):
            self.last_volume_notice_s = m.start_s
            out.append(self._notice("volume_spike", m, current(), None))
        drift_interval = cfg.drift_notice_interval_minutes * 60
        short, long = self.baseline_share(cfg), self.long_share(cfg)
        if (self.s_posts >= cfg.drift_notice_min_posts and short - long >= cfg.drift_notice_delta
                and (self.last_drift_notice_s is None or m.start_s - self.last_drift_notice_s >= drift_interval)):
            self.last_drift_notice_s = m.start_s
            out.append(self._notice("sentiment_drift", m, current(), round(long, 4)))
        return out

    def _notice(self, kind: NoticeKind, m: Minute, current: AlertFigures, long_share: float | None) -> Transition:
        stamp = datetime.fromtimestamp(m.start_s, UTC).strftime("%Y%m%dT%H%MZ")
        return Transition(
            event=kind, topic=self.topic, incident_id=f"{self.topic}@{stamp}/{kind}", sequence=1, severity=None,
            previous_severity=None, reopened=False, minute=m, opened_s=m.start_s, onset_s=m.start_s,
            resolved_s=None, current=current, incident=current, evidence=None, rising_terms=(),
            long_run_share=long_share,
        )

    def rising_terms(self) -> tuple[RisingTerm, ...]:
        if self.run_evidence is None or not self.run_minutes:
            return ()
        rows = []
        for term, count in self.run_evidence.terms.counts.items():
            if count < MIN_RISING_COUNT:
                continue
            rate = self.terms.counts.get(term, 0) / 1000 / self.w if self.w else 0.0
            expected = rate * self.run_minutes
            rows.append(RisingTerm(term=term, count=count, expected=round(expected, 3),
                                   lift=round((count + 1) / (expected + 1), 3)))
        rows.sort(key=lambda r: (-r.lift, -r.count, r.term))
        return tuple(rows[:TOP_RISING_TERMS])

    # -- state --------------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {name: getattr(self, name) for name in _PLAIN}
        d["open_evidence"] = list(self.open_evidence)
        d["run_evidence"] = self.run_evidence.to_json() if self.run_evidence is not None else None
        d["terms"] = self.terms.to_json()
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Detector:
        det = cls(**{name: d[name] for name in _PLAIN if name in d})
        det.open_evidence = tuple(d.get("open_evidence", (0.0, 0.0)))  # type: ignore[assignment]
        det.run_evidence = Evidence.from_json(d["run_evidence"]) if d.get("run_evidence") else None
        det.terms = TermCounter.from_json(d.get("terms", {}), TERM_COUNTERS)
        return det


_PLAIN = tuple(
    name for name in Detector.__dataclass_fields__ if name not in ("open_evidence", "run_evidence", "terms")
)


def _copy(evidence: Evidence | None) -> Evidence | None:
    if evidence is None:
        return None
    return Evidence.from_json(evidence.to_json())


# -- the alert record --------------------------------------------------------------------------------------


def _iso(s: int) -> datetime:
    return datetime.fromtimestamp(s, UTC)


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.0f} %"


def alert_data(t: Transition, *, kind: TopicKind, brand: str | None, topics: tuple[str, ...],
               dashboard_url: str | None, runbook_url: str | None) -> AlertData:
    """The alert record of an incident transition: figures, evidence and a summary a responder can act on."""
    assert not t.is_notice and t.severity is not None
    inc = t.incident
    who = f"brand {brand}" if kind == "brand" and brand else f"{kind} {t.topic}"
    verb = {"open": "turning negative", "escalate": "escalated", "update": "still negative",
            "resolve": "back to normal"}[t.event]  # type: ignore[index]
    summary = f"[{t.severity.upper()}] {who}: {verb}"
    if t.event != "resolve":
        summary += (f", {inc.negatives} negative posts since {_iso(t.onset_s):%H:%M} UTC"
                    f" ({inc.negatives_ratio:.1f}x the {inc.expected_negatives:.1f} expected)")
    description = (
        f"{inc.negatives} of {inc.posts} posts negative ({_pct(inc.negative_share)}; baseline "
        f"{_pct(inc.baseline_share)}) over {inc.minutes} min since the estimated onset at "
        f"{_iso(t.onset_s):%Y-%m-%d %H:%M} UTC; expected {inc.expected_negatives:.1f} negatives "
        f"({inc.negatives_ratio:.1f}x). Latest minute: {t.current.negatives} of {t.current.posts} negative. "
        f"Evidence: count {inc.count_evidence:.1f}, share {inc.share_evidence:.1f} (log-likelihood ratios)."
    )
    evidence = t.evidence
    return AlertData(
        incident_id=t.incident_id,
        sequence=t.sequence,
        status="resolved" if t.event == "resolve" else "firing",
        event=t.event,  # type: ignore[arg-type]
        severity=t.severity,
        previous_severity=t.previous_severity,
        reopened=t.reopened,
        topic=t.topic,
        kind=kind,
        brand=brand,
        topics=topics,
        window_start=_iso(t.minute.start_s),
        window_end=_iso(t.minute.start_s + 60),
        opened_at=_iso(t.opened_s),
        onset_at=_iso(t.onset_s),
        resolved_at=_iso(t.resolved_s) if t.resolved_s is not None else None,
        summary=summary,
        description=description,
        current=t.current,
        incident=inc,
        samples=evidence.samples() if evidence else (),
        top_negative_authors=evidence.top_authors() if evidence else (),
        rising_terms=t.rising_terms,
        dashboard_url=dashboard_url,
        runbook_url=runbook_url,
    )


def notice_data(t: Transition, *, brand: str | None, dashboard_url: str | None) -> NoticeData:
    assert t.is_notice
    c = t.current
    if t.event == "volume_spike":
        summary = (f"{t.topic}: volume spike, {c.posts} posts in a minute against {c.expected_posts:.1f} "
                   f"expected (z {c.volume_z:.1f}); negative share {_pct(c.negative_share)}, not a crisis")
    else:
        summary = (f"{t.topic}: negative share drifting up, {_pct(c.baseline_share)} recently against "
                   f"{_pct(t.long_run_share)} long-run")
    return NoticeData(
        notice_id=t.incident_id, kind=t.event,  # type: ignore[arg-type]
        topic=t.topic, brand=brand, window_start=_iso(t.minute.start_s),
        window_end=_iso(t.minute.start_s + 60), summary=summary, current=c, long_run_share=t.long_run_share,
        dashboard_url=dashboard_url,
    )
