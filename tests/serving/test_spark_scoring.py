"""``clusterpath score --engine spark`` writes what the embedded job writes, row for row.

The same registered model scores the same Parquet extract twice: embedded (DuckDB, pandas)
and on Spark in local mode (the extract read, checked and computed by Spark, the rows scored
in Spark tasks). Every output must be identical but for the time stamp.
"""

from __future__ import annotations

import json
from itertools import pairwise

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clusterpath.pipelines.score import run_score
from clusterpath.spark.scoring import chunk_bounds
from clusterpath.spark.session import SparkOptions
from tests.model_store import tracking_to

pytestmark = pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy")


@given(st.integers(0, 20_000), st.integers(1, 64))
def test_chunks_cover_every_row_once_in_order(rows, parallelism):
    bounds = chunk_bounds(rows, parallelism)
    assert bounds[0][0] == 0 and bounds[-1][1] == rows
    assert all(a[1] == b[0] for a, b in pairwise(bounds))
    assert all(stop > start for start, stop in bounds) or rows == 0
    assert len(bounds) >= min(rows, parallelism)


def _read(folder):
    scores = pd.read_parquet(folder / "scores.parquet").drop(columns="scored_at")
    csv = pd.read_csv(folder / "scores.csv", encoding="utf-8-sig").drop(columns="scored_at")
    document = json.loads((folder / "explanations.json").read_text(encoding="utf-8"))
    document.pop("scored_at")
    return scores, csv, pd.read_parquet(folder / "explanations.parquet"), document


def _assert_close(left: pd.DataFrame, right: pd.DataFrame) -> None:
    """Text and integers equal; floats within 1e-9 relative (the engines sum in different
    orders, so indicators computed by each may differ in the last bits)."""
    pd.testing.assert_frame_equal(left, right, check_exact=False, rtol=1e-9, atol=1e-12)
    for column in left.columns:
        if not pd.api.types.is_float_dtype(left[column]):
            assert left[column].astype(str).equals(right[column].astype(str)), column


@pytest.mark.spark
@pytest.mark.slow
def test_spark_scoring_writes_the_embedded_outputs(
    spark, stored_model, simulated_parquet, tmp_path
):
    """Given the same indicator table, every output is identical, to the bit; computing the
    indicators on Spark too changes only the last bits of the numbers."""
    from clusterpath.pipelines.features import build_features, write_features

    features_file = tmp_path / "features.parquet"
    write_features(build_features(simulated_parquet), features_file)
    uri = stored_model.registered_uri
    with tracking_to(stored_model.tracking_uri):
        run_score(simulated_parquet, uri, tmp_path / "embedded", features_file)
        batch = run_score(
            simulated_parquet, uri, tmp_path / "spark", features_file, spark=SparkOptions()
        )
        run_score(simulated_parquet, uri, tmp_path / "all-spark", spark=SparkOptions())
    embedded, on_spark = _read(tmp_path / "embedded"), _read(tmp_path / "spark")
    assert len(batch.scores) == 16 and batch.explanations["cluster_id"].nunique() > 1
    for left, right in zip(embedded[:3], on_spark[:3], strict=True):
        pd.testing.assert_frame_equal(left, right, check_exact=True)
    assert embedded[3] == on_spark[3]

    all_spark = _read(tmp_path / "all-spark")
    for left, right in zip(embedded[:3], all_spark[:3], strict=True):
        _assert_close(left, right)
