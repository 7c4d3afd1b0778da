"""What the stateful stages share about Faust tables: key-partitioned changelogs and JSON value codecs.

Our table values are plain classes with ``to_json`` / ``from_json`` (``streams/``), not Faust records. A table
of them is written once per batch per key, and also from timers (closing windows, expiring keys), which
have no current event: :class:`KeyPartitionedTable` therefore computes a key's changelog partition from
the key itself, with the producer's default partitioner, so that it is the partition of the input topic
the key comes from (co-partitioning).

**Batch marks.** A stage that folds input batches into a table also writes, per input partition, a mark: the
last input offset of the batch, under a key of its own (:func:`mark_key`) in the same changelog partition,
after every value the batch changed. A restored table holds a prefix of its changelog: all of it with Kafka, but
the embedded broker's ListOffsets can under-report a log's end by a batch, so that Faust stops restoring short.
Either way, the newest mark restored says that every change of the batches up to it is there, and the stage reads
its input again from the offset after it (``agents.continuity``); its own idempotence (a key's applied offset)
skips what the state already has. Marks are keys like any other: iterate a marked table with :func:`values_of`
and count it with :func:`keys_in`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

import faust
from aiokafka.partitioner import murmur2
from faust.serializers import codecs

from schemas.codec import dumps, loads

log = logging.getLogger(__name__)

#: How many times a value that is too large is compacted, each time harder, before it is written as it is.
COMPACTION_LEVELS = 6


#: The keys of batch marks: this prefix and the input partition's number. No topic or author id starts with NUL.
MARK_PREFIX = b"\x00brandpulse.batch-through:"
#: The JSON field of a batch mark's value.
MARK_FIELD = "batch_through"


class BatchMark:
    """A batch mark's value: the last input offset of the partition whose changes the table holds."""

    __slots__ = ("offset",)

    def __init__(self, offset: int) -> None:
        self.offset = offset

    def to_json(self) -> dict[str, Any]:
        return {MARK_FIELD: self.offset}

    def __repr__(self) -> str:
        return f"BatchMark({self.offset})"


def mark_key(partition: int) -> bytes:
    return MARK_PREFIX + str(partition).encode()


def is_mark(key: Any) -> bool:
    return isinstance(key, bytes) and key.startswith(MARK_PREFIX)


def values_of(table: Any) -> Iterator[tuple[bytes, Any]]:
    """A marked table's (key, value) pairs, its batch marks left out."""
    return ((k, v) for k, v in table.items() if not is_mark(k))


def keys_in(table: Any, partitions: int) -> int:
    """How many keys a marked table of ``partitions`` input partitions holds, its batch marks left out."""
    return len(table) - sum(1 for p in range(partitions) if mark_key(p) in table)


def mark_batch(table: Any, lasts: dict[int, int], *, raw: bool = False) -> None:
    """Write each input partition's batch mark (``lasts``: partition → the batch's last offset in it), after the
    values the batch changed. ``raw``: the table's values are bytes (its value type is ``bytes``), and so is the
    mark."""
    for partition, offset in lasts.items():
        mark = BatchMark(offset)
        table[mark_key(partition)] = dumps(mark.to_json()) if raw else mark


def mark_events(table: Any, events: Iterable[Any], assigned: set[int], *, raw: bool = False) -> None:
    """Mark a batch of Faust events: each input partition's last offset in it, for the partitions this worker
    still holds (``assigned``; empty: every partition, before the first assignment is known)."""
    lasts = {e.message.partition: e.message.offset for e in events}
    mark_batch(table, {p: o for p, o in lasts.items() if not assigned or p in assigned}, raw=raw)


def restored_floor(table: Any, partition: int) -> int | None:
    """The input offset from which the restored table needs ``partition`` read again (None: no mark)."""
    mark = table.get(mark_key(partition))
    if isinstance(mark, bytes | bytearray):
        mark = BatchMark(int(loads(mark)[MARK_FIELD]))
    return mark.offset + 1 if isinstance(mark, BatchMark) else None


def partition_of(key: bytes, partitions: int) -> int:
    """The partition the producer's default (murmur2) partitioner gives ``key``."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def register_codec(name: str, record: type, max_bytes: int | None = None) -> type:
    """Register a Faust codec that stores ``record`` (with to_json / from_json) as JSON, and return the
    value type that selects it: Faust takes a value type's serializer from ``_options.serializer`` and
    hands what the codec decoded to ``from_data``.

    With ``max_bytes``, a value whose JSON is larger is made smaller with its ``compact(level)`` first, level
    by level: the changelog record must stay under the broker's message limit, or Kafka would refuse it and
    the state would not survive a restart."""

    class _Codec(codecs.Codec):
        def _dumps(self, obj: Any) -> bytes:
            data = dumps(obj.to_json())
            level = 0
            while max_bytes is not None and len(data) > max_bytes and level < COMPACTION_LEVELS:
                level += 1
                obj.compact(level)
                data = dumps(obj.to_json())
            if level:
                log.warning("%s value of %d bytes after compaction level %d (limit %d)", name, len(data), level,
                            max_bytes)
            return data

        def _loads(self, s: bytes) -> Any:
            d = loads(s)
            if isinstance(d, dict) and MARK_FIELD in d and len(d) == 1:
                return BatchMark(int(d[MARK_FIELD]))
            return record.from_json(d)

    codecs.register(name, _Codec())

    class _Value:
        class _options:  # the name Faust looks for
            serializer = name

        @classmethod
        def from_data(cls, data: Any, *, preferred_type: Any = None) -> Any:
            return data  # the codec already built the record

    return _Value


class KeyPartitionedTable(faust.Table):
    """A table whose changelog partition is its key's, computed here. Faust would otherwise take it
    from the current event, which a timer has none of, or (``use_partitioner``) from producer metadata
    it may not have fetched yet for the changelog topic."""

    def partition_for_key(self, key: Any) -> int:
        if is_mark(key):
            return int(key[len(MARK_PREFIX):])
        return partition_of(key, self.partitions or 1)


def add_table(app: faust.App, name: str, value_type: type, help: str,
              table_class: type[KeyPartitionedTable] = KeyPartitionedTable) -> faust.Table:
    """A key-partitioned, changelog-backed table of ``bytes`` keys, partitioned like every brandpulse topic."""
    return app.tables.add(table_class(
        app, name=name, default=None, beacon=app.tables.beacon, key_type=bytes, value_type=value_type,
        partitions=app.bp.settings.topic_partitions, help=help,
    ))
