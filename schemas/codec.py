"""orjson, wrapped once: how records become bytes on Kafka, and back where we read our own topics."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from schemas.records import DeadLetter

_OPTS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC


def dumps(record: Any) -> bytes:
    """Serialise a record (dataclasses nest; datetimes become RFC 3339 with ``Z``)."""
    return orjson.dumps(record, option=_OPTS)


def loads(raw: bytes | str) -> Any:
    return orjson.loads(raw)


#: Kafka header names on dead-letter records (the value and key are the original bytes).
DLQ_REASON = "brandpulse.reason"
DLQ_DETAIL = "brandpulse.detail"
DLQ_SOURCE_TOPIC = "brandpulse.source.topic"
DLQ_SOURCE_PARTITION = "brandpulse.source.partition"
DLQ_SOURCE_OFFSET = "brandpulse.source.offset"
DLQ_SOURCE_TIMESTAMP_MS = "brandpulse.source.timestamp_ms"
DLQ_ORIGINAL_BYTES = "brandpulse.original_bytes"
DLQ_TRUNCATED = "brandpulse.truncated"


#: Kafka headers on mention records: the producing worker's event-time watermark (epoch seconds) and its
#: id (see ``streams.watermarks``).
MENTION_WATERMARK = "brandpulse.watermark_s"
MENTION_PRODUCER = "brandpulse.producer"
#: The source (posts) partitions the watermark accounts for, comma-separated.
MENTION_COVERS = "brandpulse.covers"
#: On a record with a null key and value that only carries the watermark (one per partition a second).
MENTION_CONTROL = "brandpulse.control"


def stamp_headers(watermark: int, covers: Iterable[int]) -> list[tuple[str, bytes]]:
    """A watermark stamp's headers (the producer's id goes beside them): the watermark and what it covers."""
    return [(MENTION_WATERMARK, str(watermark).encode()), (MENTION_COVERS, ",".join(map(str, sorted(covers))).encode())]


def read_stamp(headers: dict[str, Any]) -> tuple[str, int, frozenset[int]] | None:
    """(producer, watermark, partitions covered) of a record's headers (as :func:`header_map` gives them), or
    None if the record is not stamped."""
    producer, stamp, covers = headers.get(MENTION_PRODUCER), headers.get(MENTION_WATERMARK), headers.get(MENTION_COVERS)
    if producer is None or stamp is None or covers is None:
        return None
    return producer.decode(), int(stamp), frozenset(int(p) for p in covers.split(b",") if p)


def dead_letter_headers(dl: DeadLetter) -> list[tuple[str, bytes]]:
    """The headers that say where a dead-letter record came from and why it was rejected."""
    headers = [
        (DLQ_REASON, dl.reason.value.encode()),
        (DLQ_DETAIL, dl.detail.encode("utf-8", "replace")),
        (DLQ_SOURCE_TOPIC, dl.source_topic.encode()),
        (DLQ_SOURCE_PARTITION, str(dl.source_partition).encode()),
        (DLQ_SOURCE_OFFSET, str(dl.source_offset).encode()),
        (DLQ_ORIGINAL_BYTES, str(dl.original_bytes).encode()),
    ]
    if dl.truncated:
        headers.append((DLQ_TRUNCATED, b"true"))
    if dl.source_timestamp_ms is not None:
        headers.append((DLQ_SOURCE_TIMESTAMP_MS, str(dl.source_timestamp_ms).encode()))
    return headers


def header_map(headers: Any) -> dict[str, Any]:
    """A record's headers as a dict, whatever shape the client hands them in (a mapping or pairs)."""
    items = headers.items() if isinstance(headers, dict) else headers or ()
    return dict(items)


def read_dead_letter_headers(headers: Any) -> dict[str, str]:
    """Headers of a dead-letter record as text."""
    return {k: (v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v))
            for k, v in header_map(headers).items()}
