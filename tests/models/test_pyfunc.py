"""The served model through MLflow: logged from code, loaded back, predicting with gaps."""

from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd
import pytest

from clusterpath.models.pyfunc import feature_ranges, pinned_requirements, predict_frame
from tests.model_store import log_to_sqlite_store, small_bundle, tracking_to

pytestmark = pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy")


@pytest.fixture(scope="module")
def bundle(synthetic, config, feature_ids, path_codes):
    features, labels = synthetic
    return small_bundle(features, labels, config, feature_ids, path_codes)


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
    stored = log_to_sqlite_store(bundle, tmp_path, features)
    with tracking_to(stored.tracking_uri):
        loaded = mlflow.pyfunc.load_model(stored.model_uri)
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
