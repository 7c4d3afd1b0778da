"""Prometheus metrics: prefix ``brandpulse_``, base units, bounded labels, values pre-initialised.

Each app gets its own :class:`~prometheus_client.CollectorRegistry` (a second app in one process,
as in tests, must not collide), which also carries Faust's own sensor (``agents.sensor``).
No label ever carries a hashtag, user or post id: every label and what bounds its values is in
:data:`LABEL_BUDGET`, and the catalogue (docs/metrics.md, ``brandpulse metrics --markdown``) is built
from this registry.
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

#: Seconds from a post's event time to its delivery: live traffic (well under a second) to a replay of
#: last week; anything older lands in +Inf.
END_TO_END_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 21600.0,
                      86400.0, 604800.0)
#: Seconds from a window's end to its publication: the allowed lateness (60 s by default) plus the close
#: sweep, up to an hour window published late after an outage.
WINDOW_DELAY_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 90.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 21600.0, 86400.0)

#: Every label a brandpulse metric may carry, and what bounds its values. A test holds every metric to
#: it, and the catalogue prints it.
LABEL_BUDGET: dict[str, str] = {
    "outcome": "a fixed set per metric (enriched / rejected; ok / error)",
    "reason": "the dead-letter reasons: " + ", ".join(DLQ_REASONS),
    "label": "positive, neutral, negative",
    "resolution": "minute, hour (windows); hour, day (influence rankings)",
    "role": "post, credit",
    "stage": "authors, rankings",
    "table": "the app's tables (trend-windows, trend-history, influence-authors, influence-rankings, "
             "crisis-detectors, alertmanager-alerts)",
    "brand": "the configured watchlist's brands (BRANDPULSE_WATCHLIST / _FILE), nothing else",
    "event": "open, escalate, update, resolve",
    "severity": "watch, warning, critical",
    "kind": "volume_spike, sentiment_drift",
    "state": "firing, pending",
    "version": "one value: the running build",
    "topic": "the app's Kafka topics (inputs, outputs, table changelogs); never a hashtag",
    "partition": "0 to BRANDPULSE_TOPIC_PARTITIONS - 1",
    "operation": "get, set, delete",
    "code": "HTTP status codes the worker answers with (200, 400, 404, 500, 503, ...)",
}


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
        self.end_to_end_seconds = Histogram(
            "brandpulse_post_end_to_end_seconds",
            "Wall-clock time from a post's event time (created_at) to its enriched record and mentions being "
            "delivered to Kafka. A replay of old posts lands in the top buckets.",
            buckets=END_TO_END_BUCKETS, registry=r,
        )
        self.event_time_lag = Gauge(
            "brandpulse_event_time_lag_seconds",
            "Wall clock minus this worker's event-time watermark on its posts partitions (how far behind real "
            "time the windows are; NaN before the first post).", registry=r,
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
        self.window_delay = Histogram(
            "brandpulse_window_publish_delay_seconds", "Wall-clock time from a window's end to its publication on "
            "hashtag-stats (the allowed lateness and the close sweep; far more in a replay).",
            ["resolution"], buckets=WINDOW_DELAY_BUCKETS, registry=r,
        )
        self.partitions_paused = Gauge(
            "brandpulse_posts_partitions_paused", "Posts partitions ingest has paused for running too far ahead "
            "of the slowest one in event time (BRANDPULSE_MAX_PARTITION_DRIFT_SECONDS).", registry=r,
        )
        self.partition_drift = Gauge(
            "brandpulse_posts_partition_drift_seconds", "Event time of the newest post of this worker's furthest-ahead "
            "posts partition minus its watermark (the slowest one): how far apart alignment lets them run (NaN "
            "before the watermark is known).", registry=r,
        )
        self.partition_pauses = Counter(
            "brandpulse_posts_partition_pauses", "Times ingest paused a posts partition for running too far ahead "
            "of the slowest one in event time (watermark alignment).", registry=r,
        )
        refetched = Counter(
            "brandpulse_records_refetched", "Input records Faust's stream skipped (a hole in the offsets it "
            "delivered), read again from Kafka and processed in order, per stage (agents.continuity).",
            ["stage"], registry=r,
        )
        self.refetched = {s: refetched.labels(stage=s)
                          for s in ("ingest", "trends", "influence-authors", "influence-rankings")}
        restore_replayed = Counter(
            "brandpulse_records_restore_replayed", "Input records read again after a partition was assigned, from "
            "the first offset of the last batch the stage's restored table holds up to the committed offset: "
            "what a changelog restored short of its end lost is folded in again, what it kept is skipped "
            "(agents.continuity). One batch per assignment with Kafka.",
            ["stage"], registry=r,
        )
        self.restore_replayed = {s: restore_replayed.labels(stage=s)
                                 for s in ("trends", "influence-authors", "influence-rankings")}
        self.late_posts = Counter(
            "brandpulse_posts_late", "Posts later than the allowed lateness: enriched, their mentions set "
            "aside on mentions.late instead of the windows.", registry=r,
        )
        self.late_mentions = Counter(
            "brandpulse_trend_late_mentions", "Mentions sent to mentions.late instead of the windows.", registry=r
        )
        self.trend_replayed = Counter(
            "brandpulse_trend_replayed_mentions",
            "Mentions skipped because their topic had already counted them: re-read after a restart, or sent again "
            "by an ingest that re-processed their post after a crash.",
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
        self.windows_shed = Counter(
            "brandpulse_trend_windows_closed_early",
            "Windows published before the watermark passed them, because their topic's open windows would "
            "otherwise have outgrown the broker's message limit (an input partition far behind the others in "
            "event time); posts still to come for them go to mentions.late.",
            registry=r,
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
        self.influence_evicted = Counter(
            "brandpulse_influence_keys_evicted", "Authors and topic rankings forgotten because the worker held "
            "its budget of them (BRANDPULSE_INFLUENCE_MAX_AUTHORS / _MAX_ENTRIES), least recently active first, "
            "by table.", ["table"], registry=r,
        )
        for role in ("post", "credit"):
            self.influence_activities.labels(role=role)
        for stage in ("authors", "rankings"):
            self.influence_late.labels(stage=stage)
        for table in ("influence-authors", "influence-rankings"):
            self.influence_expired.labels(table=table)
            self.influence_evicted.labels(table=table)
        for resolution in ("hour", "day"):
            self.influence_rankings.labels(resolution=resolution)
        # --- per watched brand (labels bounded by the watchlist) --------------------------------
        self.brand_posts = Gauge(
            "brandpulse_brand_posts", "Posts about the brand in its last closed minute (NaN on workers that do "
            "not own the brand's partition: aggregate with max by (brand)).", ["brand"], registry=r
        )
        self.brand_negative_ratio = Gauge(
            "brandpulse_brand_negative_ratio", "Share of negative posts in the brand's last closed minute "
            "(0 when it had none; NaN on workers that do not own the brand).", ["brand"], registry=r,
        )
        self.brand_sentiment_mean = Gauge(
            "brandpulse_brand_sentiment_mean", "Mean brand-aware VADER compound in the brand's last closed "
            "minute (0 when it had no posts; NaN on workers that do not own the brand).", ["brand"], registry=r,
        )
        self.brand_windows = Counter(
            "brandpulse_brand_posts_windowed", "Posts about the brand counted in closed minute windows, by "
            "sentiment label (negative share over any range: negative / all).", ["brand", "label"], registry=r,
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
            self.window_delay.labels(resolution=resolution)
        self.event_time_lag.set(float("nan"))
        self.partition_drift.set(float("nan"))
        for brand in brands:
            self.brand_released(brand)
            for label in LABELS:
                self.brand_windows.labels(brand=brand, label=label)
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

    def brand_released(self, brand: str) -> None:
        """This worker does not own the brand (not yet, or no more): its last-minute gauges say NaN, so
        ``max by (brand)`` over workers reads the owner's."""
        for metric in (self.brand_posts, self.brand_negative_ratio, self.brand_sentiment_mean):
            metric.labels(brand=brand).set(float("nan"))

    def brand_window(self, stats: WindowStats) -> None:
        """A watched brand's minute window closed: its gauges show that window."""
        brand = stats.topic.removeprefix(BRAND_PREFIX)
        self.brand_posts.labels(brand=brand).set(stats.posts)
        self.brand_negative_ratio.labels(brand=brand).set(stats.negative / stats.posts if stats.posts else 0.0)
        self.brand_sentiment_mean.labels(brand=brand).set(stats.compound_mean or 0.0)
        for label in LABELS:
            self.brand_windows.labels(brand=brand, label=label).inc(getattr(stats, label))


# --- the catalogue (docs/metrics.md) ----------------------------------------------------------------

#: The catalogue's sections: a metric goes in the first whose prefix it starts with.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("brandpulse_posts", "Ingest"),
    ("brandpulse_post_", "Ingest"),
    ("brandpulse_ingest", "Ingest"),
    ("brandpulse_mentions", "Ingest"),
    ("brandpulse_event_time", "Ingest"),
    ("brandpulse_trend", "Trend windows"),
    ("brandpulse_window", "Trend windows"),
    ("brandpulse_brand", "Watched brands"),
    ("brandpulse_influence", "Influence"),
    ("brandpulse_alert", "Crisis alerts"),
    ("brandpulse_notices", "Crisis alerts"),
    ("brandpulse_incidents", "Crisis alerts"),
    ("brandpulse_crisis", "Crisis alerts"),
    ("brandpulse_kafka", "Kafka and the consumer group (Faust's sensor)"),
    ("brandpulse_rebalanc", "Kafka and the consumer group (Faust's sensor)"),
    ("brandpulse_table", "Tables"),
    ("brandpulse_http", "Worker"),
    ("brandpulse_worker", "Worker"),
    ("brandpulse_build", "Worker"),
)


def unit_of(name: str) -> str:
    """The unit a metric's name says it has (Prometheus naming: base units in the name)."""
    for suffix, unit in (("_seconds", "seconds"), ("_bytes", "bytes"), ("_ratio", "ratio (0-1)"),
                         ("_offset", "Kafka offset"), ("_lag", "records")):
        if name.endswith(suffix):
            return unit
    if name.endswith(("_compound", "_sentiment_mean")):
        return "VADER compound (-1 to +1)"
    return "count" if not name.endswith(("_info", "_severity", "_ready", "_rebalancing")) else "-"


def catalogue(registry: CollectorRegistry) -> list[dict[str, object]]:
    """Every metric of ``registry``: its exposed name, type, unit, labels and help, in registration order."""
    rows: list[dict[str, object]] = []
    for collector in list(registry._collector_to_names):  # no public way to list a registry's collectors
        families = collector.describe() if hasattr(collector, "describe") else collector.collect()
        for fam in families:
            metric = getattr(collector, "_name", None) == fam.name and collector
            labels = tuple(metric._labelnames) if metric else tuple(getattr(fam, "_labelnames", ()))
            name = fam.name + ("_total" if fam.type == "counter" else "")
            rows.append({"name": name, "type": fam.type, "unit": unit_of(fam.name), "labels": labels,
                         "help": fam.documentation})
    return rows


def catalogue_markdown(registry: CollectorRegistry) -> str:
    rows = catalogue(registry)
    out = [
        "# Metrics",
        "",
        "Every metric a brandpulse worker serves on `GET /metrics` (Prometheus text format). Generated from the",
        "worker's own registry by `brandpulse metrics --markdown`; a test keeps it current, another holds every",
        "label to the budget below, and the integration tests run `promtool check metrics` on a live scrape.",
        "",
        "Conventions: prefix `brandpulse_`, base units in the name (`_seconds`), counters end in `_total`,",
        "histograms expose `_bucket`, `_sum` and `_count`. Every label value that can be known at start-up is",
        "exported from the first scrape (zero until it happens), so `rate()` and `absent()` behave. Per-worker",
        "figures (lag, table sizes, open incidents) cover the partitions the worker owns: `sum()` them over",
        "workers. Prometheus adds `instance` (the worker) and `job`.",
        "",
        "Consumer lag is the highwater the worker's last fetch saw minus its committed offset: a consumer that",
        "stops fetching altogether shows a stale highwater. For an independent view, run a broker-side lag",
        "exporter (kafka-exporter, Burrow) on the group `BRANDPULSE_APP_ID` as well.",
        "",
    ]
    sections: dict[str, list[dict[str, object]]] = {}
    for row in rows:
        name = str(row["name"])
        section = next((title for prefix, title in SECTIONS if name.startswith(prefix)), "Other")
        sections.setdefault(section, []).append(row)
    for section, members in sections.items():
        out += [f"## {section}", "", "| metric | type | unit | labels | meaning |", "|---|---|---|---|---|"]
        for row in members:
            labels = ", ".join(f"`{label}`" for label in row["labels"]) or "-"  # type: ignore[union-attr]
            meaning = str(row["help"]).replace("|", "/")
            out.append(f"| `{row['name']}` | {row['type']} | {row['unit']} | {labels} | {meaning} |")
        out.append("")
    out += ["## Label budget", "",
            "No label ever carries a hashtag, a user or a post id. These are all the labels there are, and what",
            "bounds each one's values:", "", "| label | values |", "|---|---|"]
    used = sorted({label for row in rows for label in row["labels"]})  # type: ignore[union-attr]
    for label in used:
        out.append(f"| `{label}` | {LABEL_BUDGET.get(label, '(not in the budget)')} |")
    out.append("")
    return "\n".join(out)
