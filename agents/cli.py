"""The ``brandpulse`` command line.

``up`` runs everything on one machine (embedded broker when none is configured, the worker, a
replay of the bundled sample and a summary); ``worker`` runs one worker against a cluster;
``replay`` produces posts from files; ``agents`` and ``tables`` are Faust's own listings.
Settings come from ``BRANDPULSE_*`` variables (``brandpulse settings`` lists them).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from agents.settings import Settings, SettingsError, load_settings, settings_markdown, settings_table

if TYPE_CHECKING:
    from agents.app import BrandpulseApp

#: How long `up` waits for the worker to make progress before it says something is wrong.
STALL_SECONDS = 120

console = Console(stderr=True)
out = Console()


def _fail(message: str, code: int = 2) -> NoReturn:
    console.print(f"[bold red]brandpulse:[/] {message}", highlight=False)
    sys.exit(code)


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        _fail("invalid settings, nothing was started:\n  " + str(exc).replace("\n", "\n  "))


def sample_path() -> Path:
    """The bundled sample: 966 real Twitter v1.1 tweets from 2015 (CC0 1.0, see docs/data.md)."""
    return Path(str(files("agents").joinpath("samples/tweets-2015-cc0.jsonl.gz")))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="brandpulse")
def cli() -> None:
    """brandpulse: real-time brand and hashtag intelligence on Kafka."""


# --------------------------------------------------------------------------------------------
# worker


def configure_gc(threshold: int) -> None:
    """Collect cycles every ``threshold`` allocations (BRANDPULSE_GC_THRESHOLD), and leave what start-up loaded
    (the app, the lexicons, the modules) out of every later collection (``gc.freeze``)."""
    import gc

    _, second, third = gc.get_threshold()
    gc.set_threshold(threshold, second, third)
    gc.collect()
    gc.freeze()


def run_worker(settings: Settings) -> NoReturn:
    import faust

    from agents.app import create_app

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = create_app(settings)
    configure_gc(settings.gc_threshold)

    class Worker(faust.Worker):
        def on_setup_root_logger(self, logger: logging.Logger, level: int) -> None:
            super().on_setup_root_logger(logger, level)
            # Faust and aiokafka log at DEBUG whatever -l says; building those records costs
            # more than the work itself on a busy stream (STYLE.md).
            for name in ("faust", "aiokafka", "mode"):
                logging.getLogger(name).setLevel(max(level, logging.INFO))

    Worker(app, loglevel=settings.log_level, quiet=True).execute_from_commandline()
    raise SystemExit(0)  # pragma: no cover - execute_from_commandline exits itself


@cli.command()
def worker() -> None:
    """Run one worker: posts → posts.enriched + mentions (+ posts.dlq for rejects).

    Needs BRANDPULSE_BROKER_URL; run as many as the posts topic has partitions, with one app id.
    """
    settings = _settings()
    if settings.broker_url is None:
        _fail("BRANDPULSE_BROKER_URL is not set: point it at Kafka (kafka://host:9092), "
              "or use `brandpulse up` to run on the embedded broker")
    run_worker(settings)


# --------------------------------------------------------------------------------------------
# replay


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description:>10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


async def _replay_with_progress(settings: Settings, paths: list[Path], *, rate: float | None,
                                speedup: float | None, limit: int | None, progress: Progress) -> object:
    from agents.broker import ensure_topics
    from agents.replay import count_messages, replay

    await ensure_topics(settings)
    total = sum(count_messages(p) for p in paths)
    if limit is not None:
        total = min(total, limit)
    task = progress.add_task("replayed", total=total, rate="")
    started = time.monotonic()

    def advance(n: int) -> None:
        done = progress.tasks[task].completed + n
        elapsed = max(time.monotonic() - started, 1e-6)
        progress.update(task, completed=done, rate=f"{done / elapsed:,.0f} msg/s")

    return await replay(paths, bootstrap=settings.bootstrap_servers, options=settings.kafka_client_options(),
                        topic=settings.posts_topic, rate=rate,
                        speedup=speedup, max_message_bytes=settings.max_message_bytes, on_progress=advance,
                        limit=limit)


@cli.command("replay")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--rate", type=click.FloatRange(min=0, min_open=True), help="At most this many posts per second.")
@click.option("--speedup", type=click.FloatRange(min=0, min_open=True),
              help="Replay event time this many times faster than it happened (1 = real time).")
@click.option("--limit", type=click.IntRange(min=1), help="Stop after this many messages.")
def replay_cmd(paths: tuple[Path, ...], rate: float | None, speedup: float | None, limit: int | None) -> None:
    """Produce posts from PATHS (JSON lines, JSON arrays, Twitter v1.1/v2 responses; .gz too)."""
    settings = _settings()
    if settings.broker_url is None:
        _fail("BRANDPULSE_BROKER_URL is not set: replay needs the broker the worker reads from")
    with _progress() as progress:
        try:
            stats = asyncio.run(_replay_with_progress(settings, list(paths), rate=rate, speedup=speedup,
                                                      limit=limit, progress=progress))
        except KeyboardInterrupt:
            _fail("replay interrupted; the messages sent so far stay on the topic", 130)
    console.print(f"replayed {stats.messages:,} messages ({stats.bytes / 1e6:,.1f} MB) to "
                  f"{settings.posts_topic} in {stats.seconds:.1f} s; {stats.undecodable:,} will be dead-lettered")


# --------------------------------------------------------------------------------------------
# up


def _http_get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def scrape_counts(web_url: str) -> dict[str, float]:
    """``{"enriched": n, "rejected": m}`` from the worker's ``brandpulse_posts_total``."""
    from prometheus_client.parser import text_string_to_metric_families

    _, body = _http_get(f"{web_url}/metrics")
    counts: dict[str, float] = {}
    for family in text_string_to_metric_families(body.decode()):
        if family.name == "brandpulse_posts":
            for sample in family.samples:
                if sample.name == "brandpulse_posts_total":
                    counts[sample.labels["outcome"]] = sample.value
    return counts


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _wait_ready(settings: Settings, proc: subprocess.Popen, log_path: Path, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _fail(f"the worker exited with code {proc.returncode} before it was ready; "
                  f"its log ({log_path}) ends:\n{_tail(log_path)}", 1)
        with contextlib.suppress(OSError):
            status, _ = _http_get(f"{settings.web_url}/readyz", timeout=1.0)
            if status == 200:
                return
        time.sleep(0.25)
    _fail(f"the worker was not ready within {timeout:.0f} s; see {log_path}", 1)


def _summary(settings: Settings, replayed: int) -> None:
    from agents.broker import read_topic
    from schemas.codec import DLQ_REASON, loads, read_dead_letter_headers

    async def read_both() -> tuple[list, list]:
        options = settings.kafka_client_options()
        return (await read_topic(settings.bootstrap_servers, settings.enriched_topic, options=options),
                await read_topic(settings.bootstrap_servers, settings.dlq_topic, options=options))

    enriched, dead = asyncio.run(read_both())
    labels: Counter[str] = Counter()
    tags: Counter[str] = Counter()
    compound_sum = 0.0
    for rec in enriched:
        e = loads(rec.value)
        labels[e["sentiment"]["label"]] += 1
        compound_sum += e["sentiment"]["compound"]
        tags.update(e["hashtags"])
    reasons = Counter(read_dead_letter_headers(rec.headers).get(DLQ_REASON, "?") for rec in dead)

    table = Table(title="brandpulse: what the worker wrote", show_header=False, title_justify="left")
    table.add_row("posts replayed", f"{replayed:,}")
    table.add_row(f"enriched ({settings.enriched_topic})", f"{len(enriched):,}")
    table.add_row(f"rejected ({settings.dlq_topic})",
                  f"{len(dead):,}" + (" — " + ", ".join(f"{r}: {n}" for r, n in reasons.most_common())
                                      if reasons else ""))
    if enriched:
        table.add_row("mean sentiment (VADER compound)", f"{compound_sum / len(enriched):+.3f}")
        table.add_row("positive / neutral / negative",
                      " / ".join(f"{labels[k]:,}" for k in ("positive", "neutral", "negative")))
        table.add_row("top hashtags", ", ".join(f"{t} ({n})" for t, n in tags.most_common(8)) or "none")
    out.print(table)


def _where_next(settings: Settings, embedded: bool, log_dir: Path) -> None:
    out.print("\n[bold]Where to look next[/]")
    out.print(f"  metrics     {settings.web_url}/metrics   (readiness: {settings.web_url}/readyz)")
    from agents.broker import topic_names

    out.print(f"  topics      {', '.join(topic_names(settings))}")
    out.print(f"  queries     {settings.web_url}/trending   {settings.web_url}/topics/%23TAG/trend   "
              f"{settings.web_url}/brands")
    out.print(f"  influencers {settings.web_url}/topics/%23TAG/influencers?resolution=hour|day   "
              f"{settings.web_url}/topics/%23TAG/influencer-map   (topic {settings.influencers_topic})")
    out.print(f"  windows     {settings.stats_topic}: one record per closed minute and hour of every topic; the "
              "last ones close about 3 minutes after the replay (event time then follows the wall clock)")
    out.print(f"  broker      {settings.broker_url}" + ("  (embedded, memory only)" if embedded else ""))
    out.print(f"  more posts  BRANDPULSE_BROKER_URL={settings.broker_url} brandpulse replay FILE.jsonl")
    out.print(f"  logs        {log_dir}/")


@cli.command()
@click.option("--sample/--no-sample", default=True, show_default=True,
              help="Replay the bundled sample of 966 real tweets once the worker is ready.")
@click.option("--replay", "replay_paths", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Also replay this file.")
@click.option("--rate", type=click.FloatRange(min=0, min_open=True), help="Replay at most this many posts/s.")
@click.option("--speedup", type=click.FloatRange(min=0, min_open=True), help="Replay event time this much faster.")
@click.option("--exit", "exit_after", is_flag=True,
              help="Stop everything after the summary instead of running until Ctrl-C.")
def up(sample: bool, replay_paths: tuple[Path, ...], rate: float | None, speedup: float | None,
       exit_after: bool) -> None:
    """Run brandpulse on this machine: broker (embedded unless configured), worker, sample replay."""
    from agents.broker import BrokerError, EmbeddedBroker, port_in_use, stop_process, wait_for_broker

    settings = _settings()
    log_dir = settings.data_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    if port_in_use(settings.web_host, settings.web_port):
        _fail(f"BRANDPULSE_WEB_PORT={settings.web_port}: something already listens on "
              f"{settings.web_host}:{settings.web_port}; stop it or choose another port")

    broker: EmbeddedBroker | None = None
    worker_proc: subprocess.Popen | None = None

    def on_stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # Ctrl-C, a kill and a closed terminal all stop the worker first, then the broker. Installed
    # explicitly: a process started in the background inherits SIGINT ignored.
    stop_signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    for signum in stop_signals:
        signal.signal(signum, on_stop)
    try:
        if settings.broker_url is None:
            broker = EmbeddedBroker(log_path=log_dir / "broker.log")
            with console.status("starting the embedded broker (Tansu, memory storage)"):
                url = broker.start()
            settings = settings.model_copy(update={"broker_url": url})
            console.print(f"[green]✓[/] embedded broker on {url}")
        else:
            with console.status(f"reaching {settings.broker_url}"):
                asyncio.run(wait_for_broker(settings.bootstrap_servers, timeout=30,
                                            options=settings.kafka_client_options()))
            console.print(f"[green]✓[/] broker {settings.broker_url}")

        from agents.broker import ensure_topics

        created = asyncio.run(ensure_topics(settings))
        console.print(f"[green]✓[/] topics ready ({len(created)} created)")

        worker_log = log_dir / "worker.log"
        env = {**os.environ, "BRANDPULSE_BROKER_URL": settings.broker_url, "PYTHONUNBUFFERED": "1"}
        with open(worker_log, "wb") as log_file:
            worker_proc = subprocess.Popen([sys.executable, "-m", "agents", "worker"], env=env,
                                           stdout=log_file, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL, start_new_session=True)
        with console.status("starting the worker and joining its consumer group"):
            _wait_ready(settings, worker_proc, worker_log)
        console.print(f"[green]✓[/] worker ready, serving {settings.web_url}")

        paths = ([sample_path()] if sample else []) + list(replay_paths)
        if paths:
            with _progress() as progress:
                stats = asyncio.run(_replay_with_progress(settings, paths, rate=rate, speedup=speedup,
                                                          limit=None, progress=progress))
                task = progress.add_task("processed", total=stats.messages, rate="")
                started = last_progress = time.monotonic()
                done = 0
                while done < stats.messages:
                    if worker_proc.poll() is not None:
                        _fail(f"the worker exited with code {worker_proc.returncode}; its log ends:\n"
                              f"{_tail(worker_log)}", 1)
                    if time.monotonic() - last_progress > STALL_SECONDS:
                        _fail(f"the worker processed {done:,} of {stats.messages:,} posts and then nothing for "
                              f"{STALL_SECONDS} s; see {worker_log}", 1)
                    time.sleep(0.25)
                    with contextlib.suppress(OSError):
                        now_done = int(sum(scrape_counts(settings.web_url).values()))
                        if now_done > done:
                            done, last_progress = now_done, time.monotonic()
                    progress.update(task, completed=min(done, stats.messages),
                                    rate=f"{done / max(time.monotonic() - started, 1e-6):,.0f} msg/s")
            _summary(settings, stats.messages)
        _where_next(settings, broker is not None, log_dir)
        if exit_after:
            return
        out.print("\nRunning. Press Ctrl-C to stop.")
        while worker_proc.poll() is None:
            time.sleep(0.5)
        _fail(f"the worker exited with code {worker_proc.returncode}; its log ends:\n{_tail(worker_log)}", 1)
    except KeyboardInterrupt:
        console.print("\nstopping…")
    except BrokerError as exc:
        _fail(str(exc), 1)
    finally:
        for signum in stop_signals:  # a second Ctrl-C must not cut the clean stop short
            signal.signal(signum, signal.SIG_IGN)
        if worker_proc is not None:
            code = stop_process(worker_proc, timeout=30, name="worker")
            console.print(f"[dim]worker stopped (exit code {code})[/]")
        if broker is not None:
            broker.stop()
            console.print("[dim]embedded broker stopped[/]")


# --------------------------------------------------------------------------------------------
# settings, schemas, Faust's listings


@cli.command("settings")
@click.option("--markdown", is_flag=True, help="Print docs/settings.md.")
def settings_cmd(markdown: bool) -> None:
    """List every BRANDPULSE_* setting with its type, default and meaning."""
    if markdown:
        click.echo(settings_markdown(), nl=False)
        return
    table = Table("variable", "type", "default", "meaning")
    for row in settings_table():
        table.add_row(*row)
    out.print(table)


@cli.command("metrics")
@click.option("--markdown", is_flag=True, help="Print docs/metrics.md.")
def metrics_cmd(markdown: bool) -> None:
    """List every metric the worker serves on /metrics: name, type, unit, labels and meaning."""
    from agents.metrics import catalogue, catalogue_markdown

    registry = catalogue_app().bp.metrics.registry
    if markdown:
        click.echo(catalogue_markdown(registry), nl=False)
        return
    table = Table("metric", "type", "unit", "labels", "meaning")
    for row in catalogue(registry):
        table.add_row(str(row["name"]), str(row["type"]), str(row["unit"]), ", ".join(row["labels"]),  # type: ignore[arg-type]
                      str(row["help"]))
    out.print(table)


def catalogue_app() -> BrandpulseApp:
    """An app built (not started) with every stage on, to read its metrics registry."""
    from agents.app import create_app

    return create_app(load_settings({
        "BRANDPULSE_BROKER_URL": "kafka://localhost:9092", "BRANDPULSE_WATCHLIST": '{"example": ["#example"]}',
        "BRANDPULSE_ALERTMANAGER_URL": "http://localhost:9093"}))


@cli.command("schemas")
@click.option("--write", is_flag=True, help="Regenerate schemas/jsonschema/*.schema.json.")
def schemas_cmd(write: bool) -> None:
    """Print (or write) the published JSON Schemas of brandpulse's records."""
    import json

    from schemas.contracts import CONTRACTS, json_schema, schema_path

    for stem in CONTRACTS:
        text = json.dumps(json_schema(stem), indent=2, ensure_ascii=False) + "\n"
        if write:
            schema_path(stem).write_text(text)
            click.echo(f"wrote {schema_path(stem)}")
        else:
            click.echo(text)


@cli.command("evaluate")
@click.option("--seeds", type=click.IntRange(min=1, max=100), default=3, show_default=True,
              help="Crisis scenarios: each base volume x peak x ramp, this many times (100 per seed).")
@click.option("--null-seeds", type=click.IntRange(min=1, max=1000), default=20, show_default=True,
              help="Null scenarios: five days of each base volume, this many times.")
@click.option("--nab-data", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Also score the volume channel on a NAB-layout corpus: its data directory ...")
@click.option("--nab-labels", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="... and its labels JSON (e.g. NAB's labels/combined_windows.json).")
@click.option("--check", is_flag=True, help="Exit 1 when a target is missed.")
def evaluate_cmd(seeds: int, null_seeds: int, nab_data: Path | None, nab_labels: Path | None, check: bool) -> None:
    """Score the crisis detector on the deterministic synthetic suite (detection rate, paging delay, false
    pages per key-day) with the thresholds the BRANDPULSE_CRISIS_* settings give, and optionally its
    volume channel on labelled NAB series with NAB's three profiles."""
    from agents.evaluate import (
        TARGET_DETECTION,
        TARGET_FALSE_PER_KEY_DAY,
        TARGET_MEDIAN_FAST,
        TARGET_MEDIAN_SLOW,
        CorpusError,
        read_corpus,
        score_corpus,
    )
    from streams.evaluation import evaluate
    from streams.synthetic import BASE_VOLUMES, PEAKS, RAMPS, crisis_scenarios, null_scenarios

    if (nab_data is None) != (nab_labels is None):
        _fail("give both --nab-data and --nab-labels, or neither")
    cfg = _settings().crisis_config()
    crises = list(crisis_scenarios(seeds))
    nulls = list(null_scenarios(null_seeds))
    with _progress() as progress:
        task = progress.add_task("scenarios", total=len(crises) + len(nulls), rate="")
        summary = evaluate(crises + nulls, cfg, progress=lambda _: progress.advance(task))
    null_days = sum(sc.days for sc in nulls)
    table = Table(title=f"synthetic suite: {summary.crises} crises ({len(BASE_VOLUMES)} base volumes x "
                  f"{len(PEAKS)} peaks x {len(RAMPS)} ramps x {seeds}), {null_days:.0f} null key-days",
                  title_justify="left")
    for col in ("base posts/min", "crises", "paged <= 12 h", "median delay", "p90 delay"):
        table.add_column(col, justify="right")

    def minutes(x: float | None) -> str:
        return "-" if x is None else f"{x:.0f} min"

    for b in summary.bands:
        table.add_row(f"{b.base_per_min:g}", str(b.crises), f"{b.detected / b.crises:.1%}",
                      minutes(b.median_delay_min), minutes(b.p90_delay_min))
    table.add_row("all", str(summary.crises), f"{summary.detection_rate:.1%}", minutes(summary.median_delay_min),
                  minutes(summary.p90_delay_min))
    out.print(table)
    by_base = {b.base_per_min: b for b in summary.bands}
    fast = [b.median_delay_min for base, b in by_base.items() if base >= 10 and b.median_delay_min is not None]
    slow = by_base.get(2.0)
    results = [
        ("crises paged within 12 h", f"{summary.detection_rate:.1%}", f">= {TARGET_DETECTION:.0%}",
         summary.detection_rate >= TARGET_DETECTION),
        ("median paging delay at >= 10 posts/min", f"{max(fast):.0f} min" if fast else "-",
         f"<= {TARGET_MEDIAN_FAST:.0f} min", bool(fast) and max(fast) <= TARGET_MEDIAN_FAST),
        ("median paging delay at 2 posts/min", minutes(slow.median_delay_min if slow else None),
         f"<= {TARGET_MEDIAN_SLOW:.0f} min",
         slow is not None and slow.median_delay_min is not None and slow.median_delay_min <= TARGET_MEDIAN_SLOW),
        (f"false pages per key-day ({summary.false_pages} in {summary.key_days:.0f} key-days, null and crisis keys)",
         f"{summary.false_pages_per_key_day:.4f}", f"<= {TARGET_FALSE_PER_KEY_DAY}",
         summary.false_pages_per_key_day <= TARGET_FALSE_PER_KEY_DAY),
    ]
    targets = Table(title="targets", title_justify="left")
    for col in ("figure", "measured", "target", ""):
        targets.add_column(col)
    for name, got, want, ok in results:
        targets.add_row(name, got, want, "[green]met[/]" if ok else "[red]missed[/]")
    out.print(targets)
    if summary.missed:
        out.print(f"missed crises: {', '.join(summary.missed[:10])}" + (" ..." if len(summary.missed) > 10 else ""))
    if nab_data is not None and nab_labels is not None:
        try:
            files = read_corpus(nab_data, nab_labels)
        except CorpusError as exc:
            _fail(str(exc))
        scores = score_corpus(files)
        nab = Table(title=f"NAB scores of the volume channel ({len(files)} files, "
                    f"{sum(len(f.windows) for f in files)} windows; 0 = null detector, 100 = perfect)",
                    title_justify="left")
        for col in ("profile", "score", "best threshold (|z|)"):
            nab.add_column(col, justify="right")
        for name, r in scores.items():
            nab.add_row(name, f"{r['score']:.1f}", f"{r['threshold']:.2f}")
        out.print(nab)
    if check and not all(ok for *_, ok in results):
        _fail("a target was missed", 1)


@cli.command("train-influence")
@click.option("--data", "data_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The Kaggle 'Influencers in Social Networks' train.csv (labelled pairs).")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the weights (JSON; BRANDPULSE_INFLUENCE_WEIGHTS_FILE reads it).")
@click.option("--folds", type=click.IntRange(min=2, max=20), default=5, show_default=True,
              help="Cross-validation folds.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the folds and the forest.")
def train_influence(data_path: Path, out_path: Path, folds: int, seed: int) -> None:
    """Learn the influence weights on labelled pairs; print held-out AUC next to the baselines; write them."""
    import json

    from agents.train import BASELINES, TrainingDataError, beats_baselines, cross_validate, read_pairs, train

    try:
        pairs = read_pairs(data_path)
    except TrainingDataError as exc:
        _fail(str(exc))
    console.print(f"[green]✓[/] {len(pairs):,} labelled pairs from {data_path}")
    with _progress() as progress:
        task = progress.add_task("folds", total=folds, rate="")
        evaluation = cross_validate(pairs, folds=folds, seed=seed, progress=lambda _: progress.advance(task))
    command = f"brandpulse train-influence --data {data_path.name} --out {out_path.name} --folds {folds} --seed {seed}"
    weights = train(pairs, evaluation, data_name=data_path.name, command=command)
    table = Table(title=f"held-out AUC, {folds}-fold cross-validation on {len(pairs):,} pairs", title_justify="left")
    table.add_column("score")
    table.add_column("AUC", justify="right")
    table.add_column("± sd", justify="right")
    table.add_column("")
    chosen = weights.evaluation["chosen"]
    for name in evaluation.scores:
        note = ("baseline" if name in BASELINES else "chosen: written to --out" if name == chosen
                else "reference: ranks pairs, cannot score one author" if "pairwise" in name else "")
        table.add_row(name, f"{evaluation.mean(name):.4f}", f"{evaluation.sd(name):.4f}", note)
    out.print(table)
    out.print("weights (z-scored log1p features): " + ", ".join(
        f"{f} {c:+.3f}" for f, c in zip(weights.to_json()["features"], weights.coef, strict=True)))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(weights.to_json(), indent=2) + "\n")
    out.print(f"wrote {out_path}")
    if not beats_baselines(evaluation, chosen):
        _fail("the learned score does not beat the single-feature baselines on held-out pairs", 1)


def _faust_command(name: str, args: list[str]) -> None:
    from faust.cli.faust import cli as faust_cli

    from agents.app import create_app

    settings = _settings()
    if settings.broker_url is None:  # listing agents and tables connects to nothing
        settings = settings.model_copy(update={"broker_url": "kafka://localhost:9092"})
    app = create_app(settings)
    app.finalize()
    faust_cli.main(args=[name, *args], app=app, prog_name=f"brandpulse {name}")


_PASS = {"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []}


@cli.command(context_settings=_PASS)
@click.pass_context
def agents(ctx: click.Context) -> None:
    """Faust: list the agents (flows in and out)."""
    _faust_command("agents", ctx.args)


@cli.command(context_settings=_PASS)
@click.pass_context
def tables(ctx: click.Context) -> None:
    """Faust: list the tables."""
    _faust_command("tables", ctx.args)


def main() -> None:
    cli(prog_name="brandpulse")


if __name__ == "__main__":
    main()
