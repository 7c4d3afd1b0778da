"""Benchmark: brandpulse side by side with Quix Streams and Bytewax on the embedded broker (issue 7).

    .venv/bin/python bench/compare.py [--posts 200000] [--repeat 3] [--partitions 4]
        [--systems tight vader brandpulse quix bytewax faust faust-floor ...] [--brandpulse-posts N]
        [--brandpulse-setting BRANDPULSE_X=value ...]

Every system does the work of ../shared/BENCH.md on the same generated input (``ingest.generate_canonical``):
decode each post (orjson), score its text with VADER's ``polarity_scores``, forward the post plus its scores
to an output topic, and count each hashtag (the text's ``#...`` words, lower-cased) per 60 s event-time
tumbling window in the framework's own windowing, published to a second topic:

* **tight** -- brandpulse's own ``decode_post`` + ``enrich`` in one process, no broker;
* **vader** -- ``orjson.loads`` + ``polarity_scores`` alone, the ceiling every Python system shares;
* **brandpulse** -- the real worker (``ingest.worker_run``), on the first ``--brandpulse-posts`` posts only
  (default min(posts, 50,000): at ~600 posts/s the whole input would take too long);
* **quix** -- Quix Streams (bench/peers/quix_pipeline.py): ``group_by`` hashtag + ``tumbling_window().count()``
  with a day's grace, publishing every update (``current()``);
* **bytewax** -- Bytewax (bench/peers/bytewax_pipeline.py): ``count_window`` with an ``EventClock`` allowing
  20 min, publishing each window once when it closes (at the latest at the end of the input).
* **faust** -- Faust at its leanest (bench/peers/faust_pipeline.py, in this project's venv): ``take_events``
  batches, a dict of counts per window published once per batch, no table; only when asked for (``--systems``);
* **faust-floor**, **faust-floor-fixed**, **faust-floor-raw** -- Faust forwarding each post and doing nothing else,
  with ``Topic.send``, with ``Topic.send`` as brandpulse fixes it (``agents.faust_fixes.fix_send_yield``), and
  with the producer's ``send``: the floor under any Faust pipeline, not a peer (no "÷ fastest peer" for them).

The peers run in virtual environments of their own, created on first use under .bench/venvs/<peer> from the
pinned bench/peers/<peer>-requirements.txt. Each broker run gets a fresh embedded Tansu broker with the input
produced before the system starts; a peer is stopped once its enriched output is complete and its outputs
have stopped growing (Bytewax stops by itself at the end of the input). Systems are interleaved round by
round (A B C A B C ...). Per run it records:

* posts/s from the first enriched record's broker timestamp to the last (the loop's own time in-process),
  and end to end, from the process's start to its last enriched record;
* CPU seconds of the system's process tree (start-up included) and of the broker, from /proc;
* peak RSS (VmHWM) of the system's process tree;
* the check: enriched records == input posts and, for the peers, the distinct (hashtag, window) keys and the
  sum of their counts equal to a direct count over the input. A disagreement is a warning, not a failure.

Prints a table (medians and min-max spread), and writes every run to bench/out/compare-<date>.json. It asserts
nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH / "peers"))

from ingest import (  # noqa: E402
    cpu_seconds,
    generate_canonical,
    peak_rss_mib,
    produce_all,
    read_all,
    worker_run,
)
from shared import PEAK_RSS_LINE, hashtags, window_start_ms  # noqa: E402

from agents.broker import EmbeddedBroker, stop_process  # noqa: E402

console = Console(width=None if sys.stdout.isatty() else 200)  # a log file gets the whole table

SYSTEMS = ("tight", "vader", "brandpulse", "quix", "bytewax",
           "faust", "faust-floor", "faust-floor-fixed", "faust-floor-raw")
#: what runs when --systems is not given (the Faust rows are floors for issue 7's analysis: ask for them)
DEFAULT_SYSTEMS = ("tight", "vader", "brandpulse", "quix", "bytewax")
VENVS = ROOT / ".bench" / "venvs"
OUT = BENCH / "out"


@dataclass(frozen=True)
class Peer:
    name: str
    label: str
    package: str  # whose installed version the table names
    #: False: runs in this project's venv (Faust: brandpulse's own framework), nothing to install
    own_venv: bool = True
    script_name: str = ""  # default: <name>_pipeline.py
    args: tuple[str, ...] = ()
    #: False: does less than the pipeline (a floor), so it is not a peer for the "÷ fastest peer" ratio
    comparable: bool = True
    windows: bool = True  # publishes the hashtag windows (checked against the direct count)

    @property
    def script(self) -> Path:
        return BENCH / "peers" / (self.script_name or f"{self.name}_pipeline.py")

    @property
    def requirements(self) -> Path:
        return BENCH / "peers" / f"{self.name}-requirements.txt"

    @property
    def venv(self) -> Path:
        return VENVS / self.name

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python" if self.own_venv else Path(sys.executable)


PEERS = {
    "quix": Peer("quix", "Quix Streams", "quixstreams"),
    "bytewax": Peer("bytewax", "Bytewax", "bytewax"),
    "faust": Peer("faust", "Faust, lean: batches, no table", "faust-streaming", own_venv=False),
    "faust-floor": Peer("faust-floor", "Faust floor: forward only, no work", "faust-streaming", own_venv=False,
                        script_name="faust_pipeline.py", args=("--floor",), comparable=False, windows=False),
    "faust-floor-fixed": Peer("faust-floor-fixed", "Faust floor, Topic.send without its yield", "faust-streaming",
                              own_venv=False, script_name="faust_pipeline.py", args=("--floor", "--fixed"),
                              comparable=False, windows=False),
    "faust-floor-raw": Peer("faust-floor-raw", "Faust floor, sent past Topic.send", "faust-streaming",
                            own_venv=False, script_name="faust_pipeline.py", args=("--floor", "--raw-send"),
                            comparable=False, windows=False),
}


# --- the peers' virtual environments --------------------------------------------------------------------

def ensure_venv(peer: Peer) -> str:
    """Create ``peer``'s virtual environment and install its pinned requirements, unless done already.

    Returns the installed version of the peer's framework. A stamp (a copy of the requirements file) marks
    a finished install, so an edited requirements file installs again.
    """
    if not peer.own_venv:
        import importlib.metadata

        return importlib.metadata.version(peer.package)
    wanted = peer.requirements.read_text()
    stamp = peer.venv / "bench-requirements.txt"
    if not (peer.python.exists() and stamp.exists() and stamp.read_text() == wanted):
        console.print(f"[bold]{peer.label}[/]: creating {peer.venv.relative_to(ROOT)} from "
                      f"{peer.requirements.relative_to(ROOT)}")
        subprocess.run([shutil.which("python3") or "python3", "-m", "venv", "--clear", str(peer.venv)], check=True)
        log_path = peer.venv / "pip-install.log"
        with console.status(f"{peer.label}: pip install ...") as status, open(log_path, "w") as log:
            pip = subprocess.Popen([str(peer.python), "-m", "pip", "install", "--progress-bar", "off",
                                    "-r", str(peer.requirements)],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for line in pip.stdout:
                log.write(line)
                line = line.strip()
                if line.startswith(("Collecting", "Downloading", "Installing", "Building")):
                    status.update(f"{peer.label}: {line[:100]}")
                elif line.startswith(("Successfully", "ERROR")):
                    console.print(f"  {line[:300]}")
            if pip.wait() != 0:
                raise RuntimeError(f"pip install for {peer.name} failed; see {log_path}")
        stamp.write_text(wanted)
    version = f"import importlib.metadata as m; print(m.version({peer.package!r}))"
    return subprocess.run([str(peer.python), "-c", version], capture_output=True, text=True,
                          check=True).stdout.strip()


# --- the input and what the windows must hold ----------------------------------------------------------

def direct_count(messages: list[bytes]) -> dict[str, int]:
    """The (hashtag, window) keys and hashtag instances of the input, counted without any framework."""
    keys: set[tuple[str, int]] = set()
    instances = 0
    for raw in messages:
        post = orjson.loads(raw)
        start = window_start_ms(post["created_at"])
        tags = hashtags(post["text"])
        instances += len(tags)
        keys.update((tag, start) for tag in tags)
    return {"keys": len(keys), "instances": instances}


# --- in-process loops ----------------------------------------------------------------------------------

def loop_run(kind: str, input_path: Path, posts: int) -> dict:
    """``tight`` or ``vader`` in a child process of its own (bench/peers/inprocess.py)."""
    started = time.time()
    proc = subprocess.run([sys.executable, str(BENCH / "peers" / "inprocess.py"), kind, str(input_path)],
                          capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} loop exited with {proc.returncode}: {proc.stderr.strip()[-500:]}")
    r = orjson.loads(proc.stdout.strip().splitlines()[-1])
    return {"posts": posts, "enriched": r["posts"], "seconds": r["seconds"], "posts_per_s": posts / r["seconds"],
            "wall_s": r["finished_at"] - started, "cpu_s": r["cpu_s"], "broker_cpu_s": None,
            "peak_rss_mib": r["peak_rss_mib"]}


# --- brandpulse ----------------------------------------------------------------------------------------

def brandpulse_run(messages: list[bytes], partitions: int, progress: Progress, timeout: float,
                   overrides: dict[str, str] | None = None) -> dict:
    """bench/ingest.py's run of the real worker, until every stage has drained, in this table's terms."""
    r = worker_run(messages, partitions, progress, drain=True, timeout=timeout, overrides=overrides)
    return r | {"cpu_s": r["worker_cpu_s"]}


# --- the peers -----------------------------------------------------------------------------------------

async def create_topics(bootstrap: list[str], names: list[str], partitions: int) -> None:
    # retention set explicitly: Quix's group_by copies the input topic's retention to its repartition topic,
    # and Tansu's DescribeConfigs returns only the configs given at creation (BENCH.md). Bytewax's sink
    # needs its topics to exist.
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15_000)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(n, partitions, 1, topic_configs={"retention.ms": "-1",
                                                                           "retention.bytes": "-1"})
                                   for n in names])
    finally:
        await admin.close()


def reap(proc: subprocess.Popen) -> os.struct_rusage | None:
    """The rusage of ``proc`` if it has exited (then reaped here, its return code set), else None."""
    if proc.returncode is not None:
        return None
    pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
    if pid == 0:
        return None
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage


async def watch(bootstrap: list[str], proc: subprocess.Popen, broker_pid: int, enriched: str, others: list[str],
                posts: int, on_progress: Callable[[int], None], *, settle: float, timeout: float) -> dict:
    """Wait until ``proc`` has enriched every post and its outputs have been still for ``settle`` seconds,
    or it has exited, or ``timeout``; then its CPU seconds and peak RSS, taken before it is stopped, and the
    broker's CPU seconds (before this function's own read of the output, once the output is complete).

    Progress comes from the topics' end offsets, which Tansu under-reports by a partition's last batch: so
    "enriched every post" is confirmed by reading the topic (``read_all``) once the offsets stand still.
    """
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        tps = [TopicPartition(t, p) for t in [enriched, *others] for p in sorted(consumer.partitions_for_topic(t))]
        deadline = time.monotonic() + timeout
        ends, changed_at, confirmed_at, complete, peak, broker_cpu = None, time.monotonic(), 0.0, False, 0.0, 0.0
        while True:
            await asyncio.sleep(0.5)
            usage = reap(proc)
            if usage is not None:  # it stopped by itself (Bytewax at the end of its input)
                # Its rusage's CPU seconds, but not its ru_maxrss: that holds the RSS of the forked copy of
                # this process (shared.peak_rss_kib); the peer reports its own peak in its log instead.
                return {"end": f"exited with {proc.returncode}", "cpu_s": usage.ru_utime + usage.ru_stime,
                        "peak_rss_mib": peak,
                        "broker_cpu_s": broker_cpu if complete else cpu_seconds(broker_pid)}
            peak = max(peak, peak_rss_mib(proc.pid))
            now = time.monotonic()
            offsets = await consumer.end_offsets(tps)
            current = {t: sum(o for tp, o in offsets.items() if tp.topic == t) for t in [enriched, *others]}
            on_progress(current[enriched])
            if current != ends:
                ends, changed_at = current, now
            still = now - changed_at
            if not complete and current[enriched] and still >= 2 and now - confirmed_at >= 5:
                confirmed_at = now
                broker_cpu = cpu_seconds(broker_pid)
                complete = len(await read_all(bootstrap, enriched, idle_seconds=1.0)) >= posts
            if (complete and still >= settle) or now > deadline:
                return {"end": "stopped" if complete else "timed out", "cpu_s": cpu_seconds(proc.pid),
                        "peak_rss_mib": max(peak, peak_rss_mib(proc.pid)),
                        "broker_cpu_s": broker_cpu if complete else cpu_seconds(broker_pid)}
    finally:
        await consumer.stop()


def summarize_windows(records: list) -> dict[str, int]:
    """Distinct (hashtag, window start) keys and the sum of each key's largest count (Quix publishes every
    update of a window, Bytewax each closed window once)."""
    counts: dict[tuple[bytes, int], int] = {}
    for r in records:
        w = orjson.loads(r.value)
        key = (r.key, w["start"])
        counts[key] = max(counts.get(key, 0), w["value"])
    return {"keys": len(counts), "instances": sum(counts.values()), "window_records": len(records)}


def reported_peak_rss_mib(log_path: Path) -> float:
    """The peak RSS a peer printed in its log as it ended (``shared.report_peak_rss``), else 0."""
    lines = [line for line in log_path.read_text(errors="replace").splitlines() if line.startswith(PEAK_RSS_LINE)]
    return int(lines[-1].rsplit(" ", 1)[1]) / 1024 if lines else 0.0


def peer_run(peer: Peer, messages: list[bytes], partitions: int, progress: Progress, log_path: Path,
             timeout: float) -> dict:
    run_id = uuid.uuid4().hex[:8]
    posts, enriched, windows = "posts", "enriched", "windows"
    state_dir = Path(tempfile.mkdtemp(prefix=f"bench-{peer.name}-{run_id}-"))
    with EmbeddedBroker() as broker:
        bootstrap = [broker.bootstrap]
        asyncio.run(create_topics(bootstrap, [posts, enriched, windows], partitions))
        asyncio.run(produce_all(bootstrap, posts, messages))
        broker_cpu0 = cpu_seconds(broker.proc.pid)
        task = progress.add_task(peer.label, total=len(messages))
        started = time.time()
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [str(peer.python), str(peer.script), "--bootstrap", broker.bootstrap, "--posts-topic", posts,
                 "--enriched-topic", enriched, "--windows-topic", windows, "--group", f"bench-{run_id}",
                 "--state-dir", str(state_dir), *peer.args],
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            outcome = asyncio.run(watch(bootstrap, proc, broker.proc.pid, enriched, [windows], len(messages),
                                        lambda n: progress.update(task, completed=n), settle=5.0,
                                        timeout=timeout))
        finally:
            stop_process(proc, timeout=30, name=peer.name)
            progress.remove_task(task)
            shutil.rmtree(state_dir, ignore_errors=True)
        out = asyncio.run(read_all(bootstrap, enriched))
        window_records = asyncio.run(read_all(bootstrap, windows))
    stamps = [r.timestamp for r in out] or [started * 1000, time.time() * 1000]
    seconds = max((max(stamps) - min(stamps)) / 1000, 1e-3)
    return {"posts": len(messages), "enriched": len(out), "seconds": seconds, "posts_per_s": len(messages) / seconds,
            "wall_s": max(stamps) / 1000 - started, "cpu_s": outcome["cpu_s"],
            "broker_cpu_s": outcome["broker_cpu_s"] - broker_cpu0,
            "peak_rss_mib": max(outcome["peak_rss_mib"], reported_peak_rss_mib(log_path)), "end": outcome["end"],
            "log": str(log_path.relative_to(ROOT)),
            **(summarize_windows(window_records) if peer.windows else {})}


# --- checks and the table ------------------------------------------------------------------------------

def check(result: dict, expected: dict[str, int]) -> list[str]:
    """What disagrees in one run; empty when it is right."""
    if "error" in result:
        return [result["error"]]
    problems = []
    if result.get("end", "stopped") not in ("stopped", "exited with 0"):
        problems.append(f"the process {result['end']} (see {result['log']})")
    if result["enriched"] != result["posts"]:
        problems.append(f"{result['enriched']:,} enriched records for {result['posts']:,} posts")
    for what in ("keys", "instances"):
        if what in result and result[what] != expected[what]:
            problems.append(f"{result[what]:,} window {what}, the input has {expected[what]:,}")
    return problems


def spread(values: list[float], fmt: str = ",.0f") -> str:
    if not values:
        return ""
    if len(values) == 1:
        return format(values[0], fmt)
    return f"{format(statistics.median(values), fmt)} ({format(min(values), fmt)}-{format(max(values), fmt)})"


def median_of(runs: list[dict], field: str) -> float | None:
    values = [r[field] for r in runs if r.get(field) is not None]
    return statistics.median(values) if values else None


def per_thousand(runs: list[dict], field: str) -> str:
    values = [r[field] * 1000 / r["posts"] for r in runs if r.get(field) is not None]
    return f"{statistics.median(values):.3f}" if values else ""


def build_table(rows: list[tuple[str, str, list[dict]]], expected: dict[str, int], title: str) -> Table:
    """``rows``: (label, system, that system's runs); brandpulse's drained figures are a row of their own."""
    medians = {system: median_of([r for r in runs if "error" not in r], "posts_per_s") for _, system, runs in rows}
    tight = medians.get("tight")
    peer_best = max((medians[s] for s in PEERS if PEERS[s].comparable and medians.get(s)), default=None)
    table = Table(title=title, title_justify="left")
    for name, justify in [("system", "left"), ("posts", "right"), ("posts/s, median (min-max)", "right"),
                          ("÷ tight", "right"), ("÷ fastest peer", "right"), ("end-to-end posts/s", "right"),
                          ("CPU s/1k posts", "right"), ("broker CPU s/1k", "right"),
                          ("peak RSS MiB", "right"), ("check", "left")]:
        table.add_column(name, justify=justify)
    for label, _, runs in rows:
        ok = [r for r in runs if "error" not in r]
        rate = [r["posts_per_s"] for r in ok]
        end_to_end = [r["posts"] / r["wall_s"] for r in ok if r.get("wall_s")]
        median = statistics.median(rate) if rate else None
        problems = [p for r in runs for p in check(r, expected)]
        table.add_row(
            label, f"{runs[0]['posts']:,}" if ok else "", spread(rate),
            f"{median / tight:.2f}" if median and tight else "",
            f"{median / peer_best:.2f}" if median and peer_best else "",
            spread(end_to_end), per_thousand(ok, "cpu_s"), per_thousand(ok, "broker_cpu_s"),
            spread([r["peak_rss_mib"] for r in ok if r.get("peak_rss_mib")]),
            f"[yellow]WARNING: {'; '.join(dict.fromkeys(problems))}[/]" if problems else "ok",
            style="red" if problems else None,
        )
    return table


def drained_view(runs: list[dict]) -> list[dict]:
    """brandpulse's runs timed until its last stage had folded every post (ingest.worker_run's drained)."""
    return [r if "error" in r else {
        "posts": r["posts"], "enriched": r["enriched"], "posts_per_s": r["drained_posts_per_s"],
        "wall_s": r["drained_wall_s"], "cpu_s": r["drained_cpu_s"], "broker_cpu_s": r["drained_broker_cpu_s"],
        "peak_rss_mib": r["drained_peak_rss_mib"]} for r in runs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--systems", nargs="+", choices=SYSTEMS, default=list(DEFAULT_SYSTEMS))
    parser.add_argument("--brandpulse-posts", type=int, default=None,
                        help="run brandpulse on the first N posts only (default: min(posts, 50000))")
    parser.add_argument("--brandpulse-setting", action="append", default=[], metavar="BRANDPULSE_X=value",
                        help="a setting for the brandpulse worker (repeatable), to measure it against the default")
    parser.add_argument("--timeout", type=float, default=1800.0, help="longest one broker run may take, in seconds")
    args = parser.parse_args()
    bp_posts = min(args.posts, args.brandpulse_posts or 50_000)
    began, load_before = time.time(), os.getloadavg()
    stamp = datetime.now(UTC)

    versions = {}
    for name in [s for s in args.systems if s in PEERS]:
        try:
            versions[name] = ensure_venv(PEERS[name])
        except (OSError, RuntimeError, subprocess.CalledProcessError) as exc:
            console.print(f"[yellow]warning: {PEERS[name].label} is left out: {exc}")
    systems = [s for s in args.systems if s not in PEERS or s in versions]

    messages = generate_canonical(args.posts)
    expected = direct_count(messages)
    console.print(f"{len(messages):,} canonical posts, {sum(map(len, messages)) / len(messages):,.0f} bytes on "
                  f"average, {expected['instances']:,} hashtags in {expected['keys']:,} (hashtag, 60 s window) keys; "
                  f"{os.cpu_count()} cores, load average {load_before[0]:.2f}")
    logs = OUT / "logs" / f"{stamp:%Y-%m-%d-%H%M%S}"
    logs.mkdir(parents=True, exist_ok=True)
    input_file = Path(tempfile.mkstemp(prefix="bench-compare-", suffix=".jsonl")[1])
    input_file.write_bytes(b"\n".join(messages))
    runs: dict[str, list[dict]] = {s: [] for s in systems}
    try:
        with Progress(console=console, transient=True) as progress:
            for i in range(args.repeat):  # interleaved, so that a busy moment hits every system alike
                for system in systems:
                    load, run_began = os.getloadavg()[0], time.monotonic()
                    try:
                        if system in ("tight", "vader"):
                            r = loop_run(system, input_file, len(messages))
                        elif system == "brandpulse":
                            r = brandpulse_run(messages[:bp_posts], args.partitions, progress, args.timeout,
                                               dict(o.split("=", 1) for o in args.brandpulse_setting))
                        else:
                            r = peer_run(PEERS[system], messages, args.partitions, progress,
                                         logs / f"{system}-round{i + 1}.log", args.timeout)
                    except Exception as exc:  # one broken run is a row of the table, not the end of the benchmark
                        r = {"posts": bp_posts if system == "brandpulse" else len(messages),
                             "error": f"{type(exc).__name__}: {exc}"}
                    r |= {"system": system, "round": i + 1, "load_before": load,
                          "run_seconds": time.monotonic() - run_began}
                    runs[system].append(r)
                    problems = check(r, expected)
                    line = (f"round {i + 1}/{args.repeat} {system:<10} load {load:4.2f}, {r['run_seconds']:5.0f} s: " +
                            (f"{r['posts_per_s']:>8,.0f} posts/s  " if "posts_per_s" in r else "") +
                            (f"[yellow]WARNING: {'; '.join(problems)}[/]" if problems else "ok") +
                            (f"  (windows: {r['keys']:,} keys, {r['instances']:,} counted)" if "keys" in r else ""))
                    progress.console.print(line)
    finally:
        input_file.unlink(missing_ok=True)
    load_after = os.getloadavg()

    labels = {"tight": "tight loop: decode_post + enrich, in-process", "vader": "vader only: orjson + polarity_scores",
              "brandpulse": f"brandpulse worker (Faust), first {bp_posts:,} posts",
              **{s: f"{PEERS[s].label} {versions[s]}" for s in versions}}
    rows = [(labels[s], s, runs[s]) for s in systems]
    if "brandpulse" in runs:
        at = [label for label, s, _ in rows].index(labels["brandpulse"]) + 1
        rows.insert(at, ("  the same, until every stage has drained", "brandpulse-drained",
                         drained_view(runs["brandpulse"])))
    title = (f"brandpulse and its peers, {args.posts:,} posts, {args.repeat} interleaved rounds, {args.partitions} "
             f"partitions on embedded Tansu -- {os.cpu_count()} cores, load average {load_before[0]:.2f} -> "
             f"{load_after[0]:.2f}, {stamp:%Y-%m-%d %H:%M} UTC")
    console.print(build_table(rows, expected, title))
    console.print(f"posts/s: first to last enriched record's broker timestamp (in-process: the loop alone); "
                  f"end to end: from the process's start to its last enriched record. CPU s include start-up; "
                  f"the in-process rows' RSS includes the input they hold. Brandpulse ran on the first "
                  f"{bp_posts:,} posts only. Quix publishes every window update (current(), a day's grace), Bytewax "
                  f"each window once at its close (20 min allowed). Took {(time.time() - began) / 60:.1f} min.")

    OUT.mkdir(exist_ok=True)
    path = OUT / f"compare-{stamp:%Y-%m-%d-%H%M%S}.json"
    path.write_bytes(orjson.dumps({
        "date": stamp.isoformat(), "args": vars(args), "brandpulse_posts": bp_posts, "versions": versions,
        "machine": {"cores": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "load_before": load_before, "load_after": load_after},
        "input": {"posts": len(messages), "bytes_mean": sum(map(len, messages)) / len(messages), **expected},
        "seconds": time.time() - began, "runs": [r for s in systems for r in runs[s]],
    }, option=orjson.OPT_INDENT_2))
    console.print(f"raw results: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
