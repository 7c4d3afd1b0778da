"""Scoring the crisis detector on the synthetic suite: detection rate, paging delay, false pages.

Shape: ``Scenario`` → ``series`` → ``Detector.step`` per minute → ``Outcome`` → ``Summary``.

A page is the first event of an incident at ``warning`` or above. A crisis counts as detected when a page
comes between its onset and ``detect_within_minutes`` after it (12 h); the paging delay runs from the
onset to the end of the minute whose closing raised the page (in a live stream add the allowed lateness,
``BRANDPULSE_ALLOWED_LATENESS_SECONDS``, for the window to close). Every other page is false: on a null
key, or on a crisis key before its onset or after its end plus ``detect_within_minutes``.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from streams.crisis import CrisisConfig, Detector
from streams.synthetic import DAY, Scenario, series

PAGING = ("warning", "critical")


@dataclass(frozen=True)
class Outcome:
    scenario: Scenario
    pages: tuple[int, ...]  # minute index (end of the paging minute) of each incident's first page
    delay_min: int | None  # crisis scenarios: onset to the first page in the detection span
    false_pages: int
    key_days: float


def run_scenario(sc: Scenario, cfg: CrisisConfig, detect_within_minutes: int = 720) -> Outcome:
    det = Detector(sc.name)
    pages: list[int] = []
    paged: set[str] = set()
    for m in series(sc):
        for t in det.step(m, cfg):
            if not t.is_notice and t.severity in PAGING and t.incident_id not in paged:
                paged.add(t.incident_id)
                pages.append(t.minute.start_s // 60 + 1)
    delay = None
    false = 0
    c = sc.crisis
    for p in pages:
        if c is not None and c.onset_min < p <= c.onset_min + detect_within_minutes and delay is None:
            delay = p - c.onset_min
        elif c is not None and c.onset_min < p <= c.end_min + detect_within_minutes:
            continue  # a second page of the same crisis (re-opened after its cooldown) is not false
        else:
            false += 1
    return Outcome(sc, tuple(pages), delay, false, sc.minutes / DAY)


@dataclass(frozen=True)
class Band:
    base_per_min: float
    crises: int
    detected: int
    median_delay_min: float | None
    p90_delay_min: float | None


@dataclass(frozen=True)
class Summary:
    crises: int
    detected: int
    median_delay_min: float | None
    p90_delay_min: float | None
    false_pages: int
    key_days: float
    bands: tuple[Band, ...]
    missed: tuple[str, ...]

    @property
    def detection_rate(self) -> float:
        return self.detected / self.crises if self.crises else 0.0

    @property
    def false_pages_per_key_day(self) -> float:
        return self.false_pages / self.key_days if self.key_days else 0.0


def _quantile(xs: list[int], q: float) -> float | None:
    if not xs:
        return None
    if q == 0.5:
        return float(statistics.median(xs))
    xs = sorted(xs)
    return float(xs[min(len(xs) - 1, int(q * len(xs)))])


def evaluate(scenarios: Iterable[Scenario], cfg: CrisisConfig,
             progress: Callable[[Outcome], None] | None = None) -> Summary:
    outcomes = []
    for sc in scenarios:
        o = run_scenario(sc, cfg)
        outcomes.append(o)
        if progress is not None:
            progress(o)
    crises = [o for o in outcomes if o.scenario.crisis is not None]
    delays = [o.delay_min for o in crises if o.delay_min is not None]
    bands = []
    for base in sorted({o.scenario.base_per_min for o in crises}):
        band = [o for o in crises if o.scenario.base_per_min == base]
        d = [o.delay_min for o in band if o.delay_min is not None]
        bands.append(Band(base, len(band), len(d), _quantile(d, 0.5), _quantile(d, 0.9)))
    return Summary(
        crises=len(crises), detected=len(delays), median_delay_min=_quantile(delays, 0.5),
        p90_delay_min=_quantile(delays, 0.9), false_pages=sum(o.false_pages for o in outcomes),
        key_days=sum(o.key_days for o in outcomes), bands=tuple(bands),
        missed=tuple(o.scenario.name for o in crises if o.delay_min is None),
    )
