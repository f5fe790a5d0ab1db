"""Scoring on Spark: ``spark_udf`` over a Spark DataFrame agrees with the model loaded locally.

The registered model is scored through ``score_spark`` (``mlflow.pyfunc.spark_udf`` with the
struct result type, local env manager) on rows whose gaps are Spark nulls in some places and
NaN in others, with one indicator held as an integer column, as a Spark job may produce them.
"""

from __future__ import annotations

import math

import pytest

from clusterpath.data.errors import ContractError
from clusterpath.data.reference import load_reference
from clusterpath.features.catalogue import load_catalogue
from clusterpath.models.spark_scoring import output_columns, result_type_ddl, score_spark
from tests.model_store import assert_same_predictions, tracking_to

pytestmark = pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy")

COUNT = "n_research_bodies"


def test_result_type_names_every_output_column_in_order():
    assert result_type_ddl(["a", "b"]) == (
        "path STRING, p_a DOUBLE, p_b DOUBLE, prediction_set STRING, "
        "confidence STRING, flag STRING, flag_reason STRING"
    )
    assert output_columns(["a", "b"]) == [
        "path",
        "p_a",
        "p_b",
        "prediction_set",
        "confidence",
        "flag",
        "flag_reason",
    ]


def test_result_type_defaults_to_the_reference_paths():
    codes = load_reference().path_codes
    assert result_type_ddl() == result_type_ddl(codes)
    assert result_type_ddl().count("DOUBLE") == len(codes) == 5


def _spark_frame(spark, frame):
    """Gaps become null in even rows and NaN in odd ones; the count column is a BIGINT."""
    from pyspark.sql.types import DoubleType, LongType, StringType, StructField, StructType

    ids = list(load_catalogue().ids)
    schema = StructType(
        [
            StructField("cluster_id", StringType()),
            StructField("year", LongType()),
            *(StructField(i, LongType() if i == COUNT else DoubleType()) for i in ids),
        ]
    )
    rows = []
    for position, record in enumerate(frame.to_dict("records")):
        values = []
        for i in ids:
            value = record[i]
            if math.isnan(value):
                values.append(None if position % 2 == 0 or i == COUNT else math.nan)
            else:
                values.append(int(value) if i == COUNT else float(value))
        rows.append((record["cluster_id"], int(record["year"]), *values))
    return spark.createDataFrame(rows, schema).coalesce(1)  # one Python worker on 2 cores


@pytest.mark.spark
@pytest.mark.slow
def test_spark_udf_scores_like_the_local_model(
    spark, stored_model, gappy_features, local_predictions
):
    from pyspark.sql import functions as F

    codes = load_reference().path_codes
    ids = list(load_catalogue().ids)
    features = _spark_frame(spark, gappy_features)
    gaps = features.select(
        sum(F.sum(F.col(i).isNull().cast("int")) for i in ids).alias("nulls"),
        sum(F.sum(F.isnan(i).cast("int")) for i in ids if i != COUNT).alias("nans"),
    ).first()
    assert gaps["nulls"] > 0 and gaps["nans"] > 0  # both kinds of gap reach the model

    with tracking_to(stored_model.tracking_uri):
        scored = score_spark(features, stored_model.registered_uri)
        got = scored.toPandas()

    types = dict(scored.dtypes)
    assert list(scored.columns) == [*features.columns, *output_columns(codes)]
    assert types["path"] == types["prediction_set"] == "string"
    assert {types[f"p_{c}"] for c in codes} == {"double"}
    assert list(got["cluster_id"]) == list(gappy_features["cluster_id"])
    assert_same_predictions(got, local_predictions, codes)
    for column in ("confidence", "flag", "flag_reason"):
        assert list(got[column]) == list(local_predictions[column])
    assert "insufficient_data" in set(got["flag"])  # the row without indicators


@pytest.mark.spark
@pytest.mark.slow
def test_missing_indicator_columns_are_named(spark, stored_model, gappy_features):
    features = _spark_frame(spark, gappy_features).drop("rd_intensity", "entry_rate")
    with tracking_to(stored_model.tracking_uri), pytest.raises(ContractError) as caught:
        score_spark(features, stored_model.registered_uri)
    assert "rd_intensity" in str(caught.value) and "entry_rate" in str(caught.value)
