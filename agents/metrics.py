"""Prometheus metrics: prefix ``brandpulse_``, base units, bounded labels, values pre-initialised.

Each app gets its own :class:`~prometheus_client.CollectorRegistry` (a second app in one process,
as in tests, must not collide), which also carries Faust's own sensor (``brandpulse_faust_*``).
No label ever carries a hashtag, user or post id.
"""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from schemas.records import RejectReason, WindowStats
from streams.enrich import BRAND_PREFIX

DLQ_REASONS: tuple[str, ...] = tuple(r.value for r in RejectReason)
OUTCOMES = ("enriched", "rejected")
LABELS = ("positive", "neutral", "negative")
RESOLUTIONS = ("minute", "hour")
SEVERITIES = ("watch", "warning", "critical")


class Metrics:
    def __init__(
        self, registry: CollectorRegistry | None = None, *, version: str = "0", brands: Sequence[str] = ()
    ) -> None:
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
        # --- trends ---------------------------------------------------------------------------
        self.windows_emitted = Counter(
            "brandpulse_trend_windows_emitted", "Closed windows published on hashtag-stats, by size.",
            ["resolution"], registry=r,
        )
        self.late_posts = Counter(
            "brandpulse_posts_late", "Posts later than the allowed lateness: enriched, their mentions set "
            "aside on mentions.late instead of the windows.", registry=r,
        )
        self.late_mentions = Counter(
            "brandpulse_trend_late_mentions", "Mentions sent to mentions.late instead of the windows.", registry=r
        )
        self.trend_replayed = Counter(
            "brandpulse_trend_replayed_mentions",
            "Mentions re-read after a restart and skipped because their topic had already counted them.",
            registry=r,
        )
        self.trend_keys = Gauge(
            "brandpulse_trend_keys", "Topics and brands with window state on this worker.", registry=r
        )
        self.trend_histories = Gauge(
            "brandpulse_trend_histories", "Topics and brands with a queryable history on this worker.", registry=r
        )
        self.trend_keys_expired = Counter(
            "brandpulse_trend_keys_expired", "Topics forgotten after the idle horizon.", registry=r
        )
        # --- influence --------------------------------------------------------------------------
        self.influence_activities = Counter(
            "brandpulse_influence_activities", "Activity records folded into author state, by role (post: the "
            "author posted; credit: a post of theirs was retweeted, quoted or replied to).", ["role"], registry=r,
        )
        self.influence_late = Counter(
            "brandpulse_influence_late", "Activity and candidate records older than the windows kept, by stage.",
            ["stage"], registry=r,
        )
        self.influence_future = Counter(
            "brandpulse_influence_future_activities", "Activity dated over an hour past the wall clock, left out of "
            "influence state (a wrong clock or a bad post).", registry=r,
        )
        self.influence_replayed = Counter(
            "brandpulse_influence_replayed_activities",
            "Activity records re-read after a restart and skipped because their author had already counted them.",
            registry=r,
        )
        self.influence_candidates = Counter(
            "brandpulse_influence_candidates", "Author standings sent to the ranking stage.", registry=r
        )
        self.influence_rankings = Counter(
            "brandpulse_influence_rankings_published", "Ranking updates published on the influencers topic, by "
            "window size.", ["resolution"], registry=r,
        )
        self.influence_authors = Gauge(
            "brandpulse_influence_authors", "Authors with influence state on this worker.", registry=r
        )
        self.influence_topics = Gauge(
            "brandpulse_influence_topics", "Topics and brands with an influencer ranking on this worker.", registry=r
        )
        self.influence_expired = Counter(
            "brandpulse_influence_keys_expired", "Authors and rankings forgotten after a day and an hour of event "
            "time without activity, by table.", ["table"], registry=r,
        )
        for role in ("post", "credit"):
            self.influence_activities.labels(role=role)
        for stage in ("authors", "rankings"):
            self.influence_late.labels(stage=stage)
        for table in ("influence-authors", "influence-rankings"):
            self.influence_expired.labels(table=table)
        for resolution in ("hour", "day"):
            self.influence_rankings.labels(resolution=resolution)
        # --- per watched brand (labels bounded by the watchlist) --------------------------------
        self.brand_posts = Gauge(
            "brandpulse_brand_posts", "Posts about the brand in its last closed minute.", ["brand"], registry=r
        )
        self.brand_negative_ratio = Gauge(
            "brandpulse_brand_negative_ratio", "Share of negative posts in the brand's last closed minute "
            "(0 when it had none).", ["brand"], registry=r,
        )
        self.brand_sentiment_mean = Gauge(
            "brandpulse_brand_sentiment_mean", "Mean brand-aware VADER compound in the brand's last closed "
            "minute (0 when it had no posts).", ["brand"], registry=r,
        )
        self.brand_windows = Counter(
            "brandpulse_brand_posts_windowed", "Posts about the brand counted in closed minute windows.",
            ["brand"], registry=r,
        )
        # --- crisis alerts -------------------------------------------------------------------
        self.alert_events = Counter(
            "brandpulse_alert_events", "Incident events published on the alerts topic.", ["event", "severity"],
            registry=r,
        )
        self.notices = Counter(
            "brandpulse_notices", "Notices (never paged) published on the alerts topic.", ["kind"], registry=r
        )
        self.incidents_open = Gauge(
            "brandpulse_incidents_open", "Open incidents on this worker's partitions, by severity.", ["severity"],
            registry=r,
        )
        self.crisis_detectors = Gauge(
            "brandpulse_crisis_detectors", "Keys with a crisis detector on this worker.", registry=r
        )
        self.brand_incident_severity = Gauge(
            "brandpulse_brand_incident_severity", "Severity of the brand's open incident: 0 none, 1 watch, "
            "2 warning, 3 critical.", ["brand"], registry=r,
        )
        self.alertmanager_posts = Counter(
            "brandpulse_alertmanager_posts", "Requests to Alertmanager's API, by outcome.", ["outcome"], registry=r
        )
        self.alertmanager_alerts = Gauge(
            "brandpulse_alertmanager_alerts", "Alerts the forwarder holds for Alertmanager, by state.", ["state"],
            registry=r,
        )
        for event in ("open", "escalate", "update", "resolve"):
            for severity in SEVERITIES:
                self.alert_events.labels(event=event, severity=severity)
        for kind in ("volume_spike", "sentiment_drift"):
            self.notices.labels(kind=kind)
        for severity in SEVERITIES:
            self.incidents_open.labels(severity=severity)
        for outcome in ("ok", "error"):
            self.alertmanager_posts.labels(outcome=outcome)
        for state in ("firing", "pending"):
            self.alertmanager_alerts.labels(state=state)
        for brand in brands:
            self.brand_incident_severity.labels(brand=brand)
        for resolution in RESOLUTIONS:
            self.windows_emitted.labels(resolution=resolution)
        for brand in brands:
            for metric in (self.brand_posts, self.brand_negative_ratio, self.brand_sentiment_mean,
                           self.brand_windows):
                metric.labels(brand=brand)
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

    def brand_window(self, stats: WindowStats) -> None:
        """A watched brand's minute window closed: its gauges show that window."""
        brand = stats.topic.removeprefix(BRAND_PREFIX)
        self.brand_posts.labels(brand=brand).set(stats.posts)
        self.brand_negative_ratio.labels(brand=brand).set(stats.negative / stats.posts if stats.posts else 0.0)
        self.brand_sentiment_mean.labels(brand=brand).set(stats.compound_mean or 0.0)
        self.brand_windows.labels(brand=brand).inc(stats.posts)
