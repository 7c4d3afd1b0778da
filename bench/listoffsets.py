"""How far the embedded broker's ListOffsets(latest) under-reports a log's end, by producer batch size.

    .venv/bin/python bench/listoffsets.py [--rounds 20] [--batch-bytes 1 16384]

For each batch size: ``--rounds`` times, a fresh 4-partition topic gets 100-3,000 records (10-400 bytes, linger
0-5 ms, the producer's own batching), every delivery awaited; then a new consumer asks for the end offsets and
the script compares them with the offsets the deliveries reported. Prints, per round that came up short, by how
many records per partition, and the worst shortfall per batch size. This is the Tansu limitation behind the batch
marks (docs/reliability.md); with Apache Kafka every shortfall is 0. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agents.broker import EmbeddedBroker


async def rounds(bootstrap: str, batch_bytes: int, n_rounds: int, rng: random.Random) -> int:
    worst = 0
    for r in range(n_rounds):
        topic = f"listoffsets-{batch_bytes}-{r}"
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_batch_size=batch_bytes,
                                    linger_ms=rng.choice([0, 1, 5]))
        await producer.start()
        try:
            n = rng.randint(100, 3000)
            futures = [await producer.send(topic, value=b"x" * rng.randint(10, 400), key=str(i).encode(),
                                           partition=i % 4) for i in range(n)]
            sent = [0] * 4
            for meta in await asyncio.gather(*futures):
                sent[meta.partition] = max(sent[meta.partition], meta.offset + 1)
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
        await consumer.start()
        try:
            ends = await consumer.end_offsets([TopicPartition(topic, p) for p in range(4)])
        finally:
            await consumer.stop()
        short = [sent[p] - ends[TopicPartition(topic, p)] for p in range(4)]
        worst = max(worst, *short)
        if any(short):
            print(f"  batch {batch_bytes} B, round {r}: {n} records; ListOffsets short by {short} per partition")
    return worst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--batch-bytes", type=int, nargs="+", default=[1, 16384])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with EmbeddedBroker() as broker:
        bootstrap = broker.bootstrap
        for batch_bytes in args.batch_bytes:
            worst = asyncio.run(rounds(bootstrap, batch_bytes, args.rounds, rng))
            print(f"batch {batch_bytes} B: worst shortfall {worst} records over {args.rounds} rounds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
