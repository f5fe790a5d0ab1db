"""Units, trust flags and driver ranking on inputs small enough to check by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterpath.explain.drivers import (
    drivers_text,
    long_form,
    path_shap,
    ranked_drivers,
    split_rows,
)
from clusterpath.explain.settings import load_scoring_config
from clusterpath.explain.trust import INSUFFICIENT, LOW_TRUST, join_reasons, trust_flags
from clusterpath.explain.units import describe_change, format_value, format_values, unit_suffix
from clusterpath.features.catalogue import load_catalogue
from clusterpath.models.contributions import Contributions


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def test_values_print_in_their_own_units(catalogue):
    rd = catalogue.get("rd_intensity")
    assert format_value(0.021, rd) == "2.1 %"
    assert format_value(float("nan"), rd, "zh") == "无数据"
    bodies = catalogue.get("n_research_bodies")
    assert format_value(12.0, bodies, "en") == "12 organisations"
    assert format_value(12.0, bodies, "zh") == "12 家"
    lq = catalogue.get("location_quotient")
    assert format_value(1.804, lq) == "1.8"


def test_many_values_print_as_one_by_one(catalogue):
    rd = catalogue.get("rd_intensity")
    assert format_values([0.021, float("nan")], rd) == (["2.1 %", "无数据"], ["2.1 %", "n/a"])
    bodies = catalogue.get("n_research_bodies")
    assert format_values([12.0, 1234.6], bodies) == (
        ["12 家", "1,235 家"],
        ["12 organisations", "1,235 organisations"],
    )
    lq = catalogue.get("location_quotient")
    assert format_values([1.804, 2500.4], lq) == (["1.8", "2,500"], ["1.8", "2,500"])
    values = [-0.0123, 0.0, 0.5, 7.25, 999.9, 1000.0, 123456.7, float("nan")]
    for indicator in catalogue.indicators:
        zh, en = format_values(values, indicator)
        assert zh == [format_value(v, indicator, "zh") for v in values]
        assert en == [format_value(v, indicator, "en") for v in values]


def test_unit_follows_the_number_where_shown(catalogue):
    assert unit_suffix(catalogue.get("rd_intensity"), "zh") == ""  # percent: in the number
    assert unit_suffix(catalogue.get("n_research_bodies"), "zh") == " 家"
    assert unit_suffix(catalogue.get("n_research_bodies"), "en") == " organisations"
    assert unit_suffix(catalogue.get("location_quotient"), "en") == ""  # ratio: not shown


def test_changes_read_as_sentences(catalogue):
    rd = catalogue.get("rd_intensity")
    assert describe_change(rd, 0.021, 0.034) == "raise R&D intensity from 2.1 % to 3.4 %"
    assert describe_change(rd, 0.034, 0.021, "zh") == "将研发强度从3.4 %降低到2.1 %"


def test_trust_flags_by_hand():
    config = load_scoring_config()
    ranges = {
        "rd_intensity": {"min": 0.0, "max": 0.1, "missing_share": 0.0},
        "n_enterprises": {"min": 10.0, "max": 200.0, "missing_share": 0.0},
    }
    X = pd.DataFrame(
        {
            "rd_intensity": [0.05, 0.2, np.nan, 0.05],
            "n_enterprises": [50.0, 50.0, 50.0, 4.0],
        }
    )
    flags = trust_flags(X, ranges, ["rd_intensity", "n_enterprises"], config)
    assert list(flags["flag"]) == ["", LOW_TRUST, LOW_TRUST, INSUFFICIENT]
    # band: [0 - 0.05 * 0.1, 0.1 + 0.05 * 0.1] = [-0.005, 0.105]
    assert flags["flag_reason"][1] == "rd_intensity 0.2 > 0.105"
    assert "never missing" in flags["flag_reason"][2]
    assert flags["flag_reason"][3] == "4 enterprises (at least 10 needed)"


def test_reasons_join_without_empty_parts():
    parts = [{0: "a"}, {1: "c", 0: "b"}]
    assert list(join_reasons(parts, 3)) == ["a; b", "c", ""]


def test_each_indicator_reason_names_value_and_edge():
    config = load_scoring_config()
    ranges = {"x": {"min": 1.0, "max": 3.0, "missing_share": 0.0}}
    X = pd.DataFrame({"x": [0.5, 2.0, 9.0, np.nan], "n_enterprises": [50.0] * 3 + [np.nan]})
    flags = trust_flags(X, ranges, ["x"], config)
    # band: [1 - 0.05 * 2, 3 + 0.05 * 2] = [0.9, 3.1]
    assert list(flags["flag_reason"][:3]) == ["x 0.5 < 0.9", "", "x 9 > 3.1"]
    assert flags["flag_reason"][3] == "0 enterprises (at least 10 needed)"
    assert list(flags["flag"]) == [LOW_TRUST, "", LOW_TRUST, INSUFFICIENT]


def _contributions() -> Contributions:
    # 2 rows, 2 paths, 3 features
    values = np.array(
        [
            [[0.5, -0.2, 0.1], [-0.5, 0.2, 0.0]],
            [[0.0, 0.3, -0.4], [0.1, -0.1, 0.6]],
        ]
    )
    return Contributions(values, np.zeros((2, 2)), ("a", "b"), ("f1", "f2", "f3"))


def _per_row(ranked) -> list[list[tuple[str, float, float]]]:
    """(feature, value, SHAP) of each listed driver, row by row."""
    feature, value, shap, counts = ranked.flat()
    names = [ranked.feature_ids[j] for j in feature]
    return split_rows(list(zip(names, value.tolist(), shap.tolist(), strict=True)), counts)


def test_drivers_rank_by_sign_and_skip_zero():
    contrib = _contributions()
    X = pd.DataFrame({"f1": [1.0, 2.0], "f2": [3.0, 4.0], "f3": [5.0, 6.0]})
    shap = path_shap(contrib, np.array([0, 1]))  # row 0 on path a, row 1 on path b
    assert shap.tolist() == [[0.5, -0.2, 0.1], [0.1, -0.1, 0.6]]
    ranked = ranked_drivers(shap, X, contrib.feature_ids, 2, +1)
    pro = _per_row(ranked)
    con = _per_row(ranked_drivers(shap, X, contrib.feature_ids, 2, -1))
    assert pro[0] == [("f1", 1.0, 0.5), ("f3", 5.0, 0.1)]
    assert [d[0] for d in pro[1]] == ["f3", "f1"]
    assert con == [[("f2", 3.0, -0.2)], [("f2", 4.0, -0.1)]]
    assert drivers_text(ranked) == ["f1 +0.500; f3 +0.100", "f3 +0.600; f1 +0.100"]


def test_ranked_drivers_flatten_row_by_row():
    shap = np.array([[0.0, 0.2, -0.1], [0.3, 0.0, 0.0]])
    X = pd.DataFrame({"f1": [1.0, 2.0], "f2": [3.0, 4.0], "f3": [5.0, 6.0]})
    ranked = ranked_drivers(shap, X, ("f1", "f2", "f3"), 2, -1)
    assert ranked.feature.tolist() == [[2, 0], [1, 2]]  # ties kept in catalogue order
    assert ranked.listed.tolist() == [[True, False], [False, False]]
    feature, value, contribution, counts = ranked.flat()
    assert (feature.tolist(), value.tolist(), contribution.tolist()) == ([2], [5.0], [-0.1])
    assert counts.tolist() == [1, 0]
    assert drivers_text(ranked) == ["f3 -0.100", ""]


def test_split_rows_cuts_in_order():
    assert split_rows(["a", "b", "c"], np.array([2, 0, 1])) == [["a", "b"], [], ["c"]]
    assert split_rows([], np.array([], dtype=int)) == []


def test_long_form_has_one_row_per_feature_and_role():
    contrib = _contributions()
    X = pd.DataFrame({"f1": [1.0, 2.0], "f2": [3.0, 4.0], "f3": [5.0, 6.0]})
    keys = pd.DataFrame({"cluster_id": ["C1", "C2"], "year": [2020, 2021]})
    table = long_form(
        contrib, X, keys, {"recommended": np.array([0, 1]), "runner_up": np.array([1, 0])}
    )
    assert len(table) == 12
    assert list(table["role"][:6]) == ["recommended"] * 3 + ["runner_up"] * 3
    assert list(table["feature"][:3]) == ["f1", "f2", "f3"]
    row = table[(table.cluster_id == "C2") & (table.feature == "f3") & (table.role == "runner_up")]
    assert (row.path.item(), row.value.item(), row.shap.item()) == ("a", 6.0, -0.4)
    first = table[(table.cluster_id == "C1") & (table.role == "recommended")]
    assert list(first["shap"]) == [0.5, -0.2, 0.1] and set(first["path"]) == {"a"}


@pytest.mark.slow
@given(
    st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=False, width=64),
            st.sampled_from([0.0, -0.0, 999.95, 999.9999, 1000.0, 0.00049, 2.5, 0.0005]),
        ),
        max_size=30,
    )
)
@settings(max_examples=150, deadline=None)
def test_batched_formatting_is_the_one_by_one_text(values):
    catalogue = load_catalogue()
    for indicator in catalogue.indicators:
        zh, en = format_values(values, indicator)
        assert zh == [format_value(v, indicator, "zh") for v in values]
        assert en == [format_value(v, indicator, "en") for v in values]
