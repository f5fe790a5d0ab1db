"""No query of the Spark job compares every row with every row.

Spark runs a condition it cannot join on keys (``x NOT IN (subquery)`` inside an aggregate,
a join with no equality) as a nested-loop join or a Cartesian product in one task: minutes
at millions of rows for what a join on keys does in a second. Every query the job puts to
Spark SQL, on a clean extract and on one whose rows break cross-table rules, is planned
here and its physical plan searched for either.
"""

from __future__ import annotations

import pytest
from pyspark.sql import SparkSession

from clusterpath.data.errors import ContractError
from clusterpath.pipelines.features import build_features
from tests.conftest import TINY
from tests.features.test_parquet_path import _set, change, typed_copy

pytestmark = pytest.mark.spark
ROW_BY_ROW = ("NestedLoopJoin", "CartesianProduct")


@pytest.fixture
def planned(spark, monkeypatch) -> dict[str, str]:
    """Each SQL query the job issues, with its physical plan, as Spark plans it then."""
    plans: dict[str, str] = {}
    issue = SparkSession.sql

    def planning(self, query, *args, **kwargs):
        frame = issue(self, query, *args, **kwargs)
        plans[query] = frame._jdf.queryExecution().executedPlan().toString()
        return frame

    monkeypatch.setattr(SparkSession, "sql", planning)
    return plans


def _row_by_row(plans: dict[str, str]) -> list[str]:
    return [query for query, plan in plans.items() if any(op in plan for op in ROW_BY_ROW)]


def test_a_clean_extract_is_joined_on_keys_only(planned) -> None:
    build_features(TINY, engine="spark")
    assert len(planned) > 20  # the checks, the stages, the final query
    assert _row_by_row(planned) == []


def test_cross_table_checks_are_joined_on_keys_only(planned, tmp_path) -> None:
    folder = typed_copy(tmp_path / "typed")
    change(folder, "firms", _set("cluster_id", 0, "C9"))  # a cluster the extract lacks
    change(folder, "links", _set("target_id", 0, "F99"))  # a firm the extract lacks
    with pytest.raises(ContractError, match="cluster_id not in the"):
        build_features(folder, engine="spark")
    assert any("COALESCE(cluster_id IN" in query for query in planned)
    assert _row_by_row(planned) == []
