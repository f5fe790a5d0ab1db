"""MLflow at the edges: where runs go, what a training run records, and champion promotion.

Nothing is configured at import. ``use_tracking`` is called by the command that needs it:
it honours ``MLFLOW_TRACKING_URI`` and otherwise uses a SQLite store under the repository's
``mlruns/`` (MLflow 3's file store is deprecated) with artifacts in ``mlruns/artifacts``.
Under ``mlflow run`` (``pipelines/MLproject``) the run that command opened is the one used.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from mlflow.entities import Metric
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from clusterpath.models.evaluation import Evaluation, macro_f1
from clusterpath.resources import checkout_root

CHAMPION = "champion"
CHALLENGER = "challenger"
GALLERY_FINGERPRINT = "gallery_fingerprint"  # run tag: which gallery extract graded the run


class ProjectRunElsewhere(ValueError):
    """``mlflow run`` opened its run in another experiment than the one asked for."""


def project_root() -> Path:
    """The repository root when running from a checkout, else the working directory."""
    return checkout_root() or Path.cwd()


def default_tracking_uri() -> str:
    """``sqlite:///<repo>/mlruns/mlflow.db``: the store used when nothing else is named."""
    return f"sqlite:///{project_root() / 'mlruns' / 'mlflow.db'}"


def resolve_tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI`` if set, else the default store."""
    return os.environ.get("MLFLOW_TRACKING_URI") or default_tracking_uri()


def local_artifact_root(uri: str) -> Path | None:
    """``artifacts/`` beside a local SQLite store's file; None for a server or other store."""
    if not uri.startswith("sqlite:///"):
        return None
    return Path(uri.removeprefix("sqlite:///")).resolve().parent / "artifacts"


def use_tracking_uri(tracking_uri: str | None = None) -> str:
    """Point MLflow at the store (no experiment needed: for jobs that only load models)."""
    uri = tracking_uri or resolve_tracking_uri()
    mlflow.set_tracking_uri(uri)
    return uri


def use_tracking(experiment: str, tracking_uri: str | None = None) -> str:
    """Point MLflow at the store and experiment (created if missing); return the experiment id.

    A new experiment on a local SQLite store keeps its artifacts beside the database (for the
    default store, ``mlruns/artifacts``), not in MLflow's default ``./mlruns`` of whatever
    folder the command runs in; on a tracking server the server decides where artifacts go.
    Under ``mlflow run`` the project's run must already be in ``experiment``.
    """
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    uri = tracking_uri or resolve_tracking_uri()
    artifacts = local_artifact_root(uri)
    if artifacts is not None:
        artifacts.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    if os.environ.get("MLFLOW_RUN_ID"):
        experiment_id = project_experiment(os.environ["MLFLOW_RUN_ID"], experiment, uri)
        mlflow.set_experiment(experiment_id=experiment_id)
        return experiment_id
    found = mlflow.get_experiment_by_name(experiment)
    if found is not None:
        experiment_id = found.experiment_id
    else:
        location = None if artifacts is None else (artifacts / experiment).as_uri()
        experiment_id = mlflow.create_experiment(experiment, artifact_location=location)
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


def project_experiment(run_id: str, experiment: str, tracking_uri: str) -> str:
    """The id of the experiment holding the run ``mlflow run`` opened; it must be ``experiment``.

    ``mlflow.start_run()`` then resumes that run (it reads ``MLFLOW_RUN_ID``) instead of
    opening a second one, so a project run records exactly what ``clusterpath train`` does.
    """
    client = MlflowClient(tracking_uri)
    found = client.get_experiment(client.get_run(run_id).info.experiment_id)
    if found.name != experiment:
        store = default_tracking_uri()
        elsewhere = "" if tracking_uri == store else f" and MLFLOW_TRACKING_URI={store}"
        raise ProjectRunElsewhere(
            f"mlflow run opened run {run_id} in experiment {found.name!r} of {tracking_uri}, "
            f"but this command logs to {experiment!r}: run it with --experiment-name "
            f"{experiment}{elsewhere}"
        )
    return found.experiment_id


def check_project_run(experiment: str, tracking_uri: str | None = None) -> None:
    """Under ``mlflow run``, fail before any work if its run is in another experiment."""
    run_id = os.environ.get("MLFLOW_RUN_ID")
    if run_id:
        project_experiment(run_id, experiment, tracking_uri or resolve_tracking_uri())


def git_commit(folder: Path | None = None) -> str:
    """``git rev-parse HEAD`` of the checkout, or ``unknown``."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=folder or project_root(),
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def evaluation_metrics(evaluation: Evaluation, prefix: str) -> dict[str, float]:
    """Finite scalar metrics of one evaluation, named ``<prefix><metric>``."""
    return {
        f"{prefix}{k}": float(v)
        for k, v in evaluation.metrics.items()
        if v is not None and np.isfinite(v)
    }


def log_frame(frame: pd.DataFrame, artifact_file: str, index: bool = False) -> None:
    mlflow.log_text(frame.to_csv(index=index), artifact_file)


def log_json(obj: object, artifact_file: str) -> None:
    mlflow.log_text(json.dumps(obj, indent=2, ensure_ascii=False, default=float), artifact_file)


def log_figure(figure, stem: str) -> None:
    """Log a matplotlib figure as both PNG and SVG."""
    for suffix in ("png", "svg"):
        mlflow.log_figure(figure, f"plots/{stem}.{suffix}")


def log_files(paths: Sequence[Path], artifact_path: str) -> None:
    for path in paths:
        mlflow.log_artifact(str(path), artifact_path=artifact_path)


@dataclass(frozen=True)
class Promotion:
    """What ``register_and_promote`` did and why."""

    name: str
    version: str
    alias: str
    score: float
    champion_version: str | None
    champion_score: float | None
    reason: str


def champion_score(
    name: str, X: pd.DataFrame, y: Sequence[str], classes: Sequence[str], client: MlflowClient
) -> tuple[str | None, float | None, str | None]:
    """(version, holdout macro-F1, problem) of the current champion on the given rows.

    The champion's path model answers as the candidate's was graded (``PathModel.answer``):
    the served answer leaves the path blank for clusters too small to score, which would
    count against the champion on rows the candidate was graded on.
    """
    try:
        current = client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return None, None, None
    try:
        model = mlflow.pyfunc.load_model(f"models:/{name}@{CHAMPION}")
        predicted = model.unwrap_python_model().model.answer(X)["path"]
        predicted = predicted.astype(str).to_numpy()
    except Exception as exc:  # any failure means the champion cannot be judged here
        return str(current.version), None, f"{type(exc).__name__}: {exc}"
    return str(current.version), macro_f1(np.asarray(y, dtype=object), predicted, classes), None


def _champion_run(name: str, client: MlflowClient):
    """The champion's training run (None without a champion or a run to read)."""
    try:
        current = client.get_model_version_by_alias(name, CHAMPION)
        return client.get_run(current.run_id) if current.run_id else None
    except MlflowException:
        return None


def graded_elsewhere(run, fingerprint: str | None) -> bool:
    """Whether the champion's training ``run`` graded the gallery on another extract than
    ``fingerprint`` (the candidate's): a corrected gallery makes the logged agreements
    incomparable. A run that recorded no gallery, or none at all, counts as another; no
    ``fingerprint`` asks nothing (False)."""
    if not fingerprint:
        return False
    return (None if run is None else run.data.tags.get(GALLERY_FINGERPRINT)) != fingerprint


def gallery_shortfall(
    logged: Mapping[str, float], scores: Mapping[str, float] | None
) -> str | None:
    """Why the candidate's expert agreement is below the champion's (``logged``: the metrics
    of its training run), or None if it is not.

    A champion whose run logged no such metric cannot be compared and does not block; a
    candidate without gallery grades is below a champion that has them.
    """
    for metric in ("gallery_agreement_clear", "gallery_agreement_all"):
        if metric not in logged:
            continue
        mine = None if scores is None else scores.get(metric)
        if mine is None or mine < logged[metric]:
            shown = "none" if mine is None else f"{mine:.4f}"
            return f"{metric} {shown} is below {logged[metric]:.4f}"
    return None


def register_and_promote(
    model_uri: str,
    name: str,
    X_holdout: pd.DataFrame,
    y_holdout: Sequence[str],
    score: float,
    classes: Sequence[str],
    tags: Mapping[str, str] | None = None,
    shift_score: float | None = None,
    gallery_scores: Mapping[str, float] | None = None,
    gallery_fingerprint: str | None = None,
) -> Promotion:
    """Register the model; it becomes ``champion`` only if it strictly beats the champion.

    The champion is loaded from ``models:/<name>@champion`` and scored on the *same* held-out
    rows as the new model. A tie, a worse score, or a champion that cannot be scored leaves
    the champion in place and makes the new version ``challenger``; so does a shift-test
    macro-F1 (``shift_score``) below the one logged by the champion's training run, and an
    agreement with the expert readings (``gallery_scores``: metric name -> value, graded
    leave one cluster out) below the champion's logged one, when both were graded on the same
    gallery (``gallery_fingerprint``; the reason says when they were not).
    """
    client = MlflowClient()
    old_version, old_score, problem = champion_score(name, X_holdout, y_holdout, classes, client)
    run = _champion_run(name, client) if old_version is not None else None
    logged = {} if run is None else dict(run.data.metrics)
    old_shift = logged.get("shift_macro_f1")
    elsewhere = (
        old_version is not None
        and gallery_scores is not None
        and graded_elsewhere(run, gallery_fingerprint)
    )
    worse_gallery = None if elsewhere else gallery_shortfall(logged, gallery_scores)
    version = str(mlflow.register_model(model_uri, name).version)
    if old_version is None:
        alias, reason = CHAMPION, "no champion yet"
    elif problem is not None:
        alias = CHALLENGER
        reason = (
            f"champion v{old_version} could not be scored on this holdout ({problem}); "
            "set the alias by hand if the new model should replace it"
        )
    elif old_shift is not None and (shift_score is None or shift_score < old_shift):
        alias = CHALLENGER
        shown = "none" if shift_score is None else f"{shift_score:.4f}"
        reason = (
            f"shift-test macro-F1 {shown} is below champion v{old_version}'s {old_shift:.4f}: "
            "worse on worlds it did not train on"
        )
    elif worse_gallery is not None:
        alias = CHALLENGER
        reason = f"{worse_gallery} than champion v{old_version}'s: worse on real clusters"
    elif score > old_score:
        alias = CHAMPION
        reason = f"held-out macro-F1 {score:.4f} > champion v{old_version} {old_score:.4f}"
    else:
        alias = CHALLENGER
        verdict = "ties" if score == old_score else "is below"
        reason = (
            f"held-out macro-F1 {score:.4f} {verdict} champion v{old_version} "
            f"{old_score:.4f} on the same held-out clusters"
        )
    if elsewhere:
        reason += (
            f"; gallery agreement not compared: champion v{old_version} was graded on "
            "another gallery"
        )
    client.set_registered_model_alias(name, alias, version)
    for key, value in {**(tags or {}), "promotion": reason}.items():
        client.set_model_version_tag(name, version, key, str(value))
    return Promotion(name, version, alias, score, old_version, old_score, reason)


def scratch_dir() -> tempfile.TemporaryDirectory:
    """A temporary folder for files that are logged and then dropped."""
    return tempfile.TemporaryDirectory(prefix="clusterpath-train-")


MONITORING_EXPERIMENT = "clusterpath-monitoring"


def monitoring_metrics(doc: Mapping) -> dict[str, float]:
    """The figures of a monitoring document that line up across batches in the UI."""
    metrics = {
        key: doc[key]
        for key in ("estimated_accuracy", "estimated_macro_f1", "rows")
        if doc.get(key) is not None
    }
    for key in ("estimated_accuracy_interval", "estimated_macro_f1_interval"):
        if doc.get(key):
            metrics[f"{key}_low"], metrics[f"{key}_high"] = doc[key]
    drift = doc["drift"]
    if drift.get("indicators") is not None:
        metrics["drifted_indicators"] = len(drift["drifted"])
        metrics["drifted_share"] = drift["drifted_share"]
    for flag, shares in doc["flags"].items():
        metrics[f"{flag}_share"] = shares["share"]
    for key, value in doc.get("actual", {}).items():
        if isinstance(value, int | float):
            metrics[f"actual_{key}"] = value
    return {k: float(v) for k, v in metrics.items()}


def log_monitoring(doc: Mapping, figure, tags: Mapping[str, str]) -> str:
    """Log one scored batch as a run of the monitoring experiment (its metrics, the document
    and the drift plot), tagged so that successive batches line up; returns the run id.

    Uses the client alone, so an active run of the caller (``mlflow run``) is left alone.
    """
    client = MlflowClient()
    found = client.get_experiment_by_name(MONITORING_EXPERIMENT)
    if found is not None:
        experiment_id = found.experiment_id
    else:
        artifacts = local_artifact_root(mlflow.get_tracking_uri())
        location = None if artifacts is None else (artifacts / MONITORING_EXPERIMENT).as_uri()
        experiment_id = client.create_experiment(MONITORING_EXPERIMENT, location)
    run = client.create_run(experiment_id, tags=dict(tags), run_name="score")
    run_id = run.info.run_id
    now = int(time.time() * 1000)
    metrics = [Metric(k, v, now, 0) for k, v in monitoring_metrics(doc).items()]
    client.log_batch(run_id, metrics=metrics)
    client.log_dict(run_id, dict(doc), "monitoring.json")
    if figure is not None:
        client.log_figure(run_id, figure, "plots/drift.png")
    client.set_terminated(run_id)
    return run_id
