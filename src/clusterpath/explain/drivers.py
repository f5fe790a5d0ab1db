"""Drivers of a recommendation: the indicators whose SHAP values argue for or against it.

For each row, the SHAP values of the recommended path are ranked: the largest positive ones
are the drivers ("why this path"), the most negative ones are what holds the cluster back
from it. Both are vectorised over rows; only the final lists are Python objects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from clusterpath.explain.contributions import Contributions


@dataclass(frozen=True)
class Driver:
    feature: str
    value: float
    shap: float


def path_shap(contrib: Contributions, path_index: np.ndarray) -> np.ndarray:
    """(rows, features) SHAP values of each row's own path."""
    return contrib.values[np.arange(len(path_index)), path_index, :]


def ranked_drivers(
    shap: np.ndarray, X: pd.DataFrame, feature_ids: tuple[str, ...], n: int, sign: int
) -> list[list[Driver]]:
    """Per row, up to ``n`` features with SHAP of the given sign (+1 for, -1 against),
    strongest first; zero contributions are never listed."""
    if n == 0 or not len(shap):
        return [[] for _ in range(len(shap))]
    signed = shap * sign
    order = np.argsort(-signed, axis=1, kind="stable")[:, :n]
    values = X.reindex(columns=list(feature_ids)).to_numpy(float)
    out: list[list[Driver]] = []
    for row, picks in enumerate(order):
        out.append(
            [
                Driver(feature_ids[j], float(values[row, j]), float(shap[row, j]))
                for j in picks
                if signed[row, j] > 0
            ]
        )
    return out


def drivers_text(drivers: list[Driver]) -> str:
    """Compact one-cell form for the scores table: ``rd_intensity +0.84; ...``."""
    return "; ".join(f"{d.feature} {d.shap:+.3f}" for d in drivers)


def long_form(
    contrib: Contributions,
    X: pd.DataFrame,
    keys: pd.DataFrame,
    path_index: np.ndarray,
    role: str,
) -> pd.DataFrame:
    """One row per (cluster-year, feature) for the given path of each row: the long table."""
    n, f = len(path_index), len(contrib.feature_ids)
    shap = path_shap(contrib, path_index)
    values = X.reindex(columns=list(contrib.feature_ids)).to_numpy(float)
    classes = np.asarray(contrib.classes, dtype=object)
    return pd.DataFrame(
        {
            "cluster_id": np.repeat(keys["cluster_id"].to_numpy(object), f),
            "year": np.repeat(keys["year"].to_numpy(), f),
            "role": role,
            "path": np.repeat(classes[path_index], f),
            "feature": np.tile(np.asarray(contrib.feature_ids, dtype=object), n),
            "value": values.ravel(),
            "shap": shap.ravel(),
        }
    )
