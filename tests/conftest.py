"""Shared fixtures: the tiny hand-written extract and ways to break it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from clusterpath.resources import Declared, locate

REPO = Path(__file__).resolve().parents[1]
TINY = locate(Declared.FIXTURES) / "tiny"


@pytest.fixture
def tiny_dir(tmp_path: Path) -> Path:
    """A private copy of the tiny extract that a test may change."""
    target = tmp_path / "tiny"
    shutil.copytree(TINY, target)
    return target


def edit_csv(folder: Path, table: str, change: Callable[[pd.DataFrame], pd.DataFrame]) -> Path:
    """Rewrite ``table``.csv in ``folder`` after applying ``change`` to its raw text cells."""
    path = folder / f"{table}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    change(frame).to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def spark():
    """One local Spark session for the whole test run (a cold start costs seconds)."""
    from clusterpath.spark.session import start_session

    # Test extracts are tiny: planning, not data, is the cost, and adaptive re-planning of
    # every stage doubled it here.
    small = {"spark.sql.adaptive.enabled": "false", "spark.sql.shuffle.partitions": "2"}
    guarded = start_session("local[2]", small, app_name="clusterpath-tests", small_input=True)
    guarded.spark.sparkContext.setLogLevel("ERROR")
    yield guarded.spark
    guarded.stop()


@pytest.fixture(scope="session")
def simulated_parquet(tmp_path_factory) -> Path:
    """A small simulated extract in Parquet (8 clusters, 2 years), shared by the Spark tests."""
    from clusterpath.data.simulator import SimulationConfig, write_extract

    folder = tmp_path_factory.mktemp("simulated") / "extract"
    write_extract(
        SimulationConfig(n_clusters=8, years=(2021, 2022), seed=3, world="reference"), folder
    )
    return folder


@pytest.fixture
def planned(spark, monkeypatch) -> dict[str, str]:
    """Each SQL query the job issues, with its physical plan, as Spark plans it then."""
    from pyspark.sql import SparkSession

    plans: dict[str, str] = {}
    issue = SparkSession.sql

    def planning(self, query, *args, **kwargs):
        frame = issue(self, query, *args, **kwargs)
        plans[query] = frame._jdf.queryExecution().executedPlan().toString()
        return frame

    monkeypatch.setattr(SparkSession, "sql", planning)
    return plans
