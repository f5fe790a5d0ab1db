"""Honest evaluation: metrics on probabilities, and out-of-fold predictions grouped by cluster.

Every metric takes plain arrays (true path codes, a probability matrix whose columns follow
``classes``) and returns numbers or small frames, so each can be checked by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from clusterpath.models.dataset import LabelledData
from clusterpath.models.pipeline import predict_proba_ordered
from clusterpath.models.splits import Split

FitFunction = Callable[[LabelledData], object]


def _labels_present(y_true, y_pred, classes: Sequence[str]) -> list[str]:
    seen = set(np.asarray(y_true).tolist()) | set(np.asarray(y_pred).tolist())
    return [c for c in classes if c in seen]


def predicted_labels(proba: np.ndarray, classes: Sequence[str]) -> np.ndarray:
    """Arg-max class per row (ties go to the earlier class)."""
    return np.asarray(classes, dtype=object)[np.argmax(proba, axis=1)]


def macro_f1(y_true, y_pred, classes: Sequence[str]) -> float:
    """Unweighted mean F1 over the classes that occur in ``y_true`` or ``y_pred``."""
    labels = _labels_present(y_true, y_pred, classes)
    return float(skm.f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0))


def balanced_accuracy(y_true, y_pred) -> float:
    """Mean recall over the classes that occur in ``y_true``."""
    return float(skm.balanced_accuracy_score(y_true, y_pred))


def log_loss(y_true, proba: np.ndarray, classes: Sequence[str], eps: float = 1e-15) -> float:
    """Mean negative log probability of the true class (probabilities clipped to ``eps``)."""
    index = {c: i for i, c in enumerate(classes)}
    rows = np.arange(len(proba))
    cols = np.array([index[c] for c in y_true])
    return float(-np.mean(np.log(np.clip(proba[rows, cols], eps, 1.0))))


def one_hot(y_true, classes: Sequence[str]) -> np.ndarray:
    index = {c: i for i, c in enumerate(classes)}
    out = np.zeros((len(y_true), len(classes)))
    out[np.arange(len(y_true)), [index[c] for c in y_true]] = 1.0
    return out


def brier_multiclass(y_true, proba: np.ndarray, classes: Sequence[str]) -> float:
    """Mean over rows of the sum over classes of (p - y)^2; 0 is perfect, 2 the worst."""
    return float(np.mean(np.sum((proba - one_hot(y_true, classes)) ** 2, axis=1)))


def calibration_bins(
    y_true, proba: np.ndarray, classes: Sequence[str], n_bins: int = 10
) -> pd.DataFrame:
    """Top-label reliability table: per confidence bin, rows, mean confidence and accuracy.

    Bins are [k/B, (k+1)/B) for k < B-1 and [(B-1)/B, 1] for the last.
    """
    confidence = proba.max(axis=1)
    correct = predicted_labels(proba, classes) == np.asarray(y_true, dtype=object)
    bin_of = np.minimum(np.floor(confidence * n_bins).astype(int), n_bins - 1)
    table = pd.DataFrame({"bin": bin_of, "confidence": confidence, "correct": correct})
    out = (
        table.groupby("bin")
        .agg(
            n=("correct", "size"), confidence=("confidence", "mean"), accuracy=("correct", "mean")
        )
        .reindex(range(n_bins))
    )
    out["n"] = out["n"].fillna(0).astype(int)
    out.insert(0, "lower", np.arange(n_bins) / n_bins)
    out.insert(1, "upper", (np.arange(n_bins) + 1) / n_bins)
    return out.reset_index(drop=True)


def expected_calibration_error(
    y_true, proba: np.ndarray, classes: Sequence[str], n_bins: int = 10
) -> float:
    """Top-label ECE: sum over bins of (rows in bin / rows) x |accuracy - mean confidence|."""
    bins = calibration_bins(y_true, proba, classes, n_bins)
    used = bins[bins["n"] > 0]
    gap = (used["accuracy"] - used["confidence"]).abs()
    return float((used["n"] * gap).sum() / used["n"].sum())


def per_class_scores(y_true, y_pred, classes: Sequence[str]) -> pd.DataFrame:
    """Precision, recall and support per class (0 where undefined), in ``classes`` order."""
    precision, recall, _, support = skm.precision_recall_fscore_support(
        y_true, y_pred, labels=list(classes), zero_division=0
    )
    return pd.DataFrame(
        {"path": list(classes), "precision": precision, "recall": recall, "support": support}
    )


def confusion_table(y_true, y_pred, classes: Sequence[str]) -> pd.DataFrame:
    """Counts with true paths as rows and predicted paths as columns."""
    matrix = skm.confusion_matrix(y_true, y_pred, labels=list(classes))
    return pd.DataFrame(
        matrix,
        index=pd.Index(list(classes), name="true"),
        columns=pd.Index(list(classes), name="predicted"),
    )


@dataclass(frozen=True)
class Evaluation:
    """Scalar metrics plus the per-class and confusion tables of one set of predictions."""

    metrics: dict[str, float]
    per_class: pd.DataFrame
    confusion: pd.DataFrame
    reliability: pd.DataFrame


def evaluate_proba(
    y_true, proba: np.ndarray, classes: Sequence[str], n_bins: int = 10
) -> Evaluation:
    """All metrics of one probability matrix against the true paths."""
    y_true = np.asarray(y_true, dtype=object)
    y_pred = predicted_labels(proba, classes)
    per_class = per_class_scores(y_true, y_pred, classes)
    scalars = {
        "macro_f1": macro_f1(y_true, y_pred, classes),
        "balanced_accuracy": balanced_accuracy(y_true, y_pred),
        "log_loss": log_loss(y_true, proba, classes),
        "brier": brier_multiclass(y_true, proba, classes),
        "ece": expected_calibration_error(y_true, proba, classes, n_bins),
        "n": float(len(y_true)),
    }
    for row in per_class.itertuples():
        scalars[f"precision_{row.path}"] = float(row.precision)
        scalars[f"recall_{row.path}"] = float(row.recall)
    return Evaluation(
        metrics=scalars,
        per_class=per_class,
        confusion=confusion_table(y_true, y_pred, classes),
        reliability=calibration_bins(y_true, proba, classes, n_bins),
    )


def out_of_fold_proba(
    fit: FitFunction, data: LabelledData, folds: Sequence[Split], classes: Sequence[str]
) -> np.ndarray:
    """Probabilities for every row from a model that never saw that row's cluster."""
    proba = np.full((len(data), len(classes)), np.nan)
    for train_idx, test_idx in folds:
        estimator = fit(data.take(train_idx))
        proba[test_idx] = predict_proba_ordered(estimator, data.X.iloc[test_idx], classes)
    if np.isnan(proba).any():
        raise ValueError("the folds do not cover every row")
    return proba


def cross_validate(
    fit: FitFunction,
    data: LabelledData,
    folds: Sequence[Split],
    classes: Sequence[str],
    sources: Sequence[str],
    n_bins: int = 10,
) -> Evaluation:
    """Grouped cross-validated metrics, scored on rows whose label source counts."""
    proba = out_of_fold_proba(fit, data, folds, classes)
    scored = data.scored(sources)
    return evaluate_proba(data.y.iloc[scored], proba[scored], classes, n_bins)


def evaluate_holdout(
    estimator,
    data: LabelledData,
    classes: Sequence[str],
    sources: Sequence[str],
    n_bins: int = 10,
) -> Evaluation:
    """Metrics of a fitted model on held-out clusters (scored rows only)."""
    rows = data.take(data.scored(sources))
    proba = predict_proba_ordered(estimator, rows.X, classes)
    return evaluate_proba(rows.y, proba, classes, n_bins)


# Grades of expert readings (models/expert.py), shown where a stage has them.
AGREEMENT_KEYS = ("agreement_clear", "agreement_all", "in_set")


def comparison_table(evaluations: dict[str, dict[str, Evaluation]]) -> pd.DataFrame:
    """Model x metric table from ``{model: {"cv": Evaluation, "holdout": Evaluation}}``."""
    keys = ("macro_f1", "balanced_accuracy", "log_loss", "brier", "ece", *AGREEMENT_KEYS)
    rows = []
    for model, by_stage in evaluations.items():
        row: dict[str, object] = {"model": model}
        for stage, evaluation in by_stage.items():
            for key in keys:
                if key in evaluation.metrics:
                    row[f"{stage}_{key}"] = evaluation.metrics[key]
        rows.append(row)
    return pd.DataFrame(rows).set_index("model")
