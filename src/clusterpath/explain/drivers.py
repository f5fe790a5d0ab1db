"""Drivers of a recommendation: the indicators whose SHAP values argue for or against it.

For each row, the SHAP values of the recommended path are ranked: the largest positive ones
are the drivers ("why this path"), the most negative ones are what holds the cluster back
from it. Both are vectorised over rows; only the final lists are Python objects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from clusterpath.models.contributions import Contributions


@dataclass(frozen=True)
class RankedDrivers:
    """Per row, up to ``n`` features ranked by SHAP, strongest first, as (rows, n) arrays.

    Kept as arrays so that texts and records are built a column at a time rather than
    driver by driver. ``feature`` indexes ``feature_ids``; ``listed`` is False for the
    slots of a row that has fewer than ``n`` SHAP values of the wanted sign.
    """

    feature: np.ndarray
    value: np.ndarray
    shap: np.ndarray
    listed: np.ndarray
    feature_ids: tuple[str, ...]

    def flat(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The listed drivers of all rows, row by row: feature index, value, SHAP, and how
        many each row has."""
        listed = self.listed
        counts = listed.sum(axis=1)
        return self.feature[listed], self.value[listed], self.shap[listed], counts


def split_rows(items: list, counts: np.ndarray) -> list[list]:
    """Cut a flat list into consecutive rows of ``counts[i]`` items each."""
    ends = np.cumsum(counts)
    starts = ends - counts
    return [items[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]


def path_shap(contrib: Contributions, path_index: np.ndarray) -> np.ndarray:
    """(rows, features) SHAP values of each row's own path."""
    return contrib.values[np.arange(len(path_index)), path_index, :]


def ranked_drivers(
    shap: np.ndarray, X: pd.DataFrame, feature_ids: tuple[str, ...], n: int, sign: int
) -> RankedDrivers:
    """Per row, up to ``n`` features with SHAP of the given sign (+1 for, -1 against),
    strongest first (ties in catalogue order); zero contributions are never listed."""
    signed = shap * sign
    order = np.argsort(-signed, axis=1, kind="stable")[:, :n]
    values = X.reindex(columns=list(feature_ids)).to_numpy(float)
    return RankedDrivers(
        feature=order,
        value=np.take_along_axis(values, order, axis=1),
        shap=np.take_along_axis(shap, order, axis=1),
        listed=np.take_along_axis(signed, order, axis=1) > 0,
        feature_ids=tuple(feature_ids),
    )


def drivers_text(ranked: RankedDrivers) -> list[str]:
    """Per row, the compact one-cell form for the scores table: ``rd_intensity +0.840; ...``.

    Each indicator's id is put into its format once, so every driver is one C-level
    ``str.format`` call (no Python frame per driver): this runs for every row of a batch.
    """
    feature, _, shap, counts = ranked.flat()
    formats = np.asarray(
        [f"{fid.replace('{', '{{').replace('}', '}}')} {{:+.3f}}" for fid in ranked.feature_ids],
        dtype=object,
    )
    parts = list(map(str.format, formats[feature].tolist(), shap.tolist()))
    return list(map("; ".join, split_rows(parts, counts)))


def long_form(
    contrib: Contributions,
    X: pd.DataFrame,
    keys: pd.DataFrame,
    roles: dict[str, np.ndarray],
) -> pd.DataFrame:
    """One row per (cluster-year, role, feature): each role names a path per row."""
    table = LongForm(keys, contrib.classes, contrib.feature_ids, list(roles))
    table.fill(slice(0, len(keys)), contrib, X, list(roles.values()))
    return table.frame()


class LongForm:
    """The long SHAP table (``long_form``), filled a chunk of cluster-years at a time.

    Rows come out already ordered by cluster-year, then role, then catalogue feature order,
    so no sort is needed; repeated strings are categoricals (cheap in memory and Parquet).
    The table has a row per SHAP value (7 million for 100,000 cluster-years). Its columns are
    allocated once, in their final types (codes in the categoricals' own integer width, value
    and SHAP in one float block that becomes the frame's without a copy), and each chunk
    writes its rows while the booster explains the next chunk.
    """

    def __init__(self, keys: pd.DataFrame, classes, feature_ids, roles: list[str]):
        self.classes, self.feature_ids, self.roles = tuple(classes), tuple(feature_ids), roles
        n, self.width = len(keys), len(roles) * len(feature_ids)
        self.cluster = pd.Categorical(keys["cluster_id"].astype(str))
        self.years = keys["year"].to_numpy()
        self.numbers = np.empty((2, n * self.width))  # value, shap
        cells = n * self.width
        self.columns = {
            "cluster_id": np.empty(cells, dtype=self.cluster.codes.dtype),
            "year": np.empty(cells, dtype=self.years.dtype),
            "role": np.empty(cells, dtype=_code_type(roles)),
            "path": np.empty(cells, dtype=_code_type(self.classes)),
            "feature": np.empty(cells, dtype=_code_type(self.feature_ids)),
        }

    def fill(
        self, at: slice, contrib: Contributions, X: pd.DataFrame, paths: list[np.ndarray]
    ) -> None:
        """Write the rows of cluster-years ``at`` (``contrib`` and ``X`` are theirs); ``paths``
        gives, per role, the path index of each of them."""
        f, r, width, m = len(self.feature_ids), len(self.roles), self.width, len(contrib.values)
        cells = slice(at.start * width, at.stop * width)
        by_role = self.numbers[:, cells].reshape(2, m, r, f)
        by_role[0] = X.reindex(columns=list(self.feature_ids)).to_numpy(float)[:, None, :]
        for i, path_index in enumerate(paths):
            by_role[1, :, i, :] = path_shap(contrib, path_index)
        column = self.columns
        column["cluster_id"][cells] = np.repeat(self.cluster.codes[at], width)
        column["year"][cells] = np.repeat(self.years[at], width)
        column["role"][cells] = np.tile(np.repeat(np.arange(r), f), m)
        column["path"][cells] = np.repeat(np.stack(paths, axis=1).ravel(), f)
        column["feature"][cells] = np.tile(np.arange(f), m * r)

    def frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.numbers.T, columns=["value", "shap"], copy=False)
        categories = {
            "cluster_id": self.cluster.categories,
            "role": self.roles,
            "path": self.classes,
            "feature": self.feature_ids,
        }
        for at, (name, codes) in enumerate(self.columns.items()):
            column = codes
            if name in categories:  # codes already in range and in pandas' own width
                column = pd.Categorical.from_codes(codes, categories[name], validate=False)
            frame.insert(at, name, column)
        return frame


def _code_type(categories) -> np.dtype:
    """The integer width pandas keeps the codes of a categorical with these categories in."""
    return pd.Categorical.from_codes([], categories).codes.dtype
