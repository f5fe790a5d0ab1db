"""The fitted path model: everything training learned, asked through one object.

Built once when a model is trained or loaded, from the bundle the served model carries. The
rest of the code asks it for probabilities in path order, TreeSHAP contributions, prediction
sets, the training support behind the trust flags and the trees the what-if search walks; only
this module (with ``pipeline.py`` and ``temperature.py``) knows that the estimator is a
scikit-learn pipeline around a LightGBM booster, perhaps tempered or calibrated.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from clusterpath.models.conformal import format_sets, ordered_probabilities, set_membership
from clusterpath.models.contributions import Contributions, contributions_ahead, tree_contributions
from clusterpath.models.forest import Forest, forest_of
from clusterpath.models.pipeline import lightgbm_labels, lightgbm_step, predict_proba_ordered
from clusterpath.models.temperature import probabilities_from_raw


def probability_column(code: str) -> str:
    return f"p_{code}"


@dataclass(frozen=True)
class ModelIdentity:
    """Where the model came from (all '' for one not loaded from a registry)."""

    uri: str = ""
    name: str = ""
    version: str = ""
    run_id: str = ""
    metrics: Mapping[str, float] = field(default_factory=dict)


class PathModel:
    """One fitted path model: its paths in order, its booster, temperature, conformal
    threshold, training support and reference, and its identity.

    ``bundle`` is the plain dict saved with the served model; the object reads it once.
    """

    def __init__(self, bundle: Mapping[str, Any], identity: ModelIdentity | None = None):
        self.bundle = dict(bundle)
        self.identity = identity or ModelIdentity()
        self.classes: tuple[str, ...] = tuple(bundle["classes"])
        self.feature_ids: tuple[str, ...] = tuple(bundle["feature_ids"])
        self.catalogue_version: str = str(bundle.get("catalogue_version", ""))
        self.ranges: Mapping[str, Mapping[str, float]] = bundle["ranges"]
        self.support: Mapping | None = bundle.get("support")
        self.reference: Mapping | None = bundle.get("reference")
        self.conformal_method: str = bundle["conformal"]["method"]
        self.conformal_threshold = float(bundle["conformal"]["threshold"])
        self._estimator = bundle["estimator"]
        self._labels = [str(c) for c in self._estimator.classes_]
        self.temperature = float(getattr(self._estimator, "temperature", 1.0))
        self._booster = lightgbm_step(self._estimator)
        self._booster_labels = lightgbm_labels(self._estimator)

    def identified(self, identity: ModelIdentity) -> PathModel:
        """The same fitted model, known by ``identity`` (a shallow copy)."""
        other = copy.copy(self)
        other.identity = identity
        return other

    # What the model says about rows of indicators

    def probabilities(self, X: pd.DataFrame) -> np.ndarray:
        """Path probabilities of the rows of ``X``, one column per path in path order."""
        return predict_proba_ordered(self._estimator, X, self.classes)

    def probabilities_of(self, contributions: Contributions, X: pd.DataFrame) -> np.ndarray:
        """Path probabilities of rows already explained: from the raw scores their
        contributions add up to, or from the estimator where those cannot tell (a fitted
        probability calibrator)."""
        raw = contributions.raw_scores()[:, [self.classes.index(c) for c in self._labels]]
        found = probabilities_from_raw(self._estimator, raw)
        if found is None:
            return self.probabilities(X)
        return ordered_probabilities(found, self._labels, self.classes)

    def prediction_sets(self, proba: np.ndarray) -> pd.DataFrame:
        """Path, probability columns and conformal set of probabilities in path order."""
        member = set_membership(proba, self.conformal_threshold, self.conformal_method)
        out = pd.DataFrame(
            {"path": np.asarray(self.classes, dtype=object)[np.argmax(proba, axis=1)]}
        )
        for i, code in enumerate(self.classes):
            out[probability_column(code)] = proba[:, i]
        out["prediction_set"] = format_sets(member, self.classes)
        return out

    def answer(self, model_input: pd.DataFrame) -> pd.DataFrame:
        """Path, probabilities and conformal set of each row (indicators by name)."""
        X = model_input.reindex(columns=list(self.feature_ids)).astype("float64")
        return self.prediction_sets(self.probabilities(X))

    # TreeSHAP

    def contributions_into(
        self, matrix: np.ndarray, out: Contributions, booster: lgb.Booster | None = None
    ) -> Contributions:
        """TreeSHAP of the rows of ``matrix`` (indicators in ``feature_ids`` order) written
        into ``out``, whose rows they are; returns ``out``. ``booster``, if given, is one of
        ``booster_copies``, run on one thread. With temperature scaling the explained booster
        is the one before it (the scaling moves no ranking)."""
        if len(matrix) == 0:  # e.g. every row flagged insufficient_data: LightGBM refuses 0
            return out
        n_features = len(out.feature_ids)
        if booster is None:
            flat = self._booster.booster_.predict(matrix, pred_contrib=True)
        else:
            flat = booster.predict(matrix, pred_contrib=True, num_threads=1)
        blocks = np.asarray(flat, dtype=float).reshape(
            len(matrix), len(self._booster.classes_), -1
        )
        position = {c: j for j, c in enumerate(self._booster_labels)}
        for i, code in enumerate(out.classes):
            if code in position:
                out.values[:, i, :] = blocks[:, position[code], :n_features]
                out.base[:, i] = blocks[:, position[code], n_features]
        return out

    def contributions(self, X: pd.DataFrame) -> Contributions:
        """TreeSHAP of the rows of ``X`` (indicators by name), paths in path order."""
        return tree_contributions(self, X)

    def contributions_ahead(self, X: pd.DataFrame, rows: int, workers: int = 1):
        """``contributions`` of ``X`` in chunks of ``rows``, computed ahead by ``workers``
        threads (``contributions.contributions_ahead``): a context manager."""
        return contributions_ahead(self, X, rows, workers)

    def booster_copies(self, n: int) -> list[lgb.Booster]:
        """``n`` independent copies of the booster, one per thread explaining in parallel."""
        text = self._booster.booster_.model_to_string()
        return [lgb.Booster(model_str=text) for _ in range(n)]

    # The trees, for the what-if search

    def split_thresholds(self, feature_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Sorted distinct split thresholds of each of ``feature_ids`` in the booster."""
        trees = self._booster.booster_.trees_to_dataframe()
        splits = trees.dropna(subset=["split_feature"])
        out: dict[str, np.ndarray] = {}
        for fid in feature_ids:
            values = splits.loc[splits["split_feature"] == fid, "threshold"].to_numpy(float)
            out[fid] = np.unique(values[np.isfinite(values)])
        return out

    @cached_property
    def forest(self) -> Forest:
        """The booster's trees as flat node arrays (``forest.Forest``), built once."""
        return forest_of(self._booster.booster_, self._booster_labels)

    @property
    def n_trees(self) -> int:
        return int(self._booster.n_estimators)

    def gain_importance(self) -> np.ndarray:
        """Total split gain of each indicator, in ``feature_ids`` order."""
        return np.asarray(self._booster.booster_.feature_importance("gain"), float)
