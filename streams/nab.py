"""The Numenta Anomaly Benchmark's scoring, for the detector's volume channel on labelled count series.

Shape: rows (``timestamp,value``) + labelled windows → ``volume_scores`` (an anomaly score per row) →
``sweep`` (NAB's weighted score of each row, were it a detection) → ``best_threshold`` (the threshold that
maximises the corpus score, per profile) → ``normalized`` (0 = the null detector, 100 = perfect).

The rules are NAB's (Lavin & Ahmad 2015, and ``nab/sweeper.py`` in numenta/NAB):

* The first ``min(floor(0.15 n), 750)`` rows of each file are probationary: neither detections nor the
  windows' rows there are scored.
* A detection inside a window scores ``tp * S(p) / S(-1)``, where ``p = -(right - i + 1) / width`` is its
  relative position (-1 at the window's first row, close to 0 at its last) and ``S(x) = 2 / (1 + e^(5x)) - 1``
  is the scaled sigmoid; only the best (the earliest) detection of a window counts. A window with none
  scores ``-fn``.
* A detection outside every window scores ``fp * S(d)``, where ``d = |i - prev_right| / (prev_width - 1)``
  is its distance past the previous window (``S = -1`` from ``d >= 3``, and before the first window): a
  detection just after a window costs less than one far from any.
* Profiles (``config/profiles.json``): standard (tp 1, fp 0.11, fn 1), reward_low_FP_rate (fp 0.22),
  reward_low_FN_rate (fn 2).
* Normalised score: ``100 * (raw - null) / (perfect - null)``, with ``perfect = tp * windows`` and ``null``
  the raw score of a detector that detects nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from streams.crisis import log_z


@dataclass(frozen=True)
class Profile:
    tp: float
    fp: float
    fn: float


PROFILES: dict[str, Profile] = {
    "standard": Profile(tp=1.0, fp=0.11, fn=1.0),
    "reward_low_FP_rate": Profile(tp=1.0, fp=0.22, fn=1.0),
    "reward_low_FN_rate": Profile(tp=1.0, fp=0.11, fn=2.0),
}
PROBATION_PERCENT = 0.15


def scaled_sigmoid(position: float) -> float:
    if position >= 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * position)) - 1.0


def probationary_rows(n: int, percent: float = PROBATION_PERCENT) -> int:
    return int(min(math.floor(percent * n), percent * 5000))


@dataclass(frozen=True)
class Point:
    """One scorable row: its anomaly score, its NAB weight were it a detection, and its window."""

    score: float
    weight: float
    window: int | None  # index of the window it lies in, in the whole corpus


@dataclass(frozen=True)
class FileSweep:
    points: tuple[Point, ...]
    windows: tuple[int, ...]  # corpus indices of the windows that have scorable rows
    all_windows: int


def sweep(scores: Sequence[float], windows: Sequence[tuple[int, int]], profile: Profile,
          first_window_id: int = 0, probation_percent: float = PROBATION_PERCENT) -> FileSweep:
    """NAB's per-row weights for one file. ``windows`` are (first row, last row) index pairs, in order."""
    n = len(scores)
    max_tp = scaled_sigmoid(-1.0)
    probation = probationary_rows(n, probation_percent)
    bounds = sorted(windows)
    points: list[Point] = []
    scorable_windows: set[int] = set()
    w = 0
    current: int | None = None
    prev_right: int | None = None
    prev_width = 0.0
    for i, s in enumerate(scores):
        if current is None and w < len(bounds) and i == bounds[w][0]:
            current = w
        if current is not None:
            left, right = bounds[current]
            width = float(right - left + 1)
            weight = scaled_sigmoid(-(right - i + 1) / width) * profile.tp / max_tp
            window: int | None = first_window_id + current
        else:
            past = 3.0 if prev_right is None else abs(prev_right - i) / max(1.0, prev_width - 1)
            weight = scaled_sigmoid(past) * profile.fp
            window = None
        if i >= probation:
            points.append(Point(float(s), weight, window))
            if window is not None:
                scorable_windows.add(window)
        if current is not None and i == bounds[current][1]:
            prev_right, prev_width = i, float(bounds[current][1] - bounds[current][0] + 1)
            current = None
            w += 1
    return FileSweep(tuple(points), tuple(sorted(scorable_windows)), len(bounds))


def score_at(files: Sequence[FileSweep], profile: Profile, threshold: float) -> float:
    """The corpus's raw score when every row scoring at least ``threshold`` is a detection."""
    total = 0.0
    best: dict[int, float] = {}
    for f in files:
        for wid in f.windows:
            best[wid] = -profile.fn
        for p in f.points:
            if p.score < threshold:
                continue
            if p.window is None:
                total += p.weight
            else:
                best[p.window] = max(best[p.window], p.weight)
    return total + sum(best.values())


def best_threshold(files: Sequence[FileSweep], profile: Profile) -> tuple[float, float]:
    """(threshold, raw score) maximising the corpus score over every distinct anomaly score, as NAB's
    optimiser does (an exact sweep rather than its hill climb, so at least as good)."""
    points = sorted((p for f in files for p in f.points), key=lambda p: -p.score)
    best: dict[int, float] = {wid: -profile.fn for f in files for wid in f.windows}
    windows_total = sum(best.values())
    fp_total = 0.0
    top = (math.inf, fp_total + windows_total)  # detect nothing
    i = 0
    while i < len(points):
        threshold = points[i].score
        while i < len(points) and points[i].score == threshold:
            p = points[i]
            if p.window is None:
                fp_total += p.weight
            elif p.weight > best[p.window]:
                windows_total += p.weight - best[p.window]
                best[p.window] = p.weight
            i += 1
        if fp_total + windows_total > top[1]:
            top = (threshold, fp_total + windows_total)
    return top


def null_score(files: Sequence[FileSweep], profile: Profile) -> float:
    return -profile.fn * sum(len(f.windows) for f in files)


def perfect_score(files: Sequence[FileSweep], profile: Profile) -> float:
    return profile.tp * sum(f.all_windows for f in files)


def normalized(raw: float, files: Sequence[FileSweep], profile: Profile) -> float:
    null, perfect = null_score(files, profile), perfect_score(files, profile)
    return 100.0 * (raw - null) / (perfect - null) if perfect != null else 0.0


def volume_scores(values: Sequence[float], half_life_rows: float = 360.0, bias: float = 0.1,
                  warmup_rows: int = 10) -> list[float]:
    """The detector's volume channel on a series: |z| of log(1 + value) against an exponentially weighted
    mean and variance of the rows before it (the variance plus ``bias``); 0 for the first rows.

    Two-sided, because NAB's labelled anomalies include drops; the crisis detector uses the upward side."""
    d = 0.5 ** (1.0 / half_life_rows)
    w = s = s2 = 0.0
    out = []
    for i, v in enumerate(values):
        x = math.log1p(max(0.0, v))
        out.append(0.0 if i < warmup_rows or w == 0 else abs(log_z(x, w, s, s2, bias)))
        w, s, s2 = w * d + 1.0, s * d + x, s2 * d + x * x
    return out
