"""The label-free measure of how far an indicator's level moves between worlds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import ks_2samp

from clusterpath.models.invariance import invariance_report, ks_statistic, world_shift_table


def test_ks_statistic_by_hand() -> None:
    # a = {1, 2, 3}, b = {2.5, 4}: at 3 the ECDFs are 1 and 1/2 -> 0.5; at 2: 2/3 vs 0 -> 2/3
    assert ks_statistic(np.array([1.0, 2.0, 3.0]), np.array([2.5, 4.0])) == pytest.approx(2 / 3)
    assert ks_statistic(np.array([1.0, np.nan]), np.array([5.0])) == pytest.approx(1.0)
    assert np.isnan(ks_statistic(np.array([np.nan]), np.array([1.0])))


@settings(max_examples=40, deadline=None)
@given(
    a=st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=30),
    b=st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=30),
)
def test_ks_statistic_is_scipys(a: list[float], b: list[float]) -> None:
    expected = ks_2samp(a, b).statistic
    assert ks_statistic(np.array(a), np.array(b)) == pytest.approx(expected)


def test_a_source_level_shows_and_a_shared_one_does_not() -> None:
    rng = np.random.default_rng(0)
    n = 300
    world = pd.Series(np.repeat(["w1", "w2", "w3"], n))
    X = pd.DataFrame(
        {
            "same": rng.normal(size=3 * n),  # one distribution in every world
            "source": rng.normal(size=3 * n) + np.repeat([0.0, 0.0, 3.0], n),  # w3 reads high
        }
    )
    table = world_shift_table(X, world, ["same", "source"])
    assert table.loc["same", "max"] < 0.15
    assert table.loc["source", "w3"] > 0.8 and table.loc["source", "max"] > 0.8
    other = pd.DataFrame({"same": rng.normal(size=50), "source": rng.normal(size=50) + 3})
    report = invariance_report(X, world, ["same", "source"], other)
    assert report.loc["source", "gallery_vs_training"] > 0.5
    assert report.loc["same", "gallery_vs_training"] < 0.3


def test_worlds_too_small_to_read_are_left_out() -> None:
    X = pd.DataFrame({"v": np.arange(30.0)})
    table = world_shift_table(X, pd.Series(["big"] * 25 + ["small"] * 5), ["v"])
    assert "max" not in table.columns  # one world left: nothing to compare
