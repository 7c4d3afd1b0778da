"""How long the embedded broker holds a fetch when records arrive, by the consumer's fetch wait.

    .venv/bin/python bench/fetchwait.py [--records 40] [--waits 1500 500 100]

For each ``fetch_max_wait_ms`` (Kafka's ``fetch.max.wait.ms``; ``fetch.min.bytes`` stays 1): a consumer of a
one-partition topic waits at the log's end while a producer sends ``--records`` records, one every ~137 ms, each
carrying its send time; the script prints how long each took to reach the consumer (p50, max). Apache Kafka
answers a fetch as soon as one record is there, so every figure would be a few ms whatever the wait; Tansu
answers about a quarter of the wait late. This is why ``BRANDPULSE_CONSUMER_FETCH_MAX_WAIT_MS`` is 100 ms by
default (Faust fixes it at 1,500). Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agents.broker import EmbeddedBroker


async def one(bootstrap: str, topic: str, wait_ms: int, records: int) -> list[float]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, fetch_max_wait_ms=wait_ms,
                                auto_offset_reset="latest")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    await consumer.start()
    await producer.start()
    try:
        await consumer.seek_to_end()
        delays: list[float] = []

        async def consume() -> None:
            async for record in consumer:
                delays.append(time.time() - float(record.value))
                if len(delays) >= records:
                    return

        task = asyncio.create_task(consume())
        await asyncio.sleep(1.0)  # the consumer is waiting at the end of the log
        for _ in range(records):
            await producer.send_and_wait(topic, str(time.time()).encode(), partition=0)
            await asyncio.sleep(0.137)  # not a multiple of any wait
        await asyncio.wait_for(task, 30 + wait_ms / 1000 * records)
        return delays
    finally:
        await producer.stop()
        await consumer.stop()


async def run(bootstrap: str, waits: list[int], records: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(f"fetchwait-{w}", 1, 1) for w in waits])
    finally:
        await admin.close()
    print(f"{records} records per wait, one every ~137 ms, to a consumer waiting at the log's end")
    for w in waits:
        delays = await one(bootstrap, f"fetchwait-{w}", w, records)
        print(f"fetch_max_wait_ms {w:>6}: delivered after p50 {statistics.median(delays):.3f} s, "
              f"max {max(delays):.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=40)
    parser.add_argument("--waits", type=int, nargs="+", default=[1500, 500, 100])
    args = parser.parse_args()
    with EmbeddedBroker() as broker:
        asyncio.run(run(broker.bootstrap, args.waits, args.records))


if __name__ == "__main__":
    main()
