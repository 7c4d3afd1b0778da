"""`brandpulse up`, the README's run command, as a user runs it."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from agents.broker import free_port, port_in_use

from .conftest import clean_env

pytestmark = pytest.mark.integration


def summary_value(output: str, label: str) -> str:
    match = re.search(rf"{re.escape(label)}\s*│\s*([^│\n]+?)\s*│", output)
    assert match, f"no {label!r} row in:\n{output}"
    return match.group(1)


def test_up_runs_broker_worker_and_sample_then_stops_everything(tmp_path: Path):
    web_port = free_port()
    env = clean_env(BRANDPULSE_WEB_PORT=str(web_port), BRANDPULSE_DATA_DIR=str(tmp_path / "data"),
                    BRANDPULSE_SESSION_TIMEOUT_SECONDS="6", COLUMNS="200")
    result = subprocess.run([sys.executable, "-m", "agents", "up", "--exit"], env=env, capture_output=True,
                            text=True, timeout=240)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    broker_port = int(re.search(r"embedded broker on kafka://127\.0\.0\.1:(\d+)", output).group(1))
    assert summary_value(output, "posts replayed") == "966"
    assert summary_value(output, "enriched (posts.enriched)") == "966"
    assert summary_value(output, "rejected (posts.dlq)") == "0"
    assert re.match(r"[+-]0\.\d{3}$", summary_value(output, "mean sentiment (VADER compound)"))
    assert "#" in summary_value(output, "top hashtags")
    assert f"http://127.0.0.1:{web_port}/metrics" in output
    assert "worker stopped (exit code 0)" in output
    assert "embedded broker stopped" in output
    assert not port_in_use("127.0.0.1", broker_port)
    assert not port_in_use("127.0.0.1", web_port)
    assert (tmp_path / "data" / "logs" / "worker.log").stat().st_size > 0


def test_up_with_a_configured_broker_starts_no_embedded_broker(isolated_env, tmp_path: Path):
    posts = tmp_path / "posts.jsonl"
    good = [
        {"id": f"c{i}", "text": text, "created_at": "2024-05-01T10:00:00Z",
         "author": {"id": f"a{i}", "handle": f"user{i}"}}
        for i, text in enumerate(["Great service from #acme today!", "#acme lost my bag. Terrible.", "meh #acme"])
    ]
    posts.write_bytes(b"\n".join([*map(orjson.dumps, good), b"{broken json"]) + b"\n")
    env = clean_env(**isolated_env(), COLUMNS="200")
    result = subprocess.run([sys.executable, "-m", "agents", "up", "--exit", "--no-sample", "--replay", str(posts)],
                            env=env, capture_output=True, text=True, timeout=240)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "embedded broker" not in output
    assert f"broker {env['BRANDPULSE_BROKER_URL']}" in output
    assert summary_value(output, "posts replayed") == "4"
    assert summary_value(output, f"enriched ({env['BRANDPULSE_TOPIC_PREFIX']}posts.enriched)") == "3"
    assert summary_value(output, f"rejected ({env['BRANDPULSE_TOPIC_PREFIX']}posts.dlq)") == "1 — not_json: 1"
    assert summary_value(output, "top hashtags") == "#acme (3)"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_stops_up_and_its_child_processes(tmp_path: Path, signum: int):
    web_port = free_port()
    env = clean_env(BRANDPULSE_WEB_PORT=str(web_port), BRANDPULSE_DATA_DIR=str(tmp_path / "data"),
                    BRANDPULSE_SESSION_TIMEOUT_SECONDS="6", COLUMNS="200")
    log = tmp_path / "up.log"
    with open(log, "wb") as out:
        # SIGINT ignored on entry, as for any job a non-interactive shell starts in the background.
        proc = subprocess.Popen([sys.executable, "-m", "agents", "up", "--no-sample"], env=env, stdout=out,
                                stderr=subprocess.STDOUT,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        deadline = time.monotonic() + 180
        while "Press Ctrl-C" not in log.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.2)
        text = log.read_text()
        assert "Press Ctrl-C" in text, text
        broker_port = int(re.search(r"embedded broker on kafka://127\.0\.0\.1:(\d+)", text).group(1))
        assert port_in_use("127.0.0.1", broker_port)
        assert port_in_use("127.0.0.1", web_port)
        proc.send_signal(signum)
        assert proc.wait(timeout=60) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
    text = log.read_text()
    assert "worker stopped (exit code 0)" in text
    assert "embedded broker stopped" in text
    assert not port_in_use("127.0.0.1", broker_port)
    assert not port_in_use("127.0.0.1", web_port)
