"""The worker's HTTP server with a bearer token, read-only, and logs without secrets or post text."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import orjson
import pytest

from .test_trends import run_replay

pytestmark = pytest.mark.integration

TOKEN = "t0ken-" + "9f3c2a7b1e5d4c6f8a0b"
SECRET_TEXT = "quixotic-marmalade-zeppelin"


def call(worker, path: str, token: str | None = None, method: str = "GET") -> tuple[int, str]:
    req = urllib.request.Request(worker.web_url + path, method=method,
                                 headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_a_token_guards_everything_but_the_probes_and_nothing_secret_is_logged(start_worker, tmp_path: Path):
    worker = start_worker(BRANDPULSE_WEB_TOKEN=TOKEN, BRANDPULSE_WATCHLIST=json.dumps({"acme": ["#acme"]}),
                          BRANDPULSE_LOG_LEVEL="info")
    posts = tmp_path / "posts.jsonl"
    posts.write_bytes(b"\n".join(orjson.dumps({
        "id": f"s{i}", "text": f"{SECRET_TEXT} number {i} #acme", "created_at": "2026-11-30T12:00:00Z",
        "author": {"id": f"a{i}", "handle": f"user{i}"}}) for i in range(20)) + b"\n")
    run_replay(worker, posts)

    for probe in ("/healthz", "/readyz"):
        assert call(worker, probe)[0] == 200, probe
    for path in ("/metrics", "/brands", "/trending", "/topics/%23acme/summary", "/topics/brand:acme/trend"):
        status, body = call(worker, path)
        assert status == 401 and "Authorization: Bearer" in body, (path, status, body)
        assert call(worker, path, token=TOKEN[:-1] + "x")[0] == 401, path
    status, text = call(worker, "/metrics", token=TOKEN)
    assert status == 200 and "brandpulse_posts_total" in text
    assert call(worker, "/brands", token=TOKEN)[0] == 200
    # Read-only: the query endpoints take GET alone.
    for method in ("POST", "PUT", "DELETE"):
        assert call(worker, "/brands", token=TOKEN, method=method)[0] == 405, method
    # Neither the token nor any post's text reaches the log at INFO.
    log = worker.log()
    assert TOKEN not in log
    assert SECRET_TEXT not in log
