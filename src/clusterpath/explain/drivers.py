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
    columns = (
        order.tolist(),
        np.take_along_axis(values, order, axis=1).tolist(),
        np.take_along_axis(shap, order, axis=1).tolist(),
        (np.take_along_axis(signed, order, axis=1) > 0).tolist(),
    )
    return [
        [Driver(feature_ids[j], v, s) for j, v, s, keep in zip(*row, strict=True) if keep]
        for row in zip(*columns, strict=True)
    ]


def drivers_text(drivers: list[Driver]) -> str:
    """Compact one-cell form for the scores table: ``rd_intensity +0.84; ...``."""
    return "; ".join(f"{d.feature} {d.shap:+.3f}" for d in drivers)


def long_form(
    contrib: Contributions,
    X: pd.DataFrame,
    keys: pd.DataFrame,
    roles: dict[str, np.ndarray],
) -> pd.DataFrame:
    """One row per (cluster-year, role, feature): each role names a path per row.

    Rows come out already ordered by cluster-year, then role, then catalogue feature order,
    so no sort is needed; repeated strings are categoricals (cheap in memory and Parquet).
    """
    n, f, r = len(keys), len(contrib.feature_ids), len(roles)
    values = X.reindex(columns=list(contrib.feature_ids)).to_numpy(float)
    shap = np.stack([path_shap(contrib, idx) for idx in roles.values()], axis=1)
    path_codes = np.stack(list(roles.values()), axis=1)
    cluster = pd.Categorical(keys["cluster_id"].astype(str))

    def expand(codes: np.ndarray, inner: int) -> np.ndarray:
        return np.repeat(codes, inner)

    return pd.DataFrame(
        {
            "cluster_id": pd.Categorical.from_codes(
                expand(cluster.codes, r * f), cluster.categories
            ),
            "year": expand(keys["year"].to_numpy(), r * f),
            "role": pd.Categorical.from_codes(np.tile(expand(np.arange(r), f), n), list(roles)),
            "path": pd.Categorical.from_codes(expand(path_codes.ravel(), f), contrib.classes),
            "feature": pd.Categorical.from_codes(
                np.tile(np.arange(f), n * r), contrib.feature_ids
            ),
            "value": np.repeat(values, r, axis=0).ravel(),
            "shap": shap.ravel(),
        }
    )
