"""agents.broker.read_range against the real broker: what agents.continuity reads again when Faust skips."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaProducer

from agents.broker import read_range
from agents.settings import load_settings

pytestmark = pytest.mark.integration


def test_read_range_returns_exactly_the_offsets_asked_for_in_order(broker_url):
    bootstrap = load_settings({"BRANDPULSE_BROKER_URL": broker_url}).bootstrap_servers
    topic = f"it-range-{uuid.uuid4().hex[:8]}"

    async def run() -> list:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_batch_size=1)
        await producer.start()
        try:
            for i in range(10):
                await producer.send_and_wait(topic, f"r{i}".encode(), partition=1)
        finally:
            await producer.stop()
        return await read_range(bootstrap, topic, 1, 3, 7, timeout=30)

    records = asyncio.run(run())
    assert [(r.offset, r.value) for r in records] == [(o, f"r{o}".encode()) for o in range(3, 7)]


def test_read_range_says_when_kafka_does_not_give_the_records(broker_url):
    bootstrap = load_settings({"BRANDPULSE_BROKER_URL": broker_url}).bootstrap_servers
    topic = f"it-range-{uuid.uuid4().hex[:8]}"

    async def run() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait(topic, b"only", partition=0)
        finally:
            await producer.stop()
        await read_range(bootstrap, topic, 0, 0, 5, timeout=2)  # offsets 1-4 do not exist

    with pytest.raises(TimeoutError, match="not read within"):
        asyncio.run(run())
