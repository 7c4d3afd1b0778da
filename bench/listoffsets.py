"""How far the embedded broker's ListOffsets(latest) under-reports a log's end, by producer batch size.

    .venv/bin/python bench/listoffsets.py [--rounds 20] [--batch-bytes 1 16384]

For each batch size: ``--rounds`` times, a fresh 4-partition topic gets 100-3,000 records (10-400 bytes, linger
0-5 ms, the producer's own batching), every delivery awaited; then a new consumer asks for the end offsets and
the script compares them with the offsets the deliveries reported. The same consumer then reads every partition from
the start, for up to ``--read-seconds``, and compares what its fetches returned, and the highwater the fetch
responses reported, with the same offsets. Prints, per round that came up short, by how many records per partition,
and the worst shortfalls per batch size. This is the Tansu limitation behind the batch
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


async def read_all(consumer: AIOKafkaConsumer, tps: list[TopicPartition], sent: list[int],
                   seconds: float) -> tuple[list[int], list[int | None], float]:
    """Read ``tps`` from the start until each has reached ``sent`` or ``seconds`` have passed: (the offset after the
    last record read, the highwater the last fetch reported, seconds taken) per partition."""
    consumer.assign(tps)
    await consumer.seek_to_beginning(*tps)
    read = [0] * len(tps)
    loop = asyncio.get_running_loop()
    started = loop.time()
    while loop.time() - started < seconds and any(read[tp.partition] < sent[tp.partition] for tp in tps):
        for tp, records in (await consumer.getmany(timeout_ms=200)).items():
            read[tp.partition] = max(read[tp.partition], records[-1].offset + 1)
    return read, [consumer.highwater(tp) for tp in tps], loop.time() - started


async def rounds(bootstrap: str, batch_bytes: int, n_rounds: int, rng: random.Random,
                 read_seconds: float) -> tuple[int, int, int]:
    """(worst ListOffsets shortfall, worst fetch-highwater shortfall, worst shortfall of what fetches returned)."""
    worst = worst_hw = worst_read = 0
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
        tps = [TopicPartition(topic, p) for p in range(4)]
        try:
            ends = await consumer.end_offsets(tps)
            read, highwater, took = await read_all(consumer, tps, sent, read_seconds)
        finally:
            await consumer.stop()
        short = [sent[p] - ends[tps[p]] for p in range(4)]
        short_hw = [sent[p] - (highwater[p] if highwater[p] is not None else 0) for p in range(4)]
        short_read = [sent[p] - read[p] for p in range(4)]
        worst, worst_hw, worst_read = max(worst, *short), max(worst_hw, *short_hw), max(worst_read, *short_read)
        if any(short) or any(short_hw) or any(short_read):
            print(f"  batch {batch_bytes} B, round {r}: {n} records; short by, per partition: ListOffsets {short}, "
                  f"fetch highwater {short_hw}, records fetched {short_read} (read for {took:.1f} s)")
    return worst, worst_hw, worst_read


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--batch-bytes", type=int, nargs="+", default=[1, 16384])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--read-seconds", type=float, default=10.0,
                        help="how long to keep fetching a round's records before giving up")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with EmbeddedBroker() as broker:
        bootstrap = broker.bootstrap
        for batch_bytes in args.batch_bytes:
            worst, worst_hw, worst_read = asyncio.run(rounds(bootstrap, batch_bytes, args.rounds, rng,
                                                             args.read_seconds))
            print(f"batch {batch_bytes} B, {args.rounds} rounds: worst shortfall of ListOffsets {worst} records, "
                  f"of the fetch highwater {worst_hw}, of what fetches returned {worst_read}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
