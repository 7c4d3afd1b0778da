"""Soak: the worker at a steady rate of live posts for a while, its memory printed every minute.

    .venv/bin/python bench/soak.py [--minutes 30] [--rate 100] [--tags 5000] [--set BRANDPULSE_X=value ...]

Posts are dated now (live traffic, so windows close and keys expire as in production), with hashtags drawn
from a Zipf over ``--tags`` tags plus one never-seen tag in ten posts (the long tail that must expire). Each
minute it prints the worker's resident memory (VmRSS), the posts processed, the keys of every table and the
series on /metrics; at the end, the RSS growth per minute over the second half, which should be about flat, and
the keys of each table at the first minute, at their peak and at the end. A topic's keys go once its hour window
has closed and it has been idle for ``BRANDPULSE_TOPIC_IDLE_SECONDS`` (600 here), so the never-seen tags pile up
until the wall clock's hour turns: run across an hour boundary to see them go.
It asserts nothing: it prints figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

import orjson
from aiokafka import AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agents.broker import EmbeddedBroker, ensure_topics, free_port, stop_process  # noqa: E402
from agents.settings import load_settings  # noqa: E402

console = Console()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def scrape(url: str) -> tuple[float, dict[str, float], int]:
    """(posts processed, keys per table, series) from the worker's /metrics."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as resp:
        samples = [s for family in text_string_to_metric_families(resp.read().decode()) for s in family.samples]
    posts = sum(s.value for s in samples if s.name == "brandpulse_posts_total")
    keys: dict[str, float] = {}
    for s in samples:
        if s.name == "brandpulse_table_keys":
            keys[s.labels["table"]] = keys.get(s.labels["table"], 0) + s.value
    return posts, keys, len(samples)


async def produce(bootstrap: list[str], topic: str, rate: float, seconds: float, tags: int, on_minute) -> int:
    rng = random.Random(5)
    weights = [1 / (i + 1) for i in range(tags)]
    names = [f"#soak{i}" for i in range(tags)]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20)
    await producer.start()
    sent, started, next_minute = 0, time.monotonic(), 60.0
    try:
        while (elapsed := time.monotonic() - started) < seconds:
            due = int(elapsed * rate)
            for _ in range(due - sent):
                chosen = set(rng.choices(names, weights, k=rng.randint(1, 3)))
                if rng.random() < 0.1:
                    chosen.add(f"#once{sent}")  # the long tail
                post = {"id": f"s{sent}", "text": f"soak post {sent} {' '.join(sorted(chosen))}",
                        "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                        "author": {"id": f"u{rng.randrange(20_000)}", "handle": f"user{sent % 20_000}"}}
                await producer.send(topic, orjson.dumps(post), key=post["id"].encode())
                sent += 1
            if elapsed >= next_minute:
                on_minute(elapsed, sent)
                next_minute += 60
            await asyncio.sleep(0.05)
        await producer.flush()
    finally:
        await producer.stop()
    return sent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--rate", type=float, default=100, help="posts per second")
    ap.add_argument("--tags", type=int, default=5000)
    ap.add_argument("--set", action="append", default=[], metavar="BRANDPULSE_X=value",
                    help="a worker setting to override (repeatable)")
    args = ap.parse_args()
    overrides = dict(o.split("=", 1) for o in args.set)
    run = uuid.uuid4().hex[:8]
    with EmbeddedBroker() as broker:
        values = {"BRANDPULSE_BROKER_URL": broker.url, "BRANDPULSE_APP_ID": f"soak-{run}",
                  "BRANDPULSE_WEB_PORT": str(free_port()), "BRANDPULSE_SESSION_TIMEOUT_SECONDS": "6",
                  "BRANDPULSE_LOG_LEVEL": "warn", "BRANDPULSE_DATA_DIR": f"/tmp/brandpulse-soak-{run}",
                  # Short idle horizons, so that a half-hour run sees keys expire as a day would.
                  "BRANDPULSE_TOPIC_IDLE_SECONDS": "600", **overrides}
        settings = load_settings(values)
        asyncio.run(ensure_topics(settings))
        env = {k: v for k, v in os.environ.items() if not k.startswith("BRANDPULSE_")} | values
        proc = subprocess.Popen([sys.executable, "-m", "agents", "worker"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples: list[tuple[float, float, dict[str, float]]] = []  # (minute, RSS MB, keys per table)
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(f"{settings.web_url}/readyz", timeout=1) as resp:
                        if resp.status == 200:
                            break
                except OSError:
                    time.sleep(0.5)
            console.print(f"soak: {args.rate:g} posts/s for {args.minutes:g} min, {args.tags:,} tags "
                          f"+ a never-seen tag in 1 post of 10; worker pid {proc.pid}"
                          + (f"; {' '.join(args.set)}" if args.set else ""))
            console.print(f"{'minute':>6} {'sent':>9} {'processed':>9} {'RSS MB':>8} {'table keys':>10} {'series':>7}")

            def on_minute(elapsed: float, sent: int) -> None:
                try:
                    processed, keys, series = scrape(settings.web_url)
                except OSError as exc:  # a scrape that times out is a finding, not the end of the soak
                    console.print(f"{elapsed / 60:6.0f} {sent:9,} /metrics did not answer within 5 s ({exc}); "
                                  f"RSS {rss_mb(proc.pid):.1f} MB")
                    return
                rss = rss_mb(proc.pid)
                samples.append((elapsed / 60, rss, keys))
                console.print(f"{elapsed / 60:6.0f} {sent:9,} {processed:9,.0f} {rss:8.1f} {sum(keys.values()):10,.0f} "
                              f"{series:7,}  {datetime.now(UTC):%H:%M}")

            asyncio.run(produce(settings.bootstrap_servers, settings.posts_topic, args.rate, args.minutes * 60,
                                args.tags, on_minute))
        finally:
            stop_process(proc, timeout=30, name="worker")
    half = [s for s in samples if s[0] >= args.minutes / 2]
    if len(half) >= 2:
        slope = (half[-1][1] - half[0][1]) / (half[-1][0] - half[0][0])
        console.print(f"RSS growth over the second half: {slope:+.2f} MB/min "
                      f"({half[0][1]:.0f} MB at minute {half[0][0]:.0f}, {half[-1][1]:.0f} MB at {half[-1][0]:.0f})")
    if samples:
        # Which tables the keys are in: a rise that is not the influence budget's shows here.
        console.print(f"{'table':<24} {'minute 1':>9} {'peak':>9} {'at minute':>9} {'last':>9}")
        for name in sorted({t for _, _, keys in samples for t in keys}):
            counts = [(keys.get(name, 0), minute) for minute, _, keys in samples]
            peak, at = max(counts)
            console.print(f"{name:<24} {counts[0][0]:9,.0f} {peak:9,.0f} {at:9.0f} {counts[-1][0]:9,.0f}")


if __name__ == "__main__":
    main()
