"""Faust at its leanest, the floor under any Faust pipeline (bench/compare.py's ``faust`` and ``faust-floor``).

    .venv/bin/python bench/peers/faust_pipeline.py --bootstrap HOST:PORT --posts-topic posts \
        --enriched-topic enriched --windows-topic windows --group GROUP [--floor]

What brandpulse's worker cannot go below while Faust consumes its posts: one Faust app (faust-streaming, the
project's own venv), one agent reading the posts in ``take_events`` batches of up to 10,000 records or 1 s (as
brandpulse's stateful stages do), each batch's sends awaited before it is acknowledged (as
``agents.delivery`` does), no table, no changelog, no sensor, no web server.

* default (``faust``): the work of ../shared/BENCH.md: decode each post (orjson), score its text with
  vaderSentiment's ``polarity_scores`` (as the other peers do), forward post + scores to the enriched topic
  (one Faust send per post: brandpulse's ``posts.enriched`` contract is one record per post), and count each
  hashtag per 60 s event-time window in a plain dict, publishing every (hashtag, window) the batch touched
  once per batch with its count so far (as Quix's ``current()`` does; a window's last record holds its count).
* ``--floor`` (``faust-floor``): no work at all: forward each post's bytes to the enriched topic. This is
  Faust's own cost of one event in and one record out, the floor that every feature of brandpulse adds to.
* ``--floor --fixed`` (``faust-floor-fixed``): the same with ``agents.faust_fixes`` imported, as in brandpulse's
  worker: Faust's ``Topic.send`` without the event-loop yield it makes on every call (``fix_send_yield``; the
  module's other fixes change nothing here: no table, and a plain ``faust.App`` keeps Faust's fetch wait).
* ``--floor --raw-send`` (``faust-floor-raw``): the same, sent with the producer's ``send`` (aiokafka's, under
  Faust's ``Topic.send`` and its channel machinery): what is left is the cost of consuming through Faust.

Tansu settings as brandpulse's tests use: a 6 s session, at-least-once (Tansu has no idempotent producer).
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

import faust
import orjson
from shared import hashtags, parse_args, report_peak_rss, window_start_ms

BATCH_RECORDS = 10_000
BATCH_SECONDS = 1.0


def build(args, floor: bool, raw_send: bool) -> faust.App:
    app = faust.App(
        args.group, env={}, broker=f"kafka://{args.bootstrap}", store="memory://",
        key_serializer="raw", value_serializer="raw", processing_guarantee="at_least_once",
        broker_session_timeout=6.0, broker_heartbeat_interval=1.0, consumer_auto_offset_reset="earliest",
        stream_publish_on_commit=False, web_enabled=False, autodiscover=False,
        datadir=os.path.join(args.state_dir or ".", "{conf.name}-data"), topic_partitions=4,
    )
    posts = app.topic(args.posts_topic, key_type=bytes, value_type=bytes)
    enriched = app.topic(args.enriched_topic, key_type=bytes, value_type=bytes)
    windows = app.topic(args.windows_topic, key_type=bytes, value_type=bytes)
    if not floor:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
        polarity_scores = SentimentIntensityAnalyzer().polarity_scores
    counts: dict[tuple[str, int], int] = {}

    @app.agent(posts)
    async def pipeline(stream: faust.StreamT) -> None:
        async for events in stream.take_events(BATCH_RECORDS, within=BATCH_SECONDS):
            futures = []
            if floor and raw_send:
                for event in events:
                    futures.append(await app.producer.send(args.enriched_topic, event.message.key,
                                                           event.message.value, None, None, None))
            elif floor:
                for event in events:
                    futures.append(await enriched.send(key=event.message.key, value=event.message.value))
            else:
                touched: set[tuple[str, int]] = set()
                for event in events:
                    post = orjson.loads(event.message.value)
                    post["sentiment"] = polarity_scores(post["text"])
                    futures.append(await enriched.send(key=None, value=orjson.dumps(post)))
                    start = window_start_ms(post["created_at"])
                    for tag in hashtags(post["text"]):
                        key = (tag, start)
                        counts[key] = counts.get(key, 0) + 1
                        touched.add(key)
                for tag, start in touched:
                    futures.append(await windows.send(key=tag.encode(), value=orjson.dumps(
                        {"start": start, "end": start + 60_000, "value": counts[(tag, start)]})))
            await asyncio.gather(*futures)  # delivered before Faust acknowledges the batch

    return app


def main() -> None:
    import sys

    from faust.worker import Worker

    floor, raw_send = "--floor" in sys.argv, "--raw-send" in sys.argv
    if "--fixed" in sys.argv:
        sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
        import agents.faust_fixes  # noqa: F401 (applies its fixes as it is imported, as in brandpulse's worker)
    sys.argv = [a for a in sys.argv if a not in ("--floor", "--raw-send", "--fixed")]
    args = parse_args(__doc__.splitlines()[0])

    class QuietWorker(Worker):
        def on_setup_root_logger(self, logger: logging.Logger, level: int) -> None:
            super().on_setup_root_logger(logger, level)
            # Faust's worker sets its loggers to DEBUG whatever the level given: its per-send debug record
            # then costs ~10 % of a send (as agents/cli.py says; STYLE.md)
            for name in ("faust", "aiokafka", "mode"):
                logging.getLogger(name).setLevel(max(level, logging.INFO))

    try:
        QuietWorker(build(args, floor, raw_send), loglevel="warning", quiet=True).execute_from_commandline()
    finally:
        report_peak_rss()


if __name__ == "__main__":
    main()
