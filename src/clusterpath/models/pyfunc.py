"""The served model: an MLflow ``PythonModel`` returning the path, its probabilities and a set.

Everything training learned travels in one joblib *bundle* (the fitted estimator, the
conformal threshold, the classes and feature ids in order, and each feature's training range
for later trust flags). The model is logged "from code" (``served_model.py``) with the
clusterpath package as ``code_paths``, so loading needs neither pickled classes by reference
nor a clusterpath install.

This module must stay light to import where the model is served: numpy, pandas, joblib,
mlflow and the conformal helpers only.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import joblib
import mlflow
import numpy as np
import pandas as pd

from clusterpath.models.conformal import format_sets, set_membership

BUNDLE = "bundle"
QUANTILES = (0.01, 0.05, 0.5, 0.95, 0.99)
PINNED = ("lightgbm", "scikit-learn", "pandas", "numpy", "mlflow")


def feature_ranges(X: pd.DataFrame, feature_ids: Sequence[str]) -> dict[str, dict[str, float]]:
    """Per feature: min, max, quantiles and missing share over the training rows."""
    out: dict[str, dict[str, float]] = {}
    for fid in feature_ids:
        values = pd.to_numeric(X[fid], errors="coerce")
        present = values.dropna()
        entry = {"missing_share": float(values.isna().mean()) if len(values) else 0.0}
        if len(present):
            entry["min"] = float(present.min())
            entry["max"] = float(present.max())
            for q in QUANTILES:
                entry[f"q{round(q * 100):02d}"] = float(present.quantile(q))
        out[fid] = entry
    return out


def probability_column(code: str) -> str:
    return f"p_{code}"


def predict_frame(bundle: dict[str, Any], model_input: pd.DataFrame) -> pd.DataFrame:
    """Path, one probability column per path (reference order), and the conformal set."""
    classes: list[str] = list(bundle["classes"])
    X = model_input.reindex(columns=list(bundle["feature_ids"])).astype("float64")
    estimator = bundle["estimator"]
    raw = np.asarray(estimator.predict_proba(X), dtype=float)
    proba = np.zeros((len(X), len(classes)))
    position = {c: i for i, c in enumerate(classes)}
    for j, c in enumerate(estimator.classes_):
        proba[:, position[str(c)]] = raw[:, j]
    conformal = bundle["conformal"]
    member = set_membership(proba, float(conformal["threshold"]), conformal["method"])
    out = pd.DataFrame({"path": np.asarray(classes, dtype=object)[np.argmax(proba, axis=1)]})
    for i, code in enumerate(classes):
        out[probability_column(code)] = proba[:, i]
    out["prediction_set"] = format_sets(member, classes)
    return out


class PathModel(mlflow.pyfunc.PythonModel):
    """Serve the bundle: ``predict`` returns path, p_<path> columns and ``prediction_set``."""

    def load_context(self, context) -> None:
        self.bundle = joblib.load(context.artifacts[BUNDLE])

    def predict(
        self, context, model_input: pd.DataFrame, params: dict | None = None
    ) -> pd.DataFrame:
        return predict_frame(self.bundle, model_input)


def save_bundle(bundle: dict[str, Any], path: Path) -> Path:
    joblib.dump(bundle, path)
    return path


def model_signature(bundle: dict[str, Any], X: pd.DataFrame):
    """Inferred from an example, except that every indicator input is optional.

    An indicator can be undefined (NaN) for any cluster-year, and LightGBM handles that, so
    no input column may be declared required just because training happened to fill it.
    """
    from mlflow.models import ModelSignature, infer_signature
    from mlflow.types import ColSpec, Schema

    inferred = infer_signature(X, predict_frame(bundle, X))
    inputs = Schema([ColSpec("double", fid, required=False) for fid in bundle["feature_ids"]])
    return ModelSignature(inputs=inputs, outputs=inferred.outputs)


def pinned_requirements() -> list[str]:
    """The serving requirements at the versions installed here."""
    return [f"{name}=={importlib.metadata.version(name)}" for name in PINNED]


def log_path_model(bundle: dict[str, Any], bundle_path: Path, example: pd.DataFrame):
    """Log the served model to the active run; returns MLflow's ``ModelInfo``."""
    import clusterpath

    X = example.reindex(columns=list(bundle["feature_ids"])).astype("float64")
    return mlflow.pyfunc.log_model(
        name="model",
        python_model=str(Path(__file__).with_name("served_model.py")),
        artifacts={BUNDLE: str(bundle_path)},
        code_paths=[str(Path(clusterpath.__file__).parent)],
        signature=model_signature(bundle, X),
        input_example=X.head(3),
        pip_requirements=pinned_requirements(),
    )
