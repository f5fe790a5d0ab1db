"""Temperature under shift, the distance from the training data, and the shift test's parts.

Values are worked out by hand on tiny inputs; invariants are checked with Hypothesis.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from clusterpath.explain.settings import load_scoring_config
from clusterpath.explain.trust import LOW_TRUST, trust_flags
from clusterpath.models.dataset import LabelledData, cluster_worlds
from clusterpath.models.shift import flag_summary, held_out_worlds
from clusterpath.models.support import distance_percentile, distances, fit_support
from clusterpath.models.temperature import apply_temperature, fit_temperature


def test_temperature_by_hand() -> None:
    # ten rows all saying 0.9 for "a"; "a" is right 8 times. The log-loss is smallest when
    # the tempered probability is 0.8: 0.9^(1/T) / (0.9^(1/T) + 0.1^(1/T)) = 0.8
    # <=> 9^(1/T) = 4 <=> T = ln 9 / ln 4 = 1.58496...
    proba = np.tile([0.9, 0.1], (10, 1))
    y = ["a"] * 8 + ["b"] * 2
    t = fit_temperature(proba, y, ["a", "b"])
    assert t == pytest.approx(math.log(9) / math.log(4), rel=1e-4)
    assert apply_temperature(proba, t)[0, 0] == pytest.approx(0.8, rel=1e-4)


probabilities = arrays(
    float, (6, 4), elements=st.floats(0.01, 1.0, allow_nan=False, allow_infinity=False)
).map(lambda a: a / a.sum(axis=1, keepdims=True))


@settings(max_examples=60, deadline=None)
@given(proba=probabilities, temperature=st.floats(0.2, 10.0))
def test_temperature_keeps_rows_normalised_and_the_ranking(proba, temperature) -> None:
    tempered = apply_temperature(proba, temperature)
    assert np.allclose(tempered.sum(axis=1), 1.0)
    # the tempered top path is one of the original top paths (ties may swap among themselves)
    rows = np.arange(len(proba))
    assert (proba[rows, np.argmax(tempered, axis=1)] >= proba.max(axis=1) - 1e-12).all()
    assert np.allclose(apply_temperature(proba, 1.0), proba)
    if temperature > 1:  # softer: the top probability never rises
        assert (tempered.max(axis=1) <= proba.max(axis=1) + 1e-12).all()


def _frame(values: np.ndarray, names=("a", "b")) -> pd.DataFrame:
    return pd.DataFrame(values, columns=list(names))


def test_one_indicator_distance_is_the_normal_score_by_hand() -> None:
    # 101 training values 0..100: the grid's quantiles are the values themselves, so the
    # median 50 has normal score 0, and the distance keeps growing beyond the maximum (scores
    # are capped at 40, far beyond any threshold)
    train = pd.DataFrame({"a": np.arange(101.0)})
    support = fit_support(train, ["a"], pd.Series(np.arange(101) % 5), 0.95)
    d = distances(pd.DataFrame({"a": [50.0, 90.0, 100.0, 120.0, 1000.0]}), support)
    assert d[0] == pytest.approx(0.0, abs=0.05)
    assert d[0] < d[1] < d[2] < d[3] <= d[4]
    assert d[3] > 2 * d[2] and d[4] > 10 * support["threshold"]


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_distance_does_not_depend_on_the_order_of_training_rows(seed: int) -> None:
    rng = np.random.default_rng(seed)
    train = _frame(rng.normal(size=(60, 2)))
    groups = pd.Series(np.arange(60))
    query = _frame(rng.normal(size=(5, 2)) * 3)
    order = rng.permutation(60)
    first = fit_support(train, ["a", "b"], groups, 0.95)
    again = fit_support(train.iloc[order], ["a", "b"], groups.iloc[order], 0.95)
    assert np.allclose(distances(query, first), distances(query, again))


def test_flag_rate_in_and_out_of_distribution() -> None:
    rng = np.random.default_rng(0)
    cov = [[1.0, 0.8], [0.8, 1.0]]
    train = _frame(rng.multivariate_normal([0, 0], cov, 2000))
    support = fit_support(train, ["a", "b"], pd.Series(np.arange(2000) // 4), 0.95)
    fresh = _frame(rng.multivariate_normal([0, 0], cov, 2000))
    assert 0.02 < (distances(fresh, support) > support["threshold"]).mean() < 0.10
    # each value alone is ordinary (within 2 sd) but the pair breaks the correlation
    odd = _frame(np.tile([1.8, -1.8], (10, 1)))
    assert (distances(odd, support) > support["threshold"]).all()
    assert (distance_percentile(distances(odd, support), support) > 0.99).all()


def test_trust_flag_names_how_unusual_and_which_indicators() -> None:
    rng = np.random.default_rng(1)
    train = pd.DataFrame(
        {"rd_intensity": rng.uniform(0.01, 0.05, 500), "n_enterprises": rng.uniform(50, 500, 500)}
    )
    ids = ["rd_intensity", "n_enterprises"]
    support = fit_support(train, ids, pd.Series(np.arange(500)), 0.95)
    ranges = {fid: {"missing_share": 0.0} for fid in ids}
    X = pd.DataFrame({"rd_intensity": [0.03, 0.40], "n_enterprises": [200.0, 220.0]})
    flags = trust_flags(X, ranges, ids, load_scoring_config(), support)
    assert flags["flag"].tolist() == ["", LOW_TRUST]
    reason = flags["flag_reason"].iloc[1]
    assert "farther from the training data than 100 % of training cluster-years" in reason
    assert reason.index("rd_intensity 0.4 (above") < reason.index("n_enterprises")


def test_flag_summary_by_hand() -> None:
    proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    y = ["a", "b", "b", "b"]  # right, wrong, right, wrong
    flagged = [False, True, False, True]
    out = flag_summary(y, proba, ["a", "b"], flagged)
    assert out == {"flag_rate": 0.5, "accuracy_flagged": 0.0, "accuracy_unflagged": 1.0}


def test_worlds_held_out_need_enough_clusters() -> None:
    clusters = pd.DataFrame(
        {
            "cluster_id": ["C1", "C2", "C3", "C4", "C5"],
            "domain": ["biotech"] * 5,
            "world": ["w1", "w1", "w2", None, ""],
        }
    )
    worlds = cluster_worlds(clusters)
    assert worlds.to_dict() == {
        "C1": "w1",
        "C2": "w1",
        "C3": "w2",
        "C4": "biotech",
        "C5": "biotech",
    }
    rows = pd.DataFrame({"cluster_id": ["C1", "C1", "C2", "C3", "C4", "C5"]})
    data = LabelledData(
        X=rows,
        y=pd.Series(["a"] * 6),
        groups=rows["cluster_id"],
        source=pd.Series(["simulated"] * 6),
        weight=np.ones(6),
        world=rows["cluster_id"].map(worlds),
    )
    assert held_out_worlds(data, min_clusters=2) == ["biotech", "w1"]
    assert held_out_worlds(data, min_clusters=1) == ["biotech", "w1", "w2"]


def test_the_distance_watches_the_indicators_the_model_uses() -> None:
    from lightgbm import LGBMClassifier
    from sklearn.pipeline import Pipeline

    from clusterpath.models.support import important_features

    rng = np.random.default_rng(2)
    X = pd.DataFrame({"noise": rng.normal(size=400), "signal": rng.normal(size=400)})
    y = np.where(X["signal"] > 0, "a", "b")
    model = Pipeline([("model", LGBMClassifier(n_estimators=20, verbose=-1))]).fit(X, y)
    assert important_features(model, ["noise", "signal"], 0.5) == ["signal"]
    assert set(important_features(model, ["noise", "signal"], 1.0)) <= {"noise", "signal"}
