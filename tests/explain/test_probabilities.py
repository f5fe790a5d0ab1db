"""Probabilities from the contributions' sums: the estimator's own, without a second pass."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.model_selection import GroupKFold

from clusterpath.data.policy import load_policy_corpus
from clusterpath.data.reference import load_reference
from clusterpath.explain.batch import answer_rows
from clusterpath.explain.records import Vocabulary
from clusterpath.explain.settings import load_scoring_config
from clusterpath.features.catalogue import load_catalogue
from clusterpath.models.contributions import tree_contributions
from clusterpath.models.path_model import probability_column
from clusterpath.models.pipeline import predict_proba_ordered
from clusterpath.models.temperature import TemperatureScaled, probabilities_from_raw
from tests.model_store import path_model_of


def _raw(estimator, rows, classes, ids) -> np.ndarray:
    """Raw scores from the contributions, one column per class of ``estimator.classes_``."""
    raw = tree_contributions(path_model_of(estimator, classes, ids), rows).raw_scores()
    return raw[:, [list(classes).index(str(c)) for c in estimator.classes_]]


@pytest.mark.parametrize("temperature", [None, 0.6, 1.7])
def test_raw_scores_give_the_estimators_probabilities(small_model, temperature):
    pipeline, features, classes, ids = small_model
    estimator = pipeline if temperature is None else TemperatureScaled(pipeline, temperature)
    rows = features.head(40)
    found = probabilities_from_raw(estimator, _raw(estimator, rows, classes, ids))
    np.testing.assert_allclose(found, estimator.predict_proba(rows), rtol=0, atol=1e-12)
    np.testing.assert_allclose(found.sum(axis=1), 1.0, rtol=0, atol=1e-12)


def _bundle(estimator, features, classes, ids):
    return path_model_of(estimator, classes, ids, features)


def _answers(model, rows, explain: bool):
    config = load_scoring_config()
    vocab = Vocabulary(
        load_catalogue(), load_policy_corpus(), load_reference(), config.holds_back_passages
    )
    X = rows.reindex(columns=list(model.feature_ids)).astype("float64")
    return answer_rows(X, model, vocab, config, explain=explain).pred


def test_explained_answers_agree_with_unexplained_ones(small_model):
    pipeline, features, classes, ids = small_model
    model = _bundle(TemperatureScaled(pipeline, 1.3), features, classes, ids)
    rows = features.head(60).assign(n_enterprises=100.0)
    explained, plain = _answers(model, rows, True), _answers(model, rows, False)
    p = [probability_column(c) for c in classes]
    np.testing.assert_allclose(explained[p], plain[p], rtol=0, atol=1e-12)
    for column in ("path", "prediction_set", "runner_up", "set_size"):
        assert list(explained[column]) == list(plain[column])


def test_a_calibrated_estimator_gives_its_own_probabilities(small_model, small_labels):
    """A fitted calibrator maps probabilities per path: the raw scores cannot stand in."""
    pipeline, features, classes, ids = small_model
    folds = list(GroupKFold(3).split(features, small_labels, features["cluster_id"]))
    calibrated = CalibratedClassifierCV(pipeline, method="sigmoid", cv=folds, ensemble=False)
    calibrated.fit(features, small_labels)
    rows = features.head(30).assign(n_enterprises=100.0)
    assert probabilities_from_raw(calibrated, np.zeros((len(rows), len(classes)))) is None
    answered = _answers(_bundle(calibrated, features, classes, ids), rows, True)
    expected = predict_proba_ordered(calibrated, rows, classes)
    np.testing.assert_array_equal(answered[[probability_column(c) for c in classes]], expected)
