"""Baselines the path classifier has to beat, each a Pipeline ending in a ``model`` step.

- ``majority``: always the most frequent path (DummyClassifier, prior probabilities).
- ``logistic``: multinomial logistic regression on median-imputed, standardised indicators.
- ``rules``: the paper's signals read as fixed thresholds (models/rules.yaml), not fitted.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.dummy import DummyClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from clusterpath.models.config import RulesConfig
from clusterpath.models.pipeline import MODEL, SELECT, feature_selector


def majority_baseline(feature_ids: Sequence[str]) -> Pipeline:
    """Predicts the most frequent training path; probabilities are the class priors."""
    return Pipeline(
        [(SELECT, feature_selector(feature_ids)), (MODEL, DummyClassifier(strategy="prior"))]
    )


def logistic_baseline(feature_ids: Sequence[str], random_state: int = 0) -> Pipeline:
    """Multinomial logistic regression on median-imputed, standardised indicators."""
    return Pipeline(
        [
            (SELECT, feature_selector(feature_ids)),
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
            ("scale", StandardScaler()),
            (MODEL, LogisticRegression(C=1.0, max_iter=2000, random_state=random_state)),
        ]
    )


def rule_baseline(rules: RulesConfig, path_codes: Sequence[str]) -> Pipeline:
    """The rule classifier behind a selector of the indicators it reads."""
    return Pipeline(
        [
            (SELECT, feature_selector(rules.indicators())),
            (MODEL, RuleClassifier(rules=rules, path_codes=tuple(path_codes))),
        ]
    )


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


class RuleClassifier(ClassifierMixin, BaseEstimator):
    """Scores each path from thresholds on named indicators; predicts the best-scoring path.

    A criterion contributes ``clip((x - threshold) / scale, -1, 1)`` (negated for ``below``);
    a missing indicator contributes 0. A path's score is the weighted mean of its criteria.
    Nothing is learned: ``fit`` only checks the input and records the classes.

    Parameters
    ----------
    rules : RulesConfig
        Criteria per path code.
    path_codes : tuple of str
        The classes, in reference order (also the tie-break order).
    """

    def __init__(self, rules: RulesConfig | None = None, path_codes: tuple[str, ...] = ()):
        self.rules = rules
        self.path_codes = path_codes

    def fit(self, X: pd.DataFrame, y=None, sample_weight=None) -> RuleClassifier:
        if self.rules is None:
            raise ValueError("RuleClassifier needs a RulesConfig")
        missing = [c for c in self.rules.indicators() if c not in X.columns]
        if missing:
            raise ValueError(f"rule baseline: indicators missing from the input: {missing}")
        unknown = set(self.rules.paths) - set(self.path_codes)
        if unknown:
            raise ValueError(f"rule baseline: rules for unknown paths {sorted(unknown)}")
        self.classes_ = np.asarray(self.path_codes, dtype=object)
        self.n_features_in_ = X.shape[1]
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        return self

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """One score per path in ``classes_`` order, each in [-1, 1]."""
        scores = np.zeros((len(X), len(self.classes_)))
        for j, code in enumerate(self.classes_):
            criteria = self.rules.paths.get(code, ())
            if not criteria:
                scores[:, j] = -1.0
                continue
            total = np.zeros(len(X))
            for c in criteria:
                value = pd.to_numeric(X[c.indicator], errors="coerce").to_numpy(float)
                sign = 1.0 if c.direction == "above" else -1.0
                part = np.clip(sign * (value - c.threshold) / c.scale, -1.0, 1.0)
                total += c.weight * np.nan_to_num(part, nan=0.0)
            scores[:, j] = total / sum(c.weight for c in criteria)
        return scores

    def evidence(self, X: pd.DataFrame) -> np.ndarray:
        """Per row, how many criteria (over all paths) had a value to judge."""
        present = [
            pd.to_numeric(X[c.indicator], errors="coerce").notna().to_numpy()
            for criteria in self.rules.paths.values()
            for c in criteria
        ]
        return np.sum(present, axis=0).astype(int)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return _softmax(self.rules.temperature * self.decision_function(X))

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.classes_[np.argmax(self.decision_function(X), axis=1)]
