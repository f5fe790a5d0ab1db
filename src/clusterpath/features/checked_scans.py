"""The contract checks of a Parquet extract, done in the stages' own scans of its files.

``sql_checks.check_tables`` reads ``firms`` once to count its rules and once more to group
its (firm_id, year) key, and ``links`` once for its rules, before the stages read both
again. Instead the command checks them in the scans the stages make anyway:

- every firms row passes through ``firm_ends`` and every link through ``link_ends``; one
  column of each goes through ``sql_checks.guarded``, which stops the query at a row
  breaking a rule;
- rules that a stage's join answers are left out of the guard: a link of a type outside
  the contract is the one ``link_ends`` drops (it then has fewer rows than the file, whose
  row count a Parquet footer gives; where it is not known so cheaply, as on Spark, the
  guard checks the type too), and a firm in a cluster missing from the clusters table
  shows as such a cluster in ``cluster_years``;
- the key is counted in ``firm_ends`` (in memory) by its hash, eight bytes a row, and an empty
  table leaves a stage empty.

Spark (``pipelines.features.spark_features``) checks its extracts the same way, over the
views ``clusterpath.spark.extract`` gives it.

The small tables (clusters, labels) are checked first, on their own. Whenever any of this
finds something wrong, ``check_tables`` runs the plain checks, which name the file, column
and rows as usual and in the usual order; nothing has been written by then.
"""

from __future__ import annotations

from collections.abc import Callable

from clusterpath.data.sql_checks import (
    CROSS,
    ROW,
    ParquetTable,
    Rule,
    check_tables,
    guarded,
    is_clean,
    missing_columns,
    table_rules,
)
from clusterpath.features.compute import LINK_COLUMNS, prepared_firms_sql
from clusterpath.features.engines import SqlEngine

ReadRules = Callable[[ParquetTable], list[Rule]] | None


def _joined(rule: Rule, table: ParquetTable, link_rows: int | None) -> bool:
    """Is the rule answered by a stage's join rather than by the guard?"""
    if table.name == "links":  # link_types holds exactly the contract's link types
        return link_rows is not None and rule.column == "link_type"
    return table.name == "firms" and rule.column == "cluster_id" and rule.phase == CROSS


def _guard_rules(
    table: ParquetTable, tables: dict[str, ParquetTable], read_rules: ReadRules, link_rows
) -> list[Rule]:
    rules = table_rules(table, tables, read_rules)
    return [r for r in rules if not _joined(r, table, link_rows)]


def register_guarded(
    engine: SqlEngine,
    tables: list[ParquetTable],
    link_rows: int | None,
    read_rules: ReadRules = None,
    firm_rows: tuple[str, str] | None = None,
) -> None:
    """``firms`` and ``links`` as views over the tables' views (no copies), rows guarded.

    ``link_rows`` is the links file's row count if known without reading it;
    ``read_rules`` adds a table's rules on reading itself; ``firm_rows`` is the view and
    column that number the firms rows (by default the checked view and its positions)."""
    con = engine.connection
    by_name = {t.name: t for t in tables}
    firms, links = by_name["firms"], by_name["links"]
    small = (t for t in tables if t not in (firms, links))
    if (
        missing_columns(firms)
        or missing_columns(links)
        or not all(is_clean(con, t, by_name, read_rules) for t in small)
    ):
        check_tables(con, tables, read_rules)
    source, row = firm_rows or (firms.view, ROW)
    firm_row = guarded(firms, _guard_rules(firms, by_name, read_rules, link_rows), row)
    engine.materialise(
        "firms", prepared_firms_sql(source, list(firms.present), firm_row), view=True
    )
    link_type = guarded(links, _guard_rules(links, by_name, read_rules, link_rows), "link_type")
    picked = [f"{link_type} AS link_type" if c == "link_type" else c for c in LINK_COLUMNS]
    engine.materialise("links", f"SELECT {', '.join(picked)} FROM {links.values}", view=True)


def check_stages(
    con, tables: list[ParquetTable], link_rows: int | None, read_rules: ReadRules = None
) -> None:
    """Once the stages stand: what the guards leave to them (see the module's docstring)."""
    by_name = {t.name: t for t in tables}
    firms = by_name["firms"]
    key = ", ".join(firms.quote(k) for k in firms.spec.key)
    unknown_cluster = [
        f"EXISTS (SELECT 1 FROM cluster_years WHERE {r.condition})"
        for r in table_rules(firms, by_name)
        if _joined(r, firms, link_rows)
    ]
    counted = [f"(SELECT COUNT(*) FROM link_ends) <> {link_rows}"] if link_rows is not None else []
    wrong = [
        "NOT EXISTS (SELECT 1 FROM firm_ends)",
        "NOT EXISTS (SELECT 1 FROM link_ends)",
        *counted,
        # distinct hashes are distinct keys; two keys sharing a hash go to the exact check
        f"(SELECT COUNT(DISTINCT {firms.dialect.hash_function}({key})) <> COUNT(*) "
        "FROM firm_ends)",
        *unknown_cluster,
    ]
    if con.execute(f"SELECT {' OR '.join(wrong)}").fetchone()[0]:
        check_tables(con, tables, read_rules)


def parquet_rows(table: ParquetTable) -> int:
    """The file's row count, from its footer."""
    import pyarrow.parquet as pq

    return pq.ParquetFile(table.path).metadata.num_rows
