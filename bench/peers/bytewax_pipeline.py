"""The Bytewax peer of bench/compare.py: decode, VADER, forward, count per (hashtag, 60 s window).

    .bench/venvs/bytewax/bin/python bench/peers/bytewax_pipeline.py --bootstrap HOST:PORT --posts-topic posts \
        --enriched-topic enriched --windows-topic windows --group GROUP

One worker. The Kafka input stops at the end of the posts topic (``tail=False``); at that end of input
Bytewax closes every window that is still open, publishes it, and the process exits. Its Kafka sink does
not create its topic (BENCH.md): both output topics must exist.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

import bytewax.operators as op
import orjson
from bytewax.connectors.kafka import KafkaSinkMessage
from bytewax.connectors.kafka import operators as kop
from bytewax.dataflow import Dataflow
from bytewax.operators.windowing import EventClock, TumblingWindower, count_window
from bytewax.run import cli_main
from shared import BYTEWAX_LATE_SECONDS, WINDOW_SECONDS, event_time, hashtags, parse_args, report_peak_rss
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # windows aligned to the epoch: window id * 60 s = its start
polarity_scores = SentimentIntensityAnalyzer().polarity_scores


def enrich(raw: bytes) -> dict:
    post = orjson.loads(raw)
    post["sentiment"] = polarity_scores(post["text"])
    return post


def hashtag_events(post: dict) -> list[tuple[str, datetime]]:
    at = event_time(post["created_at"])
    return [(tag, at) for tag in hashtags(post["text"])]


def window_record(item: tuple[str, tuple[int, int]]) -> KafkaSinkMessage:
    tag, (window_id, count) = item
    start = window_id * WINDOW_SECONDS * 1000
    return KafkaSinkMessage(tag.encode(), orjson.dumps({"start": start, "end": start + WINDOW_SECONDS * 1000,
                                                        "value": count}))


def report_error(step_id: str, error) -> None:
    print(f"{step_id}: {error.err}", file=sys.stderr)


def build(args) -> Dataflow:
    brokers = [args.bootstrap]
    flow = Dataflow("brandpulse_peer")
    # KafkaSourceMessage (raw bytes) -> oks, and consumer errors to stderr (never a silent drop)
    source = kop.input("posts", flow, brokers=brokers, topics=[args.posts_topic], tail=False,
                       add_config={"group.id": args.group})
    op.inspect("consumer_errors", source.errs, report_error)
    # -> post + {"sentiment": {neg, neu, pos, compound}} -> the enriched topic (stamped at send)
    posts = op.map("enrich", source.oks, lambda message: enrich(message.value))
    out = op.map("serialize", posts, lambda post: KafkaSinkMessage(None, orjson.dumps(post)))
    kop.output("enriched", out, brokers=brokers, topic=args.enriched_topic)
    # -> (hashtag, event time) per hashtag -> a count per (hashtag, tumbling 60 s window) -> the windows topic
    tags = op.flat_map("hashtags", posts, hashtag_events)
    clock = EventClock(lambda event: event[1], wait_for_system_duration=timedelta(seconds=BYTEWAX_LATE_SECONDS))
    windower = TumblingWindower(length=timedelta(seconds=WINDOW_SECONDS), align_to=EPOCH)
    counts = count_window("count", tags, clock, windower, key=lambda event: event[0])
    kop.output("windows", op.map("window_record", counts.down, window_record), brokers=brokers,
               topic=args.windows_topic)
    return flow


if __name__ == "__main__":
    cli_main(build(parse_args(__doc__.splitlines()[0])), workers_per_process=1)
    report_peak_rss()
