"""Every record of an input partition, in order: the records Faust's stream skipped are read again.

faust-streaming 0.15.3 drops records its consumer fetches while it seeks to the committed offsets (after a
restart or a rebalance): its consumer loop finds its flow suspended, drops the record and still moves its read
offset, so the stream goes on after it. Nothing is logged and the commit stays behind the hole, so only a later
restart would read those records again. bench/crash.py's scenario lost 2-23 consecutive posts per partition
this way in 3 of 12 runs (docs/reliability.md).

A stage therefore checks that the offsets of each input partition follow on from the last record it took, and
the first record after an assignment against the committed offset Faust sought to (a hole there would also keep
Faust from ever committing the partition again). A hole is read again from Kafka (:func:`agents.broker.read_range`)
and put before the record after it, and once the batch is processed and its output sent, Faust is told those
offsets are done (:func:`mark_read_again`, :func:`agents.faust_fixes.mark_done`), so that its commits can pass them
(not before: a worker killed in between would have committed records nobody processed, and
``agents.faust_fixes.fix_fetch_gaps`` keeps Faust from marking them done itself). A hole with no records in it (a
transactional producer's commit markers, compaction) costs one fetch.

**A restored table may lack the tail of its changelog.** A stage that keeps state says where its restored
state's input ends (``floor``: a partition → the offset after the last input record whose changes the restored
table holds, read from the batch mark written after each batch, agents.tables). The records from there up to
where Faust starts are read again too, and the stage's own idempotence (a key's applied offset) skips what the
state already has. With Kafka the restored table is whole: a batch is marked before it is acknowledged, so the
floor is never behind the committed offset and nothing is read again. With the embedded broker, whose
ListOffsets can under-report a changelog's end by a batch (docs/reliability.md), it is what gives the lost
changes back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from faust.types import TP

from agents import faust_fixes
from agents.broker import read_range

if TYPE_CHECKING:
    from collections.abc import Callable, MutableMapping

    from agents.app import BrandpulseApp

log = logging.getLogger(__name__)


class RefetchedMessage:
    """A record read again outside Faust's stream, with the fields of a Faust message the stages use."""

    __slots__ = ("headers", "key", "offset", "partition", "timestamp", "topic", "tp", "value")

    def __init__(self, record: Any) -> None:
        self.topic, self.partition, self.offset = record.topic, record.partition, record.offset
        self.key, self.value, self.headers = record.key, record.value, list(record.headers or [])
        self.timestamp = record.timestamp / 1000 if record.timestamp is not None else None
        self.tp = TP(record.topic, record.partition)


@dataclass
class Refetched:
    """An event-like wrapper (``.message``) of a record read again."""

    message: RefetchedMessage


async def with_skipped(app: BrandpulseApp, stage: str, events: list[Any],
                       expected: MutableMapping[int, int],
                       floor: Callable[[int], int | None] | None = None, *,
                       holes: list[tuple[TP, int, int]]) -> list[Any]:
    """``events`` with the records Faust skipped before any of them put in front of it, in offset order.

    ``expected`` maps each input partition to the next offset the stage expects; it is updated here, and the
    caller forgets a partition when it is revoked (after a rebalance the stream starts again at the committed
    offset, which may be behind it). ``floor`` (see the module's docstring) gives, for a partition, the offset
    from which the stage's restored state needs its input read again; it is asked once per assignment. Each hole
    read again goes into ``holes`` as (partition, start, end): the caller hands them to :func:`mark_read_again`
    once the batch is processed and sent."""
    settings = app.bp.settings
    out: list[Any] = []
    for event in events:
        msg = event.message
        start = expected.get(msg.partition)
        replay_from = None
        if start is None:
            # The first record since the partition was assigned: Faust sought to the committed offset, so that
            # is where it must start. A hole there is Faust's skip too; left alone, Faust never commits the
            # partition again ("Has not committed ... at all since worker start", logged at ERROR) and this
            # worker never processes those records.
            start = faust_fixes.committed_offset(app.consumer, msg.tp)
            restored = floor(msg.partition) if floor is not None else None
            if restored is not None and restored < min(msg.offset, start if start is not None else msg.offset):
                replay_from = restored
        begin = replay_from if replay_from is not None else start
        if begin is not None and msg.offset > begin:
            records = await read_range(settings.bootstrap_servers, msg.topic, msg.partition, begin, msg.offset,
                                       options=settings.kafka_client_options(), timeout=60.0)
            skipped = [r for r in records if start is not None and r.offset >= start]
            if replay_from is not None:
                # Only a table restored short of its changelog has a mark behind the committed offset (a batch is
                # marked before it is acknowledged): with Kafka this does not happen.
                log.warning("%s: %s[%s] offsets %s-%s read again (%d records): the restored table holds the "
                            "changes of the input up to offset %s only (its changelog was restored short)", stage,
                            msg.topic, msg.partition, replay_from, msg.offset - 1, len(records) - len(skipped),
                            replay_from - 1)
                app.bp.metrics.restore_replayed[stage].inc(len(records) - len(skipped))
            if skipped and start is not None and msg.offset > start:
                log.warning("%s: %s[%s] offsets %s-%s were skipped by Faust's stream; read again (%d records) "
                            "and taken before offset %s", stage, msg.topic, msg.partition, start, msg.offset - 1,
                            len(skipped), msg.offset)
                app.bp.metrics.refetched[stage].inc(len(skipped))
            out.extend(Refetched(RefetchedMessage(r)) for r in records)
            if start is not None and msg.offset > start:
                holes.append((msg.tp, start, msg.offset))
        expected[msg.partition] = msg.offset + 1
        out.append(event)
    return out


async def mark_read_again(app: BrandpulseApp, holes: list[tuple[TP, int, int]]) -> None:
    """Tell Faust that the holes :func:`with_skipped` read again are done, so that its commits can pass them: once
    the batch that processed them has sent what it produced (Faust flushes the producer before it commits)."""
    for tp, start, end in holes:
        await faust_fixes.mark_done(app.consumer, tp, start, end)
    holes.clear()
