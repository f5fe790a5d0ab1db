"""Monitoring without labels: CBPE's estimates worked by hand, and drift against a reference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from clusterpath.models.evaluation import macro_f1
from clusterpath.models.monitoring import (
    FlagNames,
    MonitoringConfig,
    alerts,
    batch_health,
    covered_with_error,
    discounted,
    estimate_corrections,
    estimate_performance,
    expected_counts,
    expected_macro_f1,
    indicator_drift,
    quantile_gap,
    share_below,
    training_reference,
)

PROBA = np.array([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7]])
CONFIG = MonitoringConfig()
FLAGS = FlagNames("low_trust", "insufficient_data", "x", 10)


def test_expected_accuracy_and_its_interval_by_hand():
    # right with probability 0.9, 0.6, 0.7: mean 0.7333; variance 0.09 + 0.24 + 0.21 = 0.54
    out = estimate_performance(PROBA, ("a", "b"), CONFIG)
    assert out["estimated_accuracy"] == pytest.approx(2.2 / 3)
    half = 1.959964 * np.sqrt(0.54) / 3
    assert out["estimated_accuracy_interval"] == pytest.approx(
        [2.2 / 3 - half, min(1.0, 2.2 / 3 + half)], abs=1e-6
    )


def test_expected_macro_f1_by_hand():
    # a: TP 0.9 + 0.6, FP 0.1 + 0.4, FN 0.3 -> 3 / 3.8; b: TP 0.7, FP 0.3, FN 0.5 -> 1.4 / 2.2
    pred = np.argmax(PROBA, axis=1)
    assert expected_macro_f1(PROBA, pred) == pytest.approx((3 / 3.8 + 1.4 / 2.2) / 2)


def test_expected_counts_by_hand():
    counts = expected_counts(PROBA, ("a", "b"))
    assert counts == [
        {"path": "a", "expected": pytest.approx(1.8), "recommended": 2},
        {"path": "b", "expected": pytest.approx(1.2), "recommended": 1},
    ]


def test_certain_rows_are_expected_right():
    out = estimate_performance(np.eye(3)[[0, 1, 2, 2]], ("a", "b", "c"), CONFIG)
    assert out["estimated_accuracy"] == 1.0 and out["estimated_macro_f1"] == 1.0
    assert out["estimated_macro_f1_interval"] == [1.0, 1.0]


def test_no_rows_give_no_estimate():
    out = estimate_performance(np.zeros((0, 2)), ("a", "b"), CONFIG)
    assert out["estimated_accuracy"] is None and out["rows"] == 0


@settings(max_examples=40, deadline=None)
@given(arrays(float, st.tuples(st.integers(1, 30), st.just(4)), elements=st.floats(0.01, 1)))
def test_estimates_are_fractions_around_their_point(weights):
    proba = weights / weights.sum(axis=1, keepdims=True)
    out = estimate_performance(proba, ("a", "b", "c", "d"), MonitoringConfig(draws=20))
    lo, hi = out["estimated_accuracy_interval"]
    assert 0.25 - 1e-12 <= out["estimated_accuracy"] <= 1.0
    assert 0.0 <= lo <= out["estimated_accuracy"] <= hi <= 1.0
    assert 0.0 <= out["estimated_macro_f1"] <= 1.0


def test_calibrated_labels_fall_inside_the_interval():
    """Labels drawn from the probabilities themselves: the actual accuracy and macro-F1 of
    the recommendations land inside the 95 % intervals in about 95 of 100 batches."""
    rng = np.random.default_rng(7)
    inside_accuracy = inside_f1 = 0
    for _ in range(100):
        proba = rng.dirichlet(np.full(5, 0.6), size=300)
        labels = np.array([rng.choice(5, p=p) for p in proba])
        pred = np.argmax(proba, axis=1)
        out = estimate_performance(proba, tuple("abcde"), MonitoringConfig(draws=100))
        lo, hi = out["estimated_accuracy_interval"]
        inside_accuracy += lo <= (pred == labels).mean() <= hi
        actual_f1 = macro_f1(labels, pred, list(range(5)))
        lo, hi = out["estimated_macro_f1_interval"]
        inside_f1 += lo <= actual_f1 <= hi
    assert inside_accuracy >= 88 and inside_f1 >= 85


def test_quantile_gap_is_zero_on_the_training_values_and_one_per_standard_deviation():
    values = np.random.default_rng(0).normal(size=5000)
    ref = training_reference(pd.DataFrame({"x": values}), ["x"], {})["indicators"]["x"]
    assert quantile_gap(values, ref["quantiles"], ref["std"]) == pytest.approx(0.0, abs=1e-12)
    moved = quantile_gap(values + ref["std"], ref["quantiles"], ref["std"])
    assert moved == pytest.approx(1.0, rel=1e-9)
    assert np.isnan(quantile_gap(np.full(3, np.nan), ref["quantiles"], ref["std"]))


def test_drift_flags_a_moved_indicator_and_a_new_gap():
    rng = np.random.default_rng(1)
    train = pd.DataFrame({"a": rng.normal(size=2000), "b": rng.normal(size=2000)})
    reference = training_reference(train, ["a", "b"], {"low_trust": 0.02})
    batch = pd.DataFrame({"a": rng.normal(0.5, 1, 500), "b": rng.normal(size=500)})
    batch.loc[:199, "b"] = np.nan  # 40 % undefined where training had none
    table = indicator_drift(batch, reference, CONFIG.drift).set_index("indicator")
    assert table.at["a", "drifted"] and table.at["a", "statistic"] > 0.3
    assert table.at["b", "statistic"] < table.at["b", "limit"]  # moved by chance only
    assert table.at["b", "drifted"] and table.at["b", "undefined_share"] == pytest.approx(0.4)


def test_batch_health_reports_years_flags_drift_and_alerts():
    rng = np.random.default_rng(2)
    reference = training_reference(
        pd.DataFrame({"x": rng.normal(size=500)}), ["x"], {"low_trust": 0.025}
    )
    scores = pd.DataFrame(
        {
            "year": [2021, 2021, 2022, 2022],
            "path": ["a", "b", "a", ""],
            "p_a": [0.95, 0.3, 0.5, np.nan],
            "p_b": [0.05, 0.7, 0.5, np.nan],
            "flag": ["", "low_trust", "", "insufficient_data"],
        }
    )
    X = pd.DataFrame({"x": [5.0, 6.0, 7.0, np.nan]})
    doc = batch_health(scores, X, ("a", "b"), reference, FLAGS, CONFIG)
    assert doc["rows"] == 3
    assert [y["year"] for y in doc["by_year"]] == [2021, 2022]
    assert doc["by_year"][1]["estimated_accuracy"] == pytest.approx(0.5)
    assert doc["flags"]["low_trust"] == {"share": 0.25, "training_share": 0.025}
    assert doc["drift"]["drifted"] == ["x"]
    assert doc["estimated_accuracy"] == pytest.approx((0.95 + 0.7 + 0.5) / 3)
    assert doc["flags"]["insufficient_data"]["training_share"] == 1.0  # x always below 10
    assert len(doc["alerts"]) == 1 and "drifted" in doc["alerts"][0]
    labels = pd.DataFrame({"cluster_id": ["c1", "c2"], "year": [2021, 2021], "path": "a"})
    keyed = scores.assign(cluster_id=["c1", "c2", "c3", "c4"])
    doc = batch_health(keyed, X, ("a", "b"), reference, FLAGS, CONFIG, labels)
    assert doc["actual"]["rows"] == 2 and doc["actual"]["actual_accuracy"] == 0.5
    assert doc["actual"]["trained_rows_left_out"] == 0
    # a cluster the model was fitted on would grade itself: its labels are left out
    seen = batch_health(
        keyed, X, ("a", "b"), {**reference, "trained_on": ["c2"]}, FLAGS, CONFIG, labels
    )
    assert seen["actual"]["rows"] == 1 and seen["actual"]["actual_accuracy"] == 1.0
    assert seen["actual"]["trained_rows_left_out"] == 1
    low = alerts({**doc, "estimated_accuracy": 0.4}, CONFIG)
    assert len(low) == 2 and "below" in low[0]


def test_a_model_without_reference_reports_no_drift():
    scores = pd.DataFrame({"year": [2021], "path": ["a"], "p_a": [1.0], "flag": [""]})
    doc = batch_health(scores, pd.DataFrame({"x": [1.0]}), ("a",), None, FLAGS, CONFIG)
    assert doc["drift"]["indicators"] is None and doc["alerts"] == []


def test_training_share_below_a_bound_from_the_reference():
    frame = pd.DataFrame({"n": [np.nan] * 20 + list(range(80))})  # 20 % undefined
    reference = training_reference(frame, ["n"], {})
    # 0..79: the levels 0.025..0.975 put 5 of 20 quantiles below 20
    assert share_below(reference, "n", 20) == pytest.approx(0.2 + 0.8 * 5 / 20)
    assert share_below(None, "n", 20) is None


def test_a_systematic_error_widens_the_accuracy_interval_by_hand():
    # 100 rows at 0.8: sampling variance 100 * 0.16 / 100^2 = 0.0016; with 0.03 systematic
    # the half-width is z sqrt(0.0016 + 0.0009) = 1.96 * 0.05
    proba = np.tile([0.8, 0.2], (100, 1))
    out = estimate_performance(proba, ("a", "b"), CONFIG, systematic=0.03)
    assert out["estimated_accuracy_interval"] == pytest.approx(
        [0.8 - 1.959964 * 0.05, 0.8 + 1.959964 * 0.05], abs=1e-6
    )


def test_discounted_rows_lose_confidence_and_still_sum_to_one():
    out = discounted(PROBA, np.array([True, False, True]), 0.5)
    # row 0: top 0.9 -> 0.45, the other 0.1 -> 0.55; row 2: top 0.7 -> 0.35, other 0.65
    np.testing.assert_allclose(out, [[0.45, 0.55], [0.6, 0.4], [0.65, 0.35]])
    assert discounted(PROBA, np.array([True, True, True]), 1.0) is PROBA


def test_corrections_from_held_out_worlds_by_hand():
    per_world = pd.DataFrame(
        {"estimated_accuracy": [0.8, 0.9], "actual_accuracy": [0.7, 0.9]}, index=["w1", "w2"]
    )
    proba = np.array([[0.8, 0.2]] * 10 + [[0.9, 0.1]] * 10)
    y = np.array(["a"] * 5 + ["b"] * 5 + ["a"] * 10, dtype=object)
    flagged = np.array([True] * 10 + [False] * 10)
    got = estimate_corrections(per_world, proba, y, flagged, ("a", "b"))
    # gaps 0.1 and 0: rms sqrt(0.005); flagged rows right 5 of 10 at confidence 0.8
    assert got["estimate_error"] == pytest.approx(np.sqrt(0.005))
    assert got["low_trust_confidence_ratio"] == pytest.approx(0.5 / 0.8)
    few = estimate_corrections(per_world, proba, y, flagged, ("a", "b"), min_flagged=11)
    assert few["low_trust_confidence_ratio"] == 1.0


def test_coverage_with_the_other_worlds_error_by_hand():
    per_world = pd.DataFrame(
        {
            "estimated_accuracy": [0.8, 0.8, 0.8],
            "actual_accuracy": [0.7, 0.8, 0.79],
            "estimated_accuracy_low": [0.78, 0.78, 0.78],
            "estimated_accuracy_high": [0.82, 0.82, 0.82],
        },
        index=["w1", "w2", "w3"],
    )
    covered = covered_with_error(per_world)
    # w1: gap 0.1 against sqrt(0.02^2 + (1.96 * rms(0, 0.01))^2) = 0.024: not covered;
    # w2, w3: the others' rms (about 0.071) covers their small gaps
    assert covered.to_dict() == {"w1": False, "w2": True, "w3": True}


def test_a_corrected_estimate_grades_the_recommended_path_not_the_new_leader():
    # the top 0.5 scaled by 0.4 is 0.2; the others, 0.5 together, fill 0.8: 0.64 and 0.16
    proba = np.array([[0.5, 0.4, 0.1]])
    corrected = discounted(proba, np.array([True]), 0.4)
    np.testing.assert_allclose(corrected, [[0.2, 0.64, 0.16]])
    recommended = np.argmax(proba, axis=1)
    out = estimate_performance(corrected, ("a", "b", "c"), CONFIG, pred=recommended)
    assert out["estimated_accuracy"] == pytest.approx(0.2)
    counts = expected_counts(corrected, ("a", "b", "c"), recommended)
    assert [c["recommended"] for c in counts] == [1, 0, 0]
    # left to itself the estimate would grade "b", which nobody recommended
    assert estimate_performance(corrected, ("a", "b", "c"), CONFIG)["estimated_accuracy"] == (
        pytest.approx(0.64)
    )
