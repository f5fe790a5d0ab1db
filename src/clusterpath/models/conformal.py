"""Calibrated probabilities and split-conformal prediction sets.

Calibration: the top-label ECE is measured on clusters the model did not see; only if it is
above the configured threshold is the model wrapped in ``CalibratedClassifierCV`` (method from
the config, cross-validation folds grouped by cluster, ``ensemble=False`` so that one pipeline
plus one calibrator is served and can still be explained).

Conformal sets (Vovk et al.; Angelopoulos and Bates 2021): a non-conformity score is computed
on probabilities for rows the model did not fit, and its finite-sample quantile
``q = ceil((n + 1) * coverage) / n`` becomes the threshold. Those rows are either a held-back
share of training clusters (split conformal) or every training row predicted out-of-fold by
grouped CV (cross-conformal, the default; see ``training.py`` for why).

- ``lac`` (least ambiguous set-valued classifier, Sadinle et al. 2019): score ``1 - p_true``;
  the set holds every path with ``1 - p <= q``. Gives the smallest sets on average.
- ``aps`` (adaptive prediction sets, Romano et al. 2020, without randomisation): score =
  probability mass of all paths at least as likely as the true one; the set holds the paths
  whose own score would be ``<= q`` (most likely first). Larger sets when the model is unsure.

Either way the set holds every path whose score is within the threshold; a set that would be
empty gets the top-1 path (which can only raise coverage), so sets are never empty.

Coverage is marginal over exchangeable rows. Years of one cluster are not independent, so
the guarantee is approximate at the row level; coverage is always reported on held-out
clusters that took no part in fitting or calibration.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from sklearn.calibration import CalibratedClassifierCV

from clusterpath.models.splits import Split

Method = Literal["lac", "aps"]
SET_SEPARATOR = "|"


def calibrate_estimator(
    estimator,
    X,
    y,
    folds: Sequence[Split],
    method: str,
    sample_weight: np.ndarray | None = None,
) -> CalibratedClassifierCV:
    """Fit ``estimator`` (an unfitted Pipeline) wrapped in a grouped-CV probability calibrator."""
    calibrated = CalibratedClassifierCV(estimator, method=method, cv=list(folds), ensemble=False)
    params = {} if sample_weight is None else {"model__sample_weight": sample_weight}
    return calibrated.fit(X, y, **params)


def ordered_probabilities(raw: np.ndarray, labels, classes: Sequence[str]) -> np.ndarray:
    """``raw`` (one column per label of ``labels``) with one column per path of ``classes``,
    in that order; 0 for a path the model never learned."""
    position = {c: i for i, c in enumerate(classes)}
    proba = np.zeros((len(raw), len(position)))
    for j, c in enumerate(labels):
        proba[:, position[str(c)]] = raw[:, j]
    return proba


def _true_index(y_true, classes: Sequence[str]) -> np.ndarray:
    index = {c: i for i, c in enumerate(classes)}
    return np.array([index[c] for c in y_true], dtype=int)


def nonconformity(
    proba: np.ndarray, y_true, classes: Sequence[str], method: Method = "lac"
) -> np.ndarray:
    """Score of each row's true path: higher means the model found the truth less plausible."""
    true = _true_index(y_true, classes)
    p_true = proba[np.arange(len(proba)), true]
    if method == "lac":
        return 1.0 - p_true
    # APS: mass of all classes at least as probable as the true one (ties count as above).
    return np.sum(np.where(proba >= p_true[:, None], proba, 0.0), axis=1)


def conformal_quantile(scores: np.ndarray, coverage: float) -> float:
    """The ``ceil((n + 1) coverage) / n`` empirical quantile; +inf if n is too small."""
    n = len(scores)
    rank = math.ceil((n + 1) * coverage)
    if n == 0 or rank > n:
        return math.inf
    return float(np.sort(scores)[rank - 1])


def set_membership(proba: np.ndarray, threshold: float, method: Method = "lac") -> np.ndarray:
    """Boolean matrix: is path j in row i's prediction set. Every row has at least one path."""
    top = np.argmax(proba, axis=1)
    if method == "lac":
        member = (1.0 - proba) <= threshold  # compared as scores, as the quantile was
    else:
        order = np.argsort(-proba, axis=1, kind="stable")
        sorted_p = np.take_along_axis(proba, order, axis=1)
        keep_sorted = np.cumsum(sorted_p, axis=1) <= threshold
        member = np.zeros_like(proba, dtype=bool)
        np.put_along_axis(member, order, keep_sorted, axis=1)
    member[np.arange(len(proba)), top] = True
    return member


def format_sets(member: np.ndarray, classes: Sequence[str]) -> list[str]:
    """Each row's set as path codes joined by ``|``, in ``classes`` order.

    A batch holds only a few distinct sets: each row's set is read as a bit pattern (one bit
    per path), each distinct pattern is joined once and rows look it up.
    """
    names = np.asarray(classes, dtype=object)
    bits = np.arange(member.shape[1], dtype=np.int64)
    pattern = (member.astype(np.int64) << bits).sum(axis=1)
    distinct, which = np.unique(pattern, return_inverse=True)
    texts = [SET_SEPARATOR.join(names[(code >> bits) & 1 == 1]) for code in distinct.tolist()]
    return np.asarray(texts, dtype=object)[which.reshape(-1)].tolist()


@dataclass(frozen=True)
class ConformalPredictor:
    """A fitted conformal threshold: turns probabilities into prediction sets."""

    method: Method
    coverage: float
    threshold: float
    n_calibration: int

    @classmethod
    def fit(
        cls, proba: np.ndarray, y_true, classes: Sequence[str], coverage: float, method: Method
    ) -> ConformalPredictor:
        scores = nonconformity(proba, y_true, classes, method)
        return cls(method, coverage, conformal_quantile(scores, coverage), len(scores))

    def membership(self, proba: np.ndarray) -> np.ndarray:
        return set_membership(proba, self.threshold, self.method)

    def as_dict(self) -> dict[str, object]:
        return {
            "method": self.method,
            "coverage": self.coverage,
            "threshold": self.threshold,
            "n_calibration": self.n_calibration,
        }


def coverage_report(member: np.ndarray, y_true, classes: Sequence[str]) -> dict[str, float]:
    """Share of rows whose set holds the true path, mean set size, share of singleton sets."""
    true = _true_index(y_true, classes)
    covered = member[np.arange(len(member)), true]
    sizes = member.sum(axis=1)
    return {
        "coverage": float(covered.mean()) if len(covered) else math.nan,
        "mean_set_size": float(sizes.mean()) if len(sizes) else math.nan,
        "singleton_share": float((sizes == 1).mean()) if len(sizes) else math.nan,
    }
