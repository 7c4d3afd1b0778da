"""Fixes to faust-streaming 0.15.3 that brandpulse's delivery guarantees depend on, applied once on import.

**The producer buffer's flush returns before the buffer is empty.** A table write (``table[key] = value``) is
synchronous, so Faust queues its changelog record in the producer's ``ProducerBuffer``, which a background task
hands to aiokafka one by one. Before it commits consumer offsets, Faust flushes the producer
(``Consumer._commit_offsets`` → ``Producer.flush`` → ``ProducerBuffer.flush``, then aiokafka's flush), so that
no offset is committed before the state changes it caused are in Kafka. But ``ProducerBuffer.flush`` waits at
most 0.1 s for *each next* message to be handed over and returns when one takes longer, with records still
queued; and the record being handed over at that moment is in neither queue. aiokafka's flush then waits only
for what it has. A record takes longer than 0.1 s to hand over whenever aiokafka's batch for its partition is
full and waits to be sent (always, with one record per batch), or when the event loop is busy. A worker killed
after such a commit has committed the input of state changes that never reached the changelog: after the restart
they are neither restored nor processed again (seen as windows with half their posts in
``tests/integration/test_crash.py``, with no mention set aside as late).

The fixed ``flush`` waits until the queue is empty *and* no record is being handed over; it keeps the original's
errors (a flush of a buffer that is not running, with records queued, raises). ``flush_atmost`` (Faust's
back-pressure, ``wait_until_ebb``) is left as it is: it is meant to return early.

**Every ``Topic.send`` yields to the event loop.** ``Topic.publish_message`` gets the producer through
``App.maybe_start_producer``, which is wrapped in mode's ``stampede``, and that wrapper begins with
``await asyncio.sleep(0)``, even when the producer has long been started. So aiokafka's sender task runs
between any two sends and ships what it holds: measured with ``bench/compare.py --systems faust-floor`` (a
Faust agent forwarding 20,000 posts in ``take_events`` batches), 5,918 produce requests of about 3 records
each, against 94 when the same records were handed to the producer directly, and 10 times the broker's CPU.
:func:`fix_send_yield` returns the started producer without the wrapper (and without its yield); while the
producer is not started yet, or in a transaction, Faust's own path runs.

**The fetch wait is fixed at 1.5 s.** Faust builds its consumer with ``fetch_max_wait_ms=1500`` whatever the
settings say. :func:`fix_fetch_max_wait` uses the app's ``consumer_fetch_max_wait_ms`` when it has one
(``BRANDPULSE_CONSUMER_FETCH_MAX_WAIT_MS``): on the embedded broker (Tansu), which answers a fetch about a
quarter of that wait late even when records are there, it sets the latency of every hop between stages.

**Faust marks a jump in the offsets it fetched as done before anything processed them.** Its consumer loop
(``Consumer._drain_messages``) treats a record whose offset is more than one past the last one it read as the end
of a gap in the log (a transactional producer's markers, compaction) and adds the offsets between to its done set
(``Consumer._add_gap``), so that its next commit passes them once the record after them is acknowledged. But Faust
also makes such jumps itself: its ``getmany`` drops the rest of a fetched batch when its flow stops or the group
generation changes, and the records of a partition it has paused, and those are not gaps of the log: a stage
still has them to read again (``agents.continuity``). A worker killed between that commit and the stage's reading
them again has lost them for good, with no log line. It is the likely cause of the 500 posts (a poll's worth) that
``bench/crash.py`` with the producer's default batches lost in one run of three (docs/reliability.md).
:func:`fix_fetch_gaps` leaves Faust's gaps out for the topics whose stages check their offsets (they read every
hole again and only then mark it done: ``mark_done``, with Faust's own ``_add_gap``); other topics keep Faust's
behaviour.

Also here, each with its reason: ``mark_done`` (offsets processed outside Faust's stream), ``committed_offset``
(where Faust sought a partition to), ``pause_fetching`` (pause a partition at aiokafka's level: Faust's own pause
drops records already fetched) and ``fix_livelock_checks`` (Faust's livelock checks would take a paused
partition for a stuck one).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from faust.transport.producer import ProducerBuffer

log = logging.getLogger(__name__)

#: Marks a ProducerBuffer class already fixed (the module may be imported more than once in tests).
_FIXED = "_brandpulse_flush_fixed"
#: Faust's own flush, kept for the test that shows why this module exists.
FAUST_FLUSH = ProducerBuffer.flush
#: Faust's own ``Topic._get_producer`` (set by :func:`fix_send_yield`), kept for the test that shows its yield.
FAUST_GET_PRODUCER: Any = None


def _handing_over(buffer: ProducerBuffer) -> int:
    return getattr(buffer, "_brandpulse_handing_over", 0)


def fix_producer_buffer(cls: type[ProducerBuffer] = ProducerBuffer) -> None:
    if getattr(cls, _FIXED, False):
        return
    send_pending = cls._send_pending

    async def _send_pending(self: ProducerBuffer, fut: Any) -> None:
        # Counted from when the record leaves the queue (``_handle_pending`` calls this right after
        # ``pending.get()`` returns, with no await between) until aiokafka has it.
        self._brandpulse_handing_over = _handing_over(self) + 1  # type: ignore[attr-defined]
        try:
            await send_pending(self, fut)
        finally:
            self._brandpulse_handing_over -= 1  # type: ignore[attr-defined]

    async def flush(self: ProducerBuffer) -> None:
        """Until every queued record has been handed to the producer (Faust's own returns after 0.1 s without
        progress, records still queued)."""
        while self.size or (_handing_over(self) and self.state == "running"):
            if self.state != "running" and self.size:
                raise RuntimeError("Cannot flush: Producer not Running")
            self.message_sent.clear()
            try:
                await asyncio.wait_for(self.message_sent.wait(), timeout=0.1)
            except TimeoutError:
                continue

    cls._send_pending = _send_pending  # type: ignore[method-assign]
    cls.flush = flush  # type: ignore[method-assign]
    setattr(cls, _FIXED, True)


fix_producer_buffer()


def fix_send_yield(cls: type | None = None) -> None:
    """``Topic._get_producer`` without mode's ``stampede`` yield once the producer is started (see above)."""
    if cls is None:
        from faust.topics import Topic as cls
    if getattr(cls, _FIXED, False):
        return
    global FAUST_GET_PRODUCER
    get_producer = FAUST_GET_PRODUCER = cls._get_producer

    async def _get_producer(self: Any) -> Any:
        app = self.app
        producer = app.producer
        if producer.started and not app.in_transaction:
            return producer
        return await get_producer(self)

    cls._get_producer = _get_producer
    setattr(cls, _FIXED, True)


fix_send_yield()


def fix_fetch_max_wait(cls: type | None = None) -> None:
    """The worker's consumer waits at most the app's ``consumer_fetch_max_wait_ms`` per fetch (see above)."""
    if cls is None:
        from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread as cls
    if getattr(cls, "_brandpulse_fetch_wait_fixed", False):
        return
    create = cls._create_worker_consumer

    def _create_worker_consumer(self: Any, transport: Any) -> Any:
        consumer = create(self, transport)
        wait_ms = getattr(self.app, "consumer_fetch_max_wait_ms", None)
        if wait_ms is not None:
            # aiokafka keeps it until ``start`` hands it to its fetcher (a private attribute: the test of this
            # module fails if aiokafka renames it)
            consumer._fetch_max_wait_ms = int(wait_ms)
        return consumer

    cls._create_worker_consumer = _create_worker_consumer
    cls._brandpulse_fetch_wait_fixed = True


fix_fetch_max_wait()


def fix_livelock_checks(cls: type | None = None) -> None:
    """Faust's livelock checks (``AIOKafkaConsumerThread.verify_event_path``, every few seconds per partition)
    log at ERROR that "aiokafka has not sent fetch request" or that the stream stopped for a partition with no
    fetch for ``stream_processing_timeout`` (300 s). A partition paused on purpose (:func:`pause_fetching`)
    is neither, so it is not checked while paused."""
    if cls is None:
        from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread as cls
    if getattr(cls, _FIXED, False):
        return
    from aiokafka.structs import TopicPartition

    verify = cls.verify_event_path

    def verify_event_path(self: Any, now: float, tp: Any) -> None:
        consumer = getattr(self, "_consumer", None)
        if consumer is not None and TopicPartition(tp.topic, tp.partition) in consumer.paused():
            return None
        return verify(self, now, tp)

    cls.verify_event_path = verify_event_path
    setattr(cls, _FIXED, True)


fix_livelock_checks()


#: Faust's own ``Consumer._add_gap`` (set by :func:`fix_fetch_gaps`): what ``mark_done`` calls.
FAUST_ADD_GAP: Any = None


def fix_fetch_gaps(cls: type | None = None) -> None:
    """Faust's consumer loop no longer marks a jump in the offsets it fetched as done on the topics whose stages
    check their offsets (the app's ``checked_topics``); see above."""
    if cls is None:
        from faust.transport.consumer import Consumer as cls
    if getattr(cls, "_brandpulse_gaps_fixed", False):
        return
    global FAUST_ADD_GAP
    add_gap = FAUST_ADD_GAP = cls._add_gap

    async def _add_gap(self: Any, tp: Any, offset_from: int, offset_to: int) -> None:
        if tp.topic in getattr(self.app, "checked_topics", ()):
            log.info("%s[%s]: offsets %s-%s were not delivered by Faust's consumer; not done until the stage has "
                     "read them again", tp.topic, tp.partition, offset_from, offset_to)
            return
        await add_gap(self, tp, offset_from, offset_to)

    cls._add_gap = _add_gap
    cls._brandpulse_gaps_fixed = True


fix_fetch_gaps()


async def mark_done(consumer: Any, tp: Any, start: int, end: int) -> bool:
    """Tell Faust's offset bookkeeping that offsets ``start <= offset < end`` of ``tp`` are done (processed by
    us outside Faust's stream), so that its commits can pass them once the records after them are acknowledged.

    Faust keeps the acknowledged offsets per partition and commits only up to the first hole; offsets it read but
    never delivered (see ``agents.ingest``: posts Faust's stream skipped after a seek) would otherwise hold the
    commit back for good, or, where its consumer took them for a gap in the log, be committed unprocessed. This
    uses Faust's own gap record (``Consumer._add_gap``, private; its own, not :func:`fix_fetch_gaps`'s): False if
    this Faust has none. Call it once the records are processed and what they produced is sent: Faust's next
    commit may pass them."""
    if FAUST_ADD_GAP is None or not hasattr(consumer, "_gap") or end <= start:
        return False
    await FAUST_ADD_GAP(consumer, tp, start, end - 1)
    return True


def committed_offset(consumer: Any, tp: Any) -> int | None:
    """The offset Faust sought ``tp`` to on assignment (the group's committed one), if it knows one. Faust keeps
    it in ``Consumer._committed_offset`` (private), and also moves it as it commits."""
    committed = getattr(consumer, "_committed_offset", None)
    offset = committed.get(tp) if committed is not None else None
    return offset if isinstance(offset, int) and offset >= 0 else None


async def pause_fetching(consumer: Any, tps: Any, *, paused: bool) -> None:
    """Stop (``paused``) or restart fetching ``tps`` (those still assigned) in the aiokafka consumer under
    Faust's.

    Faust's own ``Consumer.pause_partitions`` only takes a partition out of the set its fetch loop delivers: the
    records of it that the loop already holds are dropped, while aiokafka's read position has moved past them,
    so the stream goes on after a hole (``agents.continuity`` then reads it again: up to 5,026 posts at once in
    bench/crash.py). aiokafka's ``pause`` stops fetching the partition instead, and drops only records it has not
    handed out, whose position it has not moved past, so that after ``resume`` it reads on from the first record
    not yet delivered. Records already handed to Faust are delivered as usual. The consumer runs in Faust's
    consumer thread (its own event loop), so this runs there (``call_thread``); aiokafka forgets a pause when the
    partition is assigned again."""
    from aiokafka.structs import TopicPartition

    thread = consumer._thread

    async def apply() -> None:
        kafka = thread._ensure_consumer()
        assigned = kafka.assignment()
        parts = [TopicPartition(tp.topic, tp.partition) for tp in tps]
        (kafka.pause if paused else kafka.resume)(*[tp for tp in parts if tp in assigned])

    await thread.call_thread(apply)
