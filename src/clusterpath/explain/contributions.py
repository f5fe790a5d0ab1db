"""Exact TreeSHAP contributions of the path classifier, per cluster-year, feature and path.

LightGBM computes path-dependent TreeSHAP itself (``pred_contrib=True``); it agrees with
``shap.TreeExplainer`` to rounding (see tests) and skips shap's model conversion. The values
are in the model's raw-score (log-odds) space: for each row and path, the contributions plus
the path's base value add up to that path's raw score. When the served model was calibrated
(temperature scaling), the explained booster is the one before calibration.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clusterpath.models.pipeline import lightgbm_labels, lightgbm_step


@dataclass(frozen=True)
class Contributions:
    """SHAP values ``values[row, path, feature]`` and the base value ``base[row, path]``."""

    values: np.ndarray
    base: np.ndarray
    classes: tuple[str, ...]
    feature_ids: tuple[str, ...]

    def raw_scores(self) -> np.ndarray:
        """Per row and path, the raw score the contributions add up to."""
        return self.values.sum(axis=2) + self.base

    def mean_abs(self) -> pd.DataFrame:
        """Mean |SHAP| per feature (rows) and path (columns): the global importance."""
        return pd.DataFrame(
            np.abs(self.values).mean(axis=0).T, index=self.feature_ids, columns=self.classes
        )


def tree_contributions(
    estimator, X: pd.DataFrame, classes: Sequence[str], feature_ids: Sequence[str]
) -> Contributions:
    """TreeSHAP of the fitted pipeline's LightGBM on ``X``, paths in ``classes`` order."""
    model = lightgbm_step(estimator)
    frame = X.reindex(columns=list(feature_ids)).astype("float64")
    n_features = len(feature_ids)
    if frame.empty:  # e.g. every row flagged insufficient_data: LightGBM refuses 0 rows
        empty = np.zeros((0, len(classes), n_features))
        return Contributions(empty, empty[:, :, 0], tuple(classes), tuple(feature_ids))
    flat = np.asarray(model.booster_.predict(frame, pred_contrib=True), dtype=float)
    blocks = flat.reshape(len(frame), len(model.classes_), n_features + 1)
    position = {c: j for j, c in enumerate(lightgbm_labels(estimator))}
    values = np.zeros((len(frame), len(classes), n_features))
    base = np.zeros((len(frame), len(classes)))
    for i, code in enumerate(classes):
        if code in position:
            values[:, i, :] = blocks[:, position[code], :n_features]
            base[:, i] = blocks[:, position[code], n_features]
    return Contributions(values, base, tuple(classes), tuple(feature_ids))


def contributions_in_chunks(
    estimator, X: pd.DataFrame, classes: Sequence[str], feature_ids: Sequence[str], rows: int
) -> Iterator[Contributions]:
    """``tree_contributions`` of ``X`` for ``rows`` rows at a time, in order; one chunk ahead.

    LightGBM releases the interpreter while it computes, so the next chunk's contributions
    are computed in a worker thread while the caller turns the current chunk into Python
    records. On two cores that hides most of the record building behind the booster. Each
    row's contributions do not depend on the other rows, so chunking changes no value.
    """
    starts = list(range(0, len(X), rows)) or [0]

    def chunk(start: int) -> Contributions:
        return tree_contributions(estimator, X.iloc[start : start + rows], classes, feature_ids)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="treeshap") as pool:
        pending = pool.submit(chunk, starts[0])
        for start in starts[1:]:
            ready, pending = pending.result(), pool.submit(chunk, start)
            yield ready
        yield pending.result()


def concat_contributions(parts: Sequence[Contributions]) -> Contributions:
    """Chunks of rows (as from ``contributions_in_chunks``) joined back into one."""
    first = parts[0]
    return Contributions(
        np.concatenate([p.values for p in parts]),
        np.concatenate([p.base for p in parts]),
        first.classes,
        first.feature_ids,
    )
