"""The command line without a broker: refusals name the variable, listings show the topology."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from agents.cli import cli


@pytest.fixture
def runner(monkeypatch) -> CliRunner:
    import os

    for key in list(os.environ):
        if key.upper().startswith("BRANDPULSE_"):
            monkeypatch.delenv(key)
    return CliRunner()


def test_worker_without_a_broker_refuses_to_start_and_says_what_to_set(runner):
    result = runner.invoke(cli, ["worker"])
    assert result.exit_code == 2
    assert "BRANDPULSE_BROKER_URL is not set" in result.output
    assert "brandpulse up" in result.output


def test_a_bad_setting_stops_every_command_before_anything_starts(runner):
    result = runner.invoke(cli, ["worker"], env={"BRANDPULSE_WEB_PORT": "99999"})
    assert result.exit_code == 2
    assert "invalid settings, nothing was started" in result.output
    assert "BRANDPULSE_WEB_PORT=99999" in result.output


def test_replay_without_a_broker_refuses(runner, tmp_path):
    f = tmp_path / "x.jsonl"
    f.write_text("{}\n")
    result = runner.invoke(cli, ["replay", str(f)])
    assert result.exit_code == 2
    assert "BRANDPULSE_BROKER_URL is not set" in result.output


def test_replay_of_a_missing_file_is_a_usage_error(runner):
    result = runner.invoke(cli, ["replay", "/no/such/file.jsonl"], env={"BRANDPULSE_BROKER_URL": "kafka://h:1"})
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_settings_lists_every_variable(runner):
    result = runner.invoke(cli, ["settings", "--markdown"])
    assert result.exit_code == 0
    assert "`BRANDPULSE_BROKER_URL`" in result.output
    assert "`BRANDPULSE_MAX_MESSAGE_BYTES`" in result.output


def test_faust_agents_listing_shows_the_ingest_agent(runner):
    result = runner.invoke(cli, ["agents"])
    assert result.exit_code == 0, result.output
    assert "ingest_posts" in result.output
    assert "posts (raw JSON)" in result.output
