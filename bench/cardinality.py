"""Benchmark: worker memory as topics come and go: a day of posts with N distinct hashtags.

    .venv/bin/python bench/cardinality.py [--hashtags 1000000] [--authors 100000] [--max-seconds 7200]

Generates one day of event time (evenly spread) in which every post carries 3 hashtags never seen
before plus one of 10 common ones, by one of ``--authors`` authors in turn (all distinct when it is at least
the number of posts), replays it through the real worker on the embedded broker, and
prints, once a second, the worker's RSS and its window-state and history key counts (the
``brandpulse_trend_keys`` / ``brandpulse_trend_histories`` gauges). At the end: peak RSS, peak keys,
and keys left once event time has moved on. State is bounded when the peak key count follows the
hashtags per idle horizon (``BRANDPULSE_TOPIC_IDLE_SECONDS``, 1 h) rather than the day's total.
It also prints the series on /metrics (which the label budget keeps from growing with hashtags or authors)
and, at the end, how long the query endpoints take (median and worst of 20 calls each) with that state.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agents.broker import EmbeddedBroker, ensure_topics, free_port, stop_process  # noqa: E402
from agents.settings import load_settings  # noqa: E402

COMMON = [f"#common{i}" for i in range(10)]


def generate(hashtags: int, authors: int = 100_000) -> list[bytes]:
    posts = hashtags // 3
    start = datetime(2024, 6, 1, tzinfo=UTC)
    step = 86_400 / max(posts, 1)
    out = []
    for i in range(posts):
        tags = " ".join(f"#t{i}x{j}" for j in range(3))
        out.append(orjson.dumps({
            "id": f"c{i}", "text": f"new thing {tags} {COMMON[i % 10]} great day",
            "created_at": (start + timedelta(seconds=i * step)).isoformat().replace("+00:00", "Z"),
            "author": {"id": f"u{i % authors}", "handle": f"u{i % authors}"},
        }))
    # One post a day later: event time moves on, so quiet topics expire.
    out.append(orjson.dumps({"id": "end", "text": "the end #end", "created_at": "2024-06-03T00:00:00Z",
                             "author": {"id": "e", "handle": "e"}}))
    return out


def timed(url: str, n: int = 20) -> tuple[float, float]:
    """(median, worst) seconds of ``n`` GETs."""
    import statistics

    took = []
    for _ in range(n):
        t = time.perf_counter()
        with urllib.request.urlopen(url, timeout=60) as resp:
            resp.read()
        took.append(time.perf_counter() - t)
    return statistics.median(took), max(took)


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def gauges(url: str) -> dict[str, float]:
    """The series count and the gauges the run follows, summed over their labels, from the worker's /metrics."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as r:
        samples = [s for f in text_string_to_metric_families(r.read().decode()) for s in f.samples]
    out: dict[str, float] = {"series": len(samples)}
    for s in samples:
        if s.name in ("brandpulse_trend_keys", "brandpulse_trend_histories", "brandpulse_posts_total",
                      "brandpulse_influence_authors"):
            out[s.name] = out.get(s.name, 0) + s.value
    return out


async def produce(bootstrap: list[str], topic: str, messages: list[bytes]) -> None:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, max_batch_size=512 * 1024)
    await producer.start()
    try:
        for i in range(0, len(messages), 10_000):
            futures = [await producer.send(topic, m) for m in messages[i : i + 10_000]]
            await asyncio.gather(*futures)
    finally:
        await producer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hashtags", type=int, default=1_000_000)
    parser.add_argument("--authors", type=int, default=100_000, help="distinct authors, taken in turn")
    parser.add_argument("--idle-grace", default="3")
    parser.add_argument("--max-seconds", type=float, default=7200,
                        help="stop watching after this long, drained or not, and print the figures so far")
    args = parser.parse_args()
    messages = generate(args.hashtags, args.authors)
    print(f"{len(messages):,} posts over one day of event time, {args.hashtags:,} distinct hashtags "
          f"+ 10 common ones, {min(args.authors, len(messages) - 1):,} distinct authors; {os.cpu_count()} cores",
          flush=True)
    with EmbeddedBroker() as broker:
        values = {"BRANDPULSE_BROKER_URL": broker.url, "BRANDPULSE_APP_ID": f"card-{uuid.uuid4().hex[:6]}",
                  "BRANDPULSE_WEB_PORT": str(free_port()), "BRANDPULSE_SESSION_TIMEOUT_SECONDS": "6",
                  "BRANDPULSE_LOG_LEVEL": "warn", "BRANDPULSE_IDLE_GRACE_SECONDS": args.idle_grace,
                  "BRANDPULSE_DATA_DIR": f"/tmp/brandpulse-card-{uuid.uuid4().hex[:6]}"}
        settings = load_settings(values)
        asyncio.run(ensure_topics(settings))
        asyncio.run(produce(settings.bootstrap_servers, settings.posts_topic, messages))
        env = {k: v for k, v in os.environ.items() if not k.startswith("BRANDPULSE_")} | values
        proc = subprocess.Popen([sys.executable, "-m", "agents", "worker"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started = time.monotonic()
        peak_rss = peak_keys = peak_hist = peak_series = peak_authors = 0
        first_series = 0
        done = 0.0
        last: dict[str, float] = {}
        try:
            while time.monotonic() - started < args.max_seconds:
                time.sleep(5)
                if proc.poll() is not None:
                    raise SystemExit(f"the worker exited with {proc.returncode}")
                try:
                    last = gauges(settings.web_url)
                except OSError:
                    continue
                rss = rss_bytes(proc.pid)
                peak_rss = max(peak_rss, rss)
                peak_keys = max(peak_keys, int(last.get("brandpulse_trend_keys", 0)))
                peak_hist = max(peak_hist, int(last.get("brandpulse_trend_histories", 0)))
                peak_authors = max(peak_authors, int(last.get("brandpulse_influence_authors", 0)))
                first_series = first_series or int(last["series"])
                peak_series = max(peak_series, int(last["series"]))
                done = last.get("brandpulse_posts_total", 0)
                print(f"{time.monotonic() - started:6.0f} s  posts {int(done):>9,}  RSS {rss / 2**20:7.1f} MiB  "
                      f"window keys {int(last.get('brandpulse_trend_keys', 0)):>9,}  "
                      f"histories {int(last.get('brandpulse_trend_histories', 0)):>9,}  "
                      f"authors {int(last.get('brandpulse_influence_authors', 0)):>9,}", flush=True)
                if done >= len(messages) and last.get("brandpulse_trend_keys", 0) < peak_keys / 10:
                    break
            queries = {path: timed(settings.web_url + path) for path in (
                "/trending", "/topics/%23common3/summary", "/topics/%23common3/trend?resolution=hour",
                "/topics/%23common3/terms", "/metrics")}
        finally:
            stop_process(proc, timeout=30, name="worker")
    elapsed = time.monotonic() - started
    print(f"\n{int(done):,} posts in {elapsed:,.0f} s; peak RSS {peak_rss / 2**20:,.1f} MiB; "
          f"peak window keys {peak_keys:,}; peak histories {peak_hist:,}; "
          f"window keys at the end {int(last.get('brandpulse_trend_keys', 0)):,}; "
          f"peak authors with influence state {peak_authors:,}")
    print(f"/metrics series: {first_series:,} at the first scrape, {peak_series:,} at the most "
          f"(the label budget: no series per hashtag or author)")
    for path, (median, worst) in queries.items():
        print(f"GET {path}: median {median * 1000:,.1f} ms, worst {worst * 1000:,.1f} ms (20 calls)")


if __name__ == "__main__":
    main()
