"""Build brandpulse's Grafana dashboards with Grafana's own SDK (grafana-foundation-sdk).

    .venv/bin/python deploy/grafana/build.py          # rewrite deploy/grafana/dashboards/*.json
    .venv/bin/python deploy/grafana/build.py --check  # exit 1 if the JSON is not what this file builds

tests/unit/test_dashboards.py checks that the JSON is current and well formed, and
tests/integration/test_observability.py runs every query of every panel and variable against a real
Prometheus scraping a real worker. Every metric used is in docs/metrics.md.

Three dashboards: a brand overview, a crisis view and pipeline health. Queries use the variables
``$job`` (the scrape job, `brandpulse` by default), ``$instance`` (the workers) and ``$brand`` (the
watchlist). Per-worker series are aggregated over workers: a brand's gauges are NaN on the workers that
do not own it, so ``max by (brand)`` reads the owner's value.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from grafana_foundation_sdk.builders import common, dashboard, prometheus, stat, statetimeline, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.common import (
    BigValueColorMode,
    BigValueGraphMode,
    GraphDrawStyle,
    LegendDisplayMode,
    LegendPlacement,
    StackingMode,
    VisibilityMode,
)
from grafana_foundation_sdk.models.dashboard import (
    DashboardLinkType,
    DataSourceRef,
    Threshold,
    ThresholdsMode,
    ValueMap,
    ValueMappingResult,
    VariableOption,
    VariableRefresh,
    VariableSort,
)

OUT = Path(__file__).parent / "dashboards"
DS = DataSourceRef(type_val="prometheus", uid="${datasource}")
SEL = 'job=~"$job", instance=~"$instance"'
BRAND = 'job=~"$job", brand=~"$brand"'
RATE = "$__rate_interval"

SEVERITY_NAMES = {0: ("none", "green"), 1: ("watch", "blue"), 2: ("warning", "orange"), 3: ("critical", "red")}


def q(expr: str, legend: str = "", ref: str = "A", *, instant: bool = False) -> prometheus.Dataquery:
    target = prometheus.Dataquery().expr(expr).ref_id(ref).legend_format(legend or "__auto").datasource(DS)
    return target.instant() if instant else target.range()


def refs(*queries: tuple[str, str]) -> list[prometheus.Dataquery]:
    return [q(expr, legend, chr(ord("A") + i)) for i, (expr, legend) in enumerate(queries)]


def severity_mappings() -> list[ValueMap]:
    return [ValueMap(options={str(v): ValueMappingResult(text=name, color=color, index=v)
                              for v, (name, color) in SEVERITY_NAMES.items()})]


def severity_thresholds() -> dashboard.ThresholdsConfig:
    return dashboard.ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps(
        [Threshold(value=None, color="green"), Threshold(value=1, color="blue"),
         Threshold(value=2, color="orange"), Threshold(value=3, color="red")])


def series(title: str, description: str, targets: list[prometheus.Dataquery], unit: str, *, w: int = 12,
           h: int = 8, stacked: bool = False, bars: bool = False, minimum: float | None = 0) -> timeseries.Panel:
    p = (timeseries.Panel().title(title).description(description).datasource(DS).targets(targets).unit(unit)
         .span(w).height(h).fill_opacity(20 if stacked else 8).line_width(1)
         .legend(dashboard_legend()))
    if minimum is not None:
        p = p.min(minimum)
    if stacked:
        p = p.stacking(common.StackingConfig().mode(StackingMode.NORMAL))
    if bars:
        p = p.draw_style(GraphDrawStyle.BARS)
    return p


def dashboard_legend() -> common.VizLegendOptions:
    return (common.VizLegendOptions().display_mode(LegendDisplayMode.TABLE).placement(LegendPlacement.BOTTOM)
            .show_legend(True).calcs(["lastNotNull", "max"]))


def single(title: str, description: str, expr: str, unit: str = "none", *, w: int = 4, h: int = 4,
           thresholds: dashboard.ThresholdsConfig | None = None, mappings: list | None = None,
           legend: str = "") -> stat.Panel:
    p = (stat.Panel().title(title).description(description).datasource(DS).with_target(q(expr, legend, instant=True))
         .unit(unit).span(w).height(h).reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]))
         .color_mode(BigValueColorMode.VALUE).graph_mode(BigValueGraphMode.NONE))
    if thresholds is not None:
        p = p.thresholds(thresholds)
    if mappings is not None:
        p = p.mappings(mappings)
    return p


def multi(name: str, label: str, query: str) -> dashboard.QueryVariable:
    """A multi-value variable, "All" by default (sent as the regex ``.*``)."""
    return (dashboard.QueryVariable(name).label(label).datasource(DS).query(query)
            .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED).multi(True).include_all(True).all_value(".*")
            .sort(VariableSort.ALPHABETICAL_ASC).current(VariableOption(selected=True, text="All", value="$__all")))


def variables(*, brand: bool, instance: bool) -> list:
    out = [
        dashboard.DatasourceVariable("datasource").label("Data source").type("prometheus"),
        dashboard.QueryVariable("job").label("Job").datasource(DS).query("label_values(brandpulse_build_info, job)")
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED).sort(VariableSort.ALPHABETICAL_ASC)
        .current(VariableOption(selected=True, text="brandpulse", value="brandpulse")),
    ]
    if instance:
        out.append(multi("instance", "Worker", 'label_values(brandpulse_build_info{job=~"$job"}, instance)'))
    if brand:
        out.append(multi("brand", "Brand", 'label_values(brandpulse_brand_posts_windowed_total{job=~"$job"}, brand)'))
    return out


def base(uid: str, title: str, description: str, *, brand: bool, instance: bool) -> dashboard.Dashboard:
    d = (dashboard.Dashboard(title).uid(uid).description(description).tags(["brandpulse"]).editable()
         .time("now-6h", "now").refresh("30s").timezone("browser").variables(variables(brand=brand, instance=instance)))
    for other_uid, other_title in DASHBOARDS.items():
        if other_uid != uid:
            d = d.link(dashboard.DashboardLink(other_title).type(DashboardLinkType.LINK).url(f"/d/{other_uid}")
                       .include_vars(True).keep_time(True))
    return d


DASHBOARDS = {
    "brandpulse-brands": "brandpulse / Brand overview",
    "brandpulse-crisis": "brandpulse / Crisis",
    "brandpulse-pipeline": "brandpulse / Pipeline health",
}


def brands() -> dashboard.Dashboard:
    posts = f"brandpulse_brand_posts_windowed_total{{{BRAND}}}"
    return (
        base("brandpulse-brands", DASHBOARDS["brandpulse-brands"],
             "Volume, sentiment and negative share of each watched brand (BRANDPULSE_WATCHLIST), from closed "
             "minute windows, and the brands' open incidents.", brand=True, instance=False)
        .with_row(dashboard.Row("Now"))
        .with_panel(single("Open incidents (warning or critical)", "Incidents that page, over every topic and "
                           "brand the workers watch.",
                           'sum(brandpulse_incidents_open{job=~"$job", severity=~"warning|critical"})',
                           thresholds=dashboard.ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps(
                               [Threshold(value=None, color="green"), Threshold(value=1, color="red")])))
        .with_panel(single("Incident severity by brand", "The brand's open incident: none, watch (not paged), "
                           "warning or critical.", f"max by (brand) (brandpulse_brand_incident_severity{{{BRAND}}})",
                           w=8, thresholds=severity_thresholds(), mappings=severity_mappings(), legend="{{brand}}"))
        .with_panel(single("Posts in the last minute", "Posts about each brand in its latest closed minute.",
                           f"max by (brand) (brandpulse_brand_posts{{{BRAND}}})", w=6, legend="{{brand}}"))
        .with_panel(single("Negative share, last minute", "Share of negative posts in each brand's latest "
                           "closed minute.", f"max by (brand) (brandpulse_brand_negative_ratio{{{BRAND}}})",
                           "percentunit", w=6, legend="{{brand}}"))
        .with_row(dashboard.Row("Over time"))
        .with_panel(series("Posts per minute", "Posts about each brand, counted as their minute windows close.",
                           [q(f"sum by (brand) (rate({posts}[{RATE}])) * 60", "{{brand}}")], "short"))
        .with_panel(series("Negative share", "Negative posts over all posts about the brand.",
                           [q(f'sum by (brand) (rate(brandpulse_brand_posts_windowed_total{{{BRAND}, label="negative"}}'
                              f"[{RATE}])) / sum by (brand) (rate({posts}[{RATE}]))", "{{brand}}")],
                           "percentunit"))
        .with_panel(series("Mean sentiment (last closed minute)",
                           "Mean brand-aware VADER compound of the brand's posts, -1 to +1.",
                           [q(f"max by (brand) (brandpulse_brand_sentiment_mean{{{BRAND}}})", "{{brand}}")], "none",
                           minimum=-1))
        .with_panel(series("Sentiment split", "Posts per minute about the selected brands, by VADER label.",
                           [q(f"sum by (label) (rate({posts}[{RATE}])) * 60", "{{label}}")], "short", stacked=True))
    )


def crisis() -> dashboard.Dashboard:
    return (
        base("brandpulse-crisis", DASHBOARDS["brandpulse-crisis"],
             "brandpulse's crisis detector: each brand's incident timeline and severity, the incident events on the "
             "alerts topic, notices, and the Alertmanager forwarder. The evidence of each incident (posts, authors, "
             "terms) is on the alerts topic and in the Alertmanager alert.", brand=True, instance=False)
        .with_row(dashboard.Row("Incidents"))
        .with_panel(statetimeline.Panel().title("Incident timeline by brand").description(
            "Severity of each brand's open incident over time: none, watch, warning, critical.").datasource(DS)
            .with_target(q(f"max by (brand) (brandpulse_brand_incident_severity{{{BRAND}}})", "{{brand}}"))
            .mappings(severity_mappings()).thresholds(severity_thresholds()).show_value(VisibilityMode.NEVER)
            .merge_values(True).span(24).height(8))
        .with_panel(series("Open incidents by severity", "Over every topic and brand (unwatched hashtags too, "
                           "with BRANDPULSE_CRISIS_SCOPE=all).",
                           [q('sum by (severity) (brandpulse_incidents_open{job=~"$job"})', "{{severity}}")], "short",
                           stacked=True))
        .with_panel(series("Incident events", "open, escalate, update and resolve events published on the alerts "
                           "topic.", [q('sum by (event, severity) (increase(brandpulse_alert_events_total{job=~"$job"}'
                                        f"[{RATE}]))", "{{event}} {{severity}}")], "short", bars=True))
        .with_row(dashboard.Row("Signals and delivery"))
        .with_panel(series("Notices", "Volume spikes and sentiment drifts: on the alerts topic, never paged.",
                           [q(f'sum by (kind) (increase(brandpulse_notices_total{{job=~"$job"}}[{RATE}]))',
                              "{{kind}}")],
                           "short", w=8, bars=True))
        .with_panel(series("Alertmanager requests", "The forwarder's requests to Alertmanager's API, by outcome "
                           "(errors are retried with backoff).",
                           [q(f'sum by (outcome) (rate(brandpulse_alertmanager_posts_total{{job=~"$job"}}[{RATE}]))',
                              "{{outcome}}")], "reqps", w=8))
        .with_panel(series("Alerts held for Alertmanager", "Firing alerts the forwarder renews, and those still to "
                           "send.", [q('sum by (state) (brandpulse_alertmanager_alerts{job=~"$job"})', "{{state}}")],
                           "short", w=8))
        .with_panel(series("Keys watched by the detector", "Topics and brands with a crisis detector.",
                           [q('sum(brandpulse_crisis_detectors{job=~"$job"})', "detectors")], "short", w=24, h=6))
    )


def pipeline() -> dashboard.Dashboard:
    def quantiles(metric: str, by: str = "") -> list[prometheus.Dataquery]:
        group = f"le{', ' + by if by else ''}"
        legend = "{{" + by + "}} " if by else ""
        return refs(*[(f"histogram_quantile({p}, sum by ({group}) (rate({metric}_bucket{{{SEL}}}[{RATE}])))",
                       f"{legend}p{int(p * 100)}") for p in (0.5, 0.95, 0.99)])

    return (
        base("brandpulse-pipeline", DASHBOARDS["brandpulse-pipeline"],
             "The stream processor itself: workers, throughput, dead letters, latency, consumer lag, rebalances, "
             "Kafka and tables.", brand=False, instance=True)
        .with_row(dashboard.Row("Workers"))
        .with_panel(single("Workers up", "Workers Prometheus scrapes.", 'sum(up{job=~"$job", instance=~"$instance"})',
                           thresholds=dashboard.ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps(
                               [Threshold(value=None, color="red"), Threshold(value=1, color="green")])))
        .with_panel(single("Workers ready", "Workers started, assigned and not rebalancing (/readyz).",
                           f"sum(brandpulse_worker_ready{{{SEL}}})"))
        .with_panel(single("Posts/s", "Input messages processed per second.",
                           f"sum(rate(brandpulse_posts_total{{{SEL}}}[{RATE}]))", "short"))
        .with_panel(single("Dead-letter share", "Rejected input messages over all.",
                           f'sum(rate(brandpulse_posts_rejected_total{{{SEL}}}[{RATE}])) / '
                           f"sum(rate(brandpulse_posts_total{{{SEL}}}[{RATE}]))", "percentunit",
                           thresholds=dashboard.ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps(
                               [Threshold(value=None, color="green"), Threshold(value=0.05, color="red")])))
        .with_panel(single("Consumer lag", "Records not yet processed, over every topic.",
                           f"sum(brandpulse_kafka_consumer_lag{{{SEL}}})", "short"))
        .with_panel(single("Build", "Versions running.", 'count by (version) (brandpulse_build_info{job=~"$job", '
                           'instance=~"$instance"})', legend="{{version}}"))
        .with_panel(series("Worker up", "1 while Prometheus scrapes the worker.",
                           [q('up{job=~"$job", instance=~"$instance"}', "{{instance}}")], "none", w=8, h=6))
        .with_panel(series("Rebalances", "Assignments received (one per rebalance), and whether one is under way.",
                           refs((f"sum by (instance) (increase(brandpulse_rebalances_total{{{SEL}}}[{RATE}]))",
                                 "{{instance}} rebalances"),
                                (f"max by (instance) (brandpulse_rebalancing{{{SEL}}})", "{{instance}} rebalancing")),
                           "short", w=8, h=6))
        .with_panel(series("Rebalance duration", "From partitions revoked to tables recovered.",
                           quantiles("brandpulse_rebalance_seconds")[1:2], "s", w=8, h=6))
        .with_row(dashboard.Row("Throughput and dead letters"))
        .with_panel(series("Posts by outcome", "Input messages per second, enriched or rejected.",
                           [q(f"sum by (outcome) (rate(brandpulse_posts_total{{{SEL}}}[{RATE}]))", "{{outcome}}")],
                           "short", stacked=True))
        .with_panel(series("Dead letters by reason", "Messages per second sent to posts.dlq, by reason.",
                           [q(f"sum by (reason) (rate(brandpulse_posts_rejected_total{{{SEL}}}[{RATE}]))",
                              "{{reason}}")], "short", stacked=True))
        .with_panel(series("Records fetched by topic", "Records per second the consumers fetched.",
                           [q(f"sum by (topic) (rate(brandpulse_kafka_messages_received_total{{{SEL}}}[{RATE}]))",
                              "{{topic}}")], "short"))
        .with_panel(series("Records produced by topic", "Records per second handed to the producer, changelogs "
                           "included.", [q(f"sum by (topic) (rate(brandpulse_kafka_messages_sent_total{{{SEL}}}"
                                           f"[{RATE}]))", "{{topic}}")], "short"))
        .with_row(dashboard.Row("Latency"))
        .with_panel(series("Processing time per post", "Decode, enrich and hand-off of one post.",
                           quantiles("brandpulse_post_processing_seconds"), "s", w=8))
        .with_panel(series("End to end (event time to delivered)", "From the post's created_at to its outputs "
                           "acknowledged by Kafka. Replays of old posts sit in the top bucket.",
                           quantiles("brandpulse_post_end_to_end_seconds"), "s", w=8))
        .with_panel(series("Event-time lag", "Wall clock minus each worker's watermark: how far behind real time "
                           "the windows are.", [q(f"max by (instance) (brandpulse_event_time_lag_seconds{{{SEL}}})",
                                                  "{{instance}}")], "s", w=8))
        .with_panel(series("Window publish delay (p95)", "From a window's end to its publication on "
                           "hashtag-stats.", [q(f"histogram_quantile(0.95, sum by (le, resolution) (rate("
                                                f"brandpulse_window_publish_delay_seconds_bucket{{{SEL}}}[{RATE}])))",
                                                "{{resolution}}")], "s", w=8))
        .with_panel(series("Kafka produce latency", "Record handed to the producer to acknowledged.",
                           quantiles("brandpulse_kafka_send_seconds"), "s", w=8))
        .with_panel(series("Offset commit latency", "One consumer offset commit.",
                           quantiles("brandpulse_kafka_commit_seconds"), "s", w=8))
        .with_row(dashboard.Row("Consumer lag and state"))
        .with_panel(series("Consumer lag by topic", "Records in the workers' partitions not yet processed and "
                           "committed.", [q(f"sum by (topic) (brandpulse_kafka_consumer_lag{{{SEL}}})", "{{topic}}")],
                           "short"))
        .with_panel(series("Table keys", "Keys held per table, active and standby.",
                           [q(f"sum by (table) (brandpulse_table_keys{{{SEL}}})", "{{table}}")], "short"))
        .with_panel(series("Kafka send errors", "Failed deliveries per second (workers stop rather than lose "
                           "output).", [q(f"sum(rate(brandpulse_kafka_send_errors_total{{{SEL}}}[{RATE}]))", "errors")],
                           "short", w=8, h=6))
        .with_panel(series("Late posts", "Posts later than the allowed lateness: enriched, kept out of the windows.",
                           [q(f"sum(rate(brandpulse_posts_late_total{{{SEL}}}[{RATE}]))", "late")], "short", w=8, h=6))
        .with_panel(series("HTTP requests by code", "Queries, probes and scrapes the workers answered.",
                           [q(f"sum by (code) (rate(brandpulse_http_requests_total{{{SEL}}}[{RATE}]))", "{{code}}")],
                           "reqps", w=8, h=6))
    )


def build() -> dict[str, str]:
    """file name -> JSON text of every dashboard."""
    out = {}
    for make in (brands, crisis, pipeline):
        model = json.loads(json.dumps(make().build(), cls=JSONEncoder))
        # The SDK leaves panel ids to the caller and gives variables a null uuid Grafana does not use.
        for i, panel in enumerate(model["panels"], start=1):
            panel["id"] = i
        for variable in model["templating"]["list"]:
            variable.pop("id", None)
        out[f"{model['uid']}.json"] = json.dumps(model, indent=2, sort_keys=True) + "\n"
    return out


def main(argv: list[str]) -> int:
    built = build()
    if "--check" in argv:
        stale = [name for name, text in built.items()
                 if not (OUT / name).exists() or (OUT / name).read_text() != text]
        if stale:
            print(f"stale: {', '.join(stale)}; run: python deploy/grafana/build.py", file=sys.stderr)
            return 1
        return 0
    OUT.mkdir(exist_ok=True)
    for name, text in built.items():
        (OUT / name).write_text(text)
        print(f"wrote {OUT / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
