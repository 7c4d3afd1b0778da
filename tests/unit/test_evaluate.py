"""`brandpulse evaluate`: the synthetic suite's figures and targets, and a NAB-layout corpus scored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from agents import cli
from agents.evaluate import CorpusError, read_corpus, score_corpus
from streams.synthetic import crisis_scenarios, null_scenarios, series


def nab_corpus(tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "data" / "artificial"
    data.mkdir(parents=True)
    rows = ["timestamp,value"] + [f"2014-04-01 {h:02d}:{m:02d}:00,{500 if h == 20 and m < 10 else 10}"
                                  for h in range(24) for m in range(0, 60, 5)]
    (data / "spike.csv").write_text("\n".join(rows) + "\n")
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps({"artificial/spike.csv": [["2014-04-01 19:50:00.000000",
                                                              "2014-04-01 20:30:00.000000"]]}))
    return tmp_path / "data", labels


def test_the_synthetic_suite_is_deterministic():
    a, b = next(crisis_scenarios(1)), next(crisis_scenarios(1))
    assert a == b and series(a) == series(b)
    nulls = list(null_scenarios(2))
    assert len(nulls) == 10 and all(sc.crisis is None for sc in nulls)


def test_a_spike_inside_its_window_scores_well_on_every_nab_profile(tmp_path):
    files = read_corpus(*nab_corpus(tmp_path))
    assert [(f.name, f.windows) for f in files] == [("artificial/spike.csv", [(238, 246)])]
    scores = score_corpus(files)
    # The spike starts at row 240, two rows into a nine-row window, and nothing else moves: only a
    # little less than perfect.
    for profile in ("standard", "reward_low_FP_rate", "reward_low_FN_rate"):
        assert 90 < scores[profile]["score"] < 100


def test_a_corpus_naming_a_missing_file_is_refused(tmp_path):
    data, labels = nab_corpus(tmp_path)
    labels.write_text(json.dumps({"nope.csv": []}))
    with pytest.raises(CorpusError, match=r"names nope\.csv"):
        read_corpus(data, labels)


def test_evaluate_prints_the_figures_and_checks_the_targets(tmp_path, monkeypatch):
    monkeypatch.setattr(cli.out, "width", 200)
    data, labels = nab_corpus(tmp_path)
    result = CliRunner().invoke(cli.cli, ["evaluate", "--seeds", "1", "--null-seeds", "1", "--check",
                                          "--nab-data", str(data), "--nab-labels", str(labels)])
    assert result.exit_code == 0, result.output
    assert "crises paged within 12 h" in result.output and "false pages per key-day" in result.output
    assert "missed" not in result.output.split("targets")[1].split("NAB")[0].replace("missed crises", "")
    assert "reward_low_FN_rate" in result.output
