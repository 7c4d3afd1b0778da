"""The influence stages' key budget: past it, the least recently active keys go first, watched ones never."""

from __future__ import annotations

import json
from dataclasses import dataclass

from agents.influence import KEEP_S


@dataclass
class Held:
    last_event_s: int


def stage_with(app, stage, keys: dict[bytes, int]) -> dict:
    """The stage over a plain dict (its table's role), owning every partition, holding ``keys``."""
    table: dict = {}
    stage.table = table
    stage.assigned = set(range(app.bp.settings.topic_partitions))
    stage.needs_rebuild = False
    for key, last in keys.items():
        table[key] = Held(last)
        stage.schedule(key, last)
    return table


def test_past_its_budget_the_author_stage_forgets_the_least_recently_active_first(make_app):
    app = make_app(influence_max_authors="100")
    stage = app.bp.influence.authors
    table = stage_with(app, stage, {f"a{i}".encode(): 1_000 + i for i in range(150)})
    # Authors active again since they were scheduled count by their latest activity, not their first.
    for i in range(10):
        table[f"a{i}".encode()].last_event_s = 5_000 + i

    assert stage.evict() == 50
    assert len(table) == 100
    kept = set(table)
    assert {f"a{i}".encode() for i in range(10)} <= kept  # re-activated: kept
    assert kept == {f"a{i}".encode() for i in range(10)} | {f"a{i}".encode() for i in range(60, 150)}
    assert stage.evict() == 0  # within its budget now


def test_the_budget_never_evicts_a_watched_brand_or_its_topics(make_app):
    watchlist = json.dumps({"acme": ["#acme", "acme corp"]})
    app = make_app(influence_max_entries="1000", watchlist=watchlist)
    stage = app.bp.influence.rankings
    stage.forget = lambda key: stage.table.pop(key)  # the entries of a topic: here one per key
    oldest = {b"brand:acme": 1, b"#acme": 2, b"acme corp": 3}
    table = stage_with(app, stage, {**oldest, **{f"#t{i}".encode(): 100 + i for i in range(1_200)}})
    stage.index = table  # the rankings it holds in memory

    assert stage.evict() == 203
    assert set(oldest) <= set(table) and len(table) == 1_000
    assert b"#t202" not in table and b"#t203" in table
    # and they stay scheduled for their own expiry
    assert {k for _, k in stage.due} >= set(oldest)


def test_a_key_touched_since_it_was_scheduled_is_rescheduled_not_evicted(make_app):
    app = make_app(influence_max_authors="100")
    stage = app.bp.influence.authors
    table = stage_with(app, stage, {f"a{i}".encode(): 10 for i in range(101)})
    table[b"a0"].last_event_s = 10 + KEEP_S  # much later than its heap entry says

    assert stage.evict() == 1
    assert b"a0" in table and len(table) == 100
