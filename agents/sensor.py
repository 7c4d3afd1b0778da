"""Faust's own sensor, exported the Prometheus way: consumer offsets and lag, commits, sends, rebalances,
table operations and sizes, HTTP requests.

Faust ships a Prometheus sensor (``faust.sensors.prometheus``), but it observes every latency in
milliseconds (``*_ms``, ``*_latency`` histograms in ms), names gauges ``*_total_*``, keeps a rebalance
"counter" that goes down again, and prefixes label values (``topic.posts``); ``promtool check metrics``
flags it. This is the same :class:`faust.Sensor` hook set (Faust calls it exactly where it calls its own),
with names that say their unit, seconds everywhere, counters ending in ``_total``, label values set up
front, and the per-partition figures (offsets, lag, assignment, table sizes) read when Prometheus
scrapes instead of written on every message.

Labels are bounded by the topology: ``topic`` is a Kafka topic of this app (its input, output and
changelog topics), ``partition`` is below ``BRANDPULSE_TOPIC_PARTITIONS``, ``table`` is one of the app's
tables; never a hashtag, a user or a post.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from faust.sensors import Monitor
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from agents.web import readiness

if TYPE_CHECKING:
    from agents.app import BrandpulseApp

#: Seconds: a Kafka produce or commit round trip (1 ms) up to a stuck broker (30 s).
KAFKA_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: Seconds: a rebalance, from the group join (Tansu waits session_timeout / 2) to tables recovered.
REBALANCE_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0)
HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
HTTP_CODES = ("200", "400", "404", "500", "503")
TABLE_OPERATIONS = ("get", "set", "delete")


class Sensor(Monitor):
    """Faust's sensor hooks → brandpulse's registry. Faust's :class:`Monitor` keeps its own bookkeeping
    (``app.monitor.asdict()``); this adds the Prometheus view, under ``prom_*`` attributes (the Monitor's own
    ``rebalances``, ``send_errors``… are plain numbers it updates itself)."""

    def __init__(self, registry: CollectorRegistry, *, received: Iterable[str] = (),
                 sent: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        r = registry
        self.prom_received = Counter(
            "brandpulse_kafka_messages_received", "Kafka records this worker's consumer fetched, by topic.",
            ["topic"], registry=r)
        self.prom_sent = Counter(
            "brandpulse_kafka_messages_sent", "Records handed to the Kafka producer, by topic (changelog topics "
            "included).", ["topic"], registry=r)
        self.prom_send_errors = Counter(
            "brandpulse_kafka_send_errors", "Records the Kafka producer failed to deliver.", registry=r)
        self.prom_send_seconds = Histogram(
            "brandpulse_kafka_send_seconds", "Time from handing a record to the producer to its acknowledgement.",
            buckets=KAFKA_BUCKETS, registry=r)
        self.prom_commit_seconds = Histogram(
            "brandpulse_kafka_commit_seconds", "Time one consumer offset commit took (its count is the number of "
            "commits).", buckets=KAFKA_BUCKETS, registry=r)
        self.prom_rebalances = Counter(
            "brandpulse_rebalances", "Partition assignments this worker received from its consumer group: one per "
            "rebalance, the first join included.", registry=r)
        self.prom_rebalance_seconds = Histogram(
            "brandpulse_rebalance_seconds", "Time from a rebalance's start (partitions revoked) to its end, table "
            "recovery included. Faust does not time the first join.", buckets=REBALANCE_BUCKETS, registry=r)
        self.prom_table_ops = Counter(
            "brandpulse_table_operations", "Reads, writes and deletes of table keys, by table.",
            ["table", "operation"], registry=r)
        self.prom_http_requests = Counter(
            "brandpulse_http_requests", "HTTP requests answered by the worker (queries, health, metrics), by "
            "status code.", ["code"], registry=r)
        self.prom_http_seconds = Histogram(
            "brandpulse_http_request_seconds", "Time the worker took to answer an HTTP request.",
            buckets=HTTP_BUCKETS, registry=r)
        for code in HTTP_CODES:
            self.prom_http_requests.labels(code=code)
        self.prom_send_errors.inc(0)
        # Bound children, so the per-message hooks do no label lookups.
        self._received = {t: self.prom_received.labels(topic=t) for t in received}
        self._sent = {t: self.prom_sent.labels(topic=t) for t in sent}
        self._tables: dict[tuple[str, str], Any] = {}

    def declare_tables(self, names: Iterable[str]) -> None:
        for name in names:
            for op in TABLE_OPERATIONS:
                self._table(name, op)

    def _table(self, name: str, op: str) -> Any:
        child = self._tables.get((name, op))
        if child is None:
            child = self._tables[name, op] = self.prom_table_ops.labels(table=name, operation=op)
        return child

    # -- messages ---------------------------------------------------------------------------------

    def on_message_in(self, tp: Any, offset: int, message: Any) -> None:
        super().on_message_in(tp, offset, message)
        child = self._received.get(tp.topic)
        if child is None:
            child = self._received[tp.topic] = self.prom_received.labels(topic=tp.topic)
        child.inc()

    def on_send_initiated(self, producer: Any, topic: str, message: Any, keysize: int, valsize: int) -> Any:
        child = self._sent.get(topic)
        if child is None:
            child = self._sent[topic] = self.prom_sent.labels(topic=topic)
        child.inc()
        return super().on_send_initiated(producer, topic, message, keysize, valsize)

    def on_send_completed(self, producer: Any, state: Any, metadata: Any) -> None:
        super().on_send_completed(producer, state, metadata)
        self.prom_send_seconds.observe(self.time() - typing.cast(float, state))

    def on_send_error(self, producer: Any, exc: BaseException, state: Any) -> None:
        super().on_send_error(producer, exc, state)
        self.prom_send_errors.inc()

    def on_commit_completed(self, consumer: Any, state: Any) -> None:
        super().on_commit_completed(consumer, state)
        self.prom_commit_seconds.observe(self.time() - typing.cast(float, state))

    # -- tables -----------------------------------------------------------------------------------

    def on_table_get(self, table: Any, key: Any) -> None:
        super().on_table_get(table, key)
        self._table(table.name, "get").inc()

    def on_table_set(self, table: Any, key: Any, value: Any) -> None:
        super().on_table_set(table, key, value)
        self._table(table.name, "set").inc()

    def on_table_del(self, table: Any, key: Any) -> None:
        super().on_table_del(table, key)
        self._table(table.name, "delete").inc()

    # -- group ------------------------------------------------------------------------------------

    def on_assigned(self) -> None:
        """The group gave this worker its partitions (called from the app's ``on_partitions_assigned``)."""
        self.prom_rebalances.inc()

    def on_rebalance_end(self, app: Any, state: dict) -> None:
        super().on_rebalance_end(app, state)
        self.prom_rebalance_seconds.observe(state["latency_end"])

    # -- web --------------------------------------------------------------------------------------

    def on_web_request_end(self, app: Any, request: Any, response: Any, state: dict, *, view: Any = None) -> None:
        super().on_web_request_end(app, request, response, state, view=view)
        self.prom_http_requests.labels(code=str(int(state["status_code"]))).inc()
        self.prom_http_seconds.observe(state["latency_end"])


class Partitions(Collector):
    """Per-partition consumer figures and table sizes, read from the running app when Prometheus scrapes."""

    def __init__(self, app: BrandpulseApp) -> None:
        self.app = app

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter(self._families())

    def _families(self) -> list[GaugeMetricFamily]:
        return [
            GaugeMetricFamily("brandpulse_kafka_assigned_partitions", "Partitions assigned to this worker's "
                              "consumer, by topic (changelog topics included while their tables recover or "
                              "stand by).", labels=["topic"]),
            GaugeMetricFamily("brandpulse_kafka_highwater_offset", "The partition's log end offset as the last "
                              "fetch saw it (the offset the next record will get).", labels=["topic", "partition"]),
            GaugeMetricFamily("brandpulse_kafka_committed_offset", "The offset this worker last committed for the "
                              "partition (the next record to process).", labels=["topic", "partition"]),
            GaugeMetricFamily("brandpulse_kafka_consumer_lag", "Records in the partition not yet processed and "
                              "committed: highwater offset minus committed offset.", labels=["topic", "partition"]),
            GaugeMetricFamily("brandpulse_table_keys", "Keys held in each table on this worker (active and standby "
                              "partitions).", labels=["table"]),
            GaugeMetricFamily("brandpulse_worker_ready", "1 when the worker is started, assigned and not "
                              "rebalancing (what /readyz answers 200 to), else 0."),
            GaugeMetricFamily("brandpulse_rebalancing", "1 while a consumer-group rebalance is under way on this "
                              "worker, else 0."),
        ]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        assigned, highwater, committed, lag, tables, ready, rebalancing = self._families()
        app = self.app
        monitor = app.monitor
        try:
            assignment = app.consumer.assignment() if app.bp.assigned else set()
        except Exception:  # the consumer is not started yet
            assignment = set()
        per_topic: dict[str, int] = {}
        for tp in sorted(assignment):
            per_topic[tp.topic] = per_topic.get(tp.topic, 0) + 1
            labels = [tp.topic, str(tp.partition)]
            end = _highwater(app, tp)
            done = monitor.tp_committed_offsets.get(tp)
            if end is not None:
                highwater.add_metric(labels, end)
            if done is not None:
                committed.add_metric(labels, done)
            if end is not None and done is not None:
                lag.add_metric(labels, max(0, end - done))
        for topic in self.app.bp.topics.consumed():
            per_topic.setdefault(topic, 0)
        for topic, n in sorted(per_topic.items()):
            assigned.add_metric([topic], n)
        for name, table in sorted(app.tables.items()):
            tables.add_metric([name], len(table.data))
        ready.add_metric([], 1.0 if readiness(app)["ready"] else 0.0)
        rebalancing.add_metric([], 1.0 if app.rebalancing else 0.0)
        return iter((assigned, highwater, committed, lag, tables, ready, rebalancing))


def _highwater(app: BrandpulseApp, tp: Any) -> int | None:
    try:
        end = app.consumer.highwater(tp)
    except Exception:
        return None
    return end if isinstance(end, int) and end >= 0 else None


def install(app: BrandpulseApp) -> Sensor:
    """Make :class:`Sensor` the app's monitor, add the scrape-time collector, serve ``/metrics``."""
    from aiohttp.web import Response
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    registry = app.bp.metrics.registry
    topics = app.bp.topics
    sensor = Sensor(registry, received=topics.consumed(), sent=topics.produced())
    app.monitor = sensor
    registry.register(Partitions(app))

    @app.page("/metrics")
    async def metrics(self: Any, request: Any) -> Any:
        """Prometheus metrics (text exposition format)."""
        return Response(body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    return sensor
