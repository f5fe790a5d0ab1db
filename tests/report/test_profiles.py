"""Percentiles and nearest peers on tiny hand-made tables, expected values worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from clusterpath.report.profiles import (
    indicator_matrix,
    percentiles,
    similar_clusters,
    standardised,
)


def matrix(rows: list[tuple[str, int, dict[str, float]]]) -> pd.DataFrame:
    index = pd.MultiIndex.from_tuples([(c, y) for c, y, _ in rows], names=["cluster_id", "year"])
    return pd.DataFrame([values for _, _, values in rows], index=index)


def test_indicator_matrix_pivots_the_long_table():
    long = pd.DataFrame(
        {
            "cluster_id": ["A", "A", "B", "B"],
            "year": [2021, 2021, 2021, 2021],
            "feature": ["f", "g", "f", "g"],
            "value": [1.0, np.nan, 3.0, 4.0],
        }
    ).set_index(["cluster_id", "year"])
    wide = indicator_matrix(long)
    assert wide.loc[("B", 2021), "f"] == 3.0
    assert math.isnan(wide.loc[("A", 2021), "g"])
    assert list(wide.columns) == ["f", "g"]


def test_percentile_is_the_share_of_other_clusters_strictly_below():
    m = matrix(
        [
            ("A", 2021, {"f": 1.0}),
            ("B", 2021, {"f": 2.0}),
            ("C", 2021, {"f": 2.0}),
            ("D", 2021, {"f": np.nan}),
            ("A", 2022, {"f": 5.0}),
        ]
    )
    got = percentiles(m)["f"]
    # 2021: three known values; A has none of 2 others below, B and C one of 2 (ties not below)
    assert got[("A", 2021)] == 0.0
    assert got[("B", 2021)] == 0.5 and got[("C", 2021)] == 0.5
    assert math.isnan(got[("D", 2021)])
    # 2022: a single cluster has nobody to be compared with
    assert math.isnan(got[("A", 2022)])


def test_standardised_within_year_with_constant_and_missing_as_zero():
    m = matrix(
        [
            ("A", 2021, {"f": 1.0, "g": 7.0, "h": np.nan}),
            ("B", 2021, {"f": 3.0, "g": 7.0, "h": 2.0}),
            ("A", 2022, {"f": 100.0, "g": 1.0, "h": 0.0}),
            ("B", 2022, {"f": 300.0, "g": 3.0, "h": 2.0}),
        ]
    )
    z = standardised(m)
    assert z.loc[("A", 2021)].tolist() == [-1.0, 0.0, 0.0]
    assert z.loc[("B", 2021)].tolist() == [1.0, 0.0, 0.0]
    assert z.loc[("A", 2022)].tolist() == [-1.0, -1.0, -1.0]


def test_nearest_peers_same_year_other_clusters_ties_to_smaller_id():
    m = matrix(
        [
            ("A", 2021, {"f": 0.0}),
            ("B", 2021, {"f": 1.0}),
            ("C", 2021, {"f": 3.0}),
            ("D", 2021, {"f": 10.0}),
            ("A", 2022, {"f": 0.0}),
            ("C", 2022, {"f": -1.0}),
            ("B", 2022, {"f": 1.0}),
        ]
    )
    near = similar_clusters(m, n=3)
    peers = near.groupby(["cluster_id", "year"])["peer_id"].apply(list).to_dict()
    assert peers[("A", 2021)] == ["B", "C", "D"]
    assert peers[("B", 2021)] == ["A", "C", "D"]
    assert peers[("C", 2021)] == ["B", "A", "D"]
    assert peers[("D", 2021)] == ["C", "B", "A"]
    # 2022 has two others only, both at the same distance from A: B before C
    assert peers[("A", 2022)] == ["B", "C"]
    assert peers[("C", 2022)] == ["A", "B"]
    assert set(near["rank"]) == {1, 2, 3}
    assert (near["cluster_id"] != near["peer_id"]).all()


@pytest.mark.parametrize("seed", [0, 1])
def test_peers_do_not_depend_on_row_order(seed):
    rng = np.random.default_rng(seed)
    rows = [
        (f"C{i}", 2021, {"f": float(v), "g": float(w)})
        for i, (v, w) in enumerate(rng.normal(size=(12, 2)))
    ]
    m = matrix(rows)
    shuffled = m.sample(frac=1.0, random_state=seed)
    a = similar_clusters(m).sort_values(["cluster_id", "rank"], ignore_index=True)
    b = similar_clusters(shuffled).sort_values(["cluster_id", "rank"], ignore_index=True)
    pd.testing.assert_frame_equal(a, b)
