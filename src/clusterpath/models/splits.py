"""Splits by cluster: a cluster's years are always on one side, never on both.

Years of one cluster are near-copies of each other; letting them straddle a split would grade
a model on rows it has effectively seen. Every split here is a StratifiedGroupKFold with
``cluster_id`` as the group, so the paths stay balanced across sides where the data allow;
when every path has fewer rows than folds, stratifying is impossible and a shuffled
GroupKFold keeps the one rule that matters.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold, StratifiedGroupKFold

Split = tuple[np.ndarray, np.ndarray]


def grouped_folds(y: pd.Series, groups: pd.Series, n_splits: int, seed: int) -> list[Split]:
    """``n_splits`` (train, test) positional index pairs; each cluster is tested exactly once."""
    n_groups = pd.Series(groups).nunique()
    if n_groups < n_splits:
        raise ValueError(f"{n_groups} clusters cannot be split into {n_splits} grouped folds")
    stratifiable = pd.Series(y).value_counts().max() >= n_splits
    splitter = (
        StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
        if stratifiable
        else GroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    )
    with warnings.catch_warnings():
        # A rare path with fewer clusters than folds is expected in small extracts.
        warnings.filterwarnings(
            "ignore", message="The least populated class", category=UserWarning
        )
        return [
            (np.asarray(tr), np.asarray(te))
            for tr, te in splitter.split(np.zeros(len(y)), np.asarray(y), np.asarray(groups))
        ]


def grouped_split(y: pd.Series, groups: pd.Series, share: float, seed: int) -> Split:
    """Hold back about ``share`` of the clusters: (kept, held) positional indices."""
    n_splits = max(2, round(1 / share))
    return grouped_folds(y, groups, n_splits, seed)[0]
