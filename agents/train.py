"""``brandpulse train-influence``: learn the influence weights on labelled pairs and measure them.

The data is the Kaggle "Influencers in Social Networks" (PeerIndex, 2013) training set: each row a pair of
Twitter users A and B with 11 features each and ``Choice`` = 1 when human judges found A more influential.
It is not ours to redistribute, so it is read from where the user keeps it and never copied into the project.

What is learned and measured is exactly the stream's score, :func:`streams.influence.score`: log1p-scaled
features standardised with the training mean and deviation, combined linearly. Two ways of choosing the
weights are compared with stratified k-fold cross-validation (the folds are fixed by ``--seed``):

* **logistic**: a regularised (L2) logistic regression on the feature differences z(A) - z(B), without
  intercept and fed both orders of every pair, so that the model is antisymmetric, as a ranking must be.
  Its regularisation strength is chosen by an inner cross-validation.
* **forest**: a Random Forest fitted on the same differences. A forest cannot score one author alone, so
  its pairwise AUC is reported for reference, and its permutation importances, signed by the direction of
  each feature, give a second set of linear weights whose score is measured like the others.

The better per-author score on held-out pairs is refitted on every pair and written with its figures. A
score's AUC on a pair set is the probability that it ranks A above B exactly when the judges did.
"""

from __future__ import annotations

import csv
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from streams.influence import FEATURES, KAGGLE_COLUMNS, InfluenceWeights, score

#: The single-feature baselines the issue names, and the columns they compare.
BASELINES: dict[str, str] = {"followers alone": "follower_count", "listed alone": "listed_count"}


class TrainingDataError(ValueError):
    pass


@dataclass(frozen=True)
class Pairs:
    """Raw feature values of A and B (rows by FEATURES), the baselines' columns, and the labels."""

    a: np.ndarray
    b: np.ndarray
    baseline_a: dict[str, np.ndarray]
    baseline_b: dict[str, np.ndarray]
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.y)


def read_pairs(path: Path) -> Pairs:
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
    except OSError as exc:
        raise TrainingDataError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not rows:
        raise TrainingDataError(f"{path} holds no rows")
    needed = ["Choice"] + [f"{side}_{c}" for side in "AB" for c in {*KAGGLE_COLUMNS.values(), *BASELINES.values()}]
    missing = [c for c in needed if c not in rows[0]]
    if missing:
        raise TrainingDataError(f"{path} lacks the columns {', '.join(sorted(missing))} (is it the Kaggle "
                                "'Influencers in Social Networks' train.csv?)")

    def column(side: str, name: str) -> np.ndarray:
        try:
            values = np.array([float(r[f"{side}_{name}"]) for r in rows])
        except ValueError as exc:
            raise TrainingDataError(f"{path}: a value of {side}_{name} is not a number ({exc})") from None
        if not np.all(np.isfinite(values)) or np.any(values < 0):
            raise TrainingDataError(f"{path}: {side}_{name} must hold finite, non-negative numbers")
        return values

    try:
        y = np.array([int(r["Choice"]) for r in rows])
    except ValueError:
        raise TrainingDataError(f"{path}: Choice must be 0 or 1") from None
    if set(np.unique(y)) - {0, 1} or len(np.unique(y)) < 2:
        raise TrainingDataError(f"{path}: Choice must be 0 or 1, with both present")
    a = np.column_stack([column("A", KAGGLE_COLUMNS[f]) for f in FEATURES])
    b = np.column_stack([column("B", KAGGLE_COLUMNS[f]) for f in FEATURES])
    return Pairs(a, b, {k: column("A", c) for k, c in BASELINES.items()},
                 {k: column("B", c) for k, c in BASELINES.items()}, y)


def auc(y: np.ndarray, margin: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, margin))


def stream_margin(w: InfluenceWeights, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """score(A) - score(B) with the stream's own function (relevance 1: the pairs have no topics)."""
    return np.array([score(ra, 1.0, w).logit - score(rb, 1.0, w).logit for ra, rb in zip(a, b, strict=True)])


def _standardiser(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    logs = np.log1p(np.vstack([a, b]))
    return logs.mean(axis=0), logs.std(axis=0)


def _differences(a: np.ndarray, b: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    return (np.log1p(a) - mean) / std - (np.log1p(b) - mean) / std


def _both_orders(d: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.vstack([d, -d]), np.concatenate([y, 1 - y])


def fit_logistic(a: np.ndarray, b: np.ndarray, y: np.ndarray, seed: int) -> InfluenceWeights:
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import StratifiedKFold

    mean, std = _standardiser(a, b)
    d = _differences(a, b, mean, std)
    x, t = _both_orders(d, y)
    # The inner folds keep both orders of a pair together: fold on pairs, then mirror.
    n = len(y)
    folds = [(np.concatenate([tr, tr + n]), np.concatenate([te, te + n]))
             for tr, te in StratifiedKFold(5, shuffle=True, random_state=seed).split(d, y)]
    with warnings.catch_warnings():  # scikit-learn 1.8 announces parameter changes of 1.10; defaults suit us
        warnings.simplefilter("ignore", FutureWarning)
        model = LogisticRegressionCV(Cs=np.logspace(-3, 2, 11).tolist(), cv=folds, fit_intercept=False,
                                     scoring="roc_auc", max_iter=2_000).fit(x, t)
    return InfluenceWeights(coef=tuple(float(c) for c in model.coef_[0]), mean=tuple(map(float, mean)),
                            std=tuple(map(float, std)), model="logistic",
                            evaluation={"C": float(model.C_[0])})


def _forest(a: np.ndarray, b: np.ndarray, y: np.ndarray, seed: int) -> tuple[Any, np.ndarray, np.ndarray]:
    from sklearn.ensemble import RandomForestClassifier

    mean, std = _standardiser(a, b)
    x, t = _both_orders(_differences(a, b, mean, std), y)
    forest = RandomForestClassifier(n_estimators=300, min_samples_leaf=5, random_state=seed, n_jobs=-1).fit(x, t)
    return forest, mean, std


def fit_forest_weights(a: np.ndarray, b: np.ndarray, y: np.ndarray, seed: int) -> tuple[InfluenceWeights, Any]:
    """Linear weights from a Random Forest: permutation importances, signed by each feature's direction."""
    from sklearn.inspection import permutation_importance

    forest, mean, std = _forest(a, b, y, seed)
    d = _differences(a, b, mean, std)
    imp = permutation_importance(forest, d, y, scoring="roc_auc", n_repeats=5, random_state=seed, n_jobs=-1)
    signs = np.sign([np.corrcoef(d[:, i], y)[0, 1] for i in range(d.shape[1])])
    coef = np.clip(imp.importances_mean, 0, None) * signs
    # Scale so that the margin is on the logistic model's scale (ranking does not depend on it).
    coef = coef / (np.abs(coef).sum() or 1.0) * 1.5
    return InfluenceWeights(coef=tuple(map(float, coef)), mean=tuple(map(float, mean)), std=tuple(map(float, std)),
                            model="forest"), (forest, mean, std)


@dataclass
class Evaluation:
    folds: int
    seed: int
    rows: int
    #: name -> AUC per fold
    scores: dict[str, list[float]]

    def mean(self, name: str) -> float:
        return float(np.mean(self.scores[name]))

    def sd(self, name: str) -> float:
        return float(np.std(self.scores[name]))


#: Names of the measured scores in the evaluation.
LOGISTIC, FOREST_LINEAR, FOREST_PAIRWISE = "logistic score", "forest-weighted score", "random forest (pairwise)"


def cross_validate(pairs: Pairs, *, folds: int = 5, seed: int = 0,
                   progress: Callable[[str], None] | None = None) -> Evaluation:
    from sklearn.model_selection import StratifiedKFold

    scores: dict[str, list[float]] = {name: [] for name in (*BASELINES, LOGISTIC, FOREST_LINEAR, FOREST_PAIRWISE)}
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for i, (tr, te) in enumerate(splitter.split(pairs.a, pairs.y)):
        y = pairs.y[te]
        for name in BASELINES:
            scores[name].append(auc(y, np.log1p(pairs.baseline_a[name][te]) - np.log1p(pairs.baseline_b[name][te])))
        lw = fit_logistic(pairs.a[tr], pairs.b[tr], pairs.y[tr], seed)
        scores[LOGISTIC].append(auc(y, stream_margin(lw, pairs.a[te], pairs.b[te])))
        fw, (forest, mean, std) = fit_forest_weights(pairs.a[tr], pairs.b[tr], pairs.y[tr], seed)
        scores[FOREST_LINEAR].append(auc(y, stream_margin(fw, pairs.a[te], pairs.b[te])))
        scores[FOREST_PAIRWISE].append(auc(y, forest.predict_proba(
            _differences(pairs.a[te], pairs.b[te], mean, std))[:, 1]))
        if progress:
            progress(f"fold {i + 1}/{folds}")
    return Evaluation(folds=folds, seed=seed, rows=len(pairs), scores=scores)


def train(pairs: Pairs, evaluation: Evaluation, *, data_name: str, command: str) -> InfluenceWeights:
    """Refit the better per-author score on every pair, with its figures attached."""
    best = max((LOGISTIC, FOREST_LINEAR), key=evaluation.mean)
    if best == LOGISTIC:
        w = fit_logistic(pairs.a, pairs.b, pairs.y, evaluation.seed)
    else:
        w, _ = fit_forest_weights(pairs.a, pairs.b, pairs.y, evaluation.seed)
    figures = {
        "data": data_name, "rows": evaluation.rows, "folds": evaluation.folds, "seed": evaluation.seed,
        "command": command, "chosen": best,
        "cv_auc": {name: {"mean": round(evaluation.mean(name), 4), "sd": round(evaluation.sd(name), 4)}
                   for name in evaluation.scores},
        **w.evaluation,
    }
    return InfluenceWeights(coef=w.coef, mean=w.mean, std=w.std, model=w.model, evaluation=figures)


def beats_baselines(evaluation: Evaluation, name: str) -> bool:
    return all(evaluation.mean(name) > evaluation.mean(b) for b in BASELINES)
