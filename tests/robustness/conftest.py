"""Fixtures of the robustness tests: one small clean extract (Parquet and CSV), its results,
and a small path model registered in a throw-away SQLite MLflow store."""

from __future__ import annotations

import os

# OpenMP threads must sleep, not spin, on a shared 2-core machine (see cli._run_tracked);
# this has to happen before LightGBM is first imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from click.testing import Result
from typer.testing import CliRunner

from clusterpath.cli import app
from tests.model_store import StoredModel, log_to_sqlite_store, small_bundle
from tests.robustness.mutations import to_csv_extract

CLUSTERS, YEARS, SEED = 12, (2021, 2022), 5


@dataclass(frozen=True)
class Commands:
    """``validate``, ``features`` and ``score`` through the Typer app, against one store."""

    model: StoredModel

    @property
    def env(self) -> dict[str, str]:
        return {
            "MLFLOW_TRACKING_URI": self.model.tracking_uri,
            "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
        }

    def invoke(self, args: Sequence[object]) -> Result:
        return CliRunner().invoke(app, [str(a) for a in args], env=self.env)

    def all_three(self, folder: Path, work: Path) -> dict[str, Result]:
        """Run the three commands on ``folder``, writing under ``work``."""
        return {
            "validate": self.invoke(["validate", folder]),
            "features": self.invoke(["features", folder, "--out", work / "features.parquet"]),
            "score": self.invoke(
                ["score", folder, "--out", work / "scores", "--model", self.model.registered_uri]
            ),
        }


@pytest.fixture(scope="session")
def corpus_bases(tmp_path_factory) -> dict[str, Path]:
    """The clean extract the corpus breaks: 12 clusters x 2 years, as Parquet and as CSV."""
    from clusterpath.data.simulator import SimulationConfig, write_extract

    root = tmp_path_factory.mktemp("corpus")
    parquet = root / "clean-parquet"
    write_extract(
        SimulationConfig(n_clusters=CLUSTERS, years=YEARS, seed=SEED, world="reference"), parquet
    )
    return {"parquet": parquet, "csv": to_csv_extract(parquet, root / "clean-csv")}


@pytest.fixture(scope="session")
def scoring_model(tmp_path_factory) -> StoredModel:
    """A 30-tree path model trained on another simulated extract (40 clusters x 2 years),
    registered as ``models:/clusterpath@champion`` in its own SQLite store."""
    from clusterpath.data.readers import load_extract
    from clusterpath.data.reference import load_reference
    from clusterpath.data.simulator import SimulationConfig, write_extract
    from clusterpath.features.catalogue import load_catalogue
    from clusterpath.models.config import load_model_config
    from clusterpath.pipelines.features import build_features

    root = tmp_path_factory.mktemp("model")
    folder = root / "train"
    write_extract(SimulationConfig(n_clusters=40, years=YEARS, seed=3, world="reference"), folder)
    features = build_features(folder)
    ids = load_catalogue().ids
    labels = load_extract(folder).labels
    bundle = small_bundle(
        features, labels, load_model_config(), ids, load_reference().path_codes, 30
    )
    return log_to_sqlite_store(bundle, root, features[list(ids)].head(3), "clusterpath")


@pytest.fixture(scope="session")
def commands(scoring_model) -> Commands:
    return Commands(scoring_model)


@dataclass(frozen=True)
class Results:
    features: pd.DataFrame
    scores: pd.DataFrame


@pytest.fixture(scope="session")
def clean_results(commands, corpus_bases, tmp_path_factory) -> Results:
    """Features and scores of the clean Parquet extract, for comparison."""
    work = tmp_path_factory.mktemp("clean-results")
    results = commands.all_three(corpus_bases["parquet"], work)
    for name, result in results.items():
        assert result.exit_code == 0, (name, result.output)
    return Results(
        pd.read_parquet(work / "features.parquet"),
        pd.read_parquet(work / "scores" / "scores.parquet"),
    )
