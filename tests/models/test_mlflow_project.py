"""`mlflow run pipelines -e train` records the same run as `clusterpath train`, in one run.

Both train on the simulated extract with a fast configuration (15 trees, 3 folds, no shift
test) into a throw-away SQLite store, the kind `clusterpath train` uses by default. The
project's run must be the one `mlflow run` opened (no second run), sit in the `clusterpath`
experiment, carry the same artefacts, metrics and model card, and register a model version.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import mlflow
import pytest
from mlflow.tracking import MlflowClient
from typer.testing import CliRunner

from clusterpath.cli import EXIT_BAD_INPUT, app
from clusterpath.resources import checkout_root
from tests.model_store import new_sqlite_store, tracking_to
from tests.models.conftest import write_config
from tests.processes import VENV_BIN

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy"),
]

EXPERIMENT = "clusterpath"
MODEL = "clusterpath"


def artifact_paths(client: MlflowClient, run_id: str, folder: str | None = None) -> list[str]:
    """Every artefact file of a run, as paths inside the run."""
    found = []
    for item in client.list_artifacts(run_id, folder):
        found += artifact_paths(client, run_id, item.path) if item.is_dir else [item.path]
    return sorted(found)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> str:
    return new_sqlite_store(tmp_path_factory.mktemp("project-store"))


@pytest.fixture(scope="module")
def fast_training(simulated_extract, tmp_path_factory):
    """The extract, its indicator table and a configuration that trains in seconds."""
    folder, features = simulated_extract
    scratch = tmp_path_factory.mktemp("project-inputs")
    features.to_parquet(scratch / "features.parquet")
    config = write_config(
        scratch,
        evaluation={"cv_folds": 3, "shift_min_clusters": 10_000},
        n_estimators=15,
        early_stopping_rounds=None,
    )
    return folder, scratch / "features.parquet", config


@pytest.fixture(scope="module")
def runs(store, fast_training):
    """(the `clusterpath train` run, the `mlflow run` run, the project's output)."""
    folder, features, config = fast_training
    cli = CliRunner().invoke(
        app,
        [
            "train",
            str(folder),
            "--features",
            str(features),
            "--config",
            str(config),
            "--register",
        ],
        env={"MLFLOW_TRACKING_URI": store},
    )
    assert cli.exit_code == 0, cli.output
    env = {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
        "MLFLOW_TRACKING_URI": store,
    }
    for left_by_this_process in (
        "MLFLOW_RUN_ID",
        "MLFLOW_EXPERIMENT_ID",
        "MLFLOW_EXPERIMENT_NAME",
    ):
        env.pop(left_by_this_process, None)  # mlflow.set_experiment exports the experiment id
    project = subprocess.run(
        [
            str(VENV_BIN / "mlflow"),
            "run",
            str(checkout_root() / "pipelines"),
            "-e",
            "train",
            "-P",
            f"data={folder}",
            "-P",
            f"features={features}",
            "-P",
            f"config={config}",
            "--env-manager",
            "local",
            "--experiment-name",
            EXPERIMENT,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert project.returncode == 0, project.stderr[-3000:]
    client = MlflowClient(store)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    found = client.search_runs([experiment.experiment_id], order_by=["attributes.start_time"])
    mlflow.set_tracking_uri(None)
    return found, project.stdout + project.stderr


def test_the_project_run_is_the_one_mlflow_run_opened_in_the_clusterpath_experiment(runs):
    found, output = runs
    assert len(found) == 2  # one by the command, one by the project: no second project run
    cli_run, project_run = found
    assert "mlflow.project.entryPoint" not in cli_run.data.tags
    assert project_run.data.tags["mlflow.project.entryPoint"] == "train"
    assert project_run.data.tags["mlflow.source.type"] == "PROJECT"
    assert f"Run (ID '{project_run.info.run_id}') succeeded" in output
    assert project_run.info.status == "FINISHED"


def test_both_runs_keep_their_artifacts_beside_the_store(runs, store):
    beside = (Path(store.removeprefix("sqlite:///")).parent / "artifacts").as_uri()
    for run in runs[0]:
        assert run.info.artifact_uri.startswith(f"{beside}/clusterpath/"), run.info.artifact_uri


def test_the_project_run_records_what_clusterpath_train_records(runs, store):
    (cli_run, project_run), _ = runs
    client = MlflowClient(store)
    cli_files = artifact_paths(client, cli_run.info.run_id)
    assert "model_card.md" in cli_files and "evaluation/comparison.csv" in cli_files
    assert artifact_paths(client, project_run.info.run_id) == cli_files
    assert set(project_run.data.metrics) == set(cli_run.data.metrics)
    # Same extract, configuration and seed: the same model, graded the same.
    for name in ("holdout_macro_f1", "cv_macro_f1", "n_estimators_used"):
        assert project_run.data.metrics[name] == pytest.approx(cli_run.data.metrics[name])
    for tag in ("extract_fingerprint", "catalogue_version", "git_commit"):
        assert project_run.data.tags[tag] == cli_run.data.tags[tag]
    card = client.download_artifacts(project_run.info.run_id, "model_card.md")
    with open(card, encoding="utf-8") as fh:
        text = fh.read()
    assert f"MLflow run `{project_run.info.run_id}`" in text
    assert cli_run.data.tags["extract_fingerprint"] in text


def test_the_project_run_registers_a_model_version(runs, store):
    (cli_run, project_run), _ = runs
    client = MlflowClient(store)
    versions = {str(v.version): v for v in client.search_model_versions(f"name = '{MODEL}'")}
    assert sorted(versions) == ["1", "2"]
    assert versions["1"].run_id == cli_run.info.run_id
    assert versions["2"].run_id == project_run.info.run_id
    assert project_run.data.tags["registered_version"] == "2"
    assert versions["2"].tags["promotion"]
    assert str(client.get_model_version_by_alias(MODEL, "champion").version) == "1"


def test_a_project_run_in_another_experiment_is_refused_before_training(
    store, fast_training, monkeypatch
):
    folder, features, config = fast_training
    with tracking_to(store):
        other = mlflow.create_experiment("elsewhere")
        run_id = MlflowClient().create_run(other).info.run_id
    monkeypatch.setenv("MLFLOW_RUN_ID", run_id)
    result = CliRunner().invoke(
        app,
        ["train", str(folder), "--features", str(features), "--config", str(config)],
        env={"MLFLOW_TRACKING_URI": store},
    )
    assert result.exit_code == EXIT_BAD_INPUT
    assert "in experiment 'elsewhere'" in result.output
    assert "--experiment-name clusterpath" in result.output
    assert MlflowClient(store).get_run(run_id).data.metrics == {}
