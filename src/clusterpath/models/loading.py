"""Load a served path model through MLflow, with where it came from and what it expects.

Scoring needs more than ``predict``: the fitted path model (for exact SHAP, the what-if
search and the trust flags) and the registry facts (name, version, run id) stamped on every
output row. All of it is read from the model MLflow returns.
"""

from __future__ import annotations

import re

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from clusterpath.data.errors import ContractError, Problem
from clusterpath.models.path_model import ModelIdentity, PathModel


class ModelUnavailable(Exception):
    """The model URI names nothing that can be loaded (no such model, version or alias)."""


REGISTERED = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/]+)|/(?P<version>\d+))$")


def _unreachable(exc: BaseException) -> bool:
    """A failure to reach the tracking server (left to the caller's retry/exit-3 handling)."""
    text = str(exc)
    return "API request to" in text or "Connection" in type(exc).__name__


def _registry_facts(uri: str) -> tuple[str, str, str | None]:
    """(name, version, run id) of a ``models:/name@alias`` or ``models:/name/N`` URI."""
    match = REGISTERED.match(uri)
    if not match:
        return "", "", None
    client = MlflowClient()
    if match["alias"]:
        mv = client.get_model_version_by_alias(match["name"], match["alias"])
    else:
        mv = client.get_model_version(match["name"], match["version"])
    return match["name"], str(mv.version), mv.run_id


def load_path_model(uri: str) -> PathModel:
    """Load the pyfunc at ``uri``: the path model it serves, known by its registry facts."""
    try:
        name, version, run_id = _registry_facts(uri)
        pyfunc = mlflow.pyfunc.load_model(uri)
    except (MlflowException, OSError) as exc:
        if _unreachable(exc):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelUnavailable(f"cannot load model {uri}: {first}") from None
    model = getattr(pyfunc.unwrap_python_model(), "model", None)
    if not isinstance(model, PathModel):
        raise ContractError([Problem(uri, "is not a clusterpath path model")])
    run_id = run_id or pyfunc.metadata.run_id or ""
    identity = ModelIdentity(uri, name or uri, version, run_id, run_metrics(run_id))
    return model.identified(identity)


def run_metrics(run_id: str) -> dict[str, float]:
    """The training run's metrics (evaluation figures quoted in reports); {} if none."""
    if not run_id:
        return {}
    try:
        return dict(sorted(MlflowClient().get_run(run_id).data.metrics.items()))
    except MlflowException:
        return {}


def check_catalogue(model: PathModel, catalogue_ids: tuple[str, ...], version: str) -> None:
    """Refuse a model whose indicators differ from the current catalogue, naming them."""
    expected, have = set(model.feature_ids), set(catalogue_ids)
    if expected == have:
        return
    only_model = sorted(expected - have)
    only_catalogue = sorted(have - expected)
    raise ContractError(
        [
            Problem(
                model.identity.uri,
                f"model was trained on catalogue {model.catalogue_version or '?'}, "
                f"this is {version}: features only in the model {only_model}, "
                f"only in the catalogue {only_catalogue}",
            )
        ]
    )


def run_artifact_frame(uri: str, artifact: str):
    """A CSV artifact of the training run behind a registered model URI, or None when the run
    did not log it (e.g. the gallery's leave-one-out answers of a run without the gallery)."""
    import pandas as pd

    _, _, run_id = _registry_facts(uri)
    if not run_id:
        return None
    try:
        path = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=artifact)
    except (MlflowException, OSError):
        return None
    return pd.read_csv(path, dtype={"cluster_id": str}, keep_default_na=False)
