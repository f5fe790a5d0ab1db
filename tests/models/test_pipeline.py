"""The Pipeline object, its configuration, and the labelled-rows join."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from pydantic import ValidationError

from clusterpath.models.config import ModelConfig, load_rules, parse_label_weights
from clusterpath.models.dataset import join_labels, label_counts, unlabelled_rows
from clusterpath.models.pipeline import (
    build_pipeline,
    fit_pipeline,
    lightgbm_step,
    predict_proba_ordered,
)


def test_config_file_loads_with_the_documented_settings(config: ModelConfig):
    assert config.conformal.coverage == 0.9
    assert config.evaluation.cv_folds == 5
    assert config.evaluation.holdout_share == 0.2
    assert config.lightgbm.n_jobs == 2
    assert config.calibration.method in ("sigmoid", "isotonic", "temperature")
    # randomised split thresholds reach the classifier the pipeline builds, when asked for
    for randomised in (True, False):
        chosen = config.with_lightgbm(extra_trees=randomised)
        step = build_pipeline(chosen, ["rd_intensity"]).steps[-1][1]
        assert step.get_params()["extra_trees"] is randomised


def test_config_is_frozen_and_checked(config: ModelConfig):
    with pytest.raises(ValidationError):
        config.random_state = 1
    with pytest.raises(ValidationError):
        config.with_lightgbm(learning_rate=-1)
    with pytest.raises(ValidationError, match="unknown sources"):
        config.with_label_weights({"crowd": 1.0})


def test_parse_label_weights():
    assert parse_label_weights("expert=1, rules=0.3,simulated=1") == {
        "expert": 1.0,
        "rules": 0.3,
        "simulated": 1.0,
    }
    with pytest.raises(ValueError, match="SOURCE=WEIGHT"):
        parse_label_weights("expert")
    with pytest.raises(ValueError, match="not a number"):
        parse_label_weights("expert=high")


def test_rules_must_cover_exactly_the_paths(tmp_path, path_codes, feature_ids):
    bad = tmp_path / "rules.yaml"
    bad.write_text(
        "version: '1'\ntemperature: 1\npaths:\n  upgrade:\n"
        "    - {indicator: rd_intensity, direction: below, threshold: 0.1, scale: 0.1,"
        " weight: 1}\n"
    )
    with pytest.raises(ValueError, match="exactly the paths"):
        load_rules(bad, path_codes=path_codes, indicator_ids=feature_ids)


def test_pipeline_reads_catalogue_columns_in_order_whatever_the_input_order(
    synthetic, config, feature_ids, path_codes
):
    features, labels = synthetic
    fast = config.with_lightgbm(n_estimators=40, early_stopping_rounds=None)
    pipe = build_pipeline(fast, feature_ids).fit(features, labels["path"])
    assert list(lightgbm_step(pipe).feature_name_) == list(feature_ids)
    shuffled = features.sample(frac=1.0, axis=1, random_state=0).assign(extra=1.0)
    expected = predict_proba_ordered(pipe, features, path_codes)
    assert np.allclose(predict_proba_ordered(pipe, shuffled, path_codes), expected)
    assert np.allclose(expected.sum(axis=1), 1.0)


def test_pipeline_handles_missing_indicators(synthetic, config, feature_ids, path_codes):
    features, labels = synthetic
    fast = config.with_lightgbm(n_estimators=20, early_stopping_rounds=None)
    pipe = build_pipeline(fast, feature_ids).fit(features, labels["path"])
    blank = features.head(3).copy()
    blank[list(feature_ids)] = np.nan
    proba = predict_proba_ordered(pipe, blank, path_codes)
    assert np.isfinite(proba).all()


def test_early_stopping_fixes_the_number_of_trees(synthetic, config, feature_ids):
    """On labels that carry no signal the validation loss rises at once: few trees are kept."""
    features, labels = synthetic
    rng = np.random.default_rng(0)
    noise = labels.assign(path=rng.permutation(labels["path"].to_numpy()))
    data = join_labels(features, noise, feature_ids, config.label_weights)
    capped = config.with_lightgbm(n_estimators=120, learning_rate=0.3)
    pipe = fit_pipeline(
        build_pipeline(capped, feature_ids), data.X, data.y, data.groups, data.weight, capped
    )
    used = lightgbm_step(pipe).n_estimators
    assert 1 <= used < capped.lightgbm.n_estimators
    assert pipe.get_params()["model__n_estimators"] == used


def test_training_is_deterministic(synthetic, config, feature_ids, path_codes):
    features, labels = synthetic
    fast = config.with_lightgbm(n_estimators=30, early_stopping_rounds=None)
    a = build_pipeline(fast, feature_ids).fit(features, labels["path"])
    b = build_pipeline(fast, feature_ids).fit(features, labels["path"])
    assert np.array_equal(
        predict_proba_ordered(a, features, path_codes),
        predict_proba_ordered(b, features, path_codes),
    )


def test_predict_proba_ordered_follows_the_given_class_order():
    class Fixed:
        classes_ = np.array(["b", "a"])

        def predict_proba(self, X):
            return np.tile([0.25, 0.75], (len(X), 1))

    out = predict_proba_ordered(Fixed(), pd.DataFrame({"x": [1, 2]}), ("a", "b", "c"))
    assert out.tolist() == [[0.75, 0.25, 0.0], [0.75, 0.25, 0.0]]


FEATURES = pd.DataFrame(
    {
        "cluster_id": ["C1", "C1", "C2", "C2", "C3"],
        "year": [2022, 2023, 2022, 2023, 2023],
        "f1": [1.0, 2.0, 3.0, np.nan, 5.0],
    }
)
LABELS = pd.DataFrame(
    {
        "cluster_id": ["C1", "C2", "C2", "C9"],
        "year": [2023, 2022, 2023, 2023],
        "path": ["upgrade", "indigenous", "indigenous", "upgrade"],
        "source": ["expert", "rules", "rules", "expert"],
    }
)


def test_join_labels_keeps_labelled_rows_with_features_and_weights_them_by_source():
    data = join_labels(FEATURES, LABELS, ["f1"], {"expert": 1.0, "rules": 0.3})
    expected_X = pd.DataFrame(
        {"cluster_id": ["C1", "C2", "C2"], "year": [2023, 2022, 2023], "f1": [2.0, 3.0, np.nan]}
    )
    assert_frame_equal(data.X, expected_X)
    assert data.y.tolist() == ["upgrade", "indigenous", "indigenous"]
    assert data.groups.tolist() == ["C1", "C2", "C2"]
    assert data.weight.tolist() == [1.0, 0.3, 0.3]
    assert data.scored(["expert"]).tolist() == [0]


def test_zero_weight_drops_a_source_and_counts_say_so():
    data = join_labels(FEATURES, LABELS, ["f1"], {"expert": 1.0, "rules": 0.0})
    assert data.y.tolist() == ["upgrade"]
    counts = label_counts(LABELS, data)
    expected = pd.DataFrame({"source": ["expert", "rules"], "given": [2, 2], "used": [1, 0]})
    assert_frame_equal(counts, expected)


def test_unlabelled_rows_are_those_without_an_expert_label():
    rows = unlabelled_rows(FEATURES, LABELS)
    assert list(zip(rows["cluster_id"], rows["year"], strict=True)) == [
        ("C1", 2022),
        ("C2", 2022),
        ("C2", 2023),
        ("C3", 2023),
    ]
    assert len(unlabelled_rows(FEATURES, None)) == len(FEATURES)
