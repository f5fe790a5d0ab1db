"""Score a Spark DataFrame of indicators with the served path model, through ``spark_udf``.

``mlflow.pyfunc.spark_udf`` needs the model's output declared as a Spark struct: with a plain
``"double"`` result type it silently keeps only the first output column. The struct is built
here from the reference path codes, in the order the model writes its columns, so it cannot
drift from the served answer (``serving/answers.py``). Spark is imported only when scoring runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from clusterpath.data.errors import ContractError, Problem
from clusterpath.data.reference import load_reference
from clusterpath.models.path_model import probability_column

PREDICTION = "_clusterpath_prediction"


FLAG_COLUMNS = ("confidence", "flag", "flag_reason")


def output_columns(path_codes: Sequence[str]) -> list[str]:
    """The output columns kept, in order: ``path``, one ``p_<code>`` each, ``prediction_set``,
    then ``confidence``, ``flag`` and ``flag_reason`` (the drivers are not computed here)."""
    codes = [probability_column(code) for code in path_codes]
    return ["path", *codes, "prediction_set", *FLAG_COLUMNS]


def result_type_ddl(path_codes: Sequence[str] | None = None) -> str:
    """Spark DDL of the model's output struct, e.g. ``path STRING, p_upgrade DOUBLE, …``.

    Pass it as ``result_type`` to ``spark_udf`` so all of the output comes back, typed.
    """
    codes = load_reference().path_codes if path_codes is None else tuple(path_codes)
    probabilities = [f"{probability_column(code)} DOUBLE" for code in codes]
    flags = [f"{name} STRING" for name in FLAG_COLUMNS]
    return ", ".join(["path STRING", *probabilities, "prediction_set STRING", *flags])


def model_inputs(metadata) -> list[str]:
    """The indicator columns the model reads: its ``feature_ids`` metadata (models logged
    before it existed declared them as an input schema)."""
    schema = metadata.get_input_schema()
    if schema is not None:
        return schema.input_names()
    return list(metadata.metadata["feature_ids"])


def score_spark(features, model_uri: str, path_codes: Sequence[str] | None = None):
    """``features`` with the model's output columns added (any of the same name replaced);
    the SHAP drivers are switched off (``explain`` false), as a table has no room for them.

    The model's declared inputs are sent as one struct of doubles, so each pandas batch keeps
    its column names (the model's inputs are all optional, which ``spark_udf`` cannot map by
    position) and integer-typed indicators reach the model as the doubles it expects; nulls
    arrive as NaN, as in the local job. Workers load the model in their own Python
    (``env_manager="local"``): point ``PYSPARK_PYTHON`` at an environment with this project's
    requirements. Raises ``ContractError`` naming any model input missing from ``features``.
    """
    import mlflow
    from pyspark.sql import functions as F

    codes = load_reference().path_codes if path_codes is None else tuple(path_codes)
    udf = mlflow.pyfunc.spark_udf(
        features.sparkSession,
        model_uri,
        result_type=result_type_ddl(codes),
        env_manager="local",
        params={"explain": False},
    )
    inputs = model_inputs(udf.metadata)
    missing = [name for name in inputs if name not in features.columns]
    if missing:
        raise ContractError(
            [Problem("features", f"missing indicator columns the model needs: {missing}")]
        )
    batch = F.struct(*(F.col(name).cast("double").alias(name) for name in inputs))
    outputs = output_columns(codes)
    kept = [F.col(name) for name in features.columns if name not in outputs]
    scored = features.withColumn(PREDICTION, udf(batch))
    return scored.select(*kept, *(F.col(f"{PREDICTION}.{name}").alias(name) for name in outputs))
