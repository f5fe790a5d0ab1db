"""DuckDB and Spark run the same SQL definitions and must agree to 1e-9 relative.

Spark reads the extract's files itself (CSV here, Parquet in the simulated case) and checks
them in Spark SQL; the embedded job reads the same folder its own way.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clusterpath.features.catalogue import load_catalogue
from clusterpath.pipelines.features import build_features
from tests.conftest import TINY
from tests.features.test_spark_plans import row_by_row

pytestmark = pytest.mark.spark


def _both(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    return build_features(folder), build_features(folder, engine="spark")


def assert_same_indicators(left: pd.DataFrame, right: pd.DataFrame) -> None:
    ids = list(load_catalogue().ids)
    assert list(left.columns) == list(right.columns)
    assert left[["cluster_id", "year"]].equals(right[["cluster_id", "year"]])
    a, b = left[ids].to_numpy(float), right[ids].to_numpy(float)
    assert (np.isnan(a) == np.isnan(b)).all()
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True)
    rest = [c for c in left.columns if c not in ids]
    assert left[rest].astype(str).equals(right[rest].astype(str))  # reasons, provenance


def test_spark_matches_duckdb_on_tiny_extract(planned) -> None:
    local, distributed = _both(TINY)
    assert len(local) == 4
    assert_same_indicators(local, distributed)
    assert len(planned) > 20  # the checks, the stages, the final query
    assert row_by_row(planned) == []  # every query joins on keys


def test_spark_matches_duckdb_on_simulated_parquet_extract(spark, simulated_parquet) -> None:
    local, distributed = _both(simulated_parquet)
    assert len(local) == 16
    assert local[list(load_catalogue().ids)].notna().to_numpy().mean() > 0.9
    assert_same_indicators(local, distributed)
