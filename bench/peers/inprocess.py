"""The two in-process loops of bench/compare.py, each in a child process of its own (no broker).

    .venv/bin/python bench/peers/inprocess.py {tight,vader} INPUT

``tight`` is brandpulse's ``decode_post`` + ``enrich`` and ``vader`` is ``orjson.loads`` + ``polarity_scores``,
the loops of bench/ingest.py, over INPUT (one raw post per line). Run as a child so that its CPU seconds and
peak RSS are measured as the other systems' are; they include start-up, reading the input and holding it.
Prints one JSON object: ``seconds`` (the loop alone), ``cpu_s``, ``peak_rss_mib`` and ``finished_at``.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for ingest's loops

from ingest import tight_loop, vader_only
from shared import peak_rss_kib


def main() -> None:
    kind, path = sys.argv[1], sys.argv[2]
    messages = Path(path).read_bytes().splitlines()
    posts_per_s = (tight_loop if kind == "tight" else vader_only)(messages)
    finished_at = time.time()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(orjson.dumps({"posts": len(messages), "seconds": len(messages) / posts_per_s,
                        "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mib": peak_rss_kib() / 1024,
                        "finished_at": finished_at}).decode())


if __name__ == "__main__":
    main()
