"""Benchmark: end-to-end posts/s of the brandpulse worker on the embedded broker, next to the tight loop.

    .venv/bin/python bench/ingest.py [--posts 20000] [--repeat 3] [--partitions 4]

What it measures, in one run, on the same generated input:

* **tight loop** -- brandpulse's own ``decode_post`` + ``enrich`` over the raw bytes in one process, no
  broker (the limit the worker could reach if Kafka and Faust cost nothing);
* **vader only** -- ``orjson.loads`` + vaderSentiment's ``polarity_scores`` alone (the ceiling every
  Python peer shares, as in BENCH.md);
* **worker** -- the real ``brandpulse worker`` subprocess on a fresh embedded Tansu broker, the input
  produced before timing; time runs from the first enriched record's broker timestamp to the last, and
  (a second figure) to when the influence stage has folded every post's activity record, the later
  stages lagging ingest under a backlog. Worker and broker CPU seconds come from /proc; the enriched
  records are read back, and a count other than the input's is printed as a warning.

bench/compare.py runs the same worker (``worker_run``) next to Quix Streams and Bytewax.

Input: posts of 80-240 characters with 1-3 hashtags (Zipf over 1,000 tags), canonical format, like the
peers' benchmark in BENCH.md; ``--format twitter_v1`` uses the bundled real tweets instead (4 KB each).
Prints medians and the spread over ``--repeat`` runs; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import random
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from aiokafka import AIOKafkaProducer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agents.broker import EmbeddedBroker, ensure_topics, free_port, read_topic, stop_process  # noqa: E402
from agents.settings import load_settings  # noqa: E402
from schemas.decode import decode_post  # noqa: E402
from streams.enrich import enrich  # noqa: E402
from streams.sentiment import SentimentScorer  # noqa: E402

console = Console()

WORDS = tuple(
    """
    the a flight service today crew seat bag delay gate app update price store order support team new
    launch event city game match fans weather morning night week great good love awesome happy thanks
    excellent amazing best nice cool fun bad terrible awful worst hate angry broken lost late cancelled
    refund rude slow sad disappointed never again problem issue help waiting hours still no yes really
    very so just and but with for from about this that my our your their is was are were will can not
    """.split()
)


def generate_canonical(n: int, seed: int = 7) -> list[bytes]:
    rng = random.Random(seed)
    tags = [f"tag{i}" for i in range(1000)]
    weights = [1 / (i + 1) for i in range(1000)]
    start = datetime(2024, 6, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        text_words = []
        while len(" ".join(text_words)) < rng.randint(80, 200):
            text_words.append(rng.choice(WORDS))
        hashtags = {f"#{t}" for t in rng.choices(tags, weights, k=rng.randint(1, 3))}
        text = " ".join(text_words) + " " + " ".join(sorted(hashtags))
        out.append(orjson.dumps({
            "id": f"b{i}", "text": text[:240],
            "created_at": (start + timedelta(seconds=i * 0.05)).isoformat().replace("+00:00", "Z"),
            "author": {"id": f"u{rng.randint(0, 50_000)}", "handle": f"user{i % 50_000}",
                       "followers": rng.randint(0, 10**6)},
        }))
    return out


def generate_twitter_v1(n: int) -> list[bytes]:
    with gzip.open(ROOT / "agents" / "samples" / "tweets-2015-cc0.jsonl.gz", "rb") as f:
        base = [orjson.loads(line) for line in f if line.strip()]
    out = []
    for i in range(n):
        d = dict(base[i % len(base)])
        d["id_str"] = f"{i}"
        d["id"] = i
        out.append(orjson.dumps(d))
    return out


def tight_loop(messages: list[bytes]) -> float:
    scorer = SentimentScorer()
    for raw in messages[:50]:  # warm up: the stop-word list's first use imports scikit-learn (~1.6 s)
        enrich(decode_post(raw), scorer)
    t = time.perf_counter()
    for raw in messages:
        enrich(decode_post(raw), scorer)
    return len(messages) / (time.perf_counter() - t)


def vader_only(messages: list[bytes]) -> float:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    polarity = SentimentIntensityAnalyzer().polarity_scores
    for raw in messages[:50]:
        polarity(orjson.loads(raw)["text"])
    t = time.perf_counter()
    for raw in messages:
        polarity(orjson.loads(raw)["text"])
    return len(messages) / (time.perf_counter() - t)


def process_tree(pid: int) -> list[int]:
    """``pid`` and its live descendants (a scan of /proc: this kernel has no ``task/*/children``)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue  # gone meanwhile
            parents.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(parents.get(p, ()))
    return tree


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid``, its live descendants and the children it has waited for."""
    total = 0
    for p in process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return total / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid: int) -> float:
    """Peak resident memory (VmHWM) of ``pid`` plus that of each live descendant, in MiB."""
    total = 0
    for p in process_tree(pid):
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)
    return total / 1024


async def produce_all(bootstrap: list[str], topic: str, messages: list[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, max_batch_size=512 * 1024)
    await producer.start()
    try:
        futures = [await producer.send(topic, m) for m in messages]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def read_all(bootstrap: list[str], topic: str, *, idle_seconds: float = 1.5, timeout: float = 300.0) -> list:
    """Every record on ``topic``, read from the beginning until none has come for ``idle_seconds`` (not up to the
    end offsets, which Tansu under-reports: ``agents.broker.read_topic``)."""
    return await read_topic(bootstrap, topic, timeout=timeout, idle_seconds=idle_seconds,
                            options={"fetch_max_bytes": 64 * 1024 * 1024})


def metric_sum(web_url: str, prefix: str, last: int) -> int:
    """The sum of the worker's samples whose line starts with ``prefix``; ``last`` if it cannot be read now."""
    try:
        with urllib.request.urlopen(f"{web_url}/metrics", timeout=2) as r:
            body = r.read().decode()
    except OSError:
        return last
    return int(sum(float(line.rsplit(" ", 1)[1]) for line in body.splitlines() if line.startswith(prefix)))


def worker_run(messages: list[bytes], partitions: int, progress: Progress, *, drain: bool = True,
               timeout: float = 600.0, overrides: dict[str, str] | None = None) -> dict[str, float]:
    """The real worker on a fresh embedded broker, the input produced first; what it did, with its costs.

    Returns posts/s from the first enriched record's broker timestamp to the last (``seconds``), the wall
    time from the worker's start to the last enriched record (``wall_s``), worker and broker CPU seconds and
    the worker's peak RSS when every post was enriched, the enriched records read back (``enriched``; a
    shortfall is the caller's to report), and with ``drain`` the same until the influence stage has folded
    every post too.
    """
    run_id = uuid.uuid4().hex[:8]
    with EmbeddedBroker() as broker:
        values = {
            "BRANDPULSE_BROKER_URL": broker.url, "BRANDPULSE_APP_ID": f"bench-{run_id}",
            "BRANDPULSE_WEB_PORT": str(free_port()), "BRANDPULSE_TOPIC_PARTITIONS": str(partitions),
            "BRANDPULSE_SESSION_TIMEOUT_SECONDS": "6", "BRANDPULSE_LOG_LEVEL": "warn",
            "BRANDPULSE_DATA_DIR": f"/tmp/brandpulse-bench-{run_id}", **(overrides or {}),
        }
        settings = load_settings(values)
        asyncio.run(ensure_topics(settings))
        asyncio.run(produce_all(settings.bootstrap_servers, settings.posts_topic, messages))
        broker_cpu0 = cpu_seconds(broker.proc.pid)
        env = {k: v for k, v in os.environ.items() if not k.startswith("BRANDPULSE_")} | values
        started = time.time()
        proc = subprocess.Popen([sys.executable, "-m", "agents", "worker"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        task = progress.add_task("brandpulse worker", total=len(messages))
        try:
            done = 0
            deadline = time.monotonic() + timeout
            while done < len(messages) and time.monotonic() < deadline:
                time.sleep(0.5)
                if proc.poll() is not None:
                    raise RuntimeError(f"worker exited with {proc.returncode}")
                done = metric_sum(settings.web_url, "brandpulse_posts_total{", done)
                progress.update(task, completed=done)
            worker_cpu = cpu_seconds(proc.pid)
            worker_rss = peak_rss_mib(proc.pid)
            broker_cpu = cpu_seconds(broker.proc.pid) - broker_cpu0
            # Then until the last stage has folded every post too (its activity records): all stages drained.
            folded = 0
            while drain and folded < len(messages) and time.monotonic() < deadline:
                folded = metric_sum(settings.web_url, 'brandpulse_influence_activities_total{role="post"}', folded)
                if folded < len(messages):
                    time.sleep(0.2)
            drained_at = time.time()
            drained_cpu = cpu_seconds(proc.pid)
            drained_rss = peak_rss_mib(proc.pid)
            drained_broker_cpu = cpu_seconds(broker.proc.pid) - broker_cpu0
        finally:
            stop_process(proc, timeout=30, name="worker")
            progress.remove_task(task)
        records = asyncio.run(read_all(settings.bootstrap_servers, settings.enriched_topic))
    stamps = [r.timestamp for r in records] or [started * 1000, time.time() * 1000]
    span = max((max(stamps) - min(stamps)) / 1000, 1e-3)
    result = {"posts": len(messages), "enriched": len(records), "posts_per_s": len(messages) / span,
              "seconds": span, "wall_s": max(stamps) / 1000 - started, "worker_cpu_s": worker_cpu,
              "broker_cpu_s": broker_cpu, "peak_rss_mib": worker_rss}
    if drain:
        drained_span = drained_at - min(stamps) / 1000
        result |= {"drained_posts_per_s": len(messages) / drained_span, "drained_seconds": drained_span,
                   "drained_wall_s": drained_at - started, "drained_cpu_s": drained_cpu,
                   "drained_broker_cpu_s": drained_broker_cpu, "drained_peak_rss_mib": drained_rss}
    return result


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}-{max(values):,.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--format", choices=("canonical", "twitter_v1"), default="canonical")
    args = parser.parse_args()

    messages = generate_canonical(args.posts) if args.format == "canonical" else generate_twitter_v1(args.posts)
    console.print(f"{len(messages):,} {args.format} posts, {sum(map(len, messages)) / len(messages):,.0f} bytes "
                  f"on average; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}")
    tight, vader, worker = [], [], []
    with Progress(console=console, transient=True) as progress:
        for i in range(args.repeat):  # interleaved, so a busy moment hits every system alike
            progress.console.print(f"round {i + 1}/{args.repeat}")
            tight.append(tight_loop(messages))
            vader.append(vader_only(messages))
            worker.append(worker_run(messages, args.partitions, progress))
            if worker[-1]["enriched"] != len(messages):
                progress.console.print(f"[yellow]warning: {len(messages):,} posts in, "
                                       f"{worker[-1]['enriched']:,} enriched records out")

    w = [r["posts_per_s"] for r in worker]
    table = Table(title=f"brandpulse ingest, {args.posts:,} posts, {args.repeat} rounds, "
                        f"{datetime.now(UTC):%Y-%m-%d}", title_justify="left")
    table.add_column("pipeline")
    table.add_column("posts/s, median (min-max)", justify="right")
    table.add_column("ratio to tight loop", justify="right")
    table.add_column("CPU s per 1,000 posts", justify="right")
    tm = statistics.median(tight)
    table.add_row("vader only: orjson + polarity_scores", spread(vader), f"{statistics.median(vader) / tm:.2f}", "")
    table.add_row("tight loop: decode_post + enrich", spread(tight), "1.00", f"{1000 / tm:.3f}")
    table.add_row(f"worker on embedded Tansu ({args.partitions} partitions)", spread(w),
                  f"{statistics.median(w) / tm:.2f}",
                  f"worker {statistics.median(r['worker_cpu_s'] for r in worker) * 1000 / args.posts:.3f}, "
                  f"broker {statistics.median(r['broker_cpu_s'] for r in worker) * 1000 / args.posts:.3f}")
    d = [r["drained_posts_per_s"] for r in worker]
    table.add_row("  the same, until every stage has folded every post", spread(d),
                  f"{statistics.median(d) / tm:.2f}",
                  f"worker {statistics.median(r['drained_cpu_s'] for r in worker) * 1000 / args.posts:.3f}")
    console.print(table)
    console.print("worker CPU s includes its start-up (about 2 s) and the group join; posts/s is timed from the "
                  "first to the last enriched record, and (second row) to when the influence stage had folded "
                  "every post's activity.")


if __name__ == "__main__":
    main()
