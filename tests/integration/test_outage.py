"""A broker outage: the (private) broker is frozen with SIGSTOP for 15 s in the middle of a replay, then resumed.
Nothing may be lost, the worker must recover by itself, and /readyz must say not ready during the outage."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import orjson
import pytest

from agents.broker import EmbeddedBroker, read_topic, stop_process

from .conftest import clean_env

pytestmark = pytest.mark.integration

N_POSTS = 6_000


def ready(worker) -> tuple[bool, dict]:
    try:
        with urllib.request.urlopen(f"{worker.web_url}/readyz", timeout=2) as resp:
            return True, json.load(resp)
    except urllib.error.HTTPError as exc:
        return False, json.load(exc)
    except OSError as exc:
        return False, {"error": repr(exc)}


def test_a_frozen_broker_loses_nothing_and_the_worker_recovers_by_itself(start_worker, tmp_path):
    broker = EmbeddedBroker(log_path=tmp_path / "tansu.log")
    broker.start()
    worker = None
    try:
        worker = start_worker(BRANDPULSE_BROKER_URL=broker.url)
        posts = tmp_path / "posts.jsonl"
        posts.write_bytes(b"\n".join(orjson.dumps({
            "id": f"p{i}", "text": f"post {i} #tag{i % 40}", "created_at": f"2026-11-30T10:{i // 100 % 60:02d}:00Z",
            "author": {"id": f"a{i % 300}", "handle": f"u{i % 300}"}}) for i in range(N_POSTS)) + b"\n")
        # A paced replay (500 posts/s), so that the outage falls in the middle of it.
        replay = subprocess.Popen([sys.executable, "-m", "agents", "replay", str(posts), "--rate", "500"],
                                  env=clean_env(**worker.env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        time.sleep(4)
        states: list[tuple[float, bool]] = []
        stop = threading.Event()

        def watch() -> None:
            while not stop.is_set():
                states.append((time.monotonic(), ready(worker)[0]))
                time.sleep(0.5)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        frozen_at = time.monotonic()
        os.kill(broker.proc.pid, signal.SIGSTOP)
        time.sleep(15)
        os.kill(broker.proc.pid, signal.SIGCONT)
        resumed_at = time.monotonic()
        out, _ = replay.communicate(timeout=240)
        assert replay.returncode == 0, out.decode()[-2000:]

        # Recovers by itself: ready again, and every post enriched (duplicates allowed: at-least-once).
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            ids = {r.key.decode() for r in asyncio.run(read_topic(worker.settings.bootstrap_servers,
                                                                    worker.settings.enriched_topic))}
            if len(ids) >= N_POSTS and ready(worker)[0]:
                break
            time.sleep(2)
        stop.set()
        watcher.join()
        assert worker.proc.poll() is None, f"the worker died:\n{worker.log()[-3000:]}"
        records = asyncio.run(read_topic(worker.settings.bootstrap_servers, worker.settings.enriched_topic))
        ids = [r.key.decode() for r in records]
        assert set(ids) == {f"p{i}" for i in range(N_POSTS)}, f"{N_POSTS - len(set(ids))} posts lost"
        during = [ok for at, ok in states if frozen_at + 11 <= at <= resumed_at]
        after = [ok for at, ok in states if at > resumed_at]
        assert during and not any(during), f"/readyz said ready while the broker was frozen: {states}"
        assert after and after[-1], "not ready again after the broker came back"
        back = next(at for at, ok in states if at > resumed_at and ok) - resumed_at
        print(f"\n{N_POSTS} posts, {len(ids) - N_POSTS} duplicates; not ready "
              f"{sum(1 for at, ok in states if not ok) * 0.5:.1f} s; ready again {back:.1f} s after the broker")
        assert ready(worker)[1]["checks"]["kafka_reachable"]
    finally:
        if worker is not None:  # before its broker goes
            assert stop_process(worker.proc, timeout=30, name="worker") == 0, worker.log()[-3000:]
        broker.stop()
