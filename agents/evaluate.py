"""``brandpulse evaluate``: the crisis detector on the synthetic suite, and its volume channel on NAB data.

The scoring itself is pure (``streams.evaluation``, ``streams.nab``); this module reads the NAB corpus
layout and states the targets the figures are held to.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from streams.nab import PROFILES, FileSweep, best_threshold, normalized, sweep, volume_scores

#: (what, predicate on the summary, wording) of each target the issue sets.
TARGET_DETECTION = 0.95
TARGET_MEDIAN_FAST = 30.0  # minutes, at >= 10 posts/min
TARGET_MEDIAN_SLOW = 60.0  # minutes, at 2 posts/min
TARGET_FALSE_PER_KEY_DAY = 0.02


class CorpusError(ValueError):
    """A NAB corpus that cannot be read; the message names the file."""


@dataclass(frozen=True)
class NabFile:
    name: str
    timestamps: list[datetime]
    values: list[float]
    windows: list[tuple[int, int]]


def _parse_time(text: str, where: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise CorpusError(f"{where}: {text!r} is not a timestamp") from None


def read_corpus(data_dir: Path, labels_path: Path) -> list[NabFile]:
    """NAB's layout: ``data_dir/**/name.csv`` with ``timestamp,value`` rows, and a labels JSON mapping each
    file's path relative to ``data_dir`` to its anomaly windows ``[[start, end], …]``."""
    try:
        labels = json.loads(labels_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CorpusError(f"{labels_path}: {exc}") from None
    if not isinstance(labels, dict):
        raise CorpusError(f"{labels_path}: a JSON object mapping data files to their windows is expected")
    files = []
    for rel, windows in sorted(labels.items()):
        path = data_dir / rel
        if not path.is_file():
            raise CorpusError(f"{labels_path} names {rel}, which is not under {data_dir}")
        timestamps, values = [], []
        with path.open(newline="", encoding="utf-8") as fh:
            for i, row in enumerate(csv.DictReader(fh)):
                where = f"{path}:{i + 2}"
                if "timestamp" not in row or "value" not in row:
                    raise CorpusError(f"{path}: the header must name timestamp and value")
                timestamps.append(_parse_time(row["timestamp"], where))
                try:
                    values.append(float(row["value"]))
                except (TypeError, ValueError):
                    raise CorpusError(f"{where}: value {row['value']!r} is not a number") from None
        bounds = []
        for w in windows:
            if not isinstance(w, list) or len(w) != 2:
                raise CorpusError(f"{labels_path}: {rel}: a window is [start, end], got {w!r}")
            start, end = _parse_time(w[0], str(labels_path)), _parse_time(w[1], str(labels_path))
            rows = [i for i, t in enumerate(timestamps) if start <= t <= end]
            if rows:
                bounds.append((rows[0], rows[-1]))
        files.append(NabFile(rel, timestamps, values, bounds))
    if not files:
        raise CorpusError(f"{labels_path} labels no file")
    return files


def score_corpus(files: list[NabFile], half_life_rows: float = 360.0) -> dict[str, dict[str, float]]:
    """Per NAB profile: the best threshold, the raw score and the normalised score of the volume channel."""
    scores = {f.name: volume_scores(f.values, half_life_rows=half_life_rows) for f in files}
    out = {}
    for name, profile in PROFILES.items():
        sweeps: list[FileSweep] = []
        first = 0
        for f in files:
            sweeps.append(sweep(scores[f.name], f.windows, profile, first_window_id=first))
            first += len(f.windows)
        threshold, raw = best_threshold(sweeps, profile)
        out[name] = {"threshold": threshold, "raw": raw, "score": normalized(raw, sweeps, profile)}
    return out
