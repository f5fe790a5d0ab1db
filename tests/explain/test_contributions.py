"""LightGBM's own TreeSHAP: equal to shap's TreeExplainer and additive to the raw scores."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest
import shap

from clusterpath.models.contributions import (
    contributions_ahead,
    tree_contributions,
)
from tests.model_store import path_model_of


def test_contributions_add_up_to_the_raw_scores(small_model):
    pipeline, features, classes, ids = small_model
    rows = features.head(25)
    contrib = tree_contributions(path_model_of(pipeline, classes, ids), rows)
    model = pipeline[-1]
    raw = model.predict(rows[list(ids)], raw_score=True)
    order = [list(model.classes_).index(c) for c in classes]
    np.testing.assert_allclose(contrib.raw_scores(), raw[:, order], rtol=0, atol=1e-9)


def test_contributions_equal_shap_tree_explainer(small_model):
    pipeline, features, classes, ids = small_model
    rows = features.head(25)[list(ids)].astype("float64")
    contrib = tree_contributions(path_model_of(pipeline, classes, ids), rows)
    model = pipeline[-1]
    explained = np.asarray(shap.TreeExplainer(model).shap_values(rows))  # (n, features, k)
    for i, code in enumerate(classes):
        j = list(model.classes_).index(code)
        np.testing.assert_allclose(contrib.values[:, i, :], explained[:, :, j], atol=1e-9)


def test_contributions_follow_the_requested_path_order(small_model):
    pipeline, features, classes, ids = small_model
    rows = features.head(5)
    forward = tree_contributions(path_model_of(pipeline, classes, ids), rows)
    backward = tree_contributions(path_model_of(pipeline, tuple(reversed(classes)), ids), rows)
    np.testing.assert_array_equal(forward.values[:, ::-1, :], backward.values)


def test_contributions_ignore_extra_and_reordered_columns(small_model):
    pipeline, features, classes, ids = small_model
    rows = features.head(5)
    shuffled = rows[list(reversed(rows.columns))].assign(unrelated=1.0)
    model = path_model_of(pipeline, classes, ids)
    a, b = tree_contributions(model, rows), tree_contributions(model, shuffled)
    np.testing.assert_array_equal(a.values, b.values)


def test_mean_abs_is_the_average_magnitude(small_model):
    pipeline, features, classes, ids = small_model
    contrib = tree_contributions(path_model_of(pipeline, classes, ids), features.head(10))
    table = contrib.mean_abs()
    assert isinstance(table, pd.DataFrame)
    assert table.shape == (len(ids), len(classes))
    expected = np.abs(contrib.values[:, 2, 0]).mean()
    assert table.iloc[0, 2] == pytest.approx(expected, rel=1e-12)


def test_calibrated_estimator_is_explained_with_its_own_path_names(small_model, small_labels):
    """A calibrator fits its inner LightGBM on encoded labels; paths must still line up."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.model_selection import GroupKFold

    from clusterpath.models.pipeline import predict_proba_ordered

    pipeline, features, classes, ids = small_model
    folds = list(GroupKFold(3).split(features, small_labels, features["cluster_id"]))
    calibrated = CalibratedClassifierCV(pipeline, method="sigmoid", cv=folds, ensemble=False)
    calibrated.fit(features, small_labels)
    rows = features.head(20)
    contrib = tree_contributions(path_model_of(calibrated, classes, ids), rows)
    assert np.abs(contrib.values).sum() > 0
    inner = calibrated.calibrated_classifiers_[0].estimator[-1]
    uncalibrated = inner.predict(rows[list(ids)], raw_score=True)
    np.testing.assert_allclose(np.sort(contrib.raw_scores(), 1), np.sort(uncalibrated, 1))
    # sigmoid calibration is per path and monotone: the top path rarely changes
    top_raw = np.asarray(classes)[contrib.raw_scores().argmax(axis=1)]
    top_prob = np.asarray(classes)[predict_proba_ordered(calibrated, rows, classes).argmax(1)]
    assert (top_raw == top_prob).mean() >= 0.8


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_chunks_join_back_into_the_whole(small_model, workers):
    """Chunks come in order and equal the whole, also when several booster copies run and
    buffers are reused: a path the booster never learned stays zero in every chunk."""
    pipeline, features, classes, ids = small_model
    rows, paths = features.head(25), (*classes, "never_learned")
    model = path_model_of(pipeline, paths, ids)
    whole = tree_contributions(model, rows)
    values, base, buffers = [], [], set()
    with contributions_ahead(model, rows, 2, workers) as ahead:
        for chunk in ahead:  # a chunk is valid until the next one is asked for: copy it
            values.append(chunk.values.copy())
            base.append(chunk.base.copy())
            buffers.add(id(chunk.values.base))
            assert (chunk.classes, chunk.feature_ids) == (whole.classes, whole.feature_ids)
    assert [len(v) for v in values] == [2] * 12 + [1]
    np.testing.assert_array_equal(np.concatenate(values), whole.values)
    np.testing.assert_array_equal(np.concatenate(base), whole.base)
    assert not np.concatenate(values)[:, -1, :].any()
    assert len(buffers) <= workers + 2  # memory of a few chunks, not of every row


def test_no_rows_give_one_empty_chunk(small_model):
    pipeline, features, classes, ids = small_model
    model = path_model_of(pipeline, classes, ids)
    with contributions_ahead(model, features.head(0), 7) as ahead:
        (chunk,) = ahead
    assert chunk.values.shape == (0, len(classes), len(ids))


def test_an_error_beside_the_chunks_stops_them_and_leaves_no_thread(small_model):
    """Work done while the booster is ahead may fail: the error comes through, the chunks
    not started are dropped, and every worker has stopped when the block is left."""
    pipeline, features, classes, ids = small_model
    with (
        pytest.raises(KeyError, match="beside"),
        contributions_ahead(path_model_of(pipeline, classes, ids), features, 3, 2) as ahead,
    ):
        next(ahead)
        raise KeyError("beside")
    assert not [t for t in threading.enumerate() if t.name.startswith("treeshap")]
