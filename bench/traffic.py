"""Kafka traffic per post: records and bytes the worker writes to every topic, changelogs included.

    .venv/bin/python bench/traffic.py [--posts 5000] [--py-spy FILE] [BRANDPULSE_SETTING=value ...]

Produces ``--posts`` generated posts (bench/ingest.py's generator) to a fresh embedded broker, runs the real worker
(every feature on) until the influence stage has folded every post, then reads every topic back and prints, per
topic, its records and bytes (keys, values and headers) per input post, with the worker's CPU seconds per 1,000
posts. Settings given as arguments override the worker's (e.g. ``BRANDPULSE_STATE_BATCH_WITHIN_SECONDS=0.1``), so
that a change can be measured against the default. ``--py-spy FILE`` also samples the worker with py-spy (40 Hz,
``-f raw``: one folded stack per line) from start to drain and prints the functions with the largest inclusive
share of the samples. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest import cpu_seconds, generate_canonical, metric_sum, produce_all  # noqa: E402

from agents.broker import EmbeddedBroker, ensure_topics, free_port, read_topic, stop_process  # noqa: E402
from agents.settings import load_settings  # noqa: E402

console = Console(width=160)


async def topic_names(bootstrap: list[str]) -> list[str]:
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        return sorted(await consumer.topics())
    finally:
        await consumer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--py-spy", dest="py_spy", type=Path, help="sample the worker with py-spy into FILE")
    parser.add_argument("--top", type=int, default=40, help="functions to print from the py-spy profile")
    parser.add_argument("overrides", nargs="*", metavar="BRANDPULSE_X=value")
    args = parser.parse_args()
    overrides = dict(o.split("=", 1) for o in args.overrides)
    messages = generate_canonical(args.posts)
    with EmbeddedBroker() as broker:
        run_id = uuid.uuid4().hex[:8]
        values = {"BRANDPULSE_BROKER_URL": broker.url, "BRANDPULSE_APP_ID": f"traffic-{run_id}",
                  "BRANDPULSE_WEB_PORT": str(free_port()), "BRANDPULSE_TOPIC_PARTITIONS": "4",
                  "BRANDPULSE_SESSION_TIMEOUT_SECONDS": "6", "BRANDPULSE_LOG_LEVEL": "warn",
                  "BRANDPULSE_DATA_DIR": f"/tmp/brandpulse-traffic-{run_id}", **overrides}
        settings = load_settings(values)
        asyncio.run(ensure_topics(settings))
        asyncio.run(produce_all(settings.bootstrap_servers, settings.posts_topic, messages))
        env = {k: v for k, v in os.environ.items() if not k.startswith("BRANDPULSE_")} | values
        proc = subprocess.Popen([sys.executable, "-m", "agents", "worker"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        spy = None
        if args.py_spy:
            spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "-r", "40", "-f", "raw",
                                    "-o", str(args.py_spy), "--pid", str(proc.pid)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        began, folded = time.monotonic(), 0
        try:
            while folded < args.posts and time.monotonic() - began < 1800:
                time.sleep(0.5)
                folded = metric_sum(settings.web_url, 'brandpulse_influence_activities_total{role="post"}', folded)
            drained_s, cpu = time.monotonic() - began, cpu_seconds(proc.pid)
        finally:
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(timeout=60)
            stop_process(proc, timeout=30, name="worker")
        table = Table(title=f"bench/traffic.py, {args.posts:,} posts, {overrides or 'default settings'}",
                      title_justify="left")
        for col in ("topic", "records", "MB", "records per post", "bytes per post"):
            table.add_column(col, justify="right" if col != "topic" else "left")
        total = 0
        for name in asyncio.run(topic_names(settings.bootstrap_servers)):
            records = asyncio.run(read_topic(settings.bootstrap_servers, name))
            size = sum(len(r.value or b"") + len(r.key or b"") + sum(len(k) + len(v or b"") for k, v in r.headers or ())
                       for r in records)
            total += size
            if records:
                table.add_row(name, f"{len(records):,}", f"{size / 1e6:.2f}", f"{len(records) / args.posts:.2f}",
                              f"{size / args.posts:,.0f}")
        table.add_row("total", "", f"{total / 1e6:.1f}", "", f"{total / args.posts:,.0f}")
    console.print(table)
    console.print(f"drained in {drained_s:.0f} s (start-up included); worker CPU {cpu * 1000 / args.posts:.2f} s "
                  f"per 1,000 posts; load average {os.getloadavg()[0]:.2f}")
    if args.py_spy:
        print_profile(args.py_spy, args.top)


def print_profile(path: Path, top: int) -> None:
    """Inclusive and own share of the samples per function, from py-spy's raw (folded) output."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] += n
        own[frames[-1]] += n
    table = Table(title=f"py-spy, {total:,} samples: largest inclusive shares", title_justify="left")
    for col in ("function (file)", "inclusive %", "own %"):
        table.add_column(col, justify="left" if col.startswith("function") else "right")
    for frame, n in inclusive.most_common(top):
        table.add_row(frame[:110], f"{100 * n / total:.1f}", f"{100 * own[frame] / total:.1f}")
    console.print(table)
    mine = Table(title="largest own shares", title_justify="left")
    for col in ("function (file)", "own %"):
        mine.add_column(col, justify="left" if col.startswith("function") else "right")
    for frame, n in own.most_common(top // 2):
        mine.add_row(frame[:110], f"{100 * n / total:.1f}")
    console.print(mine)


if __name__ == "__main__":
    main()
