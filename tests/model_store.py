"""A small served path model and a throw-away SQLite MLflow store, shared by several test folders.

``tests/models`` checks the pyfunc itself; ``tests/serving`` scores through Spark and REST.
Both need the same thing: a bundle trained in a second or two on the synthetic table, logged
"from code" exactly as training logs it, optionally registered under an alias.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.tracking import MlflowClient

from clusterpath.models.config import ModelConfig
from clusterpath.models.dataset import join_labels
from clusterpath.models.monitoring import training_reference
from clusterpath.models.path_model import PathModel
from clusterpath.models.pipeline import build_pipeline
from clusterpath.models.support import feature_ranges
from clusterpath.serving.pyfunc import log_path_model, save_bundle


def small_bundle(
    features: pd.DataFrame,
    labels: pd.DataFrame,
    config: ModelConfig,
    feature_ids: Sequence[str],
    path_codes: Sequence[str],
    n_estimators: int = 30,
) -> dict[str, Any]:
    """A served-model bundle with few trees and a fixed conformal threshold (no calibration)."""
    data = join_labels(features, labels, feature_ids, config.label_weights)
    fast = config.with_lightgbm(n_estimators=n_estimators, early_stopping_rounds=None)
    pipe = build_pipeline(fast, feature_ids).fit(data.X, data.y)
    return {
        "estimator": pipe,
        "classes": list(path_codes),
        "feature_ids": list(feature_ids),
        "conformal": {"method": "lac", "coverage": 0.9, "threshold": 0.8, "n_calibration": 1},
        "ranges": feature_ranges(data.X, feature_ids),
        "catalogue_version": "1.0",
        "reference": training_reference(data.X, feature_ids, {"low_trust": 0.025}),
    }


def path_model_of(
    estimator,
    classes: Sequence[str],
    feature_ids: Sequence[str],
    X: pd.DataFrame | None = None,
    threshold: float = 0.8,
) -> PathModel:
    """A fitted estimator as a PathModel: paths in ``classes`` order, a fixed conformal
    threshold, training ranges from ``X`` (none if not given)."""
    return PathModel(
        {
            "estimator": estimator,
            "classes": list(classes),
            "feature_ids": list(feature_ids),
            "conformal": {"method": "lac", "coverage": 0.9, "threshold": threshold},
            "ranges": {} if X is None else feature_ranges(X, feature_ids),
        }
    )


@contextmanager
def tracking_to(uri: str) -> Iterator[str]:
    """Point MLflow at ``uri`` for the block only, so no store leaks into other tests."""
    mlflow.set_tracking_uri(uri)
    try:
        yield uri
    finally:
        mlflow.set_tracking_uri(None)


@cache
def _empty_store() -> Path:
    """An MLflow SQLite store as MLflow first creates it, built once per process."""
    folder = Path(tempfile.mkdtemp(prefix="mlflow-empty-store-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    database = folder / "mlflow.db"
    MlflowClient(f"sqlite:///{database}").search_experiments()
    return database


def new_sqlite_store(folder: Path) -> str:
    """The URI of a new, empty MLflow SQLite store, ``folder/mlflow.db``.

    MLflow builds a new database by running every schema migration, seconds each time; this
    copies the one built first in the process instead, which MLflow opens as the same store.
    """
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_empty_store(), folder / "mlflow.db")
    return f"sqlite:///{folder / 'mlflow.db'}"


@dataclass(frozen=True)
class StoredModel:
    """Where a logged model lives: the store, its ``models:/m-…`` URI, and its registry URI."""

    tracking_uri: str
    model_uri: str
    registered_uri: str | None


def log_to_sqlite_store(
    bundle: dict[str, Any],
    folder: Path,
    example: pd.DataFrame,
    register_as: str | None = None,
    alias: str = "champion",
) -> StoredModel:
    """Log ``bundle`` to a new SQLite store in ``folder``; optionally register it under ``alias``.

    Returns with MLflow's tracking URI reset; use ``tracking_to`` to read from the store.
    """
    uri = new_sqlite_store(folder)
    with tracking_to(uri):
        experiment = mlflow.create_experiment(
            "tests", artifact_location=(folder / "artifacts").as_uri()
        )
        with mlflow.start_run(experiment_id=experiment):
            info = log_path_model(bundle, save_bundle(bundle, folder / "bundle.joblib"), example)
        registered = None
        if register_as is not None:
            version = mlflow.register_model(info.model_uri, register_as)
            MlflowClient().set_registered_model_alias(register_as, alias, version.version)
            registered = f"models:/{register_as}@{alias}"
    return StoredModel(uri, info.model_uri, registered)


def assert_same_predictions(
    got: pd.DataFrame, expected: pd.DataFrame, path_codes: Sequence[str]
) -> None:
    """Same paths and prediction sets, and probabilities equal to 1e-9, row by row."""
    assert list(got["path"]) == list(expected["path"])
    assert list(got["prediction_set"]) == list(expected["prediction_set"])
    probabilities = [f"p_{code}" for code in path_codes]
    np.testing.assert_allclose(
        got[probabilities].to_numpy(dtype=float),
        expected[probabilities].to_numpy(dtype=float),
        rtol=0,
        atol=1e-9,
    )
