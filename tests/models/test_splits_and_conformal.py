"""Grouped splits never share a cluster; conformal quantiles and sets by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterpath.models.conformal import (
    ConformalPredictor,
    conformal_quantile,
    coverage_report,
    format_sets,
    nonconformity,
    set_membership,
)
from clusterpath.models.splits import grouped_folds, grouped_split

CLASSES = ("a", "b", "c")


@st.composite
def grouped_labels(draw):
    n_groups = draw(st.integers(min_value=5, max_value=30))
    rows_per_group = draw(st.lists(st.integers(1, 5), min_size=n_groups, max_size=n_groups))
    group_label = draw(st.lists(st.sampled_from(CLASSES), min_size=n_groups, max_size=n_groups))
    groups, labels = [], []
    for g, (n, label) in enumerate(zip(rows_per_group, group_label, strict=True)):
        groups += [f"G{g}"] * n
        labels += [label] * n
    return pd.Series(labels), pd.Series(groups)


@settings(max_examples=60, deadline=None)
@given(data=grouped_labels(), n_splits=st.integers(2, 5), seed=st.integers(0, 10_000))
def test_grouped_folds_never_share_a_cluster_and_test_every_row_once(data, n_splits, seed):
    y, groups = data
    folds = grouped_folds(y, groups, n_splits, seed)
    assert len(folds) == n_splits
    tested = np.concatenate([test for _, test in folds])
    assert sorted(tested.tolist()) == list(range(len(y)))
    for train, test in folds:
        assert set(groups.iloc[train]).isdisjoint(set(groups.iloc[test]))
        assert len(train) + len(test) == len(y)


@settings(max_examples=40, deadline=None)
@given(data=grouped_labels(), share=st.sampled_from([0.2, 0.25, 0.5]), seed=st.integers(0, 999))
def test_grouped_split_holds_whole_clusters(data, share, seed):
    y, groups = data
    kept, held = grouped_split(y, groups, share, seed)
    assert set(groups.iloc[kept]).isdisjoint(set(groups.iloc[held]))
    assert len(kept) + len(held) == len(y)
    assert len(held) > 0


def test_too_few_clusters_for_the_folds_is_an_error():
    with pytest.raises(ValueError, match="cannot be split"):
        grouped_folds(pd.Series(["a", "b"]), pd.Series(["G1", "G2"]), 3, 0)


def test_conformal_quantile_by_hand():
    scores = np.arange(1, 10) / 10  # .1 ... .9, n = 9
    # rank = ceil((9 + 1) * .8) = 8 -> the 8th smallest, .8
    assert conformal_quantile(scores, 0.8) == pytest.approx(0.8)
    # rank = ceil(10 * .95) = 10 > 9 -> no finite threshold
    assert conformal_quantile(scores, 0.95) == math.inf


def test_lac_scores_and_sets_by_hand():
    proba = np.array([[0.6, 0.3, 0.1], [0.45, 0.45, 0.1], [0.1, 0.1, 0.8]])
    assert nonconformity(proba, ["a", "b", "a"], CLASSES, "lac") == pytest.approx([0.4, 0.55, 0.9])
    member = set_membership(proba, threshold=0.7, method="lac")  # keep p >= .3
    assert format_sets(member, CLASSES) == ["a|b", "a|b", "c"]


def test_lac_set_is_never_empty():
    proba = np.array([[0.34, 0.33, 0.33]])
    member = set_membership(proba, threshold=0.1, method="lac")  # p >= .9: nobody
    assert format_sets(member, CLASSES) == ["a"]


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 6).flatmap(
        lambda k: st.lists(st.lists(st.booleans(), min_size=k, max_size=k), max_size=40)
    )
)
def test_sets_are_the_paths_of_each_row_joined(rows):
    names = tuple("pqrstu")[: len(rows[0])] if rows else CLASSES
    member = np.array(rows, dtype=bool).reshape(len(rows), len(names))
    expected = ["|".join(n for n, m in zip(names, row, strict=True) if m) for row in member]
    assert format_sets(member, names) == expected


def test_aps_scores_and_sets_by_hand():
    proba = np.array([[0.5, 0.3, 0.2], [0.1, 0.7, 0.2]])
    # row 1, true b: mass of classes with p >= .3 = .5 + .3; row 2, true c: .7 + .2
    assert nonconformity(proba, ["b", "c"], CLASSES, "aps") == pytest.approx([0.8, 0.9])
    member = set_membership(proba, threshold=0.85, method="aps")
    # row 1: cumulative mass a .5, b .8 (<= .85 in), c 1.0 (out) -> a|b
    # row 2: b .7 (in), c .9 (out), a 1.0 (out) -> b
    assert format_sets(member, CLASSES) == ["a|b", "b"]
    # a threshold below the top probability would leave the set empty: top-1 is kept
    low = set_membership(proba, threshold=0.2, method="aps")
    assert format_sets(low, CLASSES) == ["a", "b"]


def test_infinite_threshold_keeps_every_path():
    proba = np.array([[0.9, 0.05, 0.05]])
    for method in ("lac", "aps"):
        assert set_membership(proba, math.inf, method).all()


@pytest.mark.parametrize("method", ["lac", "aps"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_conformal_coverage_on_exchangeable_data_is_near_target(method, seed):
    """Dirichlet 'model' probabilities with labels drawn from them: the calibrated model case."""
    rng = np.random.default_rng(seed)
    n_cal, n_test, target = 600, 3000, 0.9

    def draw(n):
        proba = rng.dirichlet(np.full(3, 0.8), size=n)
        y = [CLASSES[rng.choice(3, p=p)] for p in proba]
        return proba, y

    cal_p, cal_y = draw(n_cal)
    test_p, test_y = draw(n_test)
    predictor = ConformalPredictor.fit(cal_p, cal_y, CLASSES, target, method)
    member = predictor.membership(test_p)
    report = coverage_report(member, test_y, CLASSES)
    assert report["coverage"] == pytest.approx(target, abs=0.03)
    assert member.sum(axis=1).min() >= 1


def test_folds_when_no_path_has_as_many_rows_as_folds():
    # a: 4 rows, b: 1 row, 5 folds: stratifying is impossible, grouping still holds.
    y = pd.Series(["a", "a", "a", "a", "b"])
    groups = pd.Series([f"G{i}" for i in range(5)])
    folds = grouped_folds(y, groups, 5, 0)
    assert sorted(int(i) for _, test in folds for i in test) == [0, 1, 2, 3, 4]
    assert all(len(test) == 1 for _, test in folds)
