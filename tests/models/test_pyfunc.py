"""The served model through MLflow: logged from code, loaded back, predicting with gaps."""

from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd
import pytest

from clusterpath.models.dataset import join_labels
from clusterpath.models.pipeline import build_pipeline
from clusterpath.models.pyfunc import (
    feature_ranges,
    log_path_model,
    pinned_requirements,
    predict_frame,
    save_bundle,
)

pytestmark = pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy")


@pytest.fixture(scope="module")
def bundle(synthetic, config, feature_ids, path_codes):
    features, labels = synthetic
    data = join_labels(features, labels, feature_ids, config.label_weights)
    fast = config.with_lightgbm(n_estimators=30, early_stopping_rounds=None)
    pipe = build_pipeline(fast, feature_ids).fit(data.X, data.y)
    return {
        "estimator": pipe,
        "classes": list(path_codes),
        "feature_ids": list(feature_ids),
        "conformal": {"method": "lac", "coverage": 0.9, "threshold": 0.8, "n_calibration": 1},
        "ranges": feature_ranges(data.X, feature_ids),
        "catalogue_version": "1.0",
    }


def test_feature_ranges_by_hand():
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, np.nan]})
    got = feature_ranges(frame, ["x"])["x"]
    assert got["min"] == 1.0 and got["max"] == 3.0 and got["q50"] == 2.0
    assert got["missing_share"] == 0.25


def test_requirements_are_pinned_to_installed_versions():
    reqs = pinned_requirements()
    assert [r.split("==")[0] for r in reqs] == [
        "lightgbm",
        "scikit-learn",
        "pandas",
        "numpy",
        "mlflow",
    ]
    assert all("==" in r and r.split("==")[1] for r in reqs)


def test_logged_model_loads_and_predicts_like_the_bundle(tmp_path, bundle, synthetic, path_codes):
    features, _ = synthetic
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = mlflow.create_experiment("t", artifact_location=(tmp_path / "art").as_uri())
    try:
        with mlflow.start_run(experiment_id=experiment):
            info = log_path_model(bundle, save_bundle(bundle, tmp_path / "b.joblib"), features)
        loaded = mlflow.pyfunc.load_model(info.model_uri)
        gappy = features.head(6).copy()
        gappy.loc[gappy.index[:3], ["rd_intensity", "entry_rate", "revenue_growth"]] = np.nan
        got = loaded.predict(gappy)  # extra columns (cluster_id, year) are ignored
        expected = predict_frame(bundle, gappy)
        pd.testing.assert_frame_equal(got.reset_index(drop=True), expected)
        assert list(got.columns) == [
            "path",
            *(f"p_{c}" for c in path_codes),
            "prediction_set",
        ]
        inputs = loaded.metadata.signature.inputs
        assert all(not col.required for col in inputs.inputs)
    finally:
        mlflow.set_tracking_uri(None)
