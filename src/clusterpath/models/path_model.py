"""The fitted path model: everything training learned, asked through one object.

Built once when a model is trained or loaded, from the bundle the served model carries.
Scoring asks it once per batch (``read``): one ``Reading`` holds the probabilities in path order,
the TreeSHAP contributions chunk by chunk, the prediction sets, the support distances behind the
trust flags and the what-if search space over its trees; a job's outputs take what they say
of the model from ``ModelFacts``, read once after loading. Only this module (with
``pipeline.py`` and ``temperature.py``) knows that the estimator is a
scikit-learn pipeline around a LightGBM booster, perhaps tempered or calibrated.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
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
from clusterpath.models.search_space import SearchSpace, search_space
from clusterpath.models.support import TrustConfig, distances
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


@dataclass(frozen=True)
class ModelFacts:
    """What a job's outputs say about the model, read once after loading: where it came
    from, its paths in order (the probability columns and the document's paths) and its
    training reference (the drift baseline; None for a model saved without one)."""

    identity: ModelIdentity
    classes: tuple[str, ...]
    reference: Mapping | None


@dataclass(frozen=True)
class ChunkReading:
    """One chunk of explained rows: its TreeSHAP contributions (a view of a buffer reused
    once the next chunk is asked for) and the path probabilities they add up to."""

    contributions: Contributions
    probabilities: np.ndarray


@dataclass(frozen=True)
class Reading:
    """What scoring a batch needs from the model, asked once (``PathModel.read``).

    The paths and indicators in order, the training ranges, support and reference (plain
    data from the bundle), each row's support distance (None for a model saved without a
    support), then either the explained rows' chunks, computed ahead and read lazily, or the
    probabilities of every row. ``sets`` turns probabilities into paths and conformal sets,
    ``what_if_space`` builds the what-if search space on demand and ``predict`` gives the
    probabilities of edited rows (the what-if check).
    """

    classes: tuple[str, ...]
    feature_ids: tuple[str, ...]
    ranges: Mapping[str, Mapping[str, float]]
    support: Mapping | None
    reference: Mapping | None
    distances: np.ndarray | None
    chunks: Iterator[ChunkReading]
    probabilities: np.ndarray | None
    sets: Callable[[np.ndarray], pd.DataFrame]
    what_if_space: Callable[[Sequence[str], Sequence[str], TrustConfig], SearchSpace]
    predict: Callable[[pd.DataFrame], np.ndarray]


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

    @contextmanager
    def read(
        self, X: pd.DataFrame, explained: np.ndarray | None, rows: int = 1, workers: int = 1
    ) -> Iterator[Reading]:
        """Everything scoring the rows of ``X`` (indicators in ``feature_ids`` order) asks of
        the model, as one ``Reading``. With ``explained`` (row positions), the booster starts
        explaining those rows in chunks of ``rows`` on ``workers`` threads on entering, and
        their probabilities come from the same pass; otherwise every row's probabilities are
        computed at once. A context manager: the chunks are read inside it."""
        if explained is None:
            yield self._reading(self._distances(X), iter(()), self.probabilities(X))
            return
        at = X.iloc[explained]
        with self.contributions_ahead(at, rows, workers) as chunks:
            d = self._distances(X)  # while the booster explains the first chunks
            yield self._reading(d, self._chunk_readings(chunks, at), None)

    def _distances(self, X: pd.DataFrame) -> np.ndarray | None:
        return distances(X, self.support) if self.support else None

    def _reading(self, d, chunks: Iterator[ChunkReading], proba) -> Reading:
        return Reading(
            self.classes,
            self.feature_ids,
            self.ranges,
            self.support,
            self.reference,
            d,
            chunks,
            proba,
            self.prediction_sets,
            self.what_if_space,
            self.probabilities,
        )

    def _chunk_readings(
        self, chunks: Iterator[Contributions], X: pd.DataFrame
    ) -> Iterator[ChunkReading]:
        done = 0
        for part in chunks:
            rows = X.iloc[done : done + len(part.values)]
            done += len(part.values)
            yield ChunkReading(part, self.probabilities_of(part, rows))

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

    def what_if_space(
        self, actionable: Sequence[str], integer: Sequence[str], trust: TrustConfig
    ) -> SearchSpace:
        """Where the what-if search may move each of ``actionable``: both sides of its split
        thresholds, within the training band ``trust`` accepts (``search_space``)."""
        thresholds = self.split_thresholds(actionable)
        return search_space(self.ranges, thresholds, self.forest, self.temperature, integer, trust)

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
