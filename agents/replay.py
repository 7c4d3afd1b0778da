"""``brandpulse replay``: produce posts from files onto the posts topic, keeping event time.

Files: JSON lines (each line is sent byte for byte, malformed ones included, so the worker judges
them and dead-letters what it rejects), or one JSON document: an array, a Twitter v1.1 search response
or a Twitter v2 response, split into one message per post. Either may be gzip-compressed (recognised
by its content, not its name). A file that is one JSON document is re-serialised per post.

Pacing: ``--rate`` caps messages per second; ``--speedup X`` replays event time X times faster
than it happened (a day at ``--speedup 1440`` takes a minute). Event time counts only forward (an
older post than any before it goes at once) and one gap pauses at most a minute. Event time is always the post's own
``created_at``, so the results do not depend on the pace.
"""

from __future__ import annotations

import asyncio
import gzip
import io
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer

from schemas.decode import PostRejected, decode_post, split_document


@dataclass
class ReplayStats:
    messages: int = 0
    bytes: int = 0
    undecodable: int = 0  # sent anyway: the worker dead-letters them
    seconds: float = 0.0
    first_event_ms: int | None = None
    last_event_ms: int | None = None
    files: list[str] = field(default_factory=list)


#: A file larger than this is read as JSON lines without first trying it as one JSON document.
MAX_DOCUMENT_BYTES = 256 * 1024 * 1024
#: The longest pause ``--speedup`` makes for one gap in event time (a post dated years ahead must not
#: stall the replay).
MAX_GAP_SECONDS = 60.0


def _open(path: Path) -> io.BufferedIOBase:
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"  # the gzip magic number, whatever the file is called
    return gzip.open(path, "rb") if gzipped else open(path, "rb")  # type: ignore[return-value]


def _document(path: Path) -> Any:
    """The file as one JSON document (an array, or one object however it is laid out), or
    ``None`` when it is not one, which makes it JSON lines."""
    if path.stat().st_size > MAX_DOCUMENT_BYTES:
        return None
    with _open(path) as f:
        raw = f.read()
    if raw[:3] == b"\xef\xbb\xbf":
        raw = raw[3:]
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None  # several values (JSON lines), or malformed lines the worker will judge one by one


def iter_messages(path: Path) -> Iterator[bytes]:
    """The messages a file holds, in file order."""
    doc = _document(path)
    if doc is not None:
        for item in split_document(doc):
            yield orjson.dumps(item)
        return
    with _open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                yield line


def count_messages(path: Path) -> int:
    return sum(1 for _ in iter_messages(path))


def _event_ms(message: bytes, max_bytes: int) -> tuple[bytes | None, int | None]:
    try:
        post = decode_post(message, max_bytes=max_bytes)
    except PostRejected:
        return None, None
    return post.id.encode(), int(post.created_at.timestamp() * 1000)


async def replay(
    paths: list[Path],
    *,
    bootstrap: list[str],
    topic: str,
    rate: float | None = None,
    speedup: float | None = None,
    max_message_bytes: int = 1_000_000,
    on_progress: Callable[[int], None] | None = None,
    limit: int | None = None,
    options: Mapping[str, Any] | None = None,
) -> ReplayStats:
    """Produce every message of ``paths`` to ``topic``; returns once the broker acknowledged all."""
    stats = ReplayStats(files=[str(p) for p in paths])
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        linger_ms=20,
        max_batch_size=512 * 1024,
        # Oversized messages must reach the worker, which dead-letters them as `too_large`.
        max_request_size=max(max_message_bytes * 2 + 1024, 4 * 1024 * 1024),
        request_timeout_ms=30_000,
        **(options or {}),  # TLS / SASL (Settings.kafka_client_options)
    )
    await producer.start()
    started = time.monotonic()
    paced_s = 0.0  # event time covered so far, in seconds, each gap capped
    previous_event: int | None = None
    pending: list[asyncio.Future] = []
    try:
        for path in paths:
            for message in iter_messages(path):
                if limit is not None and stats.messages >= limit:
                    break
                key, event_ms = _event_ms(message, max_message_bytes)
                if event_ms is None:
                    stats.undecodable += 1
                else:
                    stats.first_event_ms = event_ms if stats.first_event_ms is None else stats.first_event_ms
                    stats.last_event_ms = event_ms
                # Pace: the later of the rate's slot and the event-time slot. Event time counts only
                # forward (an older post goes at once) and a gap pauses at most MAX_GAP_SECONDS.
                due = stats.messages / rate if rate else 0.0
                if speedup and event_ms is not None:
                    if previous_event is not None and event_ms > previous_event:
                        paced_s += min((event_ms - previous_event) / 1000 / speedup, MAX_GAP_SECONDS)
                    previous_event = event_ms if previous_event is None else max(previous_event, event_ms)
                    due = max(due, paced_s)
                delay = started + due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                pending.append(await producer.send(topic, message, key=key))
                stats.messages += 1
                stats.bytes += len(message)
                if len(pending) >= 5_000:
                    await asyncio.gather(*pending)
                    pending.clear()
                if on_progress is not None:
                    on_progress(1)
        await producer.flush()
        if pending:
            await asyncio.gather(*pending)
    finally:
        await producer.stop()
    stats.seconds = time.monotonic() - started
    return stats
