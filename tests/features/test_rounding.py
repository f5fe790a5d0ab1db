"""Indicators to ten significant digits: the same extract gives the same indicators."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterpath.features.compute import round_significant


def test_values_round_to_their_significant_digits():
    frame = pd.DataFrame({"v": [2 / 3, 123456789012.345, -0.000123456789123, 0.0, np.nan, 3.0]})
    got = round_significant(frame, 10)["v"].tolist()
    assert got[:3] == [0.6666666667, 123456789000.0, -0.0001234567891]
    assert got[3] == 0.0 and math.isnan(got[4]) and got[5] == 3.0


def test_a_sum_taken_in_another_order_gives_the_same_value():
    forward = (0.1 + 0.2) + 0.3
    backward = (0.3 + 0.2) + 0.1
    assert forward != backward  # the last bit depends on the order
    rounded = round_significant(pd.DataFrame({"v": [forward, backward]}), 10)["v"]
    assert rounded.iloc[0] == rounded.iloc[1]


def test_magnitudes_far_beyond_any_indicator_are_kept():
    frame = pd.DataFrame({"v": [1e-300, 1e250, -np.inf]})
    assert round_significant(frame, 10)["v"].tolist() == [1e-300, 1e250, -np.inf]


@settings(max_examples=200, deadline=None)
@given(
    st.floats(min_value=-1e12, max_value=1e12, allow_nan=False).filter(lambda v: abs(v) > 1e-12)
)
def test_rounding_moves_a_value_by_half_a_unit_of_its_tenth_digit_at_most(value):
    once = round_significant(pd.DataFrame({"v": [value]}), 10)["v"].iloc[0]
    assert abs(once - value) <= 5.0000001e-10 * abs(value)
    assert round_significant(pd.DataFrame({"v": [once]}), 10)["v"].iloc[0] == once
