"""The Faust app factory: ``create_app(settings)`` builds the whole topology.

Read with ``agents/settings.py``, ``agents/topics.py`` and ``agents/metrics.py`` it shows the
whole runtime. The app is built with ``env={}``: Faust would otherwise let its own variables
(``BROKER_URL``, ``WEB_PORT``…) silently override what we pass, and our settings must be the only
way in.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from time import monotonic

import faust

from agents import alerting, faust_fixes, influence, ingest, sensor, trends, web
from agents.metrics import Metrics
from agents.settings import Settings, SettingsError
from agents.topics import Topics
from streams.watermarks import SourceProgress

log = logging.getLogger(__name__)

faust_fixes.fix_producer_buffer()  # applied on import already; named here so that the reason is one click away


def brandpulse_version() -> str:
    try:
        return version("brandpulse")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


@dataclass
class Runtime:
    """brandpulse's part of the app (one attribute, ``app.bp``, so no Faust name is shadowed)."""

    settings: Settings
    topics: Topics
    metrics: Metrics
    #: Event-time progress of the posts partitions this worker reads (stamped on mentions).
    progress: SourceProgress
    #: This process's id on the mention records it produces.
    producer_id: str = field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}")
    ingest_agent: faust.types.AgentT | None = None
    trends: trends.Trends | None = None
    influence: influence.Influence | None = None
    #: The Alertmanager forwarder (None unless BRANDPULSE_ALERTMANAGER_URL is set).
    alerting: alerting.Forwarder | None = None
    #: Faust's sensor hooks, exported as Prometheus metrics (``agents.sensor``).
    sensor: sensor.Sensor | None = None
    #: Set once the consumer group has given this worker its first assignment.
    assigned: bool = False
    #: monotonic() of the last metadata round trip to Kafka that succeeded (``agents.web.watch_kafka``).
    kafka_seen: float = 0.0


class BrandpulseApp(faust.App):
    """A Faust app that also carries brandpulse's settings, topics and metrics as ``app.bp``."""

    bp: Runtime
    #: the consumer's fetch wait (``BRANDPULSE_CONSUMER_FETCH_MAX_WAIT_MS``; Faust's own is fixed at 1,500 ms)
    consumer_fetch_max_wait_ms: int | None = None

    @property
    def timers_paused(self) -> bool:
        """Whether brandpulse's timers must skip their turn: while the group rebalances (partitions move) and
        once the worker is stopping (Faust keeps timers running past the producer's stop)."""
        return bool(self.rebalancing or self.should_stop)


def create_app(settings: Settings) -> BrandpulseApp:
    if settings.broker_url is None:
        raise SettingsError("BRANDPULSE_BROKER_URL is not set: point it at Kafka, or run `brandpulse up`")
    app = BrandpulseApp(
        settings.app_id,
        env={},
        broker=settings.broker_url,
        broker_credentials=settings.faust_credentials(),
        store="memory://",
        key_serializer="raw",
        value_serializer="raw",
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication_factor,
        # Tansu (the embedded broker) has no idempotent or transactional producer, so this is
        # at-least-once everywhere for now; downstream consumers de-duplicate by key.
        processing_guarantee="at_least_once",
        broker_session_timeout=settings.session_timeout_seconds,
        broker_heartbeat_interval=settings.heartbeat_interval_seconds,
        consumer_auto_offset_reset=settings.auto_offset_reset,
        producer_linger=settings.producer_linger_ms / 1000,
        producer_max_batch_size=settings.producer_max_batch_bytes,
        # At most Kafka's default broker limit (message.max.bytes, 1,048,588), so an oversized record is
        # refused here, at once, rather than later by the broker.
        producer_max_request_size=1_048_576,
        stream_publish_on_commit=False,  # sends go out at once; agents await their delivery per batch
        consumer_max_fetch_size=max(settings.max_message_bytes + 64_000, 1_048_576),
        # With the posts stream's buffer (agents.topics), this bounds what a paused partition still delivers
        # (watermark alignment, agents.ingest.align): unset, a poll hands out everything fetched.
        broker_max_poll_records=settings.consumer_max_poll_records,
        web_enabled=True,
        web_tables_enabled=False,  # Faust's own /table/ pages: unauthenticated, and they cannot show our values
        web_bind=settings.web_host,
        web_port=settings.web_port,
        web_host=settings.web_host,
        datadir=str(settings.data_dir / "{conf.name}-data"),
        autodiscover=False,
        # Faust's own per-message debug logging costs ~12 records per post (STYLE.md).
        debug=False,
    )
    app.consumer_fetch_max_wait_ms = settings.consumer_fetch_max_wait_ms  # read by faust_fixes.fix_fetch_max_wait
    # The inputs whose stages read every hole in their offsets again (agents.continuity): Faust must not mark one
    # done itself (faust_fixes.fix_fetch_gaps).
    app.checked_topics = frozenset({settings.posts_topic, settings.mentions_topic, settings.activity_topic,
                                    settings.candidates_topic})
    app.bp = Runtime(settings=settings, topics=Topics.create(app, settings),
                     metrics=Metrics(version=brandpulse_version(), brands=settings.watchlists.names),
                     progress=SourceProgress(idle_grace_s=settings.idle_grace_seconds))
    app.bp.sensor = sensor.install(app)
    app.bp.ingest_agent = ingest.register(app)
    app.bp.trends = trends.register(app)
    app.bp.influence = influence.register(app)
    app.bp.alerting = alerting.register(app)
    web.register(app)
    app.bp.sensor.declare_tables(app.tables.keys())

    #: Assignments so far. A revocation waits for each stage's lock (a batch may be half-way through), and the
    #: group may have moved on meanwhile: a revocation that finds a newer assignment made must not undo it.
    assignments = {"n": 0}

    @app.on_partitions_assigned.connect
    async def _on_assigned(sender: object, assigned: set, **kwargs: object) -> None:
        assignments["n"] += 1
        app.bp.assigned = True
        app.bp.sensor.on_assigned()
        now = monotonic()
        app.bp.kafka_seen = now  # the group coordinator just answered
        app.bp.progress.assign({tp.partition for tp in assigned if tp.topic == settings.posts_topic}, now)
        app.bp.trends.on_assigned({tp.partition for tp in assigned if tp.topic == settings.mentions_topic})
        app.bp.influence.authors.on_assigned({tp.partition for tp in assigned if tp.topic == settings.activity_topic})
        app.bp.influence.rankings.on_assigned(
            {tp.partition for tp in assigned if tp.topic == settings.candidates_topic})
        if app.bp.alerting is not None:
            app.bp.alerting.on_assigned({tp.partition for tp in assigned if tp.topic == settings.alerts_topic})

    @app.on_partitions_revoked.connect
    async def _on_revoked(sender: object, revoked: set, **kwargs: object) -> None:
        seen = assignments["n"]

        def parts(topic: str) -> set[int]:
            return {tp.partition for tp in revoked if tp.topic == topic}

        def current(stage: str) -> bool:
            if assignments["n"] == seen:
                return True
            # Each stage's on_assigned already replaced its partitions with the newer assignment's.
            log.warning("%s: a revocation came after a newer assignment; left out (it would stop the stage's "
                        "partitions, windows would stop closing)", stage)
            return False

        app.bp.progress.forget(parts(settings.posts_topic))
        async with app.bp.trends.lock:  # not while a batch or the timer is half-way through a partition
            if current("trends"):
                app.bp.trends.on_revoked(parts(settings.mentions_topic))
        async with app.bp.influence.authors.lock:
            if current("influence-authors"):
                app.bp.influence.authors.on_revoked(parts(settings.activity_topic))
        async with app.bp.influence.rankings.lock:
            if current("influence-rankings"):
                app.bp.influence.rankings.on_revoked(parts(settings.candidates_topic))
        if app.bp.alerting is not None:
            async with app.bp.alerting.lock:
                if current("alerting"):
                    app.bp.alerting.on_revoked(parts(settings.alerts_topic))

    return app
