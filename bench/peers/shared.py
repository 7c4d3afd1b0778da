"""What every pipeline of bench/compare.py agrees on: the command line, hashtags and event time.

Imported by the peers' pipelines (each run by its own virtual environment's python, which finds this file
beside the script) and by bench/compare.py for its direct count over the input. Standard library only.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

WINDOW_SECONDS = 60
# How late (event time) a hashtag may arrive and still count in its window, on a replay that runs hours of
# event time through in a minute. Bytewax: BENCH.md's 20 min (60 s dropped 3,577 events, 20 min none); its
# Kafka source reads the partitions in step, a batch from each in turn.
BYTEWAX_LATE_SECONDS = 20 * 60
# Quix Streams: a day. Its consumer reads a backlog's partitions far apart in event time, and group_by mixes
# them into one repartition topic: with 20 min, 200,000 posts (2.8 h of event time, 4 partitions) lost
# 109,624 of their 392,143 hashtag events to "Skipping window processing for the closed window", up to
# 90 min late.
QUIX_GRACE_SECONDS = 24 * 3600


def hashtags(text: str) -> set[str]:
    """The ``#...`` words of ``text``, lower-cased, each once."""
    return {word.lower() for word in text.split() if word.startswith("#") and len(word) > 1}


def event_time(created_at: str) -> datetime:
    """A post's ``created_at`` (ISO 8601, ``Z`` or an offset) as an aware datetime."""
    return datetime.fromisoformat(created_at)


def window_start_ms(created_at: str) -> int:
    """The start (ms since the epoch) of the tumbling window that holds ``created_at``."""
    ms = int(event_time(created_at).timestamp() * 1000)
    return ms - ms % (WINDOW_SECONDS * 1000)


PEAK_RSS_LINE = "bench: peak RSS (VmHWM) kB"


def peak_rss_kib() -> int:
    """This process's peak resident memory, from /proc (``ru_maxrss`` would not do: Linux carries the RSS of
    the forked copy of the parent, bench/compare.py with its input, across ``exec``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def report_peak_rss() -> None:
    """Print the peak RSS on stderr (the run's log), for bench/compare.py; a pipeline's last act."""
    print(f"{PEAK_RSS_LINE} {peak_rss_kib()}", file=sys.stderr, flush=True)


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--bootstrap", required=True, help="host:port of the Kafka broker")
    parser.add_argument("--posts-topic", required=True, help="input: canonical posts as JSON")
    parser.add_argument("--enriched-topic", required=True, help="output: each post plus its VADER scores")
    parser.add_argument("--windows-topic", required=True,
                        help="output: key = hashtag, value = {start, end, value: count} per 60 s window")
    parser.add_argument("--group", required=True, help="consumer group id")
    parser.add_argument("--state-dir", default=None, help="where the framework keeps its local state")
    return parser.parse_args()
