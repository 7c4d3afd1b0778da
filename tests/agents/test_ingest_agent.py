"""The ingest agent in-process: what it sends for good posts, bad input and its own failures."""

from __future__ import annotations

import orjson
import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from agents.tables import partition_of
from schemas.codec import read_dead_letter_headers

POST = {
    "id": "p1",
    "text": "I love flying with @united but the #Delay today was awful #travel",
    "created_at": "2024-03-01T12:00:00Z",
    "author": {"id": "u1", "handle": "alice", "followers": 120},
}


def raw(obj: dict) -> bytes:
    return orjson.dumps(obj)


def sample(app, name: str, **labels: str) -> float:
    return app.bp.metrics.registry.get_sample_value(name, labels)


async def test_a_valid_post_is_enriched_and_fanned_out_by_topic(make_app, outputs):
    app = make_app()
    sent = outputs(app)
    async with app.bp.ingest_agent.test_context() as agent:
        await agent.put(raw(POST), key=b"anything")

    (call,) = sent.kwargs(sent.enriched)
    assert call["key"] == b"p1"
    enriched = orjson.loads(call["value"])
    expected = SentimentIntensityAnalyzer().polarity_scores(POST["text"])["compound"]
    assert enriched["sentiment"]["compound"] == expected
    assert enriched["hashtags"] == ["#delay", "#travel"]
    assert enriched["mentions"] == ["@united"]
    assert enriched["post"]["author"]["followers"] == 120
    # Re-keyed once per batch: a record per mentions partition, holding the mentions of its topics.
    batches = [c for c in sent.kwargs(sent.mentions) if c["value"]]
    assert all(c["key"] is None for c in batches)
    mentions = [(c["partition"], m) for c in batches for m in orjson.loads(c["value"])["mentions"]]
    assert sorted(m["topic"] for _, m in mentions) == ["#delay", "#travel", "@united"]
    partitions = app.bp.settings.topic_partitions
    assert all(p == partition_of(m["topic"].encode(), partitions) for p, m in mentions)
    assert len(batches) == len({p for p, _ in mentions})
    assert {(m["post_id"], m["source_partition"], m["source_offset"]) for _, m in mentions} == {("p1", 0, 0)}
    (record,) = sent.kwargs(sent.activity)  # an original post: its author's activity, no credit
    assert record["key"] is None and record["partition"] == partition_of(b"u1", partitions)
    (activity,) = orjson.loads(record["value"])["activities"]
    assert activity["author"]["id"] == "u1"
    assert activity["topics"] == ["#delay", "#travel", "@united"]
    assert activity["role"] == "post"
    # stamped like the mentions: the influence stages keep a window until the watermark passes it
    assert record["headers"] == batches[0]["headers"]
    assert ("brandpulse.producer", app.bp.producer_id.encode()) in record["headers"]
    assert sent.dlq.await_count == 0
    assert sample(app, "brandpulse_posts_total", outcome="enriched") == 1
    assert sample(app, "brandpulse_mentions_total") == 3


async def test_a_retweet_sends_an_activity_for_its_author_and_a_credit_for_the_original_author(make_app, outputs):
    app = make_app()
    sent = outputs(app)
    retweet = {**POST, "id": "r1", "kind": "retweet", "text": "RT @bob: so good #launch",
               "ref": {"id": "p0", "author_id": "u2", "author_handle": "bob"},
               "engagement": {"retweets": 7, "likes": 0}}
    async with app.bp.ingest_agent.test_context() as agent:
        await agent.put(raw(retweet), key=b"r1")

    records = sent.kwargs(sent.activity)
    partitions = app.bp.settings.topic_partitions
    activities = [(a["author"]["id"].encode(), a) for c in records for a in orjson.loads(c["value"])["activities"]]
    activities.sort(key=lambda ka: ka[1]["role"] != "post")
    assert all(partition_of(a["author"]["id"].encode(), partitions) == c["partition"]
               for c in records for a in orjson.loads(c["value"])["activities"])
    assert [(k, a["role"], a["post_id"], a["via_id"]) for k, a in activities] == [
        (b"u1", "post", "r1", "r1"), (b"u2", "credit", "p0", "r1")]
    assert activities[0][1]["engagement"]["retweets"] == 0  # a retweet's count is its original's
    assert activities[1][1]["engagement"]["retweets"] == 7
    assert activities[1][1]["profile_known"] is False
    # Each names the posts record it comes from, so the author stage counts a re-processed post once.
    assert {(a["source_partition"], a["source_offset"]) for _, a in activities} == {(0, 0)}


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"{not json", "not_json"),
        (b"[1, 2]", "not_object"),
        (b'{"hello": "world"}', "unknown_format"),
        (b'{"id": "x", "text": "t", "author": {"id": "1", "handle": "h"}}', "missing_field"),
        (b'{"id": 5, "text": "t", "created_at": "2024-01-01T00:00:00Z", "author": {"id": "1", "handle": "h"}}',
         "invalid_field"),
        (b'{"text": "\xff\xfe"}', "not_utf8"),
        (b"[" * 2000 + b"]" * 2000, "too_deep"),
    ],
)
async def test_bad_input_is_dead_lettered_with_its_original_bytes_key_and_reason(make_app, outputs, value, reason):
    app = make_app()
    sent = outputs(app)
    async with app.bp.ingest_agent.test_context() as agent:
        await agent.put(value, key=b"the-key")

    (call,) = sent.kwargs(sent.dlq)
    assert call["key"] == b"the-key"
    assert call["value"] == value
    headers = read_dead_letter_headers(call["headers"])
    assert headers["brandpulse.reason"] == reason
    assert headers["brandpulse.detail"]
    assert headers["brandpulse.source.topic"] == app.bp.settings.posts_topic
    assert headers["brandpulse.source.partition"] == "0"
    assert headers["brandpulse.original_bytes"] == str(len(value))
    assert "brandpulse.truncated" not in headers
    assert sent.enriched.await_count == 0
    assert sent.mentions.await_count == 0
    assert sample(app, "brandpulse_posts_rejected_total", reason=reason) == 1
    assert sample(app, "brandpulse_posts_total", outcome="rejected") == 1


async def test_an_oversized_message_is_dead_lettered_truncated_with_its_size(make_app, outputs):
    app = make_app(max_message_bytes="2048")
    sent = outputs(app)
    big = raw({**POST, "text": "x" * 5000})
    async with app.bp.ingest_agent.test_context() as agent:
        await agent.put(big, key=None)

    (call,) = sent.kwargs(sent.dlq)
    headers = read_dead_letter_headers(call["headers"])
    assert headers["brandpulse.reason"] == "too_large"
    assert headers["brandpulse.original_bytes"] == str(len(big))
    assert headers["brandpulse.truncated"] == "true"
    assert call["value"] == big[:2048]


async def test_source_offsets_of_dead_letters_follow_the_input(make_app, outputs):
    app = make_app()
    sent = outputs(app)
    async with app.bp.ingest_agent.test_context() as agent:
        await agent.put(raw(POST))
        await agent.put(b"bad one")
        await agent.put(b"bad two")

    offsets = [read_dead_letter_headers(c["headers"])["brandpulse.source.offset"] for c in sent.kwargs(sent.dlq)]
    assert offsets == ["1", "2"]
    assert sent.enriched.await_count == 1


async def test_a_failure_of_our_own_dead_letters_the_post_and_the_next_post_still_flows(
    make_app, outputs, monkeypatch, caplog
):
    import agents.ingest

    real_enrich = agents.ingest.enrich

    def flaky(post, scorer, **kw):
        if post.id == "boom":
            raise RuntimeError("a bug in enrichment")
        return real_enrich(post, scorer, **kw)

    monkeypatch.setattr(agents.ingest, "enrich", flaky)
    app = make_app()
    sent = outputs(app)
    async with app.bp.ingest_agent.test_context() as agent:
        await agent.put(raw({**POST, "id": "boom"}), key=b"k1")
        await agent.put(raw(POST), key=b"k2")

    (dead,) = sent.kwargs(sent.dlq)
    headers = read_dead_letter_headers(dead["headers"])
    assert headers["brandpulse.reason"] == "processing_error"
    assert "a bug in enrichment" in headers["brandpulse.detail"]
    assert dead["value"] == raw({**POST, "id": "boom"})
    assert [c["key"] for c in sent.kwargs(sent.enriched)] == [b"p1"]
    assert "processing the message" in caplog.text
    assert sample(app, "brandpulse_posts_rejected_total", reason="processing_error") == 1


def refused(**kwargs):
    """A send whose delivery the broker refuses."""
    import asyncio

    from aiokafka.errors import MessageSizeTooLargeError

    future = asyncio.get_running_loop().create_future()
    future.set_exception(MessageSizeTooLargeError("the record is larger than the broker accepts"))
    return future


async def test_a_post_whose_output_the_broker_refuses_is_dead_lettered_not_lost(make_app, outputs):
    app = make_app()
    sent = outputs(app)
    sent.enriched.side_effect = refused
    async with app.bp.ingest_agent.test_context() as agent:
        await agent.put(raw(POST), key=b"k")

    (dead,) = sent.kwargs(sent.dlq)
    headers = read_dead_letter_headers(dead["headers"])
    assert headers["brandpulse.reason"] == "processing_error"
    assert "MessageSizeTooLargeError" in headers["brandpulse.detail"]
    assert dead["value"] == raw(POST)
    assert sample(app, "brandpulse_posts_total", outcome="enriched") == 0
    assert sample(app, "brandpulse_posts_rejected_total", reason="processing_error") == 1


async def test_when_even_the_dead_letter_is_refused_the_worker_stops_before_acknowledging(make_app, outputs, monkeypatch):
    import agents.ingest

    stops = []
    monkeypatch.setattr(agents.ingest, "fatal", lambda message, *args: stops.append(message % args))
    app = make_app()
    sent = outputs(app)
    sent.dlq.side_effect = refused
    async with app.bp.ingest_agent.test_context() as agent:
        await agent.put(b"not json", key=b"k")

    assert len(stops) == 1 and "refused the dead letter" in stops[0]
    assert sample(app, "brandpulse_posts_total", outcome="rejected") == 0


async def test_metrics_count_only_what_was_delivered(make_app, outputs):
    app = make_app()
    sent = outputs(app)
    sent.mentions.side_effect = refused
    async with app.bp.ingest_agent.test_context() as agent:
        await agent.put(raw(POST))

    assert sample(app, "brandpulse_posts_total", outcome="enriched") == 0
    assert sample(app, "brandpulse_mentions_total") == 0
    assert sample(app, "brandpulse_posts_rejected_total", reason="processing_error") == 1


async def test_mentions_carry_the_producer_and_its_event_time_watermark(make_app, outputs):
    app = make_app()
    sent = outputs(app)
    async with app.bp.ingest_agent.test_context() as agent:
        await agent.put(raw(POST))  # 12:00:00
        await agent.put(raw({**POST, "id": "p2", "created_at": "2024-03-01T12:00:30Z"}))

    batches = [dict(c["headers"]) for c in sent.kwargs(sent.mentions) if c["value"]]
    assert all(h["brandpulse.producer"] == app.bp.producer_id.encode() for h in batches)
    # Each batch's records carry the watermark as it stood when the batch began: none before the first post,
    # then 2024-03-01T12:00:00Z, the first post's time, on the second's.
    assert "brandpulse.watermark_s" not in batches[0]
    assert int(batches[-1]["brandpulse.watermark_s"]) == 1709294400


async def test_the_watermark_is_announced_on_every_mentions_partition(make_app, outputs):
    app = make_app(topic_partitions="3")
    sent = outputs(app)
    async with app.bp.ingest_agent.test_context() as agent:
        await agent.put(raw(POST))

    control = [c for c in sent.kwargs(sent.mentions) if "brandpulse.control" in dict(c["headers"])]
    assert sorted(c["partition"] for c in control) == [0, 1, 2]
    for c in control:
        headers = dict(c["headers"])
        assert headers["brandpulse.control"] == b"watermark"
        assert int(headers["brandpulse.watermark_s"]) == 1709294400


async def test_a_post_later_than_the_allowed_lateness_is_enriched_and_its_mentions_set_aside(make_app, outputs):
    app = make_app(allowed_lateness_seconds="60")
    sent = outputs(app)
    async with app.bp.ingest_agent.test_context() as agent:
        await agent.put(raw(POST))  # 12:00:00
        await agent.put(raw({**POST, "id": "old", "created_at": "2024-03-01T11:58:59Z"}))  # 61 s behind

    assert [c["key"] for c in sent.kwargs(sent.enriched)] == [b"p1", b"old"]
    late = sent.kwargs(sent.late)
    assert [c["key"] for c in late] == [b"#delay", b"#travel", b"@united"]
    assert {read_dead_letter_headers(c["headers"])["brandpulse.reason"] for c in late} == {"late"}
    assert all(orjson.loads(c["value"])["post_id"] == "old" for c in late)
    assert [orjson.loads(c["value"])["topic"] for c in late] == ["#delay", "#travel", "@united"]
    # None of the late post's mentions went to the windows' input.
    batched = [m for c in sent.kwargs(sent.mentions) if c["value"] for m in orjson.loads(c["value"])["mentions"]]
    assert {m["post_id"] for m in batched} == {"p1"}
    assert sample(app, "brandpulse_posts_late_total") == 1
    assert sample(app, "brandpulse_posts_total", outcome="enriched") == 2


async def test_a_post_dated_ahead_of_the_clock_is_dead_lettered_and_does_not_drag_event_time(make_app, outputs):
    from datetime import UTC, datetime, timedelta

    def at(delta: timedelta) -> str:
        return (datetime.now(UTC) + delta).strftime("%Y-%m-%dT%H:%M:%SZ")

    app = make_app(allowed_lateness_seconds="60", max_future_seconds="900")
    sent = outputs(app)
    async with app.bp.ingest_agent.test_context() as agent:
        await agent.put(raw({**POST, "id": "now", "created_at": at(timedelta(0))}))
        await agent.put(raw({**POST, "id": "year-2099", "created_at": "2099-01-01T00:00:00Z"}))
        await agent.put(raw({**POST, "id": "after", "created_at": at(timedelta(seconds=-30))}))
        await agent.put(raw({**POST, "id": "soon", "created_at": at(timedelta(minutes=5))}))  # clock skew: fine

    (dead,) = sent.kwargs(sent.dlq)
    headers = read_dead_letter_headers(dead["headers"])
    assert headers["brandpulse.reason"] == "future" and "over 900 s after" in headers["brandpulse.detail"]
    assert orjson.loads(dead["value"])["id"] == "year-2099"
    assert [c["key"] for c in sent.kwargs(sent.enriched)] == [b"now", b"after", b"soon"]
    assert sent.late.await_count == 0  # the 2099 post did not move event time: nothing after it is late
    assert sample(app, "brandpulse_posts_rejected_total", reason="future") == 1


@pytest.fixture
def refetching(monkeypatch) -> tuple[list, list]:
    """agents.continuity with Kafka's part stood in for: (the ranges read again as (topic, partition, start,
    end), the ranges Faust was told are done as (partition, start, end)). A re-read post's id is
    ``again-<offset>``."""
    from types import SimpleNamespace

    import agents.continuity

    reads, done = [], []

    async def read_range(bootstrap, topic_name, partition, start, end, **kw):
        reads.append((topic_name, partition, start, end))
        return [SimpleNamespace(topic=topic_name, partition=partition, offset=o, key=None, headers=[],
                                timestamp=1709294400000, value=raw({**POST, "id": f"again-{o}"}))
                for o in range(start, end)]

    async def mark_done(consumer, tp, start, end):
        done.append((tp.partition, start, end))
        return True

    monkeypatch.setattr(agents.continuity, "read_range", read_range)
    monkeypatch.setattr(agents.continuity.faust_fixes, "mark_done", mark_done)
    return reads, done


async def test_posts_the_consumer_skipped_are_read_again_and_processed_in_order(make_app, outputs, refetching):
    """Faust's stream can skip records fetched during a seek (agents.ingest.skipped_before): a hole in the
    offsets it delivers is read again from Kafka and processed before the post after it, and Faust is told."""
    reads, done = refetching
    topic = None
    app = make_app()
    sent = outputs(app)
    async with app.bp.ingest_agent.test_context() as agent:
        await agent.put(raw(POST))  # offset 0
        agent.sent_offset += 2  # offsets 1 and 2 never reach the stream
        await agent.put(raw({**POST, "id": "p4"}))  # offset 3
        topic = app.bp.topics.posts.get_topic_name()

    assert [c["key"] for c in sent.kwargs(sent.enriched)] == [b"p1", b"again-1", b"again-2", b"p4"]
    assert [r[1:] for r in reads] == [(0, 1, 3)] and reads[0][0] == topic
    assert done == [(0, 1, 3)]
    assert sample(app, "brandpulse_records_refetched_total", stage="ingest") == 2
    mentions = [m for c in sent.kwargs(sent.mentions) if c["value"] for m in orjson.loads(c["value"])["mentions"]]
    assert sorted({m["source_offset"] for m in mentions}) == [0, 1, 2, 3]


async def test_posts_skipped_before_the_first_one_after_an_assignment_are_read_again(make_app, outputs, refetching):
    """A hole right after the committed offset Faust sought to on assignment: the stage has no offset of its own
    to compare with yet, so it compares with the committed one. Left alone, Faust would never commit the
    partition again and this worker would never process those posts."""
    from faust.types import TP

    reads, done = refetching
    app = make_app()
    sent = outputs(app)
    async with app.bp.ingest_agent.test_context() as agent:
        app.consumer._committed_offset[TP(app.bp.topics.posts.get_topic_name(), 0)] = 0
        agent.sent_offset += 2  # offsets 0 and 1 never reach the stream
        await agent.put(raw({**POST, "id": "p3"}))  # offset 2, the first the stream delivers
        await agent.put(raw({**POST, "id": "p4"}))  # offset 3

    assert [c["key"] for c in sent.kwargs(sent.enriched)] == [b"again-0", b"again-1", b"p3", b"p4"]
    assert [r[1:] for r in reads] == [(0, 0, 2)] and done == [(0, 0, 2)]
    assert sample(app, "brandpulse_records_refetched_total", stage="ingest") == 2


def test_the_consumer_hands_out_and_buffers_only_what_alignment_can_stop(make_app):
    """What a poll hands out, and what the posts stream's buffer holds, a pause of alignment can no longer stop:
    both reach Faust from the settings; the other stages keep Faust's buffer."""
    app = make_app()
    assert (app.conf.broker_max_poll_records, app.bp.topics.posts.maxsize) == (500, 4_096)
    assert app.bp.topics.mentions.maxsize is None and app.conf.stream_buffer_maxsize == 4_096
    app = make_app(consumer_max_poll_records="50", posts_buffer_records="200")
    assert (app.conf.broker_max_poll_records, app.bp.topics.posts.maxsize) == (50, 200)
    assert app.bp.topics.posts.clone(is_iterator=True).maxsize == 200  # the agent's stream reads a clone
