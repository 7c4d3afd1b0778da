"""The metrics catalogue: every metric named the Prometheus way, every label in the budget, docs current.

(The live scrape, with ``promtool check metrics``, is in tests/integration/test_observability.py.)
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from agents.cli import catalogue_app
from agents.metrics import LABEL_BUDGET, catalogue, catalogue_markdown

DOCS = Path(__file__).parents[2] / "docs" / "metrics.md"


@pytest.fixture(scope="module")
def registry():
    return catalogue_app().bp.metrics.registry


def test_docs_are_current(registry):
    assert DOCS.read_text() == catalogue_markdown(registry), \
        "regenerate: brandpulse metrics --markdown > docs/metrics.md"


def test_every_metric_is_named_the_prometheus_way(registry):
    rows = catalogue(registry)
    assert len(rows) > 50
    names = [r["name"] for r in rows]
    assert len(names) == len(set(names))
    for row in rows:
        name = str(row["name"])
        assert re.fullmatch(r"brandpulse_[a-z0-9_]+", name), name
        assert (row["type"] == "counter") == name.endswith("_total"), name
        assert not re.search(r"_(ms|milliseconds|millis|us|minutes|hours|kb|mb)(_|$)", name), name
        assert row["help"], name


def test_every_label_is_in_the_budget(registry):
    for row in catalogue(registry):
        for label in row["labels"]:
            assert label in LABEL_BUDGET, f"{row['name']}: label {label!r} is not in LABEL_BUDGET"


def test_label_values_are_initialised_and_bounded(registry):
    """What a fresh worker serves before any post: every enumerable label value is already there, and no
    label carries anything but its budgeted values."""
    families = {f.name: f for f in text_string_to_metric_families(generate_latest(registry).decode())}
    values: dict[str, set[str]] = {}
    for fam in families.values():
        for sample in fam.samples:
            for label, value in sample.labels.items():
                if label != "le":
                    values.setdefault(label, set()).add(value)
    assert values["reason"] >= {"not_json", "missing_field", "processing_error"}
    assert values["outcome"] == {"enriched", "rejected", "ok", "error"}
    assert values["label"] == {"positive", "neutral", "negative"}
    assert values["brand"] == {"example"}
    assert values["event"] == {"open", "escalate", "update", "resolve"}
    assert values["severity"] == {"watch", "warning", "critical"}
    assert values["table"] == {"trend-windows", "trend-history", "influence-authors", "influence-rankings",
                               "crisis-detectors", "alertmanager-alerts"}
    assert "posts" in values["topic"] and not any(v.startswith("#") for v in values["topic"])
    # The rejection counter starts at zero for each reason: rate() works before the first bad post.
    rejected = {s.labels["reason"]: s.value for s in families["brandpulse_posts_rejected"].samples
                if s.name.endswith("_total")}
    assert set(rejected.values()) == {0.0}


def test_faust_sensor_hooks_count_in_prometheus_and_keep_fausts_own_books():
    """Faust calls these hooks; each one feeds a brandpulse_ metric and leaves the Monitor's own numbers right
    (a metric attribute named like one of the Monitor's would break Faust)."""
    from types import SimpleNamespace

    app = catalogue_app()
    sensor = app.monitor
    assert sensor is app.bp.sensor

    def value(name: str, **labels: str) -> float:
        return app.bp.metrics.registry.get_sample_value(name, labels or None)

    sensor.on_send_error(None, RuntimeError("broker gone"), sensor.time())
    assert value("brandpulse_kafka_send_errors_total") == 1 and sensor.send_errors == 1
    sensor.on_assigned()
    assert value("brandpulse_rebalances_total") == 1
    state = sensor.on_send_initiated(None, "posts.enriched", None, 1, 1)
    sensor.on_send_completed(None, state, None)
    assert value("brandpulse_kafka_messages_sent_total", topic="posts.enriched") == 1
    assert value("brandpulse_kafka_send_seconds_count") == 1 and sensor.messages_sent == 1
    table = SimpleNamespace(name="trend-windows")
    sensor.on_table_get(table, b"k")
    sensor.on_table_set(table, b"k", None)
    sensor.on_table_del(table, b"k")
    for op in ("get", "set", "delete"):
        assert value("brandpulse_table_operations_total", table="trend-windows", operation=op) == 1
    from faust.types import TP

    tp = TP("posts", 0)
    sensor.on_message_in(tp, 41, SimpleNamespace(time_in=None))
    assert value("brandpulse_kafka_messages_received_total", topic="posts") == 1
    assert sensor.tp_read_offsets[tp] == 41 and sensor.messages_received_total == 1
    started = sensor.on_commit_initiated(None)
    sensor.on_commit_completed(None, started)
    assert value("brandpulse_kafka_commit_seconds_count") == 1
