"""Shared fixtures: the tiny hand-written extract and ways to break it."""

from __future__ import annotations

import shutil
import zlib
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


# How `make test` spreads the suite over pytest-xdist workers (`-n 3 --dist loadscope`). A
# scope, the unit handed to a worker, is a test module, so module- and session-scoped
# fixtures (trained models, MLflow stores, servers) are mostly built once; but the modules
# that use the Spark session form one scope, so a single worker starts one JVM and one
# session for all of them, and the modules in SPLIT, many independent cases on shared
# fixtures, are dealt out in parts. Scopes go out longest first (Spark, then modules with
# slow tests), so no long scope starts last while the other workers idle. (Spark tests that
# start Spark in processes of their own, such as test_spark_failures, need no shared scope.)
SPARK = "spark"
SPARK_MODULES = frozenset(
    {
        "tests/features/test_engine_parity.py",
        "tests/features/test_spark_contract.py",
        "tests/features/test_spark_plans.py",
        "tests/serving/test_spark_scoring.py",
        "tests/serving/test_spark_udf.py",
    }
)
SPLIT = {"tests/robustness/test_corpus.py": 2}


def scope_of(nodeid: str) -> str:
    """The scope a test is scheduled with: its module, the Spark scope, or a module's part."""
    module = nodeid.split("::", 1)[0]
    if module in SPARK_MODULES:
        return SPARK
    parts = SPLIT.get(module)
    return module if parts is None else f"{module}#{zlib.crc32(nodeid.encode()) % parts}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    strays = [
        i.nodeid
        for i in items
        if "spark" in getattr(i, "fixturenames", ()) and scope_of(i.nodeid) != SPARK
    ]
    if strays:
        raise pytest.UsageError(
            "tests that use the Spark session must be in a module of SPARK_MODULES "
            f"(tests/conftest.py), so they share one worker and one JVM: {strays}"
        )
    rank: dict[str, int] = {}
    for item in items:
        scope = scope_of(item.nodeid)
        if scope == SPARK:
            rank[scope] = 0
        elif item.get_closest_marker("slow") or scope != item.nodeid.split("::", 1)[0]:
            rank[scope] = min(rank.get(scope, 1), 1)
        else:
            rank.setdefault(scope, 2)
    items.sort(key=lambda item: rank[scope_of(item.nodeid)])


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, absent under -p no:xdist
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedScopes(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return scope_of(nodeid)

    return SharedScopes(config, log)
