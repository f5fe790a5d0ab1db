"""DuckDB and Spark run the same SQL definitions and must agree to 1e-9 relative."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clusterpath.data.readers import load_extract
from clusterpath.data.reference import load_reference
from clusterpath.features.catalogue import load_catalogue
from clusterpath.features.compute import compute_indicators
from clusterpath.features.engines import DuckDBEngine, SparkEngine
from tests.conftest import TINY

pytestmark = pytest.mark.spark


def _both(folder: Path, spark) -> tuple[pd.DataFrame, pd.DataFrame]:
    extract = load_extract(folder)
    catalogue, reference = load_catalogue(), load_reference()
    local = compute_indicators(extract.firms, extract.links, catalogue, reference, DuckDBEngine())
    engine = SparkEngine(session=spark)
    try:
        distributed = compute_indicators(
            extract.firms, extract.links, catalogue, reference, engine
        )
    finally:
        engine.close()
    return local, distributed


def assert_same_indicators(left: pd.DataFrame, right: pd.DataFrame) -> None:
    ids = list(load_catalogue().ids)
    assert left[["cluster_id", "year"]].equals(right[["cluster_id", "year"]])
    a, b = left[ids].to_numpy(float), right[ids].to_numpy(float)
    assert (np.isnan(a) == np.isnan(b)).all()
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True)
    assert left["undefined_reasons"].tolist() == right["undefined_reasons"].tolist()


def test_spark_matches_duckdb_on_tiny_extract(spark) -> None:
    local, distributed = _both(TINY, spark)
    assert len(local) == 4
    assert_same_indicators(local, distributed)


def test_spark_matches_duckdb_on_simulated_extract(spark, tmp_path: Path) -> None:
    from clusterpath.data.simulator import SimulationConfig, write_extract

    folder = tmp_path / "sim"
    write_extract(
        SimulationConfig(n_clusters=8, years=(2021, 2022), seed=3, world="reference"), folder
    )
    local, distributed = _both(folder, spark)
    assert len(local) == 16
    assert local[list(load_catalogue().ids)].notna().to_numpy().mean() > 0.9
    assert_same_indicators(local, distributed)
