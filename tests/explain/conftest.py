"""Fixtures for the explanation tests: a small path model trained on a synthetic table."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest

from clusterpath.data.reference import load_reference
from clusterpath.features.catalogue import load_catalogue
from clusterpath.models.config import load_model_config
from clusterpath.models.dataset import join_labels
from clusterpath.models.pipeline import build_pipeline
from tests.models.synthetic import synthetic_features


@pytest.fixture(scope="session")
def small_model():
    """(fitted pipeline, features, classes, feature ids): 40 synthetic clusters, 60 trees."""
    ids = load_catalogue().ids
    config = load_model_config().with_lightgbm(n_estimators=60)
    features, labels = synthetic_features(n_clusters=40, seed=5)
    data = join_labels(features, labels, ids, config.label_weights)
    pipeline = build_pipeline(config, ids).fit(data.X, data.y)
    return pipeline, features, load_reference().path_codes, ids


@pytest.fixture(scope="session")
def small_labels(small_model):
    """The true path of every row of the small model's feature table."""
    _, labels = synthetic_features(n_clusters=40, seed=5)
    features = small_model[1]
    return features[["cluster_id", "year"]].merge(labels, on=["cluster_id", "year"])["path"]
