"""Delivery that loses nothing: every send of a batch is awaited before the batch is acknowledged.

Faust acknowledges the events of a ``take_events`` batch when the batch body returns, and also when the
generator is closed by an exception, so an error must never leave the loop. ``topic.send`` only
queues a record. The broker's refusal arrives later, on the future, and ``producer.flush()`` at commit
time does not raise it. Hence:

* :func:`send` returns the delivery future, turning a refusal at send time (a record over the
  producer's size limit) into a failed future as well;
* the agent awaits every future of a batch before returning from the batch body, and treats an
  input whose outputs were refused as a ``processing_error`` dead letter;
* :func:`fatal` ends the process at once if even a dead letter cannot be delivered. No offset is
  committed past the batch, and the restarted worker reads it again (at-least-once).

Retriable broker errors never surface here: aiokafka retries them until ``producer_request_timeout``
(20 minutes by default in Faust), which is how a worker rides out a broker outage.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Sequence
from typing import Any

import faust

log = logging.getLogger(__name__)

#: Exit code of a worker that stopped because Kafka refused a dead letter (EX_SOFTWARE).
EXIT_UNDELIVERABLE = 70


async def send(
    topic: faust.TopicT, *, key: bytes | None, value: bytes | None, headers: Sequence[tuple[str, bytes]] | None = None,
    partition: int | None = None,
) -> Awaitable[Any]:
    """Queue one record (to ``partition``, or the key's); the returned future resolves on delivery or fails with
    the broker's refusal."""
    try:
        return await topic.send(key=key, value=value, partition=partition,
                                headers=list(headers) if headers else None)
    except Exception as exc:  # refused before it left the process (e.g. over the size limit)
        failed: asyncio.Future = asyncio.get_running_loop().create_future()
        failed.set_exception(exc)
        return failed


#: A batched record (``send_batched``) holds parts up to about this many bytes: the broker's and the producer's
#: message limits are 1 MB by default.
BATCH_RECORD_BYTES = 256 * 1024


async def send_batched(
    topic: faust.TopicT, field: str, parts: Sequence[tuple[int, bytes]],
    headers: Sequence[tuple[str, bytes]] | None = None, max_bytes: int = BATCH_RECORD_BYTES,
) -> list[tuple[Awaitable[Any], list[int]]]:
    """Send ``parts`` (partition, serialised JSON value) in as few records as hold them: per partition, records
    ``{"<field>": [part, ...]}`` of up to about ``max_bytes`` (a larger part goes alone), key null, in the parts'
    order. This is how a stage re-keys once per batch rather than once per part. Returns each record's delivery
    future with the indices of the parts it holds."""
    by_partition: dict[int, list[int]] = {}
    for i, (p, _) in enumerate(parts):
        by_partition.setdefault(p, []).append(i)
    opening = b'{"' + field.encode() + b'":['
    out: list[tuple[Awaitable[Any], list[int]]] = []
    for p, indices in sorted(by_partition.items()):
        chunk: list[int] = []
        size = 0
        for i in indices:
            n = len(parts[i][1]) + 1
            if chunk and size + n > max_bytes:
                out.append((await send(topic, key=None, value=opening + b",".join(parts[j][1] for j in chunk) + b"]}",
                                       headers=headers, partition=p), chunk))
                chunk, size = [], 0
            chunk.append(i)
            size += n
        out.append((await send(topic, key=None, value=opening + b",".join(parts[j][1] for j in chunk) + b"]}",
                               headers=headers, partition=p), chunk))
    return out


async def delivered(futures: Sequence[Awaitable[Any]]) -> BaseException | None:
    """Wait for every future; the first failure, or None when all were delivered."""
    if not futures:
        return None
    results = await asyncio.gather(*futures, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            return result
    return None


def fatal(message: str, *args: object) -> None:
    """Stop the process now, before Faust can acknowledge or commit anything more."""
    log.critical(message + "; exiting so that the batch is read again after a restart", *args)
    logging.shutdown()
    sys.stderr.flush()
    os._exit(EXIT_UNDELIVERABLE)
