"""``brandpulse train-influence``: the learned score beats the single-feature baselines on held-out pairs, and the
shipped weights are the ones the command produces."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from agents.cli import cli
from agents.settings import DEFAULT_WEIGHTS, read_weights
from agents.train import BASELINES, LOGISTIC, TrainingDataError, cross_validate, read_pairs, stream_margin, train
from streams.influence import KAGGLE_COLUMNS, score

COLUMNS = ["follower_count", "following_count", "listed_count", "mentions_received", "retweets_received",
           "mentions_sent", "retweets_sent", "posts", "network_feature_1", "network_feature_2", "network_feature_3"]


def write_pairs(path: Path, rows: int = 400, seed: int = 3) -> Path:
    """Synthetic pairs in the Kaggle layout, where influence is mostly listed count, partly followers, plus noise."""
    rng = random.Random(seed)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Choice"] + [f"{s}_{c}" for s in "AB" for c in COLUMNS])
        for _ in range(rows):
            sides = [{c: rng.lognormvariate(3, 2) for c in COLUMNS} for _ in "AB"]
            strength = [2 * np.log1p(s["listed_count"]) + np.log1p(s["follower_count"]) + rng.gauss(0, 1.0)
                        for s in sides]
            w.writerow([int(strength[0] > strength[1])] + [sides[i][c] for i in range(2) for c in COLUMNS])
    return path


@pytest.fixture(scope="module")
def kaggle(shared_data: Path) -> Path:
    path = shared_data / "influencers" / "train.csv"
    if not path.exists():
        pytest.skip(f"{path} not found (the Kaggle influencer pairs are shared data, never copied here)")
    return path


@pytest.fixture(scope="module")
def kaggle_run(kaggle: Path):
    pairs = read_pairs(kaggle)
    return pairs, cross_validate(pairs, folds=5, seed=0)


def test_the_learned_score_beats_both_single_feature_baselines_on_held_out_pairs(kaggle_run):
    _, evaluation = kaggle_run
    assert evaluation.mean("followers alone") == pytest.approx(0.840, abs=0.002)
    assert evaluation.mean("listed alone") == pytest.approx(0.851, abs=0.002)
    for baseline in BASELINES:
        assert evaluation.mean(LOGISTIC) > evaluation.mean(baseline)
    print(f"\nheld-out AUC: {evaluation.mean(LOGISTIC):.4f} (followers {evaluation.mean('followers alone'):.4f}, "
          f"listed {evaluation.mean('listed alone'):.4f})")


def test_the_shipped_weights_are_what_the_command_produces_on_the_kaggle_pairs(kaggle_run):
    pairs, evaluation = kaggle_run
    trained = train(pairs, evaluation, data_name="train.csv", command="-")
    shipped = read_weights(DEFAULT_WEIGHTS)
    assert shipped.model == trained.model
    for got, want in ((shipped.coef, trained.coef), (shipped.mean, trained.mean), (shipped.std, trained.std)):
        assert got == pytest.approx(want, rel=1e-6, abs=1e-9)
    assert shipped.evaluation["cv_auc"][LOGISTIC]["mean"] == round(evaluation.mean(LOGISTIC), 4)


def test_the_auc_is_measured_with_the_streams_own_score(tmp_path: Path):
    pairs = read_pairs(write_pairs(tmp_path / "pairs.csv"))
    evaluation = cross_validate(pairs, folds=3, seed=1)
    w = train(pairs, evaluation, data_name="pairs.csv", command="-")
    margin = stream_margin(w, pairs.a[:5], pairs.b[:5])
    by_hand = [score(a, 1.0, w).logit - score(b, 1.0, w).logit for a, b in zip(pairs.a[:5], pairs.b[:5], strict=True)]
    assert margin.tolist() == pytest.approx(by_hand)
    listed = list(KAGGLE_COLUMNS).index("listed")
    assert max(range(5), key=lambda i: w.coef[i]) == listed  # it found what the pairs were made of
    assert evaluation.mean(LOGISTIC) > 0.8


def test_the_command_prints_the_figures_and_writes_weights_the_worker_reads(tmp_path: Path, monkeypatch):
    import agents.cli

    monkeypatch.setattr(agents.cli.out, "width", 160)  # the table's cells wrap on a narrow terminal
    data, out = write_pairs(tmp_path / "pairs.csv"), tmp_path / "w" / "weights.json"
    result = CliRunner().invoke(cli, ["train-influence", "--data", str(data), "--out", str(out), "--folds", "3"])
    assert result.exit_code == 0, result.output
    for name in (*BASELINES, LOGISTIC, "random forest (pairwise)"):
        assert name in result.output
    weights = read_weights(out)
    assert json.loads(out.read_text())["evaluation"]["folds"] == 3
    assert weights.evaluation["chosen"] in weights.evaluation["cv_auc"]


def test_pairs_in_another_layout_are_refused_with_the_columns_missing(tmp_path: Path):
    bad = tmp_path / "bad.csv"
    bad.write_text("Choice,A_followers\n1,3\n")
    with pytest.raises(TrainingDataError, match="lacks the columns"):
        read_pairs(bad)
    result = CliRunner().invoke(cli, ["train-influence", "--data", str(bad), "--out", str(tmp_path / "o.json")])
    assert result.exit_code == 2 and "lacks the columns" in " ".join(result.output.split())  # rich wraps lines
    assert not (tmp_path / "o.json").exists()
