"""Integration tests: the real worker as a subprocess against a real Kafka-compatible broker.

The session starts one embedded Tansu broker (unless ``BRANDPULSE_TEST_BROKER_URL`` points at
another cluster); every test gets its own app id, topic prefix, HTTP port and data directory,
because Tansu keeps a group's first session timeout and never forgets a topic.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from agents.broker import EmbeddedBroker, free_port, stop_process
from agents.settings import Settings, load_settings

pytestmark = pytest.mark.integration


def clean_env(**values: str) -> dict[str, str]:
    """The parent's environment without any BRANDPULSE_* leaking in, plus ``values``."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("BRANDPULSE_")}
    env.update(values)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture(scope="session")
def broker_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("BRANDPULSE_TEST_BROKER_URL")
    if external:
        yield external
        return
    broker = EmbeddedBroker(log_path=tmp_path_factory.mktemp("broker") / "tansu.log")
    broker.start()
    try:
        yield broker.url
    finally:
        broker.stop()


@dataclass
class RunningWorker:
    settings: Settings
    env: dict[str, str]
    proc: subprocess.Popen
    log_path: Path
    #: Set by a test that killed it on purpose: its exit code is not checked.
    killed: bool = False

    @property
    def web_url(self) -> str:
        return self.settings.web_url

    def metrics_text(self) -> str:
        with urllib.request.urlopen(f"{self.web_url}/metrics", timeout=5) as resp:
            return resp.read().decode()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def isolated_env(broker_url: str, tmp_path: Path) -> Callable[..., dict[str, str]]:
    """BRANDPULSE_* variables for one isolated run: fresh app id, topics, port and data dir."""
    run = uuid.uuid4().hex[:10]

    def make(**extra: str) -> dict[str, str]:
        return {
            "BRANDPULSE_BROKER_URL": broker_url,
            "BRANDPULSE_APP_ID": f"it-{run}",
            "BRANDPULSE_TOPIC_PREFIX": f"it-{run}.",
            "BRANDPULSE_WEB_PORT": str(free_port()),
            "BRANDPULSE_SESSION_TIMEOUT_SECONDS": "6",
            "BRANDPULSE_DATA_DIR": str(tmp_path / "data"),
            **extra,
        }

    return make


@pytest.fixture
def start_worker(isolated_env, tmp_path: Path) -> Iterator[Callable[..., RunningWorker]]:
    started: list[RunningWorker] = []

    def start(**extra: str) -> RunningWorker:
        values = isolated_env(**extra)
        settings = load_settings(values)
        log_path = tmp_path / f"worker-{len(started)}.log"
        with open(log_path, "wb") as log_file:
            proc = subprocess.Popen([sys.executable, "-m", "agents", "worker"], env=clean_env(**values),
                                    stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        worker = RunningWorker(settings, values, proc, log_path)
        started.append(worker)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"worker exited with {proc.returncode}:\n{worker.log()[-4000:]}")
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{settings.web_url}/readyz", timeout=1) as resp:
                if resp.status == 200:
                    return worker
            time.sleep(0.2)
        pytest.fail(f"worker not ready within 90 s:\n{worker.log()[-4000:]}")

    yield start
    for worker in started:
        if worker.killed:
            continue
        code = stop_process(worker.proc, timeout=30, name="worker")
        assert code == 0, f"the worker did not stop cleanly (exit {code}):\n{worker.log()[-4000:]}"


def run(coro):
    return asyncio.run(coro)
