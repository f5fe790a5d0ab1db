"""Every metric against values worked out by hand on four rows and three classes.

classes  a, b, c
y_true   a, a, b, c
proba    [.7 .2 .1]  [.4 .5 .1]  [.2 .6 .2]  [.3 .3 .4]
y_pred   a, b, b, c        (arg-max)

confusion (true x predicted): a: 1 1 0 / b: 0 1 0 / c: 0 0 1
precision a 1/1, b 1/2, c 1/1; recall a 1/2, b 1/1, c 1/1
F1 a 2/3, b 2/3, c 1 -> macro-F1 7/9; balanced accuracy (1/2 + 1 + 1) / 3 = 5/6
log-loss -(ln .7 + ln .4 + ln .6 + ln .4) / 4
Brier rows .14 .62 .24 .54 -> 1.54 / 4 = .385
ECE (10 bins): one row per bin at .7 (right), .5 (wrong), .6 (right), .4 (right)
    -> (.3 + .5 + .4 + .6) / 4 = .45
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from clusterpath.models.evaluation import (
    balanced_accuracy,
    brier_multiclass,
    calibration_bins,
    confusion_table,
    evaluate_proba,
    expected_calibration_error,
    log_loss,
    macro_f1,
    per_class_scores,
    predicted_labels,
)

CLASSES = ("a", "b", "c")
Y_TRUE = np.array(["a", "a", "b", "c"], dtype=object)
PROBA = np.array([[0.7, 0.2, 0.1], [0.4, 0.5, 0.1], [0.2, 0.6, 0.2], [0.3, 0.3, 0.4]])
Y_PRED = np.array(["a", "b", "b", "c"], dtype=object)


def test_predicted_labels_are_the_arg_max_with_ties_to_the_earlier_class():
    assert predicted_labels(PROBA, CLASSES).tolist() == Y_PRED.tolist()
    assert predicted_labels(np.array([[0.4, 0.4, 0.2]]), CLASSES).tolist() == ["a"]


def test_macro_f1_by_hand():
    assert macro_f1(Y_TRUE, Y_PRED, CLASSES) == pytest.approx(7 / 9)


def test_macro_f1_ignores_classes_absent_from_both_sides():
    # Only a and b occur: a has F1 1, b has F1 1, c (absent) must not count as 0.
    assert macro_f1(["a", "b"], ["a", "b"], CLASSES) == pytest.approx(1.0)


def test_balanced_accuracy_by_hand():
    assert balanced_accuracy(Y_TRUE, Y_PRED) == pytest.approx(5 / 6)


def test_log_loss_by_hand():
    expected = -(math.log(0.7) + math.log(0.4) + math.log(0.6) + math.log(0.4)) / 4
    assert log_loss(Y_TRUE, PROBA, CLASSES) == pytest.approx(expected)
    assert expected == pytest.approx(0.675021, abs=1e-6)


def test_log_loss_is_finite_when_the_true_class_got_zero():
    assert math.isfinite(log_loss(["a"], np.array([[0.0, 1.0, 0.0]]), CLASSES))


def test_brier_by_hand():
    assert brier_multiclass(Y_TRUE, PROBA, CLASSES) == pytest.approx(0.385)


def test_brier_extremes():
    perfect = np.eye(3)
    assert brier_multiclass(["a", "b", "c"], perfect, CLASSES) == 0.0
    assert brier_multiclass(["b", "c", "a"], perfect, CLASSES) == pytest.approx(2.0)


def test_ece_by_hand_one_row_per_bin():
    assert expected_calibration_error(Y_TRUE, PROBA, CLASSES, n_bins=10) == pytest.approx(0.45)


def test_ece_by_hand_shared_bin():
    # Bin 8 holds .81 (right) and .89 (wrong): accuracy .5, confidence .85, gap .35, weight 2/3.
    # Bin 3 holds .34 (right): gap .66, weight 1/3. ECE = .35 * 2/3 + .66 / 3 = .4533...
    proba = np.array([[0.81, 0.19, 0.0], [0.89, 0.11, 0.0], [0.34, 0.33, 0.33]])
    y = ["a", "b", "a"]
    assert expected_calibration_error(y, proba, CLASSES) == pytest.approx(0.35 * 2 / 3 + 0.66 / 3)


def test_ece_of_perfectly_calibrated_certainty_is_zero():
    assert expected_calibration_error(["a", "b"], np.eye(3)[:2], CLASSES) == 0.0


def test_calibration_bins_table():
    bins = calibration_bins(Y_TRUE, PROBA, CLASSES, n_bins=10)
    assert bins["n"].tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 0, 0]
    assert bins.loc[5, "accuracy"] == 0.0
    assert bins.loc[7, "confidence"] == pytest.approx(0.7)
    assert bins.loc[9, "upper"] == 1.0


def test_per_class_precision_recall_by_hand():
    expected = pd.DataFrame(
        {
            "path": ["a", "b", "c"],
            "precision": [1.0, 0.5, 1.0],
            "recall": [0.5, 1.0, 1.0],
            "support": [2, 1, 1],
        }
    )
    got = per_class_scores(Y_TRUE, Y_PRED, CLASSES)
    assert_frame_equal(got, expected, check_dtype=False)


def test_confusion_matrix_by_hand():
    expected = pd.DataFrame(
        [[1, 1, 0], [0, 1, 0], [0, 0, 1]],
        index=pd.Index(list(CLASSES), name="true"),
        columns=pd.Index(list(CLASSES), name="predicted"),
    )
    assert_frame_equal(confusion_table(Y_TRUE, Y_PRED, CLASSES), expected, check_dtype=False)


def test_evaluate_proba_collects_the_same_numbers():
    result = evaluate_proba(Y_TRUE, PROBA, CLASSES)
    assert result.metrics["macro_f1"] == pytest.approx(7 / 9)
    assert result.metrics["brier"] == pytest.approx(0.385)
    assert result.metrics["ece"] == pytest.approx(0.45)
    assert result.metrics["recall_a"] == pytest.approx(0.5)
    assert result.metrics["precision_b"] == pytest.approx(0.5)
    assert result.metrics["n"] == 4
