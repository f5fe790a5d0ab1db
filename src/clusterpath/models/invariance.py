"""Which indicators mean the same on any source: how far each one's level moves by world.

A world is a source or setting (clusters.world). Every world's clusters are drawn with the
same mix of paths, so an indicator whose distribution differs between worlds for all paths
alike reads the source, not the path. The test is label-free: the two-sample
Kolmogorov-Smirnov statistic of each world's values against those of every other world
(the largest gap between the two empirical distribution functions, 0 = same distribution,
1 = disjoint). An indicator with a high statistic in some world is a candidate for
redefinition (a share over the firms that report, a count per enterprise, an entropy over its
maximum) or for leaving out of the model.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """Largest gap between the empirical distribution functions of ``a`` and ``b`` (NaN
    dropped; NaN when either sample is empty)."""
    a, b = np.sort(a[~np.isnan(a)]), np.sort(b[~np.isnan(b)])
    if len(a) == 0 or len(b) == 0:
        return float("nan")
    points = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, points, side="right") / len(a)
    cdf_b = np.searchsorted(b, points, side="right") / len(b)
    return float(np.max(np.abs(cdf_a - cdf_b)))


def world_shift_table(
    X: pd.DataFrame, world: pd.Series, feature_ids: Sequence[str], min_rows: int = 20
) -> pd.DataFrame:
    """Indicator x world KS statistic of the world's rows against all other rows.

    Worlds with fewer than ``min_rows`` rows are left out (too few to read a distribution),
    and so is the table when fewer than two worlds remain. Columns ``max`` and ``median``
    summarise each indicator over the worlds.
    """
    world = pd.Series(np.asarray(world, dtype=object), index=X.index)
    counts = world.value_counts()
    kept = sorted(counts.index[counts >= min_rows])
    if len(kept) < 2:
        return pd.DataFrame(index=pd.Index(list(feature_ids), name="indicator"))
    table = pd.DataFrame(index=pd.Index(list(feature_ids), name="indicator"), columns=kept)
    for name in kept:
        inside = (world == name).to_numpy()
        for fid in feature_ids:
            values = X[fid].to_numpy(float)
            table.loc[fid, name] = ks_statistic(values[inside], values[~inside])
    table = table.astype(float)
    return table.assign(max=table.max(axis=1), median=table.median(axis=1))


def invariance_report(
    X: pd.DataFrame,
    world: pd.Series | None,
    feature_ids: Sequence[str],
    other: pd.DataFrame | None = None,
    other_name: str = "gallery",
) -> pd.DataFrame:
    """``world_shift_table`` of the training rows, plus (when ``other`` rows are given, e.g.
    the gallery's) a column of their KS statistic against all training rows.

    The extra column is label-free too, but the other rows' mix of paths need not be the
    training one, so it reads source and mix together.
    """
    if world is None:
        table = pd.DataFrame(index=pd.Index(list(feature_ids), name="indicator"))
    else:
        table = world_shift_table(X, world, feature_ids)
    if other is not None and len(other):
        table[f"{other_name}_vs_training"] = [
            ks_statistic(other[f].to_numpy(float), X[f].to_numpy(float)) for f in feature_ids
        ]
    return table
