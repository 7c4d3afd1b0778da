"""agents.faust_fixes: the producer buffer's flush waits for every queued record (Faust's returns early)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from faust.transport.producer import ProducerBuffer

from agents import faust_fixes


class _Channel:
    """Stands in for a topic: handing a record over takes ``delay`` s (aiokafka waiting for a full batch)."""

    def __init__(self, delay: float) -> None:
        self.delay, self.published = delay, []

    async def publish_message(self, fut, wait: bool = False) -> None:
        await asyncio.sleep(self.delay)
        self.published.append(fut.n)


def _record(channel: _Channel, n: int) -> SimpleNamespace:
    return SimpleNamespace(n=n, message=SimpleNamespace(channel=channel))


async def _flush_three(buffer_class: type[ProducerBuffer]) -> list[int]:
    buffer = buffer_class()
    buffer.app = SimpleNamespace(conf=SimpleNamespace(producer_threaded=False))
    channel = _Channel(delay=0.25)
    await buffer.start()
    try:
        for n in range(3):
            buffer.put(_record(channel, n))
        await buffer.flush()
        return list(channel.published)
    finally:
        while buffer.size:  # stopping flushes, and raises with records queued
            await asyncio.sleep(0.05)
        await buffer.stop()


async def test_flush_returns_only_once_every_queued_record_is_handed_over():
    assert getattr(ProducerBuffer, faust_fixes._FIXED)
    assert await _flush_three(ProducerBuffer) == [0, 1, 2]


async def test_faust_s_own_flush_returns_with_records_still_queued():
    """Why the fix exists. If this fails, faust-streaming fixed its flush: the fix can go."""

    class Unfixed(ProducerBuffer):
        flush = faust_fixes.FAUST_FLUSH

    assert len(await _flush_three(Unfixed)) < 3


def test_the_livelock_checks_skip_a_partition_paused_on_purpose_and_only_that():
    checked = []

    class Thread:
        def verify_event_path(self, now, tp):
            checked.append(tp)

    faust_fixes.fix_livelock_checks(Thread)
    from aiokafka.structs import TopicPartition
    from faust.types import TP

    thread = Thread()
    thread._consumer = SimpleNamespace(paused=lambda: {TopicPartition("posts", 1)})
    thread.verify_event_path(0.0, TP("posts", 1))
    thread.verify_event_path(0.0, TP("posts", 2))
    assert checked == [TP("posts", 2)]


def test_the_livelock_checks_of_faust_s_consumer_thread_are_the_fixed_ones():
    from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

    assert getattr(AIOKafkaConsumerThread, faust_fixes._FIXED, False)


class _StartedProducer:
    """Stands in for Faust's started producer: ``send`` queues the record and returns its future at once, as
    aiokafka's does while a batch has room."""

    started = True

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None]] = []

    async def send(self, topic, key, value, partition=None, timestamp=None, headers=None):
        self.sent.append((topic, value))
        return asyncio.get_running_loop().create_future()


def _yields(topic, value: bytes) -> bool:
    """Whether one ``topic.send`` gives the event loop a turn before it returns (driven by hand, no loop run)."""
    coro = topic.send(key=None, value=value)
    try:
        coro.send(None)
    except StopIteration:
        return False
    coro.close()
    return True


def _app_with(producer: _StartedProducer):
    import faust

    app = faust.App("faust-fixes-test", env={}, broker="kafka://127.0.0.1:1", store="memory://",
                    value_serializer="raw", key_serializer="raw", autodiscover=False, web_enabled=False)
    app._producer = producer
    return app


async def test_a_send_on_a_started_producer_does_not_yield_to_the_event_loop():
    producer = _StartedProducer()
    topic = _app_with(producer).topic("out", value_type=bytes)
    assert not _yields(topic, b"one")
    assert producer.sent == [("out", b"one")]


async def test_faust_s_own_send_yields_to_the_event_loop_on_every_call():
    """Why fix_send_yield exists (mode's ``stampede`` around ``maybe_start_producer``). If this fails, Faust no
    longer yields per send: the fix can go."""
    from faust.topics import Topic

    assert faust_fixes.FAUST_GET_PRODUCER is not None

    class Unfixed(Topic):
        _get_producer = faust_fixes.FAUST_GET_PRODUCER

    producer = _StartedProducer()
    app = _app_with(producer)
    topic = Unfixed(app, topics=["out"], value_type=bytes)
    assert _yields(topic, b"one")


async def test_a_producer_not_started_yet_takes_faust_s_own_path():
    calls = []

    class NotStarted(_StartedProducer):
        started = False

    app = _app_with(NotStarted())

    async def maybe_start_producer():
        calls.append("started")
        return app._producer

    app.maybe_start_producer = maybe_start_producer
    topic = app.topic("out", value_type=bytes)
    await topic.send(key=None, value=b"one")
    assert calls == ["started"]


def test_the_worker_consumer_waits_at_most_the_configured_fetch_wait():
    class Thread:
        def __init__(self, wait_ms):
            self.app = SimpleNamespace(consumer_fetch_max_wait_ms=wait_ms)

        def _create_worker_consumer(self, transport):
            return SimpleNamespace(_fetch_max_wait_ms=1500)  # Faust's fixed value

    faust_fixes.fix_fetch_max_wait(Thread)
    assert Thread(100)._create_worker_consumer(None)._fetch_max_wait_ms == 100
    assert Thread(None)._create_worker_consumer(None)._fetch_max_wait_ms == 1500


async def test_the_fetch_wait_is_where_aiokafka_reads_it_and_faust_s_consumer_thread_is_fixed():
    """The fix sets a private attribute: if aiokafka renames it, this fails instead of the wait going back to
    Faust's 1.5 s unnoticed."""
    from aiokafka import AIOKafkaConsumer
    from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

    assert getattr(AIOKafkaConsumerThread, "_brandpulse_fetch_wait_fixed", False)
    consumer = AIOKafkaConsumer(bootstrap_servers="127.0.0.1:1", fetch_max_wait_ms=1234)
    assert consumer._fetch_max_wait_ms == 1234
    import inspect

    assert "fetch_max_wait_ms=self._fetch_max_wait_ms" in inspect.getsource(AIOKafkaConsumer.start)


def test_the_app_carries_the_fetch_wait_setting(tmp_path):
    from agents.app import create_app
    from agents.settings import load_settings

    settings = load_settings({"BRANDPULSE_BROKER_URL": "kafka://127.0.0.1:1", "BRANDPULSE_DATA_DIR": str(tmp_path),
                              "BRANDPULSE_CONSUMER_FETCH_MAX_WAIT_MS": "250"})
    assert create_app(settings).consumer_fetch_max_wait_ms == 250


def _acked_offset_after_a_jump(app, topic: str) -> int | None:
    """What Faust would commit after its consumer loop fetched offset 10, then 20 (10 and 20 processed)."""
    from faust.types import TP

    consumer, tp = app.consumer, TP(topic, 0)

    async def run() -> int | None:
        await consumer._add_gap(tp, 11, 19)  # what Consumer._drain_messages does on the jump
        consumer._acked[tp].extend([10, 20])
        consumer._acked_index[tp].update([10, 20])
        return consumer._new_offset(tp)

    return asyncio.run(run())


def test_faust_s_consumer_marks_a_jump_in_what_it_fetched_as_done_on_topics_no_stage_checks(make_app):
    """Faust's own behaviour (kept for the alerts): the commit passes offsets 11-19 though nothing processed them."""
    app = make_app()
    assert _acked_offset_after_a_jump(app, app.bp.settings.alerts_topic) == 21


def test_a_jump_on_a_checked_input_is_not_done_until_the_stage_has_read_it_again(make_app):
    """On an input whose stage reads every hole again (agents.continuity), the commit stops at the hole (a worker
    killed before the stage read it would otherwise lose it) until mark_done says the stage has processed it."""
    from faust.types import TP

    app = make_app()
    posts = app.bp.settings.posts_topic
    assert posts in app.checked_topics and app.bp.settings.mentions_topic in app.checked_topics
    assert _acked_offset_after_a_jump(app, posts) == 11
    assert asyncio.run(faust_fixes.mark_done(app.consumer, TP(posts, 0), 11, 20))
    app.consumer._acked[TP(posts, 0)].extend([21])
    assert app.consumer._new_offset(TP(posts, 0)) == 22
