"""No query of the Spark job compares every row with every row.

Spark runs a condition it cannot join on keys (``x NOT IN (subquery)`` inside an aggregate,
a join with no equality) as a nested-loop join or a Cartesian product in one task: minutes
at millions of rows for what a join on keys does in a second. Every query the job puts to
Spark SQL, on an extract whose rows break cross-table rules here and on the clean fixture in
``test_engine_parity``, is planned and its physical plan searched for either.
"""

from __future__ import annotations

import pytest

from clusterpath.data.errors import ContractError
from clusterpath.pipelines.features import build_features
from tests.features.test_parquet_path import _set, change, typed_copy

pytestmark = pytest.mark.spark
ROW_BY_ROW = ("NestedLoopJoin", "CartesianProduct")


def row_by_row(plans: dict[str, str]) -> list[str]:
    return [query for query, plan in plans.items() if any(op in plan for op in ROW_BY_ROW)]


def test_cross_table_checks_are_joined_on_keys_only(planned, tmp_path) -> None:
    folder = typed_copy(tmp_path / "typed")
    change(folder, "firms", _set("cluster_id", 0, "C9"))  # a cluster the extract lacks
    change(folder, "links", _set("target_id", 0, "F99"))  # a firm the extract lacks
    with pytest.raises(ContractError, match="cluster_id not in the"):
        build_features(folder, engine="spark")
    assert any("COALESCE(cluster_id IN" in query for query in planned)
    assert row_by_row(planned) == []
