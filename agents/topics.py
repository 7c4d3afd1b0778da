"""The topology's topics. Every value is raw bytes: our decoder reads input, our codec writes output.

```
posts           (raw JSON, any key)        ──ingest_posts──> posts.enriched (key: post id)
                                                        ├──> mentions       (key null: one record per
                                                        │                    batch and partition, the
                                                        │                    mentions of topics such as
                                                        │                    "#united" or "brand:<name>"
                                                        │                    in that partition; plus one
                                                        │                    watermark record a second
                                                        │                    per partition, value empty)
                                                        ├──> mentions.late  (mentions of posts later than
                                                        │                    the allowed lateness)
                                                        └──> posts.dlq      (original key and bytes,
                                                                             reason in headers)
mentions        (by topic, batched)        ──track_trends──> hashtag-stats  (key: topic; one record per
                                                        │                    closed minute / hour window)
                                                        └──> mentions.late  (a late mention it still meets)
table trend-windows (key: topic; the open windows; changelog-backed; co-partitioned with mentions)

posts ──ingest_posts──> influence.activity (by author id, batched: one record per batch and partition; one
                                            activity per post for its author, and one crediting the author
                                            of what it retweets, quotes or replies to)
influence.activity   ──score_authors──────> influence.candidates (by topic, batched likewise; the authors'
                                                                  standings on the topic in the hour and
                                                                  the day)
influence.candidates ──rank_influencers───> influencers (key: topic; the top 5 per sentiment and the map
                                                         of one window, whenever a top 5 changes)
table influence-authors  (key: author id; profile and hour / day activity per topic; co-partitioned with
                          influence.activity)
table influence-rankings (key: topic; bounded candidates per window and sentiment; co-partitioned with
                          influence.candidates)

(track_trends, as it closes minute windows) ──> alerts (key: the incident's dedup key; CloudEvents 1.0:
                                                       incident open / escalate / update / resolve, notices)
alerts ──forward_alerts──> Alertmanager API v2 (optional, BRANDPULSE_ALERTMANAGER_URL)
table crisis-detectors (key: topic; one detector per topic and brand; co-partitioned with mentions)
table alertmanager-alerts (key: dedup key; the alerts Alertmanager must hold; co-partitioned with alerts)
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
    activity: faust.TopicT
    candidates: faust.TopicT
    influencers: faust.TopicT
    alerts: faust.TopicT

    def consumed(self) -> tuple[str, ...]:
        """The topics brandpulse's agents read (alerts only with the Alertmanager forwarder on)."""
        return tuple(t.get_topic_name() for t in (self.posts, self.mentions, self.activity, self.candidates))

    def produced(self) -> tuple[str, ...]:
        """The topics brandpulse's agents write (table changelogs aside)."""
        return tuple(t.get_topic_name() for t in (self.enriched, self.dlq, self.mentions, self.stats, self.late,
                                                     self.activity, self.candidates, self.influencers, self.alerts))

    @classmethod
    def create(cls, app: faust.App, settings: Settings) -> Topics:
        def raw(name: str, maxsize: int | None = None) -> faust.TopicT:
            topic = app.topic(
                name,
                key_type=bytes,
                value_type=bytes,
                key_serializer="raw",
                value_serializer="raw",
                partitions=settings.topic_partitions,
                replicas=settings.topic_replication_factor,
            )
            # faust-streaming 0.15.3's App.topic() takes a maxsize and drops it; the channel reads the attribute
            # when its queue is made and passes it on to the agent's clone. None: Faust's stream_buffer_maxsize.
            topic.maxsize = maxsize
            return topic

        return cls(
            # Its own buffer size: what it holds, a pause of alignment cannot stop (agents.ingest.align).
            posts=raw(settings.posts_topic, maxsize=settings.posts_buffer_records),
            enriched=raw(settings.enriched_topic),
            dlq=raw(settings.dlq_topic),
            mentions=raw(settings.mentions_topic),
            stats=raw(settings.stats_topic),
            late=raw(settings.late_topic),
            activity=raw(settings.activity_topic),
            candidates=raw(settings.candidates_topic),
            influencers=raw(settings.influencers_topic),
            alerts=raw(settings.alerts_topic),
        )
