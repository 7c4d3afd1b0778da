"""A topic's open windows never outgrow the broker's message limit (agents.trends, streams.windows): when an
input partition trails the others by hours of event time, the watermark holds every window open, and past the
limit the oldest ones are published early instead of the worker dying on a changelog record Kafka refuses."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from faust.serializers import codecs
from faust.types import TP

from agents.tables import partition_of
from schemas.codec import MENTION_COVERS, MENTION_PRODUCER, MENTION_WATERMARK, dumps, loads
from streams.windows import MAX_VALUE_BYTES

T0 = int(datetime(2024, 6, 1, 12, 0, tzinfo=UTC).timestamp())
TOPIC = "#x"


def mention(i: int, minute: int, source_offset: int) -> dict:
    label = ("positive", "neutral", "negative")[i % 3]
    return {
        "topic": TOPIC, "label": label, "event_s": T0 + minute * 60 + i % 60, "author_id": f"author-{i:08d}",
        "compound": {"positive": 0.9, "neutral": 0.0, "negative": -0.9}[label],
        # Every mention brings new terms, so each minute window's term sketches fill up.
        "terms": [f"{label[:3]}{minute:03d}{i:05d}{j}".ljust(40, "x") for j in range(2)],
        "post_id": f"{minute:04d}{i:015d}", "text": "z" * 280, "author_handle": "someone", "followers": 10,
        "source_partition": 0, "source_offset": source_offset,
    }


def record(offset: int, minute: int, watermark: int, posts: int = 600) -> SimpleNamespace:
    """One ``mentions`` record: a minute's mentions of the topic, stamped with a watermark that a trailing
    input partition holds back."""
    headers = [(MENTION_PRODUCER, b"ingest-1"), (MENTION_WATERMARK, str(watermark).encode()),
               (MENTION_COVERS, b"0,1,2,3")]
    value = dumps({"mentions": [mention(i, minute, offset * 10_000 + i) for i in range(posts)]})
    p = partition_of(TOPIC.encode(), 4)
    return SimpleNamespace(message=SimpleNamespace(topic="mentions", partition=p, offset=offset, headers=headers,
                                                   value=value, key=None, tp=TP("mentions", p), timestamp=None))


async def test_a_topic_whose_windows_would_outgrow_a_table_value_publishes_its_oldest_early(make_app, outputs):
    app = make_app()
    sent = outputs(app)
    trends = app.bp.trends
    trends.table, trends.history = {}, {}
    trends.assigned = set(range(app.bp.settings.topic_partitions))
    trends.due = {p: [] for p in trends.assigned}
    trends.needs_rebuild = False
    codec = codecs.get_codec("brandpulse_windows")

    for minute in range(25):  # 25 minutes of posts, the watermark held at T0 all along
        shed = await trends._fold_batch([record(minute, minute, watermark=T0)])
        await trends._close_due(shed)
        value = trends.table.get(TOPIC.encode())
        assert value is not None and len(codec.dumps(value)) <= MAX_VALUE_BYTES

    published = [loads(c["value"]) for c in sent.kwargs(sent.stats)]
    minutes = [w for w in published if w["resolution"] == "minute"]
    assert minutes, "nothing was closed early: the value grew without bound"
    # The oldest minutes went first, in order, each whole; the newest stayed open.
    starts = [datetime.fromisoformat(w["window_start"]).timestamp() for w in minutes]
    assert starts == [T0 + 60 * i for i in range(len(minutes))]
    assert all(w["posts"] == 600 for w in minutes) and len(minutes) < 25
    assert app.bp.metrics.windows_shed._value.get() == len(minutes)

    # A post still to come for a window published early is late: set aside with its reason, not dropped.
    await trends._fold_batch([record(25, 0, watermark=T0, posts=1)])
    late = sent.kwargs(sent.late)
    assert len(late) == 1 and loads(late[0]["value"])["topic"] == TOPIC
