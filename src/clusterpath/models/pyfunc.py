"""The served model: an MLflow ``PythonModel`` answering each row as ``clusterpath score`` does.

Everything training learned travels in one joblib *bundle* (the fitted estimator, the
conformal threshold, the classes and feature ids in order, and each feature's training range
for the trust flags); the declared data the answers are written from travels beside it as a
JSON artifact (``explain/served.py``). The model is logged "from code" (``served_model.py``)
with the clusterpath package as ``code_paths``, so loading needs neither pickled classes by
reference nor a clusterpath install.

Each row's answer is its path, probabilities, prediction set, confidence, trust flag and
SHAP drivers; the request parameter ``explain`` (default true) set to false skips the SHAP
drivers. The model declares no input schema: MLflow would silently drop unknown columns, so
``models/requests.py`` checks each request and refuses a bad one naming the column and rows.

This module must stay light to import where the model is served: numpy, pandas, joblib,
mlflow and the conformal helpers; the scoring code is imported when the model is loaded.
"""

from __future__ import annotations

import importlib.metadata
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import joblib
import mlflow
import numpy as np
import pandas as pd

from clusterpath.models.conformal import format_sets, ordered_probabilities, set_membership

BUNDLE = "bundle"
DECLARATIONS = "declarations"
EXPLAIN = "explain"
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
    X = model_input.reindex(columns=list(bundle["feature_ids"])).astype("float64")
    estimator = bundle["estimator"]
    raw = np.asarray(estimator.predict_proba(X), dtype=float)
    return answer_frame(bundle, ordered_probabilities(raw, estimator.classes_, bundle["classes"]))


def answer_frame(bundle: dict[str, Any], proba: np.ndarray) -> pd.DataFrame:
    """Path, probability columns and conformal set of probabilities in the bundle's path order."""
    classes: list[str] = list(bundle["classes"])
    conformal = bundle["conformal"]
    member = set_membership(proba, float(conformal["threshold"]), conformal["method"])
    out = pd.DataFrame({"path": np.asarray(classes, dtype=object)[np.argmax(proba, axis=1)]})
    for i, code in enumerate(classes):
        out[probability_column(code)] = proba[:, i]
    out["prediction_set"] = format_sets(member, classes)
    return out


class PathModel(mlflow.pyfunc.PythonModel):
    """Serve the bundle: one answer per row (see ``explain.served.served_answers``)."""

    def load_context(self, context) -> None:
        from clusterpath.explain.served import declarations, read_declarations
        from clusterpath.models.loading import LoadedModel

        self.bundle = joblib.load(context.artifacts[BUNDLE])
        self.model = LoadedModel.of_bundle(self.bundle)
        if DECLARATIONS in context.artifacts:
            data = json.loads(Path(context.artifacts[DECLARATIONS]).read_text(encoding="utf-8"))
        else:  # logged before the declarations travelled with the model: the repository's
            data = declarations()
        self.vocab, self.config = read_declarations(data)

    def predict(
        self, context, model_input: pd.DataFrame, params: dict | None = None
    ) -> pd.DataFrame:
        from clusterpath.explain.served import served_answers
        from clusterpath.models.requests import request_frame

        X = request_frame(model_input, self.model.feature_ids)
        explain = bool((params or {}).get(EXPLAIN, True))
        return served_answers(X, self.model, self.vocab, self.config, explain)


def save_bundle(bundle: dict[str, Any], path: Path) -> Path:
    joblib.dump(bundle, path)
    return path


def model_signature(example_answers: pd.DataFrame):
    """Outputs inferred from example answers, the ``explain`` switch, and no input schema.

    Without an input schema MLflow hands the request to ``predict`` as sent, so unknown
    columns and non-numeric values are refused by name (``models/requests.py``) instead of
    being dropped or failing deep in LightGBM; the indicators are listed in the model's
    ``feature_ids`` metadata and its input example.
    """
    from mlflow.models import ModelSignature, infer_signature
    from mlflow.types import ParamSchema, ParamSpec

    outputs = infer_signature(model_output=example_answers).outputs
    params = ParamSchema([ParamSpec(EXPLAIN, "boolean", True)])
    return ModelSignature(inputs=None, outputs=outputs, params=params)


def pinned_requirements() -> list[str]:
    """The serving requirements at the versions installed here."""
    return [f"{name}=={importlib.metadata.version(name)}" for name in PINNED]


def log_path_model(bundle: dict[str, Any], bundle_path: Path, example: pd.DataFrame):
    """Log the served model to the active run; returns MLflow's ``ModelInfo``.

    The declarations are written beside the bundle and logged with it.
    """
    import clusterpath
    from clusterpath.explain.served import declarations, read_declarations, served_answers
    from clusterpath.models.loading import LoadedModel

    data = declarations()
    declarations_path = bundle_path.with_name("declarations.json")
    declarations_path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    X = example.reindex(columns=list(bundle["feature_ids"])).astype("float64").head(3)
    vocab, config = read_declarations(data)
    answers = served_answers(X, LoadedModel.of_bundle(bundle), vocab, config)
    return mlflow.pyfunc.log_model(
        name="model",
        python_model=str(Path(__file__).with_name("served_model.py")),
        artifacts={BUNDLE: str(bundle_path), DECLARATIONS: str(declarations_path)},
        code_paths=[str(Path(clusterpath.__file__).parent)],
        signature=model_signature(answers),
        input_example=X,
        pip_requirements=pinned_requirements(),
        metadata={"feature_ids": list(bundle["feature_ids"])},
    )
