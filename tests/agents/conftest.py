"""Agent tests: the real agents in-process with ``test_context()``; what leaves the process is mocked."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from unittest.mock import AsyncMock, patch

import pytest

from agents.app import BrandpulseApp, create_app
from agents.settings import load_settings


@pytest.fixture
def make_app() -> Callable[..., BrandpulseApp]:
    """A factory: a fresh app (its own id and metrics registry) per call."""

    def factory(**env: str) -> BrandpulseApp:
        values = {
            "BRANDPULSE_BROKER_URL": "kafka://localhost:1",  # never contacted: sends are mocked
            "BRANDPULSE_APP_ID": f"test-{uuid.uuid4().hex[:8]}",
            "BRANDPULSE_BATCH_WITHIN_SECONDS": "0.01",
            **{f"BRANDPULSE_{k.upper()}": v for k, v in env.items()},
        }
        return create_app(load_settings(values))

    return factory


def delivered_future(**kwargs: object) -> asyncio.Future:
    """What ``topic.send`` returns: a delivery future, here already delivered."""
    future = asyncio.get_running_loop().create_future()
    future.set_result(None)
    return future


class Sent:
    """The sends an app made on its output topics, by topic."""

    def __init__(self, enriched: AsyncMock, mentions: AsyncMock, dlq: AsyncMock, stats: AsyncMock,
                 late: AsyncMock, activity: AsyncMock, candidates: AsyncMock, influencers: AsyncMock) -> None:
        self.enriched, self.mentions, self.dlq, self.stats, self.late = enriched, mentions, dlq, stats, late
        self.activity, self.candidates, self.influencers = activity, candidates, influencers

    @staticmethod
    def kwargs(mock: AsyncMock) -> list[dict]:
        return [c.kwargs for c in mock.await_args_list]


@pytest.fixture
def outputs() -> Iterator[Callable[[BrandpulseApp], Sent]]:
    """Replace the output topics' ``send`` of an app with recorders."""
    with ExitStack() as stack:

        def patch_app(app: BrandpulseApp) -> Sent:
            t = app.bp.topics
            mocks = [stack.enter_context(patch.object(topic, "send", AsyncMock(side_effect=delivered_future)))
                     for topic in (t.enriched, t.mentions, t.dlq, t.stats, t.late, t.activity, t.candidates,
                                   t.influencers)]
            return Sent(*mocks)

        yield patch_app
