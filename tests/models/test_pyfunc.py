"""The served model through MLflow: logged from code, loaded back, predicting with gaps."""

from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd
import pytest

from clusterpath.data.policy import load_policy_corpus
from clusterpath.data.reference import load_reference
from clusterpath.explain.records import Vocabulary
from clusterpath.explain.settings import load_scoring_config
from clusterpath.features.catalogue import load_catalogue
from clusterpath.models.path_model import PathModel
from clusterpath.models.support import feature_ranges
from clusterpath.serving.answers import answer_columns, served_answers
from clusterpath.serving.pyfunc import pinned_requirements
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


@pytest.fixture(scope="module")
def stored(tmp_path_factory, bundle, synthetic):
    return log_to_sqlite_store(bundle, tmp_path_factory.mktemp("pyfunc"), synthetic[0])


def test_logged_model_answers_like_the_scoring_code(stored, bundle, synthetic, path_codes):
    features, _ = synthetic
    with tracking_to(stored.tracking_uri):
        loaded = mlflow.pyfunc.load_model(stored.model_uri)
    gappy = features.head(6).copy()
    gappy.loc[gappy.index[:3], ["rd_intensity", "entry_rate", "revenue_growth"]] = np.nan
    gappy["n_enterprises"] = [40.0, 5.0, 80.0, 120.0, 15.0, 300.0]  # one too small to score
    got = loaded.predict(gappy, params={"explain": False})  # cluster_id, year: identifiers
    config = load_scoring_config()
    vocab = Vocabulary(
        load_catalogue(), load_policy_corpus(), load_reference(), config.holds_back_passages
    )
    X = gappy.reindex(columns=list(bundle["feature_ids"])).reset_index(drop=True)
    expected = served_answers(X, PathModel(bundle), vocab, config, False)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected)
    assert list(got.columns) == answer_columns(path_codes)
    assert list(got["path"] == "") == [False, True, False, False, False, False]
    # Same paths and probabilities as the bare bundle where a recommendation is given.
    bare = PathModel(bundle).answer(gappy).reset_index(drop=True)
    scored = got["path"] != ""
    assert list(got.loc[scored, "path"]) == list(bare.loc[scored, "path"])


def test_signature_has_the_explain_switch_and_no_input_schema(stored, bundle):
    with tracking_to(stored.tracking_uri):
        info = mlflow.models.get_model_info(stored.model_uri)
    assert info.signature.inputs is None
    (explain,) = info.signature.params.params
    assert (explain.name, explain.default) == ("explain", True)
    assert "drivers" in info.signature.outputs.input_names()
    assert info.metadata["feature_ids"] == list(bundle["feature_ids"])
