"""The Quix Streams peer of bench/compare.py: decode, VADER, forward, count per (hashtag, 60 s window).

    .bench/venvs/quix/bin/python bench/peers/quix_pipeline.py --bootstrap HOST:PORT --posts-topic posts \
        --enriched-topic enriched --windows-topic windows --group GROUP [--state-dir DIR]

Runs until SIGTERM (Quix Streams has no end of input); bench/compare.py stops it once its outputs are
complete. The posts topic must exist with ``retention.ms=-1`` and ``retention.bytes=-1`` (BENCH.md: on Tansu,
``group_by`` fails with ``KeyError: 'retention.ms'`` otherwise, because Tansu's DescribeConfigs returns only
the configs set at creation, and Quix copies them to its repartition topic).
"""

from __future__ import annotations

import time
from datetime import timedelta

from quixstreams import Application
from shared import QUIX_GRACE_SECONDS, WINDOW_SECONDS, event_time, hashtags, parse_args, report_peak_rss
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

polarity_scores = SentimentIntensityAnalyzer().polarity_scores


def enrich(post: dict) -> dict:
    post["sentiment"] = polarity_scores(post["text"])
    return post


def wall_clock_ms(value, key, timestamp: int, headers) -> int:
    # Quix produces a record with its row's timestamp; the other systems' producers stamp the moment they
    # send, and bench/compare.py times every system on its enriched records' timestamps, so do the same.
    return time.time_ns() // 1_000_000


def hashtag_events(post: dict) -> list[tuple[str, int]]:
    ms = int(event_time(post["created_at"]).timestamp() * 1000)
    return [(tag, ms) for tag in hashtags(post["text"])]


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    app = Application(
        broker_address=args.bootstrap,
        consumer_group=args.group,
        auto_offset_reset="earliest",
        state_dir=args.state_dir,
        loglevel="WARNING",
        # Tansu makes a group join wait half the session timeout (45 s by default in librdkafka).
        consumer_extra_config={"session.timeout.ms": 6000, "heartbeat.interval.ms": 1000},
    )
    posts = app.topic(args.posts_topic, value_deserializer="json")  # Quix's JSON is orjson
    enriched = app.topic(args.enriched_topic, value_serializer="json")
    windows = app.topic(args.windows_topic, key_serializer="str", value_serializer="json")

    # post (dict) -> post + {"sentiment": {neg, neu, pos, compound}}, stamped now, to the enriched topic
    sdf = app.dataframe(posts)
    sdf = sdf.apply(enrich)
    sdf = sdf.set_timestamp(wall_clock_ms)
    sdf = sdf.to_topic(enriched)
    # -> one (hashtag, event ms) per hashtag, timestamped by event time, re-keyed by hashtag (a repartition
    # topic) -> a count per (hashtag, tumbling 60 s window) -> the windows topic.
    tags = sdf.apply(hashtag_events, expand=True)
    tags = tags.set_timestamp(lambda value, key, timestamp, headers: value[1])
    tags = tags.group_by(lambda value: value[0], name="hashtag")
    counts = tags.tumbling_window(timedelta(seconds=WINDOW_SECONDS), grace_ms=timedelta(seconds=QUIX_GRACE_SECONDS))
    # current(): every update, so that the last windows are published too. final() would publish a window
    # only once a later hashtag event has closed it, and a replay that ends leaves the last grace period's
    # windows open for good (Quix has no end of input).
    counts.count().current().to_topic(windows)
    app.run()  # until SIGTERM, then a graceful stop
    report_peak_rss()


if __name__ == "__main__":
    main()
