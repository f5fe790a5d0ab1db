"""Where a cluster stands among the others: indicator percentiles and its nearest peers.

Both compare a cluster-year only with the clusters scored for the same year, because levels
such as revenue or firm counts drift from year to year and a 2019 value is no peer of a
2023 one. The inputs are the indicator values scoring used (``explanations.parquet``,
recommended role): one row per scored cluster-year, one column per indicator.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial.distance import cdist

KEYS = ["cluster_id", "year"]


def indicator_matrix(recommended: pd.DataFrame) -> pd.DataFrame:
    """Long (key, feature, value) rows -> one row per cluster-year, one column per indicator."""
    wide = recommended.set_index("feature", append=True)["value"].unstack("feature")
    return wide.rename_axis(columns=None)


def percentiles(matrix: pd.DataFrame) -> pd.DataFrame:
    """Share (0-1) of the other clusters of the same year whose value is strictly lower.

    A missing value has no percentile and is not counted for the others; a year with a
    single known value gives no percentile either (there is nobody to compare with).
    """
    by_year = matrix.groupby(level="year")
    below = by_year.rank(method="min") - 1
    others = by_year.transform("count") - 1
    return (below / others.where(others > 0)).where(matrix.notna())


def standardised(matrix: pd.DataFrame) -> pd.DataFrame:
    """z-scores within each year; a constant indicator and a missing value count as 0."""
    by_year = matrix.groupby(level="year")
    spread = by_year.transform("std", ddof=0)
    z = (matrix - by_year.transform("mean")) / spread.where(spread > 0)
    return z.fillna(0.0)


def similar_clusters(matrix: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """For each cluster-year, the ``n`` other clusters of that year nearest in profile.

    Distance is Euclidean between standardised indicator profiles; ties go to the smaller
    cluster id so the same inputs always name the same peers. Columns: cluster_id, year,
    rank (1 = nearest), peer_id, distance.
    """
    z = standardised(matrix).sort_index()
    parts = [_nearest(group, n) for _, group in z.groupby(level="year")]
    columns = [*KEYS, "rank", "peer_id", "distance"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def _nearest(z: pd.DataFrame, n: int) -> pd.DataFrame:
    values = z.to_numpy(float)
    ids = z.index.get_level_values("cluster_id").to_numpy(object)
    distance = cdist(values, values)
    distance[ids[:, None] == ids[None, :]] = np.inf
    k = min(n, len(ids) - 1)
    order = np.argsort(distance, axis=1, kind="stable")[:, :k]
    rows = np.repeat(np.arange(len(ids)), k)
    picks = order.ravel()
    return pd.DataFrame(
        {
            "cluster_id": ids[rows],
            "year": z.index.get_level_values("year").to_numpy()[rows],
            "rank": np.tile(np.arange(1, k + 1), len(ids)),
            "peer_id": ids[picks],
            "distance": distance[rows, picks],
        }
    )
