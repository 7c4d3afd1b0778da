"""``brandpulse replay``: produce posts from files onto the posts topic, keeping event time.

Files: JSON lines (each line is sent byte for byte, malformed ones included, so the worker judges
them and dead-letters what it rejects), a JSON array, a Twitter v1.1 search response, or a Twitter
v2 response (split into one message per post); any of these gzip-compressed (``.gz``).

Pacing: ``--rate`` caps messages per second; ``--speedup X`` replays event time X times faster
than it happened (a day at ``--speedup 1440`` takes a minute). Event time is always the post's own
``created_at``, so the results do not depend on the pace.
"""

from __future__ import annotations

import asyncio
import gzip
import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

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


def _open(path: Path) -> io.BufferedIOBase:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _looks_like_json_lines(path: Path) -> bool:
    """True unless the file is one JSON document (an array, or an object spanning several lines)."""
    with _open(path) as f:
        head = f.read(1 << 16)
        first = head.lstrip()[:1]
        if first == b"[":
            return False
        if first != b"{":
            return True  # not JSON at all: send its lines, the worker will say why
        line = head.lstrip().split(b"\n", 1)[0]
        try:
            orjson.loads(line)
            return True  # the first line is a whole object
        except orjson.JSONDecodeError:
            return False


def iter_messages(path: Path) -> Iterator[bytes]:
    """The messages a file holds, in file order."""
    if _looks_like_json_lines(path):
        with _open(path) as f:
            for line in f:
                line = line.strip()
                if line:
                    yield line
        return
    with _open(path) as f:
        raw = f.read()
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError:
        yield raw.strip()  # one malformed document: one message, dead-lettered by the worker
        return
    for item in split_document(doc):
        yield orjson.dumps(item)


def count_messages(path: Path) -> int:
    if _looks_like_json_lines(path):
        with _open(path) as f:
            return sum(1 for line in f if line.strip())
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
    )
    await producer.start()
    started = time.monotonic()
    first_event: int | None = None
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
                # Pace: the later of the rate's slot and the event-time slot.
                due = 0.0
                if rate:
                    due = stats.messages / rate
                if speedup and event_ms is not None:
                    first_event = event_ms if first_event is None else first_event
                    due = max(due, (event_ms - first_event) / 1000 / speedup)
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
