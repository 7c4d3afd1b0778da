"""NAB's scoring on hand-made series whose scores are computed by hand (numenta/NAB sweeper rules)."""

from __future__ import annotations

import math

import pytest

from streams.nab import PROFILES, best_threshold, normalized, probationary_rows, scaled_sigmoid, score_at, sweep

STD = PROFILES["standard"]
S1 = 2 / (1 + math.exp(-5)) - 1  # scaled sigmoid at -1, NAB's maxTP: 0.98661


def detections(n: int, at: set[int]) -> list[float]:
    return [1.0 if i in at else 0.0 for i in range(n)]


def corpus(at: set[int], profile=STD, n: int = 10, windows=((4, 5),)):
    return [sweep(detections(n, at), list(windows), profile, probation_percent=0.0)]


def test_the_scaled_sigmoid_is_nabs():
    assert scaled_sigmoid(-1.0) == pytest.approx(0.98661, abs=1e-5)
    assert scaled_sigmoid(0.0) == 0.0
    assert scaled_sigmoid(3.0) == -1.0 and scaled_sigmoid(5.0) == -1.0


def test_the_null_detector_scores_zero_and_the_perfect_one_a_hundred():
    files = corpus(set())
    assert score_at(files, STD, 0.5) == -1.0  # one missed window
    assert normalized(-1.0, files, STD) == 0.0
    files = corpus({4})
    assert score_at(files, STD, 0.5) == pytest.approx(1.0)  # at the window's first row: tp
    assert normalized(1.0, files, STD) == pytest.approx(100.0)


def test_a_detection_late_in_the_window_scores_less():
    files = corpus({5})
    # position -(5 - 5 + 1) / 2 = -0.5: S(-0.5) / S(-1)
    expected = (2 / (1 + math.exp(-2.5)) - 1) / S1
    assert score_at(files, STD, 0.5) == pytest.approx(expected)
    assert normalized(expected, files, STD) == pytest.approx(100 * (expected + 1) / 2)


def test_only_the_earliest_detection_of_a_window_counts():
    assert score_at(corpus({4, 5}), STD, 0.5) == pytest.approx(1.0)


def test_false_positives_cost_the_profiles_weight_less_just_after_a_window():
    # Before any window: -fp. Just after (row 6, 1 row past a 2-row window): fp * S(1 / 1).
    assert score_at(corpus({0, 4}), STD, 0.5) == pytest.approx(1.0 - 0.11)
    assert score_at(corpus({4, 6}), STD, 0.5) == pytest.approx(1.0 + 0.11 * (2 / (1 + math.exp(5)) - 1))
    low_fp = PROFILES["reward_low_FP_rate"]
    assert score_at(corpus({0, 4}, low_fp), low_fp, 0.5) == pytest.approx(1.0 - 0.22)


def test_the_low_fn_profile_doubles_a_miss():
    low_fn = PROFILES["reward_low_FN_rate"]
    files = corpus(set(), low_fn)
    assert score_at(files, low_fn, 0.5) == -2.0
    assert normalized(-2.0, files, low_fn) == 0.0


def test_probationary_rows_are_not_scored():
    assert probationary_rows(10) == 1 and probationary_rows(100_000) == 750
    files = [sweep(detections(10, {0, 4}), [(4, 5)], STD)]  # row 0 is probationary
    assert score_at(files, STD, 0.5) == pytest.approx(1.0)


def test_the_best_threshold_is_found_over_every_score():
    # Scores: a false positive at 0.9, the window's first row at 0.6: the best threshold takes the window only.
    scores = [0.0, 0.9, 0.0, 0.0, 0.6, 0.0, 0.0, 0.0, 0.0, 0.0]
    files = [sweep(scores, [(4, 5)], STD, probation_percent=0.0)]
    threshold, raw = best_threshold(files, STD)
    assert raw == pytest.approx(1.0 - 0.11) and threshold == 0.6
    # Made costlier, the false positive is still worth paying for the window; with no window it is not.
    files = [sweep(scores, [], STD, probation_percent=0.0)]
    assert best_threshold(files, STD) == (math.inf, 0.0)
