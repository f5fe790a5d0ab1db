"""Fixtures for the serving tests: one small registered model and indicator rows with gaps."""

from __future__ import annotations

import os

# OpenMP threads must sleep, not spin, on a shared 2-core machine; set before LightGBM loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

import mlflow
import numpy as np
import pandas as pd
import pytest

from clusterpath.data.reference import load_reference
from clusterpath.features.catalogue import load_catalogue
from clusterpath.models.config import load_model_config
from tests.model_store import StoredModel, log_to_sqlite_store, small_bundle, tracking_to
from tests.models.synthetic import synthetic_features

MODEL = "clusterpath"


# Indicators that may be undefined in training, as growth rates are in a first year; every
# other indicator is always present, so a row lacking it is flagged as scoring flags it.
SOMETIMES_MISSING = ("revenue_growth", "employment_growth", "size_tail_exponent")


@pytest.fixture(scope="session")
def serving_synthetic() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Synthetic rows with enterprise counts of real clusters (a few below the minimum of 10)
    and gaps only where real indicators have them."""
    features, labels = synthetic_features(n_clusters=40, seed=5)
    rng = np.random.default_rng(5)
    ids = [i for i in load_catalogue().ids if i not in SOMETIMES_MISSING]
    features[ids] = features[ids].fillna(features[ids].median())
    features["n_enterprises"] = rng.integers(6, 300, size=len(features)).astype(float)
    return features, labels


@pytest.fixture(scope="session")
def stored_model(tmp_path_factory, serving_synthetic) -> StoredModel:
    """A 30-tree model logged to a temporary SQLite store and registered as ``champion``."""
    features, labels = serving_synthetic
    bundle = small_bundle(
        features, labels, load_model_config(), load_catalogue().ids, load_reference().path_codes
    )
    folder = tmp_path_factory.mktemp("serving-store")
    return log_to_sqlite_store(bundle, folder, features, register_as=MODEL)


@pytest.fixture(scope="session")
def gappy_features(serving_synthetic) -> pd.DataFrame:
    """12 cluster-years with undefined indicators: a whole row, a whole column, scattered cells."""
    ids = list(load_catalogue().ids)
    features, _ = serving_synthetic
    rows = features.iloc[::17].head(12).reset_index(drop=True)
    rows = rows[["cluster_id", "year", *ids]].copy()
    rows.loc[0, ids] = np.nan
    rows["rd_intensity"] = np.nan
    rows.loc[[2, 5, 7], ["entry_rate", "revenue_growth", "vc_per_enterprise"]] = np.nan
    rows.loc[[3, 8], ids[5:15]] = np.nan
    # A count indicator with whole values, so Spark can hold it as an integer column.
    rows["n_research_bodies"] = rows["n_research_bodies"].round().clip(lower=0)
    return rows


@pytest.fixture(scope="session")
def local_predictions(stored_model, gappy_features) -> pd.DataFrame:
    """What ``mlflow.pyfunc.load_model(uri).predict`` gives in this process: the reference."""
    with tracking_to(stored_model.tracking_uri):
        model = mlflow.pyfunc.load_model(stored_model.registered_uri)
    return model.predict(gappy_features).reset_index(drop=True)
