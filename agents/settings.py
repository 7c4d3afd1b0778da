"""brandpulse's settings: one frozen object, read from ``BRANDPULSE_*`` environment variables.

This is the only place the environment enters. Faust's own variables (``BROKER_URL``,
``WEB_PORT``, ...) are ignored: the app is built with an empty environment (``agents.app``), so
these settings are the only way in. Every field is typed, bounded and documented; a bad value, or a
``BRANDPULSE_*`` variable that names no setting, stops start-up with a message naming the variable.
``brandpulse settings`` prints this table; docs/settings.md is generated from it.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import ssl
from collections.abc import Mapping
from dataclasses import fields
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from streams.crisis import CrisisConfig
from streams.influence import InfluenceWeights, WeightsError
from streams.watchlist import Watchlist, WatchlistError

ENV_PREFIX = "BRANDPULSE_"

_BROKER_HOST = re.compile(r"^[A-Za-z0-9._\-\[\]:]+:\d{1,5}$")
_NAME = re.compile(r"^[A-Za-z0-9._\-]+$")


class SettingsError(ValueError):
    """Start-up refused: the message names each offending variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="forbid")

    # --- Kafka -----------------------------------------------------------------------------
    broker_url: str | None = Field(
        None,
        description="Kafka bootstrap servers, `kafka://host:port[,host:port…]`. Unset: `brandpulse up` "
        "starts the embedded broker; `brandpulse worker` refuses to start.",
    )
    app_id: str = Field(
        "brandpulse",
        description="Kafka consumer group and Faust app id; also prefixes the changelog topics.",
    )
    topic_prefix: str = Field(
        "", description="Prefix for every topic name (e.g. `prod.`), to share one cluster between deployments."
    )
    topic_partitions: int = Field(
        4, ge=1, le=10_000, description="Partitions of the topics brandpulse creates (the unit of scale)."
    )
    topic_replication_factor: int = Field(
        1, ge=1, le=16, description="Replication factor of the topics brandpulse creates (3 on a production cluster)."
    )
    session_timeout_seconds: float = Field(
        10.0,
        ge=1,
        le=300,
        description="Consumer-group session timeout. Short, because a group join on the embedded Tansu "
        "broker waits half of it (a broker limitation); 10-45 s is usual on Apache Kafka.",
    )
    heartbeat_interval_seconds: float = Field(
        1.0, gt=0, le=60, description="Consumer heartbeat interval; must be under a third of the session timeout."
    )
    auto_offset_reset: Literal["earliest", "latest"] = Field(
        "earliest", description="Where a new consumer group starts on the posts topic."
    )
    producer_linger_ms: int = Field(
        5, ge=0, le=1_000, description="How long the producer waits to fill a batch (0 sends at once)."
    )

    # --- Processing --------------------------------------------------------------------------
    producer_max_batch_bytes: int = Field(
        16_384, ge=1, le=16_777_216,
        description="Largest batch of records the producer sends to one partition at once (Kafka's `batch.size`). "
        "1 puts every record in its own batch, which makes the embedded broker's (Tansu's) short changelog "
        "restores rarer (its ListOffsets can under-report a log's end by a batch); the stateful stages read "
        "their input again after a short restore anyway (batch marks, docs/reliability.md). Never needed with "
        "Kafka.",
    )
    max_message_bytes: int = Field(
        1_000_000,
        ge=1_024,
        le=1_000_000,
        description="Largest input message accepted; larger ones go to the dead-letter topic as `too_large` (kept "
        "up to this size). At most 1,000,000, under Kafka's default broker limit.",
    )
    max_terms: int = Field(32, ge=1, le=1_000, description="Content terms kept per post (for word clouds).")
    batch_max_posts: int = Field(
        500, ge=1, le=100_000, description="Most posts the ingest agent takes from the stream at once."
    )
    batch_within_seconds: float = Field(
        0.1, gt=0, le=10, description="Longest the ingest agent waits to fill a batch before processing it."
    )
    state_batch_max_records: int = Field(
        10_000, ge=1, le=100_000,
        description="Most records the stateful agents (trends, influence) take from their stream at once.",
    )
    state_batch_within_seconds: float = Field(
        1.0, gt=0, le=10,
        description="Longest the stateful agents wait to fill a batch. Each batch writes every key it touched to "
        "its table's changelog once, so a longer batch writes less (a second halves the trend changelog's bytes "
        "on the benchmark input, bench/traffic.py) and delays windows and rankings by at most this much.",
    )

    allowed_lateness_seconds: int = Field(
        120,
        ge=0,
        le=86_400,
        description="How far behind its input partition's progress a post may arrive and still count in its "
        "window; later posts go to the dead-letter topic as `late`.",
    )
    max_future_seconds: int = Field(
        900,
        ge=1,
        le=31_536_000,
        description="How far ahead of the worker's clock a post may be dated; later-dated posts go to the "
        "dead-letter topic as `future` (they would drag event time ahead and make the posts after them late).",
    )
    idle_grace_seconds: float = Field(
        10.0,
        gt=0,
        le=3_600,
        description="A source that delivers nothing for this long stops holding event time back; when all "
        "are idle, event time follows the wall clock, so quiet topics still close their windows.",
    )
    max_partition_drift_seconds: int = Field(
        600,
        ge=0,
        le=30 * 86_400,
        description="How far (event time) an input partition may run ahead of the slowest one before ingest "
        "pauses it until the others catch up (watermark alignment; 0 turns it off). Windows stay open until the "
        "slowest partition passes them, so the drift bounds how many are open at once when a backlog is read "
        "unevenly.",
    )
    consumer_max_poll_records: int = Field(
        500,
        ge=1,
        le=100_000,
        description="Most records the consumer hands to the stages per poll (Faust's `broker_max_poll_records`). "
        "What it fetched but has not handed out stays behind a pause, so alignment stops a partition within this "
        "many records of deciding to; what it handed out is processed.",
    )
    gc_threshold: int = Field(
        50_000,
        ge=100,
        le=10_000_000,
        description="Allocations between two runs of Python's cyclic garbage collector (the first of "
        "`gc.set_threshold`'s thresholds; Python's default is 700). The stateful stages allocate much and keep "
        "large state, so Python's default spends about a fifth of their CPU in collections that find little "
        "(bench/influence_stages.py: 6.4 of 31 CPU s at 700, 1.3 of 20 at 50,000). Nearly all of brandpulse's "
        "garbage is freed at once by reference counting; only reference cycles wait for a collection.",
    )
    consumer_fetch_max_wait_ms: int = Field(
        100,
        ge=1,
        le=60_000,
        description="Longest a fetch waits at the broker for records (Kafka's `fetch.max.wait.ms`; Faust fixes "
        "it at 1,500). Apache Kafka answers a fetch as soon as a record is there, so there it only paces idle "
        "polling. The embedded broker (Tansu) answers about a quarter of it later even when records are there "
        "(a broker limitation: 0.36 s at 1,500, 0.02 s at 100, measured), and every hop between stages pays it.",
    )
    posts_buffer_records: int = Field(
        4_096,
        ge=1,
        le=100_000,
        description="Most input posts fetched but not yet processed (the posts stream's buffer, Faust's "
        "`stream_buffer_maxsize` by default). With `BRANDPULSE_CONSUMER_MAX_POLL_RECORDS` it bounds how far a "
        "partition runs past the drift alignment allows: what the consumer handed out is processed, paused or "
        "not. Smaller keeps a sparse backlog's partitions closer in event time, at a cost in throughput "
        "(docs/trends.md).",
    )
    topic_idle_seconds: int = Field(
        3_600,
        ge=60,
        le=30 * 86_400,
        description="A topic with no post for this long (event time) is forgotten once its windows are "
        "closed; gaps shorter than this are published as zero windows. Watched topics never expire.",
    )
    influence_max_authors: int = Field(
        50_000, ge=100, le=100_000_000,
        description="Most authors whose influence state one worker keeps. Past it, the least recently active "
        "authors are forgotten first (their hour and day activity starts again if they post again); "
        "`brandpulse_influence_keys_evicted_total` counts them. Bounds memory under a flood of one-off authors "
        "(about 11 KB of worker RSS per key, measured with bench/soak.py: docs/reliability.md).",
    )
    influence_max_entries: int = Field(
        100_000, ge=1_000, le=100_000_000,
        description="Most influencer-ranking entries (one per topic, window and ranked author) one worker keeps. "
        "Past it, the rankings of the least recently active topics are forgotten first (watched brands and "
        "their topics never are); `brandpulse_influence_keys_evicted_total` counts them.",
    )
    watchlist: str | None = Field(
        None,
        description='Watched brands as JSON: `{"united-airlines": ["#united", "@united", "united airlines"]}` '
        "(hashtags, @mentions, keyword phrases). Brand-level statistics and per-brand metrics follow it.",
    )
    watchlist_file: Path | None = Field(
        None, description="A JSON file holding the watchlist (instead of BRANDPULSE_WATCHLIST)."
    )

    influence_weights_file: Path | None = Field(
        None,
        description="Influence weights written by `brandpulse train-influence`; unset: the shipped weights "
        "(learned on the Kaggle influencer pairs, docs/influence.md).",
    )

    # --- crisis alerts (docs/alerts.md) ------------------------------------------------------
    crisis_scope: Literal["all", "watched", "off"] = Field(
        "all",
        description="Which keys run a crisis detector: every topic and brand (`all`), only watched brands "
        "(`watched`), or none (`off`). A watched brand's own topics are covered by the brand's detector.",
    )
    crisis_baseline_half_life_minutes: float = Field(
        360.0, ge=10, le=100_000, description="Half-life of a key's baseline (expected posts, negatives, share)."
    )
    crisis_prior_share: float = Field(
        0.25, gt=0, lt=1, description="Negative share a key's baseline is shrunk toward before it has history."
    )
    crisis_prior_posts: float = Field(
        200.0, ge=0, le=1_000_000, description="How many posts' worth the prior share weighs in the baseline share."
    )
    crisis_count_shift: float = Field(
        3.0, gt=1, le=100, description="The rise in negatives the count CUSUM is tuned to (times the expected)."
    )
    crisis_share_shift: float = Field(
        2.0, gt=1, le=10, description="The rise in negative share the share CUSUM is tuned to (times the baseline)."
    )
    crisis_count_threshold: float = Field(
        6.0, gt=0, le=1000, description="Count evidence (log-likelihood ratio) a crisis needs."
    )
    crisis_share_threshold: float = Field(
        8.0, gt=0, le=1000, description="Share evidence (log-likelihood ratio) a crisis needs."
    )
    crisis_min_negatives: int = Field(
        10, ge=1, le=1_000_000, description="Negative posts since the onset a crisis needs."
    )
    crisis_min_ratio: float = Field(
        2.0, ge=1, le=1000, description="Negatives since the onset over the expected negatives a crisis needs."
    )
    crisis_warmup_minutes: int = Field(
        120, ge=0, le=100_000, description="Minutes of history a key needs before it can open an incident."
    )
    crisis_warning_minutes: int = Field(
        10, ge=1, le=10_000, description="An incident whose evidence kept growing this long pages (`warning`)."
    )
    crisis_warning_ratio: float = Field(
        5.0, ge=1, le=10_000, description="An incident at this many times the expected negatives pages at once."
    )
    crisis_critical_ratio: float = Field(
        15.0, ge=1, le=10_000, description="Times the expected negatives for `critical` (with a negative majority)."
    )
    crisis_critical_share: float = Field(
        0.5, gt=0, lt=1, description="Recent negative share above which an incident can be `critical`."
    )
    crisis_quiet_minutes: int = Field(
        60, ge=1, le=100_000, description="Quiet minutes after which an incident is resolved."
    )
    crisis_resolve_ratio: float = Field(
        2.0, ge=1, le=1000,
        description="A minute is quiet when recent negatives are under this many times the baseline.",
    )
    crisis_cooldown_minutes: int = Field(
        60, ge=0, le=100_000, description="After a resolve, a re-trigger this soon re-opens the same incident."
    )
    crisis_update_minutes: int = Field(
        15, ge=1, le=100_000, description="A firing incident publishes an `update` event this often."
    )
    crisis_volume_z_notice: float = Field(
        3.0, gt=0, le=1000, description="Log-volume z-score of a minute that raises a `volume_spike` notice."
    )
    dashboard_url: str | None = Field(
        None,
        description="Link put in every alert, with `{topic}`, `{brand}`, `{from_ms}` and `{to_ms}` filled in "
        "(e.g. a Grafana dashboard URL); unset: the worker's own trend query for the topic.",
    )
    runbook_url: str = Field(
        "https://brandpulse.dev/docs/alerts#runbook", description="Runbook link put in every alert."
    )
    alertmanager_url: str | None = Field(
        None,
        description="Alertmanager base URL (e.g. `http://alertmanager:9093`); set: incidents are forwarded to its "
        "API v2. Unset: alerts go to the `alerts` topic only.",
    )
    alertmanager_timeout_seconds: float = Field(
        5.0, gt=0, le=300, description="Timeout of one request to Alertmanager."
    )
    alertmanager_resend_seconds: float = Field(
        60.0, ge=1, le=3600, description="How often firing alerts are sent to Alertmanager again (it forgets "
        "alerts not re-sent within their `endsAt`)."
    )
    alertmanager_max_backoff_seconds: float = Field(
        60.0, ge=1, le=3600, description="Longest wait between retries while Alertmanager is unreachable."
    )

    # --- Kafka security (TLS and SASL) ---------------------------------------------------------
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", description="How the worker talks to Kafka: `SSL` (TLS), `SASL_SSL` (TLS and a SASL login, "
        "what managed clusters such as MSK and Confluent Cloud use), `SASL_PLAINTEXT`, or `PLAINTEXT`.",
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        "SCRAM-SHA-512", description="SASL mechanism of the login (with a `SASL_*` protocol).",
    )
    kafka_sasl_username: str | None = Field(None, description="SASL user name (required with a `SASL_*` protocol).")
    kafka_sasl_password: str | None = Field(
        None, description="SASL password (required with a `SASL_*` protocol; never printed).",
    )
    kafka_ssl_ca_file: Path | None = Field(
        None, description="PEM bundle of the CAs that sign the brokers' certificates (with `SSL` or `SASL_SSL`); "
        "unset: the system's CAs.",
    )
    kafka_ssl_cert_file: Path | None = Field(
        None, description="PEM client certificate, for brokers that require mutual TLS.",
    )
    kafka_ssl_key_file: Path | None = Field(
        None, description="PEM private key of the client certificate (unset: it is in the certificate file).",
    )
    kafka_ssl_key_password: str | None = Field(
        None, description="Password of the private key, if it is encrypted (never printed).",
    )
    kafka_ssl_check_hostname: bool = Field(
        True, description="Check that each broker's certificate names the host connected to.",
    )
    kafka_allow_plaintext_sasl: bool = Field(
        False, description="Allow SASL `PLAIN` over `SASL_PLAINTEXT`, which sends the password unencrypted "
        "(refused unless this is `true`; SCRAM over `SASL_PLAINTEXT` is allowed).",
    )

    # --- HTTP and operations -----------------------------------------------------------------
    web_host: str = Field(
        "127.0.0.1",
        description="Address the HTTP server (`/metrics`, `/healthz`, `/readyz`, queries) binds to; "
        "`0.0.0.0` to expose it.",
    )
    web_port: int = Field(6066, ge=1, le=65_535, description="Port of the HTTP server.")
    web_token: str | None = Field(
        None, description="When set, every HTTP endpoint but `/healthz` and `/readyz` (the probes) requires "
        "`Authorization: Bearer <token>`, `/metrics` included (Prometheus: `authorization: {credentials: ...}`). "
        "At least 16 characters; never printed.",
    )
    log_level: Literal["debug", "info", "warn", "error", "critical"] = Field(
        "info", description="Log level of the worker (`warning` is accepted for `warn`)."
    )
    data_dir: Path = Field(
        Path(".brandpulse"), description="Directory for local state (table stores, logs of `brandpulse up`)."
    )

    @field_validator("broker_url")
    @classmethod
    def _check_broker_url(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        v = v.strip()
        if not v.startswith("kafka://"):
            raise ValueError("must start with kafka://, e.g. kafka://localhost:9092")
        hosts = [h for h in re.split(r"[,;]", v[len("kafka://") :]) if h.strip()]
        if not hosts:
            raise ValueError("names no host, e.g. kafka://localhost:9092")
        for h in hosts:
            h = h.strip().removeprefix("kafka://")
            if not _BROKER_HOST.match(h) or not 1 <= int(h.rsplit(":", 1)[1]) <= 65_535:
                raise ValueError(f"{h!r} is not host:port")
        return v

    @field_validator("web_token")
    @classmethod
    def _check_web_token(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        if len(v) < 16 or any(c.isspace() for c in v):
            raise ValueError("must be at least 16 characters, without spaces")
        return v

    @field_validator("app_id")
    @classmethod
    def _check_app_id(cls, v: str) -> str:
        if not _NAME.match(v) or len(v) > 200:
            raise ValueError("must be 1-200 characters of letters, digits, '.', '_' or '-'")
        return v

    @field_validator("topic_prefix")
    @classmethod
    def _check_topic_prefix(cls, v: str) -> str:
        if v and (not _NAME.match(v) or len(v) > 100):
            raise ValueError("must be up to 100 characters of letters, digits, '.', '_' or '-'")
        return v

    @field_validator("alertmanager_url")
    @classmethod
    def _check_alertmanager_url(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        v = v.strip().rstrip("/")
        if not re.match(r"^https?://[^/\s]+(/\S*)?$", v):
            raise ValueError("must be an http:// or https:// URL, e.g. http://localhost:9093")
        return v

    @field_validator("dashboard_url")
    @classmethod
    def _check_dashboard_url(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        try:
            v.format(topic="t", brand="b", from_ms=0, to_ms=0)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"only {{topic}}, {{brand}}, {{from_ms}} and {{to_ms}} can be filled in ({exc})") from None
        return v

    @model_validator(mode="after")
    def _check_crisis_ratios(self) -> Settings:
        if self.crisis_warning_ratio > self.crisis_critical_ratio:
            raise ValueError("BRANDPULSE_CRISIS_WARNING_RATIO must not exceed BRANDPULSE_CRISIS_CRITICAL_RATIO")
        return self

    @field_validator("watchlist")
    @classmethod
    def _check_watchlist(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        _parse_watchlist(v)
        return v

    @field_validator("watchlist_file")
    @classmethod
    def _check_watchlist_file(cls, v: Path | None) -> Path | None:
        if v is None:
            return None
        try:
            text = v.read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"cannot read {v}: {exc.strerror or exc}") from None
        _parse_watchlist(text)
        return v

    @field_validator("influence_weights_file")
    @classmethod
    def _check_weights_file(cls, v: Path | None) -> Path | None:
        if v is None:
            return None
        read_weights(v)
        return v

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level_alias(cls, v: object) -> object:
        if isinstance(v, str):
            v = v.strip().lower()
            return "warn" if v == "warning" else v
        return v

    @model_validator(mode="after")
    def _check_state_batch(self) -> Settings:
        if self.state_batch_within_seconds * 2 >= self.session_timeout_seconds:
            raise ValueError("BRANDPULSE_STATE_BATCH_WITHIN_SECONDS must be under half of "
                             "BRANDPULSE_SESSION_TIMEOUT_SECONDS (a rebalance waits for the batch in hand)")
        return self

    @model_validator(mode="after")
    def _check_heartbeat(self) -> Settings:
        if self.heartbeat_interval_seconds * 3 >= self.session_timeout_seconds:
            raise ValueError(
                "BRANDPULSE_HEARTBEAT_INTERVAL_SECONDS must be under a third of "
                "BRANDPULSE_SESSION_TIMEOUT_SECONDS"
            )
        return self

    @model_validator(mode="after")
    def _check_kafka_security(self) -> Settings:
        protocol = self.kafka_security_protocol
        if protocol.startswith("SASL_"):
            missing = [env_name(f) for f in ("kafka_sasl_username", "kafka_sasl_password") if not getattr(self, f)]
            if missing:
                raise ValueError(f"BRANDPULSE_KAFKA_SECURITY_PROTOCOL={protocol} needs {' and '.join(missing)}")
        cleartext = protocol == "SASL_PLAINTEXT" and self.kafka_sasl_mechanism == "PLAIN"
        if cleartext and not self.kafka_allow_plaintext_sasl:
            raise ValueError("BRANDPULSE_KAFKA_SASL_MECHANISM=PLAIN over BRANDPULSE_KAFKA_SECURITY_PROTOCOL="
                             "SASL_PLAINTEXT sends the password unencrypted: use SASL_SSL, or SCRAM, or set "
                             "BRANDPULSE_KAFKA_ALLOW_PLAINTEXT_SASL=true")
        tls_files = [f for f in ("kafka_ssl_ca_file", "kafka_ssl_cert_file", "kafka_ssl_key_file")
                     if getattr(self, f) is not None]
        if tls_files and not protocol.endswith("SSL"):
            raise ValueError(f"{env_name(tls_files[0])} is set but BRANDPULSE_KAFKA_SECURITY_PROTOCOL={protocol} "
                             "does not use TLS (use SSL or SASL_SSL)")
        if self.kafka_ssl_key_file is not None and self.kafka_ssl_cert_file is None:
            raise ValueError("BRANDPULSE_KAFKA_SSL_KEY_FILE needs BRANDPULSE_KAFKA_SSL_CERT_FILE")
        if protocol.endswith("SSL"):
            self.ssl_context()  # a missing or unreadable file is reported now, not at the first connection
        return self

    def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context for Kafka (None without TLS); raises ValueError naming the setting at fault."""
        if not self.kafka_security_protocol.endswith("SSL"):
            return None
        try:
            ctx = ssl.create_default_context(cafile=str(self.kafka_ssl_ca_file) if self.kafka_ssl_ca_file else None)
        except (OSError, ssl.SSLError) as exc:
            raise ValueError(f"BRANDPULSE_KAFKA_SSL_CA_FILE={self.kafka_ssl_ca_file}: cannot load it as PEM CA "
                             f"certificates: {exc}") from None
        ctx.check_hostname = self.kafka_ssl_check_hostname
        if self.kafka_ssl_cert_file is not None:
            try:
                ctx.load_cert_chain(str(self.kafka_ssl_cert_file),
                                    str(self.kafka_ssl_key_file) if self.kafka_ssl_key_file else None,
                                    password=self.kafka_ssl_key_password)
            except (OSError, ssl.SSLError) as exc:
                raise ValueError(f"BRANDPULSE_KAFKA_SSL_CERT_FILE={self.kafka_ssl_cert_file}: cannot load the "
                                 f"client certificate and key: {exc}") from None
        return ctx

    def kafka_client_options(self) -> dict[str, object]:
        """Security options for aiokafka clients (the admin, the replay producer, topic readers)."""
        options: dict[str, object] = {"security_protocol": self.kafka_security_protocol}
        if self.kafka_security_protocol.endswith("SSL"):
            options["ssl_context"] = self.ssl_context()
        if self.kafka_security_protocol.startswith("SASL_"):
            options.update(sasl_mechanism=self.kafka_sasl_mechanism, sasl_plain_username=self.kafka_sasl_username,
                           sasl_plain_password=self.kafka_sasl_password)
        return options

    def faust_credentials(self) -> object | None:
        """The same security as Faust broker credentials (None for PLAINTEXT)."""
        import faust
        from faust.types.auth import SASLMechanism

        protocol = self.kafka_security_protocol
        if protocol == "PLAINTEXT":
            return None
        if protocol == "SSL":
            return faust.SSLCredentials(self.ssl_context())
        # SASL_SSL when given a TLS context, SASL_PLAINTEXT without.
        return faust.SASLCredentials(username=self.kafka_sasl_username, password=self.kafka_sasl_password,
                                     mechanism=SASLMechanism(self.kafka_sasl_mechanism),
                                     ssl_context=self.ssl_context())

    @model_validator(mode="after")
    def _one_watchlist(self) -> Settings:
        if self.watchlist is not None and self.watchlist_file is not None:
            raise ValueError("set BRANDPULSE_WATCHLIST or BRANDPULSE_WATCHLIST_FILE, not both")
        return self

    # --- Derived -----------------------------------------------------------------------------
    @cached_property
    def watchlists(self) -> Watchlist:
        """The parsed watchlist (empty when none is configured)."""
        if self.watchlist is not None:
            return _parse_watchlist(self.watchlist)
        if self.watchlist_file is not None:
            return _parse_watchlist(self.watchlist_file.read_text(encoding="utf-8"))
        return Watchlist()

    @cached_property
    def influence_weights(self) -> InfluenceWeights:
        """The influence model's weights: the configured file, else the shipped default."""
        return read_weights(self.influence_weights_file or DEFAULT_WEIGHTS)

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"

    @property
    def posts_topic(self) -> str:
        return self.topic("posts")

    @property
    def enriched_topic(self) -> str:
        return self.topic("posts.enriched")

    @property
    def dlq_topic(self) -> str:
        return self.topic("posts.dlq")

    @property
    def mentions_topic(self) -> str:
        return self.topic("mentions")

    @property
    def stats_topic(self) -> str:
        return self.topic("hashtag-stats")

    @property
    def late_topic(self) -> str:
        return self.topic("mentions.late")

    @property
    def activity_topic(self) -> str:
        return self.topic("influence.activity")

    @property
    def candidates_topic(self) -> str:
        return self.topic("influence.candidates")

    @property
    def influencers_topic(self) -> str:
        return self.topic("influencers")

    @property
    def alerts_topic(self) -> str:
        return self.topic("alerts")

    def crisis_config(self) -> CrisisConfig:
        """The crisis detector's thresholds (``streams.crisis.CrisisConfig``) from the settings."""
        names = {f.name for f in fields(CrisisConfig)}
        return CrisisConfig(**{name: getattr(self, f"crisis_{name}") for name in names
                               if hasattr(self, f"crisis_{name}")})

    @property
    def bootstrap_servers(self) -> list[str]:
        """``host:port`` entries for aiokafka clients."""
        if self.broker_url is None:
            raise SettingsError("BRANDPULSE_BROKER_URL is not set")
        rest = self.broker_url[len("kafka://") :]
        return [h.strip().removeprefix("kafka://") for h in re.split(r"[,;]", rest) if h.strip()]

    @property
    def web_url(self) -> str:
        host = "127.0.0.1" if self.web_host in ("0.0.0.0", "::") else self.web_host
        return f"http://{host}:{self.web_port}"


#: The weights `brandpulse train-influence` produced on the Kaggle pairs (docs/influence.md has the command).
DEFAULT_WEIGHTS = Path(__file__).parent / "influence-weights.json"


def read_weights(path: Path) -> InfluenceWeights:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not JSON: {exc}") from None
    try:
        return InfluenceWeights.from_json(doc)
    except WeightsError as exc:
        raise ValueError(f"{path}: {exc}") from None


def _parse_watchlist(text: str) -> Watchlist:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc}") from None
    try:
        return Watchlist.parse(doc)
    except WatchlistError as exc:
        raise ValueError(str(exc)) from None


def env_name(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Read and validate the settings, or raise :class:`SettingsError` naming each bad variable.

    ``overrides`` (from CLI options) win over the environment.
    """
    environ = os.environ if environ is None else environ
    fields = set(Settings.model_fields)
    unknown = [
        k for k in environ if k.upper().startswith(ENV_PREFIX) and k[len(ENV_PREFIX) :].lower() not in fields
    ]
    if unknown:
        known = [env_name(f) for f in sorted(fields)]
        lines = []
        for k in sorted(unknown):
            close = difflib.get_close_matches(k.upper(), known, n=1)
            lines.append(f"{k}: no such setting" + (f" (did you mean {close[0]}?)" if close else ""))
        raise SettingsError("\n".join(lines))
    values = {
        k[len(ENV_PREFIX) :].lower(): v for k, v in environ.items() if k.upper().startswith(ENV_PREFIX)
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        # Values go in as init arguments from the mapping we were given, so tests need not touch
        # os.environ; pydantic still coerces the strings ("6066" -> 6066) and checks the bounds.
        return Settings.model_validate(values)
    except ValidationError as exc:
        raise SettingsError(_describe(exc, values)) from None


#: Settings whose values may carry credentials (URLs with user:password, tokens): errors do not echo them.
_SECRET_BEARING = ("broker_url", "watchlist", "alertmanager_url", "dashboard_url", "kafka_sasl_password",
                   "kafka_ssl_key_password", "web_token")


def _describe(exc: ValidationError, values: Mapping[str, object]) -> str:
    lines = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"] if p != "__root__"]
        if loc:
            name = loc[0]
            got = values.get(name)
            shown = f"={got!s}" if got is not None and name not in _SECRET_BEARING else ""
            lines.append(f"{env_name(name)}{shown}: {err['msg'].removeprefix('Value error, ')}")
        else:
            lines.append(err["msg"].removeprefix("Value error, "))
    return "\n".join(lines)


def settings_table() -> list[tuple[str, str, str, str]]:
    """(variable, type, default, description) for every setting, in declaration order."""
    rows = []
    for name, f in Settings.model_fields.items():
        ann = f.annotation
        type_name = getattr(ann, "__name__", None) or str(ann).replace("typing.", "")
        default = "unset" if f.default is None else f"`{f.default}`"
        rows.append((env_name(name), type_name, default, f.description or ""))
    return rows


def settings_markdown() -> str:
    out = [
        "# Settings",
        "",
        "Every setting is an environment variable; a bad value or an unknown `BRANDPULSE_*` name stops",
        "start-up with a message naming the variable. Generated by `brandpulse settings --markdown`.",
        "",
        "| variable | type | default | meaning |",
        "|---|---|---|---|",
    ]
    for var, typ, default, desc in settings_table():
        out.append(f"| `{var}` | {typ.replace('|', 'or')} | {default} | {desc.replace('|', '/')} |")
    return "\n".join(out) + "\n"
