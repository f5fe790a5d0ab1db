"""Fixtures for the modelling tests: synthetic and simulated labelled indicator tables."""

from __future__ import annotations

import os

# OpenMP threads must sleep, not spin, on a shared 2-core machine (see cli._run_tracked);
# this has to happen before LightGBM is first imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

from pathlib import Path

import pandas as pd
import pytest
import yaml

from clusterpath.data.reference import load_reference
from clusterpath.features.catalogue import load_catalogue
from clusterpath.models.config import (
    ModelConfig,
    default_model_config_path,
    load_model_config,
    load_rules,
)
from tests.models.synthetic import synthetic_features


@pytest.fixture(scope="session")
def feature_ids() -> tuple[str, ...]:
    return load_catalogue().ids


@pytest.fixture(scope="session")
def path_codes() -> tuple[str, ...]:
    return load_reference().path_codes


@pytest.fixture(scope="session")
def rules(path_codes, feature_ids):
    return load_rules(path_codes=path_codes, indicator_ids=feature_ids)


@pytest.fixture(scope="session")
def config() -> ModelConfig:
    """The repository's training configuration, unchanged."""
    return load_model_config()


@pytest.fixture(scope="session")
def synthetic() -> tuple[pd.DataFrame, pd.DataFrame]:
    return synthetic_features(n_clusters=80, seed=3)


def write_config(
    folder: Path, evaluation: dict[str, object] | None = None, **lightgbm: object
) -> Path:
    """A copy of models/lightgbm.yaml with some LightGBM and evaluation settings replaced."""
    raw = yaml.safe_load(default_model_config_path().read_text(encoding="utf-8"))
    raw["lightgbm"].update(lightgbm)
    raw["evaluation"].update(evaluation or {})
    path = folder / "lightgbm.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def simulated_extract(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """A simulated extract of 300 clusters x 5 years and its indicator table (~15 s once)."""
    from clusterpath.data.simulator import SimulationConfig, write_extract
    from clusterpath.pipelines.features import build_features

    folder = tmp_path_factory.mktemp("simulated") / "extract"
    write_extract(SimulationConfig(n_clusters=300, years=(2019, 2023), seed=11), folder)
    features = build_features(folder)
    # DuckDB sums floats on several threads in no fixed order, so an indicator can differ in
    # its last bits (about 1e-14) from one run to the next, and a tree may then split a hair
    # elsewhere. Rounded, the table is the same on every run, and so is every model fitted
    # to it: a behaviour check then passes or fails for the model, not for the run.
    floats = [c for c in features.columns if features[c].dtype.kind == "f"]
    features[floats] = features[floats].round(9)
    return folder, features
