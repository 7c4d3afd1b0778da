"""Shared fixtures of the unit tests: where the data lives, one VADER scorer, a post builder."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from schemas.records import Author, Post
from streams.sentiment import SentimentScorer

#: The repository's own small fixtures (tests/fixtures).
FIXTURES_DIR = Path(__file__).resolve().parents[1] / "fixtures"

#: ../shared/data beside the checkout: present in CI, maybe not in a user's clone.
SHARED_DATA_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES_DIR


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (real public tweets and ratings), or a skip saying it is not there."""
    if not SHARED_DATA_DIR.is_dir():
        pytest.skip(
            f"shared reference data not found at {SHARED_DATA_DIR} "
            "(CI checks it out beside the repository; tests/fixtures covers the formats without it)"
        )
    return SHARED_DATA_DIR


@pytest.fixture(scope="session")
def scorer() -> SentimentScorer:
    """One scorer for the session: building one reads VADER's lexicon."""
    return SentimentScorer()


@pytest.fixture
def make_post() -> Callable[..., Post]:
    """Build a :class:`Post` with sensible defaults; keyword arguments override any field."""

    def make(text: str = "", **fields: Any) -> Post:
        defaults: dict[str, Any] = {
            "id": "p-1",
            "created_at": datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
            "author": Author(id="u-1", handle="alice"),
        }
        return Post(text=text, **{**defaults, **fields})

    return make
