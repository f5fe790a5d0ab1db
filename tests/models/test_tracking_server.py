"""Integration: a real MLflow server on loopback, training, registry, champion and challenger.

Starts ``mlflow server`` (SQLite backend and artifact store in a temporary folder, one worker,
no job runner) in its own process group, trains on a simulated extract, registers, loads
``models:/clusterpath@champion`` through the server and predicts; then trains a deliberately
worse model through the CLI and checks that it does not take the champion alias.
"""

from __future__ import annotations

import os
from pathlib import Path

import mlflow
import numpy as np
import pytest
from mlflow.tracking import MlflowClient
from typer.testing import CliRunner

from clusterpath.cli import app
from clusterpath.features.catalogue import load_catalogue
from clusterpath.models.training import LIGHTGBM
from clusterpath.pipelines.train import run_train
from tests.model_store import new_sqlite_store
from tests.models.conftest import write_config
from tests.processes import VENV_BIN, free_port, running_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy"),
]

MODEL = "clusterpath"


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("mlflow-server")
    port = free_port()
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    env.pop("MLFLOW_TRACKING_URI", None)
    command = [
        str(VENV_BIN / "mlflow"),
        "server",
        "--backend-store-uri",
        new_sqlite_store(root),
        "--artifacts-destination",
        str(root / "artifacts"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    uri = f"http://127.0.0.1:{port}"
    try:
        with running_server(command, f"{uri}/health", root / "server.log", env, timeout=90):
            yield uri
    finally:
        mlflow.set_tracking_uri(None)


@pytest.fixture(scope="module")
def features_file(simulated_extract, tmp_path_factory) -> Path:
    _, features = simulated_extract
    path = tmp_path_factory.mktemp("features") / "features.parquet"
    features.to_parquet(path)
    return path


@pytest.fixture(scope="module")
def champion_run(mlflow_server, simulated_extract, features_file):
    folder, _ = simulated_extract
    return run_train(
        folder,
        features_file=features_file,
        register=True,
        model_name=MODEL,
        experiment="integration",
        tracking_uri=mlflow_server,
    )


def test_lightgbm_beats_every_baseline_on_macro_f1(champion_run):
    table = champion_run.result.comparison
    for baseline in ("majority", "logistic", "rules"):
        # Grouped 5-fold CV over the 240 training clusters: the stable comparison.
        assert table.loc[LIGHTGBM, "cv_macro_f1"] > table.loc[baseline, "cv_macro_f1"], baseline
    for baseline in ("majority", "rules"):
        assert table.loc[LIGHTGBM, "holdout_macro_f1"] > table.loc[baseline, "holdout_macro_f1"]
    # 60 held-out clusters leave logistic regression within noise of LightGBM there (0.76
    # against 0.80 on this extract); every world held out in turn is the grade that says
    # whether the classifier carries to other sources (0.80 against 0.76).
    assert table.loc[LIGHTGBM, "shift_macro_f1"] > table.loc["logistic", "shift_macro_f1"]


def test_first_registered_model_is_champion_and_serves_through_the_server(
    champion_run, mlflow_server
):
    assert champion_run.promotion.alias == "champion"
    mlflow.set_tracking_uri(mlflow_server)
    model = mlflow.pyfunc.load_model(f"models:/{MODEL}@champion")
    holdout = champion_run.result.split.holdout
    out = model.predict(holdout.X)
    assert len(out) == len(holdout)
    # clusters too small to score (fewer than scoring.yaml's min_enterprises) get no path
    given = (holdout.X["n_enterprises"] >= 10).to_numpy()
    assert given.mean() > 0.9
    assert (out.loc[~given, "path"] == "").all()
    out = out[given]
    assert set(out["path"]) <= set(champion_run.result.classes)
    proba = out[[f"p_{c}" for c in champion_run.result.classes]].to_numpy()
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert (out["prediction_set"].str.len() > 0).all()
    run = MlflowClient(mlflow_server).get_run(champion_run.run_id)
    assert run.data.tags["extract_fingerprint"]
    assert run.data.tags["catalogue_version"] == load_catalogue().version
    assert "holdout_macro_f1" in run.data.metrics
    assert "baseline_logistic_holdout_macro_f1" in run.data.metrics
    assert "holdout_conformal_coverage" in run.data.metrics


def test_a_worse_model_becomes_challenger_not_champion(
    champion_run, mlflow_server, simulated_extract, features_file, tmp_path
):
    folder, _ = simulated_extract
    worse = write_config(tmp_path, n_estimators=1, num_leaves=2, early_stopping_rounds=None)
    result = CliRunner().invoke(
        app,
        [
            "train",
            str(folder),
            "--features",
            str(features_file),
            "--config",
            str(worse),
            "--register",
            "--experiment",
            "integration",
        ],
        env={"MLFLOW_TRACKING_URI": mlflow_server},
    )
    assert result.exit_code == 0, result.output
    assert "challenger" in result.output
    client = MlflowClient(mlflow_server)
    champion = client.get_model_version_by_alias(MODEL, "champion")
    challenger = client.get_model_version_by_alias(MODEL, "challenger")
    assert champion.version == champion_run.promotion.version
    assert int(challenger.version) > int(champion.version)
    assert "below" in challenger.tags["promotion"]


def test_suggest_lists_the_least_certain_cluster_years(
    champion_run, mlflow_server, simulated_extract, features_file, tmp_path
):
    folder, _ = simulated_extract
    out = tmp_path / "suggest.csv"
    result = CliRunner().invoke(
        app,
        [
            "label",
            str(folder),
            "--suggest",
            "5",
            "--features",
            str(features_file),
            "--out",
            str(out),
        ],
        env={"MLFLOW_TRACKING_URI": mlflow_server},
    )
    assert result.exit_code == 0, result.output
    import pandas as pd

    ranked = pd.read_csv(out)
    assert len(ranked) == 5
    assert ranked["margin"].is_monotonic_increasing
