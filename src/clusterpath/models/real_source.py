"""What graded real clusters teach the batch estimate about rows that resemble them.

Calibration is learned on simulated rows. On the gallery's real clusters, each graded by a
refit without it, the top probability says far more than the agreement with the documented
reading earns, and neither the distance from the training data nor the confidence tells
right from wrong there. The held-out worlds cannot teach this: they are simulated too.

So the estimate learns it from the real clusters themselves, as importance weighting does
under covariate shift (a classifier of which source a row comes from gives the weights;
Sugiyama, Krauledat and Mueller, JMLR 2007). A logistic regression on the indicators the
model reads (standardised, undefined values at the training median) tells how much a row
resembles the real clusters rather than the simulated training rows: ``s`` in 0-1, classes
balanced. The real clusters' ``ratio`` is their agreement over their mean top probability
(at most 1). A row's top probability is scaled by ``1 - s (1 - ratio)`` before estimating:
unchanged for rows like the simulated ones, the real clusters' ratio for rows like them.

Checked honestly: each gallery cluster's factor comes from a correction fitted without it
(``cross_fitted_factors``), and the training run logs the estimate against the actual
agreement. The coefficients are saved as plain numbers with the model's monitoring
reference, so scoring needs no fitted object of scikit-learn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold

MAX_SIMULATED_ROWS = 5000  # a sample of the simulated rows is enough for a linear boundary
REGULARISATION = 0.1  # inverse strength: few real clusters, many indicators


@dataclass(frozen=True)
class RealSourceCorrection:
    """Resemblance to real clusters (a linear score) and the confidence they earned."""

    feature_ids: tuple[str, ...]
    centre: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    ratio: float
    real_rows: int

    def resemblance(self, X: pd.DataFrame) -> np.ndarray:
        """``s`` per row: 0 like the simulated training rows, 1 like the real clusters."""
        z = _standardised(X, self.feature_ids, np.array(self.centre), np.array(self.scale))
        return 1.0 / (1.0 + np.exp(-(z @ np.array(self.coef) + self.intercept)))

    def factors(self, X: pd.DataFrame) -> np.ndarray:
        """The scale of each row's top probability, ``1 - s (1 - ratio)``."""
        return 1.0 - self.resemblance(X) * (1.0 - self.ratio)

    def as_dict(self) -> dict[str, object]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, raw: Mapping | None) -> RealSourceCorrection | None:
        if not raw:
            return None
        fields = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
        return cls(**fields)


def _standardised(
    X: pd.DataFrame, feature_ids: Sequence[str], centre: np.ndarray, scale: np.ndarray
) -> np.ndarray:
    values = X.reindex(columns=list(feature_ids)).to_numpy(dtype=float)
    values = np.where(np.isfinite(values), values, centre)
    return (values - centre) / scale


def confidence_ratio(proba: np.ndarray, truth: Sequence[str], classes: Sequence[str]) -> float:
    """Agreement over mean top probability (at most 1; 1 without rows)."""
    if not len(proba):
        return 1.0
    predicted = np.asarray(classes, dtype=object)[np.argmax(proba, axis=1)]
    right = float(np.mean(predicted == np.asarray(truth, dtype=object)))
    return min(1.0, right / float(proba.max(axis=1).mean()))


def _source_rows(
    simulated: pd.DataFrame, real: pd.DataFrame, columns: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Both sources' rows standardised over their union (undefined values at the median),
    whether each row is real, and the centre and scale used."""
    both = pd.concat([simulated[columns], real[columns]], ignore_index=True).astype(float)
    centre = both.median().fillna(0.0).to_numpy()
    scale = both.std().to_numpy()
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    is_real = np.r_[np.zeros(len(simulated)), np.ones(len(real))]
    return _standardised(both, columns, centre, scale), is_real, centre, scale


def _source_classifier() -> LogisticRegression:
    return LogisticRegression(C=REGULARISATION, class_weight="balanced", max_iter=2000)


def fit_real_source(
    simulated: pd.DataFrame,
    real: pd.DataFrame,
    real_proba: np.ndarray,
    real_truth: Sequence[str],
    classes: Sequence[str],
    feature_ids: Sequence[str],
    seed: int = 0,
) -> RealSourceCorrection:
    """The correction learned from ``real`` rows (graded without their own cluster:
    ``real_proba``) against a sample of the ``simulated`` training rows."""
    if len(simulated) > MAX_SIMULATED_ROWS:
        simulated = simulated.sample(MAX_SIMULATED_ROWS, random_state=seed)
    columns = list(feature_ids)
    z, is_real, centre, scale = _source_rows(simulated, real, columns)
    classifier = _source_classifier().fit(z, is_real)
    return RealSourceCorrection(
        feature_ids=tuple(columns),
        centre=tuple(float(v) for v in centre),
        scale=tuple(float(v) for v in scale),
        coef=tuple(float(v) for v in classifier.coef_[0]),
        intercept=float(classifier.intercept_[0]),
        ratio=confidence_ratio(real_proba, real_truth, classes),
        real_rows=len(real),
    )


def source_separability(
    simulated: pd.DataFrame,
    simulated_groups: Sequence[str],
    real: pd.DataFrame,
    real_groups: Sequence[str],
    feature_ids: Sequence[str],
    folds: int = 5,
) -> float:
    """How well the indicators tell real rows from simulated ones: the ROC AUC of the same
    source classifier, every row scored by a fit without its cluster (grouped folds).

    0.5 means the real clusters sit inside the simulated spread; near 1 that they lie outside
    it, where no model trained on the simulator can be trusted to read them, and where
    importance weights would rest on a handful of simulated rows. Needs no labels."""
    z, is_real, _, _ = _source_rows(simulated, real, list(feature_ids))
    groups = np.r_[np.asarray(simulated_groups, object), np.asarray(real_groups, object)]
    score = np.zeros(len(z))
    for fit_rows, held in GroupKFold(n_splits=folds).split(z, is_real, groups):
        classifier = _source_classifier().fit(z[fit_rows], is_real[fit_rows])
        score[held] = classifier.decision_function(z[held])
    return float(roc_auc_score(is_real, score))


def cross_fitted_factors(
    simulated: pd.DataFrame,
    real: pd.DataFrame,
    real_proba: np.ndarray,
    real_truth: Sequence[str],
    groups: Sequence[str],
    classes: Sequence[str],
    feature_ids: Sequence[str],
    seed: int = 0,
) -> np.ndarray:
    """Each real row's factor from a correction fitted without its cluster."""
    groups = np.asarray(groups, dtype=object)
    truth = np.asarray(real_truth, dtype=object)
    out = np.ones(len(real))
    for cluster in pd.unique(groups):
        held = groups == cluster
        correction = fit_real_source(
            simulated,
            real.iloc[np.flatnonzero(~held)],
            real_proba[~held],
            truth[~held],
            classes,
            feature_ids,
            seed,
        )
        out[held] = correction.factors(real.iloc[np.flatnonzero(held)])
    return out
