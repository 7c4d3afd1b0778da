"""The crash test at scale: a replay with the worker killed (SIGKILL) again and again, against an oracle and a
clean run.

    .venv/bin/python bench/crash.py [--posts 100000] [--kills 5] [--rate 1500] [--workers 1]
                                    [--only clean|crash] [--log-level warn] [--set BRANDPULSE_X=value]

What it does, on one fresh embedded Tansu broker:

1. Generates ``--posts`` posts (the trend tests' generator: 0.6 s of event time apart, 1-2 of 7 topics each, a
   watched brand ``acme``), plus a crisis: for 30 minutes of event time (from hour 8), 40 negative ``#acme`` posts
   a minute more, about 3x the brand's negatives. Only the brand runs a detector (``#acme`` is one of its
   topics); on the batch oracle's windows it opens, escalates and resolves one incident. 8 and 24 more a minute,
   tried first, never tripped it: the brand's other topics dilute ``#acme``.
2. **Clean run**: one worker, the replay at ``--rate`` posts/s, never killed. Its alerts are the reference.
3. **Crash run**: the same input to ``--workers`` fresh workers of a new group (fresh topics); ``--kills`` times,
   at random points of the replay, a worker is killed with SIGKILL and a new one started in its place (its state
   comes back from the changelogs).
4. Once both have published everything (every post enriched, every window out, then no influencer ranking for
   30 s: the influence stages may still be folding when the last window is out), it prints, for each run: posts
   lost from ``posts.enriched`` (must be 0),
   duplicate enriched records (delivery is at-least-once on this broker), windows missing and windows that
   differ from the batch oracle (every copy is compared), mentions set aside as late, and the alerts: the crash
   run's distinct CloudEvents ids and their contents against the clean run's, and the latest influencer ranking
   per topic and window (``influencers``) against the clean run's and against an influence oracle (every post
   folded into its authors' state in one process, every author ranked: the true top 5s), with what each
   influence stage left out as late (``brandpulse_influence_late_total``). While a run goes, it reads each worker's
   ``/metrics`` every 2 s and prints the median and largest partition drift (how far apart in event time
   alignment let the posts partitions run) and the windows closed early by the bound on a topic's state.

Every record is its own batch in both runs (``BRANDPULSE_PRODUCER_MAX_BATCH_BYTES=1``): the embedded broker
under-reports a changelog's end by up to one batch (a Tansu limitation, docs/reliability.md). The stages read
their input again from their last batch mark, and with default batches (``--set
BRANDPULSE_PRODUCER_MAX_BATCH_BYTES=16384``) 8 of 8 runs have been exact since Faust's commits no longer pass
records it dropped (docs/reliability.md); one record per batch keeps short restores rare, so what a run shows is
mostly the kills.
It asserts nothing; it prints figures, and exits 1 if a post was lost, a window is wrong, a top 5 differs from
the oracle's or the runs differ, so that a script can tell.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import json
import math
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agents.broker import EmbeddedBroker, ensure_topics, free_port, read_topic, stop_process  # noqa: E402
from agents.settings import load_settings  # noqa: E402
from tests.integration.test_trends import (  # noqa: E402  (the trend tests' generator and oracle)
    WATCHLIST,
    expected_late,
    make_posts,
    oracle,
    produce,
    sentinels,
    zero,
)

console = Console(width=160)  # a table that fits when piped to a file, too
CRISIS_AT_H, CRISIS_MIN, CRISIS_PER_MIN = 8, 30, 40
NEGATIVE = "terrible awful hate broken refund never again worst service".split()


def scenario(n: int) -> list[dict]:
    posts = make_posts(n, seed=8, step_s=0.6, jitter_s=1.0, authors=301, late=set())
    t0 = datetime.fromisoformat(posts[0]["created_at"])
    rng, extra = random.Random(9), []
    # Inside the data, never at its end: a watched topic's zero windows are expected up to the end of the data, and
    # the crisis must not move that end (after a jump of event time the worker skips zero windows by design).
    span_min = n * 0.6 / 60
    at = t0 + timedelta(minutes=min(CRISIS_AT_H * 60, span_min * 0.3))
    for i in range(int(min(CRISIS_MIN, span_min * 0.4) * CRISIS_PER_MIN)):
        created = at + timedelta(seconds=i * 60 / CRISIS_PER_MIN)
        extra.append({"id": f"c{i}", "text": " ".join(rng.choices(NEGATIVE, k=8)) + " #acme",
                      "created_at": created.isoformat().replace("+00:00", "Z"),
                      "author": {"id": f"angry{rng.randint(0, 200)}", "handle": f"angry{i % 200}",
                                 "followers": rng.randint(10, 10_000)}})
    merged = sorted(posts + extra, key=lambda p: p["created_at"])
    return merged


def start_worker(values: dict[str, str], log_path: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRANDPULSE_")} | values
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "agents", "worker"], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{values['BRANDPULSE_WEB_PORT']}/readyz"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"worker exited with {proc.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                if resp.status == 200:
                    return proc
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"worker not ready within 120 s; see {log_path}")


def sentinels_after(data_end_s: int) -> list[dict]:
    """The trend tests' sentinels (one post on every input partition), dated 2.5 h after this input's end: the
    tests' fixed date is 15:00, which a longer input passes, and then its last windows never close."""
    at = datetime.fromtimestamp(data_end_s + 9_000, UTC).isoformat().replace("+00:00", "Z")
    return [{**s, "created_at": at} for s in sentinels()]


class DriftSampler(threading.Thread):
    """Reads the running workers' ``/metrics`` every 2 s: every sample of
    ``brandpulse_posts_partition_drift_seconds`` (how far apart in event time watermark alignment let the posts
    partitions run), and the windows each worker closed early (``brandpulse_trend_windows_closed_early_total``,
    summed over the workers)."""

    def __init__(self, running: list[tuple[subprocess.Popen, dict[str, str]]]) -> None:
        super().__init__(daemon=True)
        self.running, self.stopped = running, threading.Event()
        self.drifts: list[float] = []  # every sample of every worker, NaN (watermark unknown) left out
        self.shed: dict[str, float] = {}  # worker port -> windows it closed early
        self.influence_late: dict[tuple[str, str], float] = {}  # (worker port, stage) -> records left out as late

    @property
    def max_drift(self) -> float:
        return max(self.drifts, default=0.0)

    @property
    def median_drift(self) -> float:
        return statistics.median_high(self.drifts) if self.drifts else 0.0

    @property
    def closed_early(self) -> int:
        return int(sum(self.shed.values()))

    def late_by_stage(self) -> dict[str, int]:
        out: Counter[str] = Counter()
        for (_, stage), n in self.influence_late.items():
            out[stage] += int(n)
        return dict(out)

    def run(self) -> None:
        while not self.stopped.wait(2.0):
            for _, values in list(self.running):
                port = values["BRANDPULSE_WEB_PORT"]
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as resp:
                        text = resp.read().decode()
                except OSError:
                    continue  # killed, or not serving yet
                for family in text_string_to_metric_families(text):
                    for sample in family.samples:
                        if sample.name == "brandpulse_posts_partition_drift_seconds" and not math.isnan(sample.value):
                            self.drifts.append(sample.value)
                        elif sample.name == "brandpulse_trend_windows_closed_early_total":
                            self.shed[port] = sample.value
                        elif sample.name == "brandpulse_influence_late_total":
                            self.influence_late[(port, sample.labels["stage"])] = sample.value

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=10)


#: The influence stages have drained once no ranking has been published for this long (they publish a ranking
#: within a second or two of the candidates that change it).
INFLUENCE_QUIET_S = 30.0


def run(broker: EmbeddedBroker, path: Path, post_ids: set[str], want: dict, *, workers: int, kills: int, rate: float,
        seed: int, out_dir: Path, label: str, data_end_s: int, log_level: str = "warn",
        overrides: dict[str, str] | None = None) -> dict:
    run_id, n_posts = uuid.uuid4().hex[:8], len(post_ids)
    base = {"BRANDPULSE_BROKER_URL": broker.url, "BRANDPULSE_APP_ID": f"crash-{run_id}",
            "BRANDPULSE_TOPIC_PREFIX": f"crash-{run_id}.", "BRANDPULSE_SESSION_TIMEOUT_SECONDS": "6",
            "BRANDPULSE_DATA_DIR": str(out_dir / f"data-{run_id}"), "BRANDPULSE_LOG_LEVEL": log_level,
            "BRANDPULSE_WATCHLIST": json.dumps(WATCHLIST), "BRANDPULSE_ALLOWED_LATENESS_SECONDS": "60",
            "BRANDPULSE_IDLE_GRACE_SECONDS": "2", "BRANDPULSE_TOPIC_PARTITIONS": "4",
            "BRANDPULSE_PRODUCER_MAX_BATCH_BYTES": "1",
            # The same link in both runs: unset, it would be each worker's own URL, port and all.
            "BRANDPULSE_DASHBOARD_URL": "https://grafana.example/d/brandpulse?var-topic={topic}&from={from_ms}&to={to_ms}",
            **(overrides or {})}
    settings = load_settings({**base, "BRANDPULSE_WEB_PORT": "6066"})
    asyncio.run(ensure_topics(settings))
    started = 0

    def new_worker() -> tuple[subprocess.Popen, dict[str, str]]:
        nonlocal started
        values = {**base, "BRANDPULSE_WEB_PORT": str(free_port())}
        proc = start_worker(values, out_dir / f"{label}-worker-{started}.log")
        started += 1
        return proc, values

    running = [new_worker() for _ in range(workers)]
    drift = DriftSampler(running)
    drift.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRANDPULSE_")} | running[0][1]
    began, began_wall = time.monotonic(), time.time()
    replay = subprocess.Popen([sys.executable, "-m", "agents", "replay", str(path), "--rate", str(rate)], cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    rng, kill_log = random.Random(seed), []
    for at in sorted(rng.uniform(0.05, 0.95) * n_posts / rate for _ in range(kills)):
        time.sleep(max(0.0, began + at - time.monotonic()))
        proc, _ = running.pop(rng.randrange(len(running)))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        # When it happened: a worker takes ~10 s to be ready, so a kill due before the last one was ready is late.
        kill_log.append(round(time.monotonic() - began, 1))
        console.print(f"  {label}: killed a worker at {kill_log[-1]:.1f} s of the replay (due at {at:.1f}); "
                      "starting another")
        running.append(new_worker())
    out, _ = replay.communicate(timeout=3600)
    if replay.returncode != 0:
        raise RuntimeError(out.decode()[-2000:])
    replayed_s = time.monotonic() - began
    asyncio.run(produce(settings.bootstrap_servers, settings.posts_topic, sentinels_after(data_end_s)))

    bootstrap = settings.bootstrap_servers
    deadline, last, progressed = time.monotonic() + 3600, -1, time.monotonic()
    while True:
        enriched = asyncio.run(read_topic(bootstrap, settings.enriched_topic, timeout=120))
        stats = asyncio.run(read_topic(bootstrap, settings.stats_topic, timeout=120))
        seen = {(r["topic"], r["resolution"], int(datetime.fromisoformat(r["window_start"]).timestamp()))
                for r in (orjson.loads(x.value) for x in stats)}
        ids = {r.key.decode() for r in enriched}
        done = len(seen & set(want))
        if done != last:
            progressed = time.monotonic()
            console.print(f"  {label}: {len(ids & post_ids):,} of {n_posts:,} posts enriched, "
                          f"{done:,} of {len(want):,} windows")
            last = done
        if (set(want) <= seen and post_ids <= ids) or time.monotonic() > deadline:
            break
        if time.monotonic() - progressed > 180:
            console.print(f"  {label}: [red]no new window for 3 minutes; missing e.g.[/red] "
                          f"{sorted(set(want) - seen)[:6]}")
            break
        time.sleep(5)
    # The windows are all out; the influence stages may still be folding (they are not what the loop above
    # waits for): until no ranking has been published for INFLUENCE_QUIET_S.
    published, quiet_since = -1, time.monotonic()
    while time.monotonic() - quiet_since < INFLUENCE_QUIET_S and time.monotonic() < deadline:
        n = len(asyncio.run(read_topic(bootstrap, settings.influencers_topic, timeout=120)))
        if n != published:
            published, quiet_since = n, time.monotonic()
            console.print(f"  {label}: {n:,} influencer rankings published")
        time.sleep(5)
    drained_s = time.monotonic() - began - INFLUENCE_QUIET_S
    alerts = asyncio.run(read_topic(bootstrap, settings.alerts_topic, timeout=120))
    rankings: dict[tuple, dict] = {}  # (topic, resolution, window start) -> its latest ranking
    for rec in asyncio.run(read_topic(bootstrap, settings.influencers_topic, timeout=120)):
        r = orjson.loads(rec.value)
        rankings[(r["topic"], r["resolution"], r["window_start"])] = r
    # The input itself: a post written twice (the replay's producer retried a batch the broker had written; no
    # idempotent producer on the embedded broker) is read twice, and late the second time.
    inputs = asyncio.run(read_topic(bootstrap, settings.posts_topic, timeout=300, idle_seconds=10))
    input_twice = len(inputs) - len({r.value for r in inputs})
    console.print(f"  {label}: {len(inputs):,} records on posts, {input_twice:,} of them a second copy of one")
    lost = post_ids - ids
    if lost:  # where they are on posts, and whether a read that waits for quiet finds them on posts.enriched
        where = sorted((r.partition, r.offset) for r in inputs if r.key is not None and r.key.decode() in lost)
        again = {r.key.decode() for r in asyncio.run(read_topic(bootstrap, settings.enriched_topic, timeout=300,
                                                                 idle_seconds=10))}
        by_partition: dict[int, list[int]] = {}
        for partition, offset in where:
            by_partition.setdefault(partition, []).append(offset)
        console.print(f"  {label}: [red]{len(lost)} posts not on posts.enriched[/red] ({len(lost - again)} still not "
                      f"when read until quiet); on posts at " + ", ".join(
                          f"[{p}] {min(o)}-{max(o)} ({len(o)})" for p, o in sorted(by_partition.items())))
    late = asyncio.run(read_topic(bootstrap, settings.late_topic, timeout=120))
    mentions = None  # read when something needs explaining, once: the whole topic, until quiet

    def all_mentions() -> list:
        nonlocal mentions
        if mentions is None:
            mentions = asyncio.run(read_topic(bootstrap, settings.mentions_topic, timeout=300, idle_seconds=15))
        return mentions

    if late:  # which stage set them aside, and why (the detail's first words)
        from schemas.codec import read_dead_letter_headers

        why = Counter(read_dead_letter_headers(r.headers).get("brandpulse.detail", "?")[:48] for r in late)
        console.print(f"  {label}: {len(late)} mentions set aside as late, e.g. {why.most_common(4)}")
        explain_late(settings, all_mentions(), late, kill_log, began_wall, out_dir / f"{label}-late.json")
    drift.stop()
    for proc, _ in running:
        stop_process(proc, timeout=30, name="worker")

    wrong = []
    for rec in stats:
        r = orjson.loads(rec.value)
        key = (r["topic"], r["resolution"], int(datetime.fromisoformat(r["window_start"]).timestamp()))
        if key in want and r != want[key]:
            wrong.append((key, {f: (r[f], want[key].get(f)) for f in r if r[f] != want[key].get(f)}))
            if len(wrong) <= 5:  # which fields, and by how much
                console.print(f"  {label}: window {key} published at offset {rec.offset} differs: "
                              f"{wrong[-1][1]}"[:600], markup=False)
    if wrong:  # where the posts a short window misses were lost (the crash test's diagnosis)
        from tests.integration.test_crash import explain_short_windows

        posts = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
        console.print(explain_short_windows(settings, posts, wrong, kill_log, all_mentions()), markup=False)
    copies = Counter(r.key.decode() for r in enriched)
    events: dict[str, dict] = {}
    for rec in alerts:
        e = orjson.loads(rec.value)
        # ``source`` names the deployment (its app id), which differs between the two runs by design.
        events[e["id"]] = {k: v for k, v in e.items() if k not in ("time", "source")}
    (out_dir / f"{label}-alerts.json").write_bytes(orjson.dumps(events, option=orjson.OPT_INDENT_2))
    (out_dir / f"{label}-rankings.json").write_bytes(orjson.dumps({"|".join(k): v for k, v in sorted(rankings.items())},
                                                                  option=orjson.OPT_INDENT_2))
    return {"label": label, "kills": kill_log, "replayed_s": replayed_s, "drained_s": drained_s,
            "lost": len(lost), "duplicates": sum(c - 1 for c in copies.values()),
            "windows": len(want), "missing": len(set(want) - seen), "wrong": len(wrong),
            "published_twice": len(stats) - len(seen), "late": len(late), "input_twice": input_twice,
            "alert_records": len(alerts),
            "events": events, "rankings": rankings, "max_drift_s": drift.max_drift,
            "median_drift_s": drift.median_drift, "closed_early": drift.closed_early,
            "influence_late": drift.late_by_stage()}


def explain_late(settings, mentions: list, late: list, kills: list[float], began_wall: float, path: Path) -> None:
    """Where mentions set aside as late came from, printed and written to ``path``: every copy of each late post's
    mention among the ``mentions`` topic's records (partition, offset, seconds into the replay it was written, the
    producer and its watermark stamp), and the stamps on that partition before the first copy that were already
    past the post's window (the watermark that closed it: whose, and when). Seconds are of the replay, as the kill
    times are."""
    from schemas.codec import (
        DLQ_SOURCE_OFFSET,
        DLQ_SOURCE_PARTITION,
        DLQ_SOURCE_TOPIC,
        header_map,
        read_dead_letter_headers,
        read_stamp,
    )

    def at(ts_ms: int) -> float:
        return round(ts_ms / 1000 - began_wall, 2)

    copies: dict[tuple[str, str], list[dict]] = {}
    stamps: dict[int, list[tuple[int, float, str, int]]] = {}  # partition -> (offset, at, producer, watermark)
    for rec in mentions:
        stamp = read_stamp(header_map(rec.headers))
        if stamp is not None:
            stamps.setdefault(rec.partition, []).append((rec.offset, at(rec.timestamp), stamp[0], stamp[1]))
        if not rec.value:
            continue
        for m in orjson.loads(rec.value)["mentions"]:
            copies.setdefault((m["topic"], m["post_id"]), []).append(
                {"partition": rec.partition, "offset": rec.offset, "at": at(rec.timestamp),
                 "producer": stamp[0] if stamp else None, "stamp": stamp[1] if stamp else None,
                 "source": [m["source_partition"], m["source_offset"]]})
    rows = []
    for rec in late:
        m = orjson.loads(rec.value)
        end = m["event_s"] - m["event_s"] % 60 + 60
        held = copies.get((m["topic"], m["post_id"]), [])
        first = min((c["offset"] for c in held), default=None)
        part = held[0]["partition"] if held else None
        closing = [s for s in stamps.get(part, []) if first is not None and s[0] < first
                   and s[3] >= end + settings.allowed_lateness_seconds][:1]
        dl = read_dead_letter_headers(rec.headers)
        source = [dl.get(DLQ_SOURCE_TOPIC), int(dl.get(DLQ_SOURCE_PARTITION, -1)), int(dl.get(DLQ_SOURCE_OFFSET, -1))]
        rows.append({"post_id": m["post_id"], "topic": m["topic"], "event_s": m["event_s"], "source": source,
                     "set_aside_at": at(rec.timestamp), "copies": held, "first_stamp_past_window": closing})
    path.write_bytes(orjson.dumps({"kills": kills, "late": rows}, option=orjson.OPT_INDENT_2))
    # A copy on mentions written before the mention was set aside: a post processed again (after a restart or a
    # rebalance) and late against what this worker had already read of its partition; its window counted the copy.
    again = sum(any(c["at"] <= r["set_aside_at"] for c in r["copies"]) for r in rows)
    # A late post whose record sits at another offset than the copies' posts: the input holds it twice (a producer's
    # retry writes a batch again at the end of the log: no idempotent producer on the embedded broker).
    twice = sum(r["source"][0] == settings.posts_topic and r["copies"] and
                all(c["source"] != r["source"][1:] for c in r["copies"]) for r in rows)
    console.print(f"    {twice} of them were read from another offset of posts than their copies (the input holds "
                  "those posts twice)", markup=False)
    console.print(f"    {again} of the {len(rows)} late mentions had been sent on mentions before (posts processed "
                  f"again), {len(rows) - again} had not (their windows lack them); kills at {kills} s; the first "
                  f"({path}):")
    for r in rows[:8]:
        held = [(c["partition"], c["offset"], c["at"], c["producer"], c["stamp"]) for c in r["copies"]]
        event = datetime.fromtimestamp(r["event_s"], UTC)
        console.print(f"    {r['topic']} {r['post_id']} at {r['source']} event {event:%H:%M:%S}, "
                      f"set aside at {r['set_aside_at']} s; copies (partition, offset, s, producer, stamp) {held}; "
                      f"first stamp past its window before them {r['first_stamp_past_window']}", markup=False)


def influence_oracle(posts: list[dict]) -> dict[tuple[str, str, str], dict[str, list[dict]]]:
    """The rankings a batch computation gives: every post folded into its authors' state (streams.influence, in
    input order, no watermark), every author's final standing per topic and window ranked together. Key: (topic,
    resolution, window start) as on ``influencers``; value: the top 5 per sentiment."""
    from schemas.codec import dumps
    from schemas.decode import decode_post
    from streams.enrich import enrich
    from streams.influence import LABELS, TOP_K, ActivityIn, AuthorState, activities_of, iso_utc, rank_key
    from streams.places import locate
    from streams.sentiment import SentimentScorer

    settings = load_settings({"BRANDPULSE_WATCHLIST": json.dumps(WATCHLIST)})
    scorer, states = SentimentScorer(), {}
    for p in posts:
        e = enrich(decode_post(orjson.dumps(p)), scorer, watchlist=settings.watchlists, max_terms=settings.max_terms)
        for a in activities_of(e):
            act = ActivityIn.from_json(orjson.loads(dumps(a)))
            states.setdefault(act.author_id, AuthorState(act.author_id)).apply(act)
    windows: dict[tuple[str, str, str], dict[str, list[dict]]] = {}
    for state in states.values():
        for (resolution, start), window in state.windows.items():
            for topic in window.topics:
                inf = state.influencer(resolution, start, topic, settings.influence_weights, locate)
                if inf is not None:
                    held = windows.setdefault((topic, resolution, iso_utc(start)), {label: [] for label in LABELS})
                    held[inf["sentiment"]].append(inf)
    # Every author ranked, not the 50 per sentiment a ranking holds: the true top 5.
    return {k: {label: heapq.nsmallest(TOP_K, rows, key=rank_key) for label, rows in held.items()}
            for k, held in windows.items()}


def against_oracle(rankings: dict[tuple, dict], oracle: dict[tuple, dict],
                   exact: bool = True) -> tuple[int, int, int, Counter[str]]:
    """Of the rankings that say ``exact`` (or not): (how many, how many whose top 5s differ from the oracle's,
    entries of them that differ, which fields differ). A ranking that held 50 authors in a sentiment and dropped
    one says ``exact: false``: its top 5 may then differ within the bound of docs/influence.md."""
    n, windows, entries, fields = 0, 0, 0, Counter()
    for key, ranking in rankings.items():
        want = oracle.get(key)
        if want is None or ranking["exact"] != exact:
            continue  # the sentinels' topic (not in the input file), or the other kind
        n += 1
        differs = False
        for label, rows in ranking["top"].items():
            expected = want.get(label, [])
            differs |= [r["author_id"] for r in rows] != [r["author_id"] for r in expected]
            by_id = {r["author_id"]: r for r in expected}
            for r in rows:
                o = by_id.get(r["author_id"])
                diff = ["missing"] if o is None else [f for f in r if r[f] != o.get(f)]
                if diff:
                    entries, differs = entries + 1, True
                    fields.update(diff)
        windows += differs
    return n, windows, entries, fields


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--rate", type=float, default=1500.0, help="replay rate, posts/s")
    parser.add_argument("--workers", type=int, default=1, help="workers of the crash run (one is killed each time)")
    parser.add_argument("--seed", type=int, default=3, help="where the kills fall")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "crash")
    parser.add_argument("--only", choices=("clean", "crash"), help="run one of the two (the alerts are not compared)")
    parser.add_argument("--log-level", default="warn", choices=("debug", "info", "warn"),
                        help="the workers' BRANDPULSE_LOG_LEVEL (their logs go to --out)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="BRANDPULSE_X=value",
                        help="a worker setting for both runs, over the script's (repeatable), e.g. "
                             "BRANDPULSE_PRODUCER_MAX_BATCH_BYTES=16384 to restore from Kafka's default batches")
    args = parser.parse_args()
    overrides = {}
    for item in args.overrides:
        name, sep, value = item.partition("=")
        if not sep or not name.startswith("BRANDPULSE_"):
            parser.error(f"--set takes BRANDPULSE_NAME=value, not {item!r}")
        overrides[name] = value

    posts = scenario(args.posts)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "posts.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(p) for p in posts) + b"\n")
    late_ids = expected_late(posts)
    data_end = max(int(datetime.fromisoformat(p["created_at"]).timestamp()) for p in posts)
    console.print(f"{len(posts):,} posts ({args.posts:,} + {len(posts) - args.posts} crisis posts), "
                  f"{len(late_ids)} late by construction; computing the oracle ...")
    want = {k: (r if r is not None else zero(*k)) for k, r in oracle(posts, late_ids, data_end).items()}
    console.print(f"{len(want):,} windows in the oracle; load average {os.getloadavg()[0]:.2f}")

    with EmbeddedBroker(log_path=args.out / "tansu.log") as broker:
        common = {"want": want, "rate": args.rate, "seed": args.seed, "out_dir": args.out, "data_end_s": data_end,
                  "log_level": args.log_level, "overrides": overrides}
        ids = {p["id"] for p in posts}
        runs = []
        if args.only != "crash":
            runs.append(run(broker, path, ids, workers=1, kills=0, label="clean", **common))
        if args.only != "clean":
            runs.append(run(broker, path, ids, workers=args.workers, kills=args.kills, label="crash", **common))

    table = Table(title=f"bench/crash.py, {len(posts):,} posts at {args.rate:,.0f}/s, {datetime.now(UTC):%Y-%m-%d}",
                  title_justify="left")
    for col in ("run", "kills at (s)", "lost", "duplicates", "windows wrong / missing", "published twice",
                "late", "alert events (records)", "drift median / max (s)", "closed early", "replay / drained (s)"):
        table.add_column(col)
    for r in runs:
        table.add_row(r["label"], ", ".join(map(str, r["kills"])) or "-", str(r["lost"]), f"{r['duplicates']:,}",
                      f"{r['wrong']} / {r['missing']} of {r['windows']:,}", f"{r['published_twice']:,}",
                      str(r["late"]), f"{len(r['events'])} ({r['alert_records']})",
                      f"{r['median_drift_s']:,.0f} / {r['max_drift_s']:,.0f}",
                      str(r["closed_early"]),
                      f"{r['replayed_s']:.0f} / {r['drained_s']:.0f}")
    console.print(table)
    ok = all(r["lost"] == 0 and r["wrong"] == 0 and r["missing"] == 0 for r in runs)
    console.print("computing the influence oracle ...")
    rankings_oracle = influence_oracle(posts)
    for r in runs:
        console.print(f"  {r['label']}: {len(r['rankings']):,} latest rankings; left out as late by stage: "
                      f"{r['influence_late'] or 'none'}")
        for exact in (True, False):
            n, windows, entries, fields = against_oracle(r["rankings"], rankings_oracle, exact)
            console.print(f"    exact: {str(exact).lower()}: {n}, of which {windows} differ from the influence oracle "
                          f"({entries} entries: {dict(fields.most_common(6))})")
            # Strict for both: the error bound of an inexact top 5 needs 46 of the 50 authors held above a
            # dropped one to fall below it, which this input does not do.
            ok = ok and windows == 0
    if len(runs) == 1:
        console.print("[green]same as the oracle[/green]" if ok else "[red]DIFFERS (see above)[/red]")
        return 0 if ok else 1
    a, b = runs[0]["events"], runs[1]["events"]
    differ = sorted(i for i in set(a) & set(b) if a[i] != b[i])
    console.print(f"alerts: {len(a)} distinct events in the clean run, {len(b)} in the crash run; "
                  f"only in clean {sorted(set(a) - set(b))[:5]}, only in crash {sorted(set(b) - set(a))[:5]}, "
                  f"{len(differ)} with different contents {differ[:3]}")
    for i in differ[:3]:
        fields = sorted(k for k in set(a[i]["data"]) | set(b[i]["data"]) if a[i]["data"].get(k) != b[i]["data"].get(k))
        fields += [k for k in a[i] if k != "data" and a[i][k] != b[i].get(k)]
        console.print(f"  {i}: {fields} differ (both in {args.out}/*-alerts.json)")
    ra, rb = runs[0]["rankings"], runs[1]["rankings"]
    # What an inexact ranking (a sentiment that held 50 and dropped one) counts depends on which authors it
    # held, and so on arrival order: its map and its number of authors ranked (docs/influence.md). The rest
    # must be equal.
    approximate = ("places", "ranked_authors")

    def firm(r: dict) -> dict:
        return r if r["exact"] else {k: v for k, v in r.items() if k not in approximate}

    rdiffer = sorted(k for k in set(ra) & set(rb) if firm(ra[k]) != firm(rb[k]))
    counts = sum(1 for k in set(ra) & set(rb) if ra[k] != rb[k] and firm(ra[k]) == firm(rb[k]))
    console.print(f"influencer rankings (the latest per topic and window): {len(ra):,} in the clean run, "
                  f"{len(rb):,} in the crash run; only in clean {len(set(ra) - set(rb))}, only in crash "
                  f"{len(set(rb) - set(ra))}, {len(rdiffer)} with different contents {rdiffer[:3]} "
                  f"(both in {args.out}/*-rankings.json); {counts} inexact ones differ only in their map and "
                  f"authors ranked")
    incidents = sorted({e["data"].get("incident_id") for e in a.values()
                        if e["type"].startswith("dev.brandpulse.incident")})
    console.print(f"incidents of the clean run: {incidents}")
    ok = ok and a == b and not rdiffer and set(ra) == set(rb)
    console.print("[green]same as the oracle and the clean run[/green]" if ok else "[red]DIFFERS (see above)[/red]")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
