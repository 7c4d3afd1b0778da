"""Hostile input, end to end: over 10,000 bad messages of every kind interleaved with good posts, through the real
worker on the real broker. Every bad one must land in the dead-letter topic with its original bytes (up to the
size limit) and a reason, every good one must be enriched, and the worker must stay up and never stall.

The bad messages are generated from a seed (so a failure reproduces) by mutating good posts the ways real feeds
and attackers break them, plus hand-made extremes: 10 MB payloads, 2,000-deep nesting, invalid UTF-8, integers
beyond 64 bits, timestamps far in the past or the future.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time

import orjson
import pytest

from agents.broker import read_topic
from schemas.codec import read_dead_letter_headers

from .test_pipeline import produce

pytestmark = pytest.mark.integration

N_BAD, N_GOOD, SEED = 10_200, 2_000, 20261201
MAX_BYTES = 1_000_000  # the worker's default BRANDPULSE_MAX_MESSAGE_BYTES


def good_post(i: int, rng: random.Random) -> dict:
    minute = i // 20
    return {"id": f"good-{i}", "text": f"post {i} about #tag{rng.randrange(50)} and @acme",
            "created_at": f"2026-11-30T{8 + minute // 60:02d}:{minute % 60:02d}:{i % 60:02d}Z",
            "author": {"id": f"u{rng.randrange(500)}", "handle": f"user{i % 500}", "followers": rng.randrange(10**6)}}


def dumps(doc: object) -> bytes:
    """JSON as a producer might write it: the standard library's, which writes integers of any size."""
    return json.dumps(doc).encode()


def deep(n: int) -> bytes:
    return b'{"a":' * n + b"1" + b"}" * n


def bad_messages(rng: random.Random) -> list[bytes]:
    """Each of these is bad by the input contract (docs/data.md); the decoder must say so."""
    base = good_post(0, rng)
    hand_made = [
        b"", b" ", b"\x00", b"null", b"true", b"42", b'"a string"', b"[]", b"[1,2,3]", b"{}", b"{",
        b'{"id": "x"', b"\xff\xfe\xfd", b'{"id": "\xc3\x28", "text": "t"}', b"\xef\xbb\xbf{" + b"}",
        deep(2_000), b"[" * 2_000 + b"]" * 2_000, b'{"a": ' + b"[" * 600 + b"]" * 600 + b"}",
        dumps({**base, "id": 2**70}), b'{"id": 123456789012345678901234567890, "text": "t"}',
        dumps({**base, "created_at": "1970-01-01T00:00:00Z"}),
        dumps({**base, "created_at": "0001-01-01T00:00:00Z"}),
        dumps({**base, "created_at": "9999-12-31T23:59:59Z"}),
        dumps({**base, "created_at": "2099-06-01T00:00:00Z"}),  # the future: valid year, beyond the clock
        dumps({**base, "created_at": "yesterday"}),
        dumps({**base, "created_at": 1732000000}),
        dumps({**base, "text": None}), dumps({**base, "text": ["list"]}),
        dumps({**base, "author": "not an object"}), dumps({**base, "author": {}}),
        dumps({k: v for k, v in base.items() if k != "id"}),
        dumps({k: v for k, v in base.items() if k != "created_at"}),
        b"x" * (10 * 1024 * 1024),  # 10 MB
        dumps({**base, "text": "y" * (10 * 1024 * 1024)}),
        dumps({**base, "text": "z" * (MAX_BYTES + 1)}),
    ]
    out = list(hand_made)
    mutations = [
        lambda d: {**d, "id": rng.choice([None, 7, 1.5, [], {}, True])},
        lambda d: {**d, "text": rng.choice([None, 7, [], {}, False])},
        lambda d: {**d, "created_at": rng.choice(["", "2026-13-01T00:00:00Z", "2026-11-30", "not a date",
                                                   "1999-12-31T23:59:59Z", "2101-01-01T00:00:00Z", 0, None])},
        lambda d: (lambda drop: {k: v for k, v in d.items() if k != drop})(
            rng.choice(["id", "text", "created_at", "author"])),
        lambda d: {**d, "author": rng.choice([None, 5, "handle", [], {"handle": "no id"}])},
        lambda d: {**d, "author": {**d["author"], "id": rng.choice([None, [], {}, 2**80])}},
    ]
    while len(out) < N_BAD:
        post = good_post(rng.randrange(N_GOOD), rng)
        kind = rng.randrange(4)
        if kind == 0:  # wrong types, missing fields
            out.append(dumps(rng.choice(mutations)(post)))
        elif kind == 1:  # cut short: not JSON
            raw = dumps(post)
            out.append(raw[: rng.randrange(1, len(raw) - 1)])
        elif kind == 2:  # a byte flipped into invalid UTF-8 inside the text
            raw = bytearray(dumps(post))
            at = raw.index(b"post ") + rng.randrange(4)
            raw[at] = rng.choice([0x80, 0xC0, 0xFF, 0xFE])
            out.append(bytes(raw))
        else:  # not an object at the top
            out.append(dumps(rng.choice([[post], post["text"], len(post), None])))
    return out


def test_ten_thousand_bad_messages_are_dead_lettered_and_every_good_post_enriched(start_worker):
    rng = random.Random(SEED)
    bad = bad_messages(rng)
    good = [orjson.dumps(good_post(i, rng)) for i in range(N_GOOD)]
    messages = [(f"bad-{i}".encode(), v) for i, v in enumerate(bad)] + [(f"good-{i}".encode(), v)
                                                                     for i, v in enumerate(good)]
    rng.shuffle(messages)
    worker = start_worker()
    s = worker.settings
    asyncio.run(produce(s.bootstrap_servers, s.posts_topic, messages, max_request_size=16 * 1024 * 1024))

    deadline = time.monotonic() + 180
    while True:
        dlq = asyncio.run(read_topic(s.bootstrap_servers, s.dlq_topic))
        enriched = asyncio.run(read_topic(s.bootstrap_servers, s.enriched_topic))
        if len(dlq) + len(enriched) >= len(messages) or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert worker.proc.poll() is None, f"the worker died:\n{worker.log()[-3000:]}"

    by_key = {r.key.decode(): r for r in dlq}
    originals = dict(messages)
    missing = [k for k in originals if k.startswith(b"bad-") and k.decode() not in by_key]
    assert not missing, f"{len(missing)} bad messages not dead-lettered, e.g. {originals[missing[0]][:200]!r}"
    reasons: dict[str, int] = {}
    for key, rec in by_key.items():
        assert key.startswith("bad-"), f"a good post was dead-lettered: {key} {read_dead_letter_headers(rec.headers)}"
        headers = read_dead_letter_headers(rec.headers)
        original = originals[key.encode()]
        assert headers["brandpulse.reason"] and headers["brandpulse.detail"]
        assert headers["brandpulse.original_bytes"] == str(len(original))
        if len(original) <= MAX_BYTES:
            assert rec.value == original, key
        else:  # kept up to the size limit, and marked
            assert rec.value == original[:MAX_BYTES] and headers["brandpulse.truncated"] == "true", key
        reasons[headers["brandpulse.reason"]] = reasons.get(headers["brandpulse.reason"], 0) + 1
    assert len(by_key) == len(bad)
    assert {r.key.decode() for r in enriched} == {f"good-{i}" for i in range(N_GOOD)}
    # Every kind of rejection was exercised.
    assert {"empty", "too_large", "not_utf8", "not_json", "too_deep", "not_object", "missing_field",
            "invalid_field", "future"} <= set(reasons), reasons

    # Never stalled: the largest gap between consecutive outputs, by broker time, while the backlog drained.
    stamps = sorted(r.timestamp for r in [*dlq, *enriched])
    gap_s = max(b - a for a, b in itertools.pairwise(stamps)) / 1000
    print(f"\n{len(bad)} bad, {len(good)} good; reasons {dict(sorted(reasons.items()))}; "
          f"drained in {(stamps[-1] - stamps[0]) / 1000:.1f} s, largest gap between outputs {gap_s:.2f} s")
    assert gap_s < 5, f"the worker stalled for {gap_s:.1f} s"
