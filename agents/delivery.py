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
