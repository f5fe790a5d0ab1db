"""Baselines: the rule classifier by hand, and the sklearn ones on gappy data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clusterpath.models.baselines import (
    RuleClassifier,
    logistic_baseline,
    majority_baseline,
    rule_baseline,
)
from clusterpath.models.config import Criterion, RulesConfig
from clusterpath.models.pipeline import predict_proba_ordered

CODES = ("a", "b")
RULES = RulesConfig(
    version="t",
    temperature=2.0,
    paths={
        "a": (Criterion(indicator="x", direction="above", threshold=0.5, scale=0.25, weight=1.0),),
        "b": (
            Criterion(indicator="x", direction="below", threshold=0.5, scale=0.5, weight=1.0),
            Criterion(indicator="y", direction="above", threshold=10, scale=10, weight=3.0),
        ),
    },
)


def test_rule_scores_by_hand():
    X = pd.DataFrame({"x": [0.75, 0.0, np.nan], "y": [10.0, 30.0, np.nan]})
    clf = RuleClassifier(rules=RULES, path_codes=CODES).fit(X)
    scores = clf.decision_function(X)
    # row 1: a = clip((.75-.5)/.25) = 1; b = (1 x clip(-(.75-.5)/.5) + 3 x 0) / 4 = -.125
    # row 2: a = clip(-2) = -1; b = (1 x clip(1) + 3 x clip(2)) / 4 = 1
    # row 3: nothing known: both 0, tie goes to the first path
    assert np.allclose(scores, [[1.0, -0.125], [-1.0, 1.0], [0.0, 0.0]])
    assert clf.predict(X).tolist() == ["a", "b", "a"]
    assert clf.evidence(X).tolist() == [3, 3, 0]


def test_rule_probabilities_are_a_softmax_of_tempered_scores():
    X = pd.DataFrame({"x": [0.75], "y": [10.0]})
    proba = RuleClassifier(rules=RULES, path_codes=CODES).fit(X).predict_proba(X)
    e = np.exp(2.0 * np.array([1.0, -0.125]))
    assert proba[0] == pytest.approx(e / e.sum())


def test_rule_classifier_complains_about_missing_indicators():
    with pytest.raises(ValueError, match="missing from the input"):
        RuleClassifier(rules=RULES, path_codes=CODES).fit(pd.DataFrame({"x": [1.0]}))


def test_rule_baseline_from_the_repository_rules_reads_the_paper_signals(rules, path_codes):
    base = {c: 0.0 for c in rules.indicators()}
    giant = pd.DataFrame([{**base, "top1_revenue_share": 0.8}])
    indigenous = pd.DataFrame(
        [{**base, "rd_intensity": 0.1, "n_research_bodies": 10, "entry_rate": 0.4}]
    )
    model = rule_baseline(rules, path_codes).fit(pd.concat([giant, indigenous]))
    assert model.predict(giant).tolist() == ["giant_anchored"]
    assert model.predict(indigenous).tolist() == ["indigenous"]


def test_majority_and_logistic_fit_on_gappy_data(synthetic, feature_ids, path_codes):
    features, labels = synthetic
    for model in (majority_baseline(feature_ids), logistic_baseline(feature_ids)):
        model.fit(features, labels["path"], model__sample_weight=np.ones(len(features)))
        proba = predict_proba_ordered(model, features, path_codes)
        assert proba.shape == (len(features), len(path_codes))
        assert np.allclose(proba.sum(axis=1), 1.0)
    majority = majority_baseline(feature_ids).fit(features, labels["path"])
    (predicted,) = set(majority.predict(features))
    counts = labels["path"].value_counts()
    assert counts[predicted] == counts.max()
