"""Temperature scaling fitted where the analysts will use the model: on worlds it did not see.

Probabilities ``p`` become ``p^(1/T)`` renormalised (the same as dividing the raw scores by
``T``), so the ranking of paths, the recommendation and the SHAP drivers are unchanged and
only the confidence moves. ``T`` minimises the log-loss of predictions for held-out worlds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from lightgbm import LGBMClassifier
from scipy.optimize import minimize_scalar
from scipy.special import softmax
from sklearn.pipeline import Pipeline

from clusterpath.models.evaluation import log_loss

BOUNDS = (np.log(0.2), np.log(10.0))


def apply_temperature(proba: np.ndarray, temperature: float) -> np.ndarray:
    """``p^(1/T)`` normalised per row (computed in logs, so tiny probabilities stay finite)."""
    logp = np.log(np.clip(proba, 1e-300, 1.0)) / temperature
    logp -= logp.max(axis=1, keepdims=True)
    scaled = np.exp(logp)
    return scaled / scaled.sum(axis=1, keepdims=True)


def fit_temperature(proba: np.ndarray, y_true, classes: Sequence[str]) -> float:
    """The temperature with the smallest log-loss on (proba, y_true); 1.0 without rows."""
    if len(proba) == 0:
        return 1.0
    result = minimize_scalar(
        lambda log_t: log_loss(y_true, apply_temperature(proba, np.exp(log_t)), classes),
        bounds=BOUNDS,
        method="bounded",
    )
    return float(np.exp(result.x))


class TemperatureScaled:
    """A fitted classifier whose probabilities are tempered by ``temperature``.

    ``estimator`` stays reachable (``lightgbm_step`` finds the booster for SHAP), and
    ``classes_`` are the estimator's own.
    """

    def __init__(self, estimator, temperature: float):
        self.estimator = estimator
        self.temperature = float(temperature)
        self.classes_ = estimator.classes_

    def predict_proba(self, X) -> np.ndarray:
        return apply_temperature(np.asarray(self.estimator.predict_proba(X)), self.temperature)

    def predict(self, X) -> np.ndarray:
        return np.asarray(self.classes_)[np.argmax(self.estimator.predict_proba(X), axis=1)]


def probabilities_from_raw(estimator, raw: np.ndarray) -> np.ndarray | None:
    """``estimator.predict_proba`` computed from its booster's raw scores ``raw`` (one column
    per class of ``estimator.classes_``), or None for an estimator that needs more than the
    raw scores (a fitted probability calibrator).

    TreeSHAP contributions add up to the raw scores, so rows that are explained anyway get
    their probabilities without a second pass over the trees; they agree with
    ``predict_proba`` to about 1e-15.
    """
    if isinstance(estimator, TemperatureScaled):
        inner = probabilities_from_raw(estimator.estimator, raw)
        return None if inner is None else apply_temperature(inner, estimator.temperature)
    booster = estimator[-1] if isinstance(estimator, Pipeline) else estimator
    if isinstance(booster, LGBMClassifier) and booster.objective_ == "multiclass":
        return softmax(raw, axis=1)
    return None
