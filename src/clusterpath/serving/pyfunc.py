"""The served model: an MLflow ``PythonModel`` answering each row as ``clusterpath score`` does.

Everything training learned travels in one joblib *bundle* (the fitted estimator, the
conformal threshold, the classes and feature ids in order, and each feature's training range
for the trust flags), read once into a ``models.path_model.PathModel``; the declared data the
answers are written from travels beside it as a JSON artifact (``serving/answers.py``). The
model is logged "from code" (``served_model.py``) with the clusterpath package as
``code_paths``, so loading needs neither pickled classes by reference nor a clusterpath
install.

Each row's answer is its path, probabilities, prediction set, confidence, trust flag and
SHAP drivers; the request parameter ``explain`` (default true) set to false skips the SHAP
drivers. The model declares no input schema: MLflow would silently drop unknown columns, so
``models/requests.py`` checks each request and refuses a bad one naming the column and rows.

It sits above ``explain`` (it answers with the scoring code), beside ``pipelines``.
"""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path
from typing import Any

import joblib
import mlflow
import pandas as pd

from clusterpath.models.path_model import PathModel
from clusterpath.serving.answers import declarations, read_declarations, served_answers

BUNDLE = "bundle"
DECLARATIONS = "declarations"
EXPLAIN = "explain"
PINNED = ("lightgbm", "scikit-learn", "pandas", "numpy", "mlflow")


class ServedPathModel(mlflow.pyfunc.PythonModel):
    """Serve the bundle: one answer per row (see ``serving.answers.served_answers``)."""

    def load_context(self, context) -> None:
        self.model = PathModel(joblib.load(context.artifacts[BUNDLE]))
        if DECLARATIONS in context.artifacts:
            data = json.loads(Path(context.artifacts[DECLARATIONS]).read_text(encoding="utf-8"))
        else:  # logged before the declarations travelled with the model: the repository's
            data = declarations()
        self.vocab, self.config = read_declarations(data)

    def predict(
        self, context, model_input: pd.DataFrame, params: dict | None = None
    ) -> pd.DataFrame:
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

    data = declarations()
    declarations_path = bundle_path.with_name("declarations.json")
    declarations_path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    X = example.reindex(columns=list(bundle["feature_ids"])).astype("float64").head(3)
    vocab, config = read_declarations(data)
    answers = served_answers(X, PathModel(bundle), vocab, config)
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
