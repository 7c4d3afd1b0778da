"""The topology's topics. Every value is raw bytes: our decoder reads input, our codec writes output.

```
posts           (raw JSON, any key)        ──ingest_posts──> posts.enriched (key: post id)
                                                        ├──> mentions       (key: topic, e.g. "#united",
                                                        │                    or "brand:<name>"; plus one
                                                        │                    watermark record a second
                                                        │                    per partition, key null,
                                                        │                    value empty)
                                                        ├──> mentions.late  (mentions of posts later than
                                                        │                    the allowed lateness)
                                                        └──> posts.dlq      (original key and bytes,
                                                                             reason in headers)
mentions        (key: topic)               ──track_trends──> hashtag-stats  (key: topic; one record per
                                                        │                    closed minute / hour window)
                                                        └──> mentions.late  (a late mention it still meets)
table trend-windows (key: topic; the open windows; changelog-backed; co-partitioned with mentions)
```
"""

from __future__ import annotations

from dataclasses import dataclass

import faust

from agents.settings import Settings


@dataclass(frozen=True)
class Topics:
    posts: faust.TopicT
    enriched: faust.TopicT
    dlq: faust.TopicT
    mentions: faust.TopicT
    stats: faust.TopicT
    late: faust.TopicT

    @classmethod
    def create(cls, app: faust.App, settings: Settings) -> Topics:
        def raw(name: str) -> faust.TopicT:
            return app.topic(
                name,
                key_type=bytes,
                value_type=bytes,
                key_serializer="raw",
                value_serializer="raw",
                partitions=settings.topic_partitions,
                replicas=settings.topic_replication_factor,
            )

        return cls(
            posts=raw(settings.posts_topic),
            enriched=raw(settings.enriched_topic),
            dlq=raw(settings.dlq_topic),
            mentions=raw(settings.mentions_topic),
            stats=raw(settings.stats_topic),
            late=raw(settings.late_topic),
        )
