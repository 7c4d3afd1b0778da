"""What `brandpulse replay` reads from a file: one message per post, malformed lines included."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson

from agents.replay import iter_messages

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_json_lines_are_sent_byte_for_byte_malformed_ones_included():
    lines = [line.strip() for line in (FIXTURES / "malformed.jsonl").read_bytes().splitlines() if line.strip()]
    assert list(iter_messages(FIXTURES / "malformed.jsonl")) == lines
    assert len(lines) == 7


def test_a_long_first_line_does_not_make_the_file_one_message(tmp_path):
    posts = [orjson.dumps({"id": str(i), "text": "x" * 70_000}) for i in range(3)]
    f = tmp_path / "long.jsonl"
    f.write_bytes(b"\n".join(posts) + b"\n")
    assert list(iter_messages(f)) == posts


def test_a_v2_response_with_several_posts_becomes_one_message_each():
    messages = [orjson.loads(m) for m in iter_messages(FIXTURES / "twitter_v2_posts.json")]
    assert len(messages) == 3
    assert all(type(m["data"]) is dict for m in messages)


def test_gzip_is_recognised_by_its_content_whatever_the_name(tmp_path):
    f = tmp_path / "posts.JSONL.GZIP"
    f.write_bytes(gzip.compress(b'{"a": 1}\n{"b": 2}\n'))
    assert list(iter_messages(f)) == [b'{"a": 1}', b'{"b": 2}']


def test_a_json_array_after_a_byte_order_mark_is_split(tmp_path):
    f = tmp_path / "array.json"
    f.write_bytes(b'\xef\xbb\xbf[{"a": 1}, {"b": 2}]')
    assert list(iter_messages(f)) == [b'{"a":1}', b'{"b":2}']
