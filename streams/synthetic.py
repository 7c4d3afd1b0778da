"""A deterministic synthetic suite of per-minute counts for the crisis detector, with known onsets.

Shape: ``Scenario`` → ``series(scenario)`` → one ``Minute`` per minute (posts, negatives, compound sum).

Each key has a base volume (6 posts an hour to 50 a minute), a negative share, a diurnal cycle and
gamma-Poisson overdispersion (the rate of each ten-minute block is drawn from a gamma around the
diurnal mean). A fraction of the negative posts is scored positive, as VADER does with sarcasm and
complaints in polite words on brand tweets; it applies to crisis posts too.

* **Crisis** scenarios: two calm days, then at a known minute the volume ramps (step, linear or
  exponential) to ``peak`` times the base, holds, and decays; most of the extra posts are negative.
* **Null** scenarios have no crisis but the things that fool naive detectors: positive viral bursts
  (volume x5-x30, mostly positive), neutral news bursts (x3-x10 at the usual share), complaint flurries
  (a handful of extra negatives within minutes), and some keys drift slowly toward a higher negative share.

Every draw comes from ``numpy.random.default_rng(seed)``: the same scenario gives the same series.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import numpy as np

from streams.crisis import Minute

DAY = 1440
Ramp = Literal["step", "linear", "exponential"]
BurstKind = Literal["viral_positive", "neutral_news", "complaint_flurry"]

#: Base volumes of the suite, posts per minute (6 an hour to 50 a minute).
BASE_VOLUMES: tuple[float, ...] = (0.1, 0.5, 2.0, 10.0, 50.0)
PEAKS: tuple[float, ...] = (3.0, 5.0, 10.0, 20.0, 50.0)
RAMPS: tuple[tuple[Ramp, int], ...] = (("step", 0), ("linear", 30), ("linear", 120), ("exponential", 60))


@dataclass(frozen=True)
class Crisis:
    onset_min: int
    peak: float
    ramp: Ramp
    ramp_min: int
    hold_min: int
    decay_min: int
    negative_share: float  # of the extra posts, before mis-scoring

    @property
    def end_min(self) -> int:
        return self.onset_min + self.ramp_min + self.hold_min + self.decay_min

    def multiplier(self, t: np.ndarray) -> np.ndarray:
        """Extra volume over the base, in units of the base rate (0 before the onset)."""
        x = (t - self.onset_min).astype(float)
        extra = self.peak - 1.0
        if self.ramp == "step" or self.ramp_min == 0:
            up = np.where(x >= 0, 1.0, 0.0)
        elif self.ramp == "linear":
            up = np.clip(x / self.ramp_min, 0.0, 1.0) * (x >= 0)
        else:  # exponential: from 1 % of the extra to all of it over the ramp
            up = np.where(x >= 0, np.minimum(1.0, 0.01 * np.exp(np.log(100.0) * x / self.ramp_min)), 0.0)
        hold_end = self.ramp_min + self.hold_min
        down = np.where(x > hold_end, np.exp(-(x - hold_end) / max(1.0, self.decay_min / 3)), 1.0)
        return extra * up * down * (x < hold_end + self.decay_min)


@dataclass(frozen=True)
class Burst:
    kind: BurstKind
    start_min: int
    minutes: int
    size: float  # volume multiplier for bursts, extra negative posts for a flurry


@dataclass(frozen=True)
class Scenario:
    name: str
    seed: int
    base_per_min: float
    days: float
    negative_share: float = 0.2
    diurnal: float = 0.4  # amplitude of the daily cycle, relative
    dispersion: float = 10.0  # gamma shape of the ten-minute rates (larger: closer to Poisson)
    misscored: float = 0.2  # share of negative posts scored positive
    drift: float = 0.0  # rise of the negative share over the scenario, absolute
    crisis: Crisis | None = None
    bursts: tuple[Burst, ...] = field(default_factory=tuple)

    @property
    def minutes(self) -> int:
        return int(self.days * DAY)


def series(sc: Scenario) -> list[Minute]:
    """The scenario's minutes (start 0, 60, 120, … seconds from an arbitrary epoch-aligned origin)."""
    rng = np.random.default_rng(sc.seed)
    n = sc.minutes
    t = np.arange(n)
    phase = rng.uniform(0, DAY)
    rate = sc.base_per_min * (1.0 + sc.diurnal * np.sin(2 * np.pi * (t - phase) / DAY))
    if sc.dispersion > 0:
        blocks = rng.gamma(sc.dispersion, 1.0 / sc.dispersion, size=n // 10 + 1)
        rate = rate * np.repeat(blocks, 10)[:n]
    share = sc.negative_share + sc.drift * t / max(1, n)
    posts = rng.poisson(rate)
    neg = rng.binomial(posts, share)
    pos = rng.binomial(posts - neg, 0.5)  # the rest splits evenly between positive and neutral
    if sc.crisis is not None:
        extra = rng.poisson(rate * sc.crisis.multiplier(t))
        extra_neg = rng.binomial(extra, sc.crisis.negative_share)
        posts = posts + extra
        neg = neg + extra_neg
        pos = pos + rng.binomial(extra - extra_neg, 0.3)
    for b in sc.bursts:
        span = slice(b.start_min, min(n, b.start_min + b.minutes))
        length = span.stop - span.start
        if length <= 0:
            continue
        if b.kind == "complaint_flurry":
            extra = np.bincount(rng.integers(0, length, size=int(b.size)), minlength=length)
            posts[span] += extra
            neg[span] += extra
            continue
        shape = np.sin(np.pi * (np.arange(length) + 0.5) / length)  # rises and falls
        extra = rng.poisson(rate[span] * (b.size - 1.0) * shape)
        if b.kind == "viral_positive":
            extra_neg = rng.binomial(extra, 0.05)
            extra_pos = rng.binomial(extra - extra_neg, 0.85)
        else:  # neutral news: the usual negative share, the rest mostly neutral
            extra_neg = rng.binomial(extra, share[span])
            extra_pos = rng.binomial(extra - extra_neg, 0.15)
        posts[span] += extra
        neg[span] += extra_neg
        pos[span] += extra_pos
    # VADER's misses: some negative posts come out positive.
    flipped = rng.binomial(neg, sc.misscored)
    neg = neg - flipped
    pos = pos + flipped
    compound = -0.55 * neg + 0.5 * pos
    return [Minute(60 * int(i), int(posts[i]), int(neg[i]), float(round(compound[i], 4))) for i in range(n)]


def crisis_scenarios(seeds: int = 1) -> Iterator[Scenario]:
    """Every base volume x peak x ramp, ``seeds`` times: two calm days, then a crisis on day three."""
    for seed in range(seeds):
        for vi, base in enumerate(BASE_VOLUMES):
            for pi, peak in enumerate(PEAKS):
                for ri, (ramp, ramp_min) in enumerate(RAMPS):
                    s = 1_000_000 + seed * 10_000 + vi * 1000 + pi * 100 + ri
                    rng = np.random.default_rng(s)
                    onset = 2 * DAY + int(rng.integers(0, DAY - 240))
                    # Quiet keys' crises run longer: a x3 at 6 posts an hour takes hours to show.
                    hold = int(rng.integers(120, 360)) if base >= 2 else int(rng.integers(360, 720))
                    crisis = Crisis(onset_min=onset, peak=peak, ramp=ramp, ramp_min=ramp_min, hold_min=hold,
                                    decay_min=int(rng.integers(60, 240)),
                                    negative_share=float(rng.uniform(0.6, 0.85)))
                    yield Scenario(
                        name=f"crisis/base{base:g}/x{peak:g}/{ramp}{ramp_min}/s{seed}", seed=s,
                        base_per_min=base, days=(onset + 24 * 60) / DAY + 0.01,
                        negative_share=float(rng.uniform(0.1, 0.35)), diurnal=float(rng.uniform(0.0, 0.6)),
                        dispersion=float(rng.choice([3.0, 10.0, 50.0])), misscored=float(rng.uniform(0.1, 0.3)),
                        crisis=crisis,
                    )


def null_scenarios(seeds: int = 20, days: float = 5.0) -> Iterator[Scenario]:
    """Calm keys with viral positive bursts, neutral news bursts, complaint flurries, diurnal cycles,
    overdispersion, and (every fourth) a slow drift toward a higher negative share."""
    for seed in range(seeds):
        for vi, base in enumerate(BASE_VOLUMES):
            s = 2_000_000 + seed * 100 + vi
            rng = np.random.default_rng(s)
            bursts = []
            for day in range(1, int(days)):
                start = day * DAY + int(rng.integers(0, DAY - 200))
                kind: BurstKind = ("viral_positive", "neutral_news", "complaint_flurry")[int(rng.integers(0, 3))]
                if kind == "viral_positive":
                    bursts.append(Burst(kind, start, int(rng.integers(30, 120)), float(rng.uniform(5, 30))))
                elif kind == "neutral_news":
                    bursts.append(Burst(kind, start, int(rng.integers(30, 180)), float(rng.uniform(3, 10))))
                else:
                    bursts.append(Burst(kind, start, int(rng.integers(5, 20)), float(rng.integers(3, 9))))
            yield Scenario(
                name=f"null/base{base:g}/s{seed}", seed=s, base_per_min=base, days=days,
                negative_share=float(rng.uniform(0.1, 0.35)), diurnal=float(rng.uniform(0.0, 0.6)),
                dispersion=float(rng.choice([3.0, 10.0, 50.0])), misscored=float(rng.uniform(0.1, 0.3)),
                drift=0.1 if seed % 4 == 3 else 0.0, bursts=tuple(bursts),
            )


NEGATIVE_TEXTS = (
    "terrible service from {t}, worst experience ever, I want a refund",
    "{t} lost my bag again, awful and angry",
    "never flying {t} again, horrible delay and rude staff",
    "{t} is a disaster today, broken app and no help at all",
)
POSITIVE_TEXTS = (
    "love {t}, great crew and a wonderful trip",
    "thanks {t} for the excellent help today, happy customer",
)
NEUTRAL_TEXTS = (
    "{t} flight 22 boards at gate 4",
    "reading about the {t} schedule for next week",
)


def synthetic_posts(minutes: list[Minute], tag: str, start_s: int, seed: int = 0) -> list[dict[str, object]]:
    """Canonical posts (``schemas/jsonschema/post.schema.json``) that realise a series for one hashtag:
    each minute's negatives as plainly negative texts, the rest split between positive and neutral ones,
    spread over the minute in time order. ``start_s`` is the epoch second of the series' minute 0."""
    rng = random.Random(seed)
    out: list[dict[str, object]] = []
    for m in minutes:
        base = start_s + m.start_s
        labels = ["negative"] * m.negatives + ["other"] * (m.posts - m.negatives)
        rng.shuffle(labels)
        for j, label in enumerate(labels):
            at = base + int(60 * (j + rng.random()) / max(1, len(labels)))
            if label == "negative":
                text = rng.choice(NEGATIVE_TEXTS)
            else:
                text = rng.choice(POSITIVE_TEXTS if rng.random() < 0.5 else NEUTRAL_TEXTS)
            n = len(out)
            author = rng.randrange(40) if label == "negative" else rng.randrange(400)
            out.append({
                "id": f"syn{seed}-{n}",
                "text": text.format(t=tag),
                "created_at": datetime.fromtimestamp(min(at, base + 59), UTC).isoformat().replace("+00:00", "Z"),
                "author": {"id": f"a{author}", "handle": f"user{author}", "followers": 10 * (author % 97) ** 2},
            })
    return out
