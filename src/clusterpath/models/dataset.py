"""Labelled rows for training: the indicator table joined with labels on (cluster_id, year)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

KEY = ["cluster_id", "year"]


@dataclass(frozen=True)
class LabelledData:
    """Rows with a label: indicators ``X``, path ``y``, cluster ``groups``, ``source``, weight.

    ``world`` names the setting each row's records come from (the clusters table's ``world``,
    or the domain where the extract has none): the shift test holds out one world at a time.
    """

    X: pd.DataFrame
    y: pd.Series
    groups: pd.Series
    source: pd.Series
    weight: np.ndarray
    world: pd.Series | None = None

    def __len__(self) -> int:
        return len(self.y)

    def take(self, rows: np.ndarray) -> LabelledData:
        """The subset at positional ``rows`` (index reset)."""
        return LabelledData(
            X=self.X.iloc[rows].reset_index(drop=True),
            y=self.y.iloc[rows].reset_index(drop=True),
            groups=self.groups.iloc[rows].reset_index(drop=True),
            source=self.source.iloc[rows].reset_index(drop=True),
            weight=self.weight[rows],
            world=None if self.world is None else self.world.iloc[rows].reset_index(drop=True),
        )

    def scored(self, sources: Sequence[str]) -> np.ndarray:
        """Positions of rows whose label source counts for evaluation."""
        return np.flatnonzero(self.source.isin(list(sources)).to_numpy())


def join_labels(
    features: pd.DataFrame,
    labels: pd.DataFrame,
    feature_ids: Sequence[str],
    label_weights: Mapping[str, float],
    worlds: pd.Series | None = None,
) -> LabelledData:
    """Inner-join labels onto features; weight each row by its label's source.

    Labels whose cluster-year has no indicator row are dropped (they cannot be learned from);
    sources without a configured weight get weight 1. Rows are ordered by cluster and year.
    ``worlds`` maps cluster_id to its world (see ``LabelledData``).
    """
    labels = labels.assign(year=labels["year"].astype("int64"))
    rows = features.assign(year=features["year"].astype("int64")).merge(
        labels[[*KEY, "path", "source"]], on=KEY, how="inner", validate="one_to_one"
    )
    rows = rows.sort_values(KEY, kind="stable").reset_index(drop=True)
    weight = rows["source"].map(lambda s: float(label_weights.get(s, 1.0))).to_numpy(float)
    keep = weight > 0
    rows, weight = rows[keep].reset_index(drop=True), weight[keep]
    return LabelledData(
        X=rows[[*KEY, *feature_ids]],
        y=rows["path"].astype(str),
        groups=rows["cluster_id"].astype(str),
        source=rows["source"].astype(str),
        weight=weight,
        world=None if worlds is None else rows["cluster_id"].map(worlds).astype(str),
    )


def cluster_worlds(clusters: pd.DataFrame) -> pd.Series:
    """cluster_id -> world; the domain stands in where no world is given."""
    domain = clusters["domain"].astype(str)
    if "world" in clusters.columns:
        world = clusters["world"].astype("string")
        domain = world.where(world.notna() & (world != ""), domain).astype(str)
    return pd.Series(domain.to_numpy(), index=clusters["cluster_id"].astype(str).to_numpy())


def label_counts(labels: pd.DataFrame, used: LabelledData) -> pd.DataFrame:
    """Labels per source: in the extract and actually used for training (joined, weight > 0)."""
    given = labels.groupby("source").size().rename("given")
    joined = used.source.value_counts().rename("used")
    out = pd.concat([given, joined], axis=1).fillna(0).astype(int)
    out.index.name = "source"
    return out.reset_index()


def unlabelled_rows(features: pd.DataFrame, labels: pd.DataFrame | None) -> pd.DataFrame:
    """Cluster-years without an expert label (weak and simulated labels do not count)."""
    if labels is None or labels.empty:
        return features.reset_index(drop=True)
    expert = labels.loc[labels["source"] == "expert", KEY].assign(
        year=lambda f: f["year"].astype("int64"), _expert=True
    )
    merged = features.assign(year=features["year"].astype("int64")).merge(
        expert, on=KEY, how="left"
    )
    return merged[merged["_expert"].isna()].drop(columns="_expert").reset_index(drop=True)
