"""Prometheus metrics: prefix ``brandpulse_``, base units, bounded labels, values pre-initialised.

Each app gets its own :class:`~prometheus_client.CollectorRegistry` (a second app in one process,
as in tests, must not collide), which also carries Faust's own sensor (``brandpulse_faust_*``).
No label ever carries a hashtag, user or post id.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from schemas.records import RejectReason

DLQ_REASONS: tuple[str, ...] = tuple(r.value for r in RejectReason)
OUTCOMES = ("enriched", "rejected")
LABELS = ("positive", "neutral", "negative")


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None, *, version: str = "0") -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        self.posts = Counter(
            "brandpulse_posts", "Input messages processed, by outcome.", ["outcome"], registry=r
        )
        self.rejected = Counter(
            "brandpulse_posts_rejected",
            "Input messages sent to the dead-letter topic, by reason.",
            ["reason"],
            registry=r,
        )
        self.sentiment_labels = Counter(
            "brandpulse_posts_sentiment", "Enriched posts by VADER sentiment label.", ["label"], registry=r
        )
        self.mentions = Counter(
            "brandpulse_mentions", "Mention events emitted (one per post and topic).", registry=r
        )
        self.compound = Histogram(
            "brandpulse_post_sentiment_compound",
            "VADER compound score of enriched posts (-1 most negative, +1 most positive).",
            buckets=(-0.75, -0.5, -0.25, -0.05, 0.05, 0.25, 0.5, 0.75, 1.0),
            registry=r,
        )
        self.processing_seconds = Histogram(
            "brandpulse_post_processing_seconds",
            "Time to decode, enrich and hand one post to the producer.",
            buckets=(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1),
            registry=r,
        )
        self.batch_posts = Histogram(
            "brandpulse_ingest_batch_posts",
            "Posts per batch taken from the input stream.",
            buckets=(1, 10, 50, 100, 250, 500, 1000, 5000),
            registry=r,
        )
        self.build_info = Gauge(
            "brandpulse_build_info", "Always 1; the version label says which build runs.", ["version"], registry=r
        )
        self.build_info.labels(version=version).set(1)
        for outcome in OUTCOMES:
            self.posts.labels(outcome=outcome)
        for reason in DLQ_REASONS:
            self.rejected.labels(reason=reason)
        for label in LABELS:
            self.sentiment_labels.labels(label=label)
        # Bound children, so the hot path does no label lookups.
        self.enriched_total = self.posts.labels(outcome="enriched")
        self.rejected_total = self.posts.labels(outcome="rejected")
        self.by_label = {label: self.sentiment_labels.labels(label=label) for label in LABELS}
        self.by_reason = {reason: self.rejected.labels(reason=reason) for reason in DLQ_REASONS}
