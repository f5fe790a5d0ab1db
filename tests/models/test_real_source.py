"""The real-source correction: resemblance, the earned ratio, factors and their check."""

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from clusterpath.models.monitoring import corrected_proba, discounted
from clusterpath.models.real_source import (
    RealSourceCorrection,
    confidence_ratio,
    cross_fitted_factors,
    fit_real_source,
    source_separability,
)

CLASSES = ["a", "b"]


def _correction(ratio: float = 0.4) -> RealSourceCorrection:
    return RealSourceCorrection(
        feature_ids=("x",),
        centre=(0.0,),
        scale=(2.0,),
        coef=(1.0,),
        intercept=0.0,
        ratio=ratio,
        real_rows=4,
    )


def test_confidence_ratio_by_hand():
    proba = np.array([[0.8, 0.2], [0.6, 0.4]])
    # one of two right (0.5) over a mean top probability of 0.7
    assert confidence_ratio(proba, ["a", "b"], CLASSES) == pytest.approx(0.5 / 0.7)
    assert confidence_ratio(proba, ["b", "b"], CLASSES) == 0.0
    assert confidence_ratio(np.zeros((0, 2)), [], CLASSES) == 1.0


def test_confidence_ratio_is_capped_at_one():
    proba = np.array([[0.6, 0.4], [0.3, 0.7]])
    assert confidence_ratio(proba, ["a", "b"], CLASSES) == 1.0


def test_resemblance_and_factor_by_hand():
    correction = _correction(ratio=0.4)
    X = pd.DataFrame({"x": [0.0, 2.0, np.nan]})
    # z = (x - 0) / 2 -> 0, 1, 0 (undefined at the centre); s = logistic(z)
    s = correction.resemblance(X)
    assert s == pytest.approx([0.5, 1 / (1 + np.exp(-1)), 0.5])
    # factor = 1 - s (1 - 0.4)
    assert correction.factors(X) == pytest.approx(1 - s * 0.6)


def test_discounted_takes_one_ratio_per_row():
    proba = np.array([[0.8, 0.2], [0.5, 0.5], [0.1, 0.9]])
    out = discounted(proba, np.ones(3, dtype=bool), np.array([0.5, 1.0, 0.5]))
    # row 0: top 0.8 -> 0.4, the other path takes the rest; row 1 untouched
    assert out[0] == pytest.approx([0.4, 0.6])
    assert out[1] == pytest.approx([0.5, 0.5])
    assert out[2] == pytest.approx([0.55, 0.45])


def test_corrected_proba_combines_low_trust_and_resemblance():
    proba = np.array([[0.8, 0.2], [0.8, 0.2]])
    resemblance = _correction().resemblance(pd.DataFrame({"x": [0.0, 0.0]}))
    reference = {
        "corrections": {"low_trust_confidence_ratio": 0.5},
        "real_source": _correction(ratio=0.4).as_dict(),
    }
    out = corrected_proba(proba, resemblance, np.array([True, False]), reference)
    factor = 1 - 0.5 * 0.6  # s = 0.5 at the centre
    assert out[0, 0] == pytest.approx(0.8 * 0.5 * factor)
    assert out[1, 0] == pytest.approx(0.8 * factor)
    assert corrected_proba(proba, None, np.array([False, False]), {}) is proba


def test_round_trip_through_json():
    correction = _correction()
    back = RealSourceCorrection.from_dict(json.loads(json.dumps(correction.as_dict())))
    assert back == correction
    assert RealSourceCorrection.from_dict(None) is None


def _two_sources(seed: int = 0):
    rng = np.random.default_rng(seed)
    simulated = pd.DataFrame({"x": rng.normal(0, 1, 400), "y": rng.normal(0, 1, 400)})
    real = pd.DataFrame({"x": rng.normal(4, 1, 40), "y": rng.normal(0, 1, 40)})
    proba = np.tile([0.9, 0.1], (40, 1))
    truth = np.array(["a"] * 10 + ["b"] * 30, dtype=object)  # right on 10 of 40
    return simulated, real, proba, truth


def test_fit_tells_the_sources_apart_and_learns_the_earned_ratio():
    simulated, real, proba, truth = _two_sources()
    correction = fit_real_source(simulated, real, proba, truth, CLASSES, ["x", "y"])
    assert correction.ratio == pytest.approx(0.25 / 0.9)
    assert correction.resemblance(real).mean() > 0.9
    assert correction.resemblance(simulated).mean() < 0.1
    # rows like the simulated ones keep their confidence, rows like the real ones lose it
    assert correction.factors(simulated).mean() > 0.9
    assert correction.factors(real).mean() < 0.4


def test_cross_fitted_factors_leave_each_cluster_out():
    simulated, real, proba, truth = _two_sources()
    groups = np.repeat([f"G{i}" for i in range(8)], 5)
    factors = cross_fitted_factors(simulated, real, proba, truth, groups, CLASSES, ["x", "y"])
    assert factors.shape == (40,)
    assert factors.mean() < 0.5
    # the first cluster's factor comes from the others' ratio (10 right of 35 minus its own)
    left_out = fit_real_source(simulated, real.iloc[5:], proba[5:], truth[5:], CLASSES, ["x", "y"])
    assert factors[:5] == pytest.approx(left_out.factors(real.iloc[:5]))


def test_source_separability_near_one_apart_and_near_a_half_when_alike():
    simulated, real, _, _ = _two_sources()
    sim_groups = [f"S{i}" for i in range(len(simulated))]
    real_groups = np.repeat([f"G{i}" for i in range(8)], 5)
    assert source_separability(simulated, sim_groups, real, real_groups, ["x", "y"]) > 0.99
    # the real rows drawn like the simulated ones: no linear boundary tells them apart
    rng = np.random.default_rng(3)
    alike = pd.DataFrame(rng.normal(size=(40, 2)), columns=["x", "y"])
    same = pd.DataFrame(rng.normal(size=(200, 2)), columns=["x", "y"])
    auc = source_separability(same, [f"S{i}" for i in range(200)], alike, real_groups, ["x", "y"])
    assert 0.3 < auc < 0.7


@settings(max_examples=60, deadline=None)
@given(
    x=arrays(float, 6, elements=st.floats(-50, 50)),
    ratio=st.floats(0.0, 1.0),
)
def test_factors_lie_between_the_ratio_and_one(x, ratio):
    factors = _correction(ratio).factors(pd.DataFrame({"x": x}))
    assert np.all(factors >= ratio - 1e-12)
    assert np.all(factors <= 1 + 1e-12)
