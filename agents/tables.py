"""What the stateful stages share about Faust tables: key-partitioned changelogs and JSON value codecs.

Our table values are plain classes with ``to_json`` / ``from_json`` (``streams/``), not Faust records. A table
of them is written once per batch per key, and also from timers (closing windows, expiring keys), which
have no current event: :class:`KeyPartitionedTable` therefore computes a key's changelog partition from
the key itself, with the producer's default partitioner, so that it is the partition of the input topic
the key comes from (co-partitioning).
"""

from __future__ import annotations

import logging
from typing import Any

import faust
from aiokafka.partitioner import murmur2
from faust.serializers import codecs

from schemas.codec import dumps, loads

log = logging.getLogger(__name__)

#: How many times a value that is too large is compacted, each time harder, before it is written as it is.
COMPACTION_LEVELS = 6


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
            return record.from_json(loads(s))

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
        return partition_of(key, self.partitions or 1)


def add_table(app: faust.App, name: str, value_type: type, help: str,
              table_class: type[KeyPartitionedTable] = KeyPartitionedTable) -> faust.Table:
    """A key-partitioned, changelog-backed table of ``bytes`` keys, partitioned like every brandpulse topic."""
    return app.tables.add(table_class(
        app, name=name, default=None, beacon=app.tables.beacon, key_type=bytes, value_type=value_type,
        partitions=app.bp.settings.topic_partitions, help=help,
    ))
