"""The contract's checks as SQL over the files, for extracts too large for pandas.

``readers.load_extract`` reads an extract into frames and checks them (``validation.py``).
A job that computes in DuckDB need not hold a 10-million-row extract in pandas at all: when
every table is a Parquet file whose columns already have the contract's types,
``open_parquet_extract`` gives each table a view over its file (only the columns read) and
runs the same rules there, in the same order and with the same messages (file, column, first
rows). Anything that needs converting (CSV, Excel, numbers stored as text) goes the pandas
way. Values written as another code (``codes.py``) are read as that code in the views.

The rules are written once and spoken in two dialects: DuckDB here, and Spark SQL for
extracts that Spark reads where they lie (``clusterpath.spark.extract``), where ``con`` is
a thin adapter with the same ``execute`` interface.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from clusterpath.data.codes import rewrites
from clusterpath.data.contract import ColumnSpec, Contract, TableSpec
from clusterpath.data.errors import (
    DUPLICATE_KEY,
    EMPTY_TABLE,
    FOUNDED_LATE,
    MISSING_VALUE,
    NOT_FINITE,
    REQUIRED_MISSING,
    SELF_LINK,
    UNKNOWN_CLUSTER,
    ContractError,
    Problem,
    rows_of,
)
from clusterpath.data.files import locate_tables
from clusterpath.data.readers import narrow_spec
from clusterpath.data.validation import describe_check, unknown_endpoints

ROW = "_row"  # 0-based position in the file, for messages
BROKEN_ROW = "a row breaks the contract"  # what a guarded column stops a query with


@dataclass(frozen=True)
class Dialect:
    """What differs between the SQL engines in these checks: quoting and a few keywords."""

    identifier_quote: str
    regex_function: str
    anti_join: str
    backslash_escapes: bool  # do string literals treat a backslash as an escape?
    error_function: str  # stops the query with a message
    hash_function: str  # a 64-bit hash of its arguments
    # match patterns on each row rather than once per distinct value: Spark would find
    # the distinct values in another scan and join them back, which costs more than a regex
    regex_per_row: bool = False

    def quote(self, name: str) -> str:
        q = self.identifier_quote
        return q + name.replace(q, q + q) + q

    def literal(self, text: str) -> str:
        if self.backslash_escapes:
            return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return "'" + text.replace("'", "''") + "'"


DUCKDB = Dialect('"', "regexp_matches", "ANTI JOIN", False, "error", "hash")
SPARK = Dialect("`", "regexp", "LEFT ANTI JOIN", True, "raise_error", "xxhash64", True)
NAN = "CAST('NaN' AS DOUBLE)"
INFINITY = "CAST('Infinity' AS DOUBLE)"


@dataclass(frozen=True)
class ParquetTable:
    """One table as SQL reads it: its file, the contract of the columns read, its view."""

    name: str
    path: Path
    spec: TableSpec
    present: tuple[str, ...]
    dialect: Dialect = DUCKDB
    # the view without row positions, which rules count over: Spark works positions out
    # only when a message needs them (and wants no non-deterministic column in subqueries);
    # the view itself if empty
    values_view: str = ""

    def quote(self, name: str) -> str:
        return self.dialect.quote(name)

    @property
    def values(self) -> str:
        return self.values_view or self.view

    @property
    def file(self) -> str:
        return self.path.name

    @property
    def view(self) -> str:
        return f"checked_{self.name}"

    def has(self, *columns: str) -> bool:
        return all(c in self.present for c in columns)


# The phases of ``load_extract``: a later phase is reported only if the earlier found nothing.
STRUCTURE, VALUES, CROSS = 1, 2, 3


@dataclass(frozen=True)
class Rule:
    """A failing-row condition on one table; ``check`` names it for ``describe_check`` when
    the message quotes the failing values, otherwise ``message`` is the whole message."""

    phase: int
    column: str | None
    condition: str
    message: str = ""
    check: str = ""
    value: str = ""  # what a message quotes, if not the column (e.g. the text as written)


def parquet_tables(
    folder: Path, contract: Contract, columns: dict[str, list[str]]
) -> list[ParquetTable] | None:
    """The extract's tables for SQL checks, or None when the pandas reader must handle it
    (a table in CSV, a column whose stored type is not the contract's, an unreadable file)."""
    sources, problems = locate_tables(Path(folder), contract)
    if problems or not all(s.is_parquet for s in sources.values()):
        return None
    tables = []
    for name, source in sources.items():
        spec = narrow_spec(contract.table(name), columns.get(name))
        types = _arrow_types(source.path)
        if types is None or any(not _fits(c, types[c.name]) for c in _read(spec, types)):
            return None
        present = tuple(c.name for c in _read(spec, types))
        tables.append(ParquetTable(name, source.path, spec, present))
    return tables


def _read(spec: TableSpec, types: dict) -> list[ColumnSpec]:
    """The contract columns that the file holds."""
    return [c for c in spec.columns if c.name in types]


def _arrow_types(path: Path) -> dict | None:
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except (OSError, ValueError):
        return None
    return {field.name: field.type for field in schema}


def _fits(col: ColumnSpec, arrow_type) -> bool:
    """Is the stored type already the contract's kind (no conversion, no text parsing)?"""
    import pyarrow as pa

    if col.kind == "string":
        return pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)
    if col.kind == "int":
        return pa.types.is_integer(arrow_type)
    if col.kind == "float":
        return pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type)
    return pa.types.is_boolean(arrow_type)


def column_sql(col: ColumnSpec, dialect: Dialect = DUCKDB, found: dict | None = None) -> str:
    """A column as the frame reader would deliver it: empty text and NaN are missing, and a
    value written as another code (``found``: raw value to code) is read as that code."""
    name = dialect.quote(col.name)
    if col.kind == "string":
        value = f"NULLIF({name}, '')"
        if found:
            lit = dialect.literal
            cases = " ".join(f"WHEN {lit(raw)} THEN {lit(code)}" for raw, code in found.items())
            value = f"CASE {name} {cases} ELSE {value} END"
    elif col.kind == "float":
        value = f"NULLIF(CAST({name} AS DOUBLE), {NAN})"
    elif col.kind == "int":
        value = f"CAST({name} AS BIGINT)"
    else:
        value = name
    return f"{value} AS {name}"


def code_rewrites(con, source: str, col: ColumnSpec, dialect: Dialect = DUCKDB) -> dict:
    """The column's distinct values that read as another code (``codes.rewrites``), which
    costs one scan of the column; none for a column without a code reader."""
    if col.reader is None:
        return {}
    name = dialect.quote(col.name)
    values = con.execute(f"SELECT DISTINCT {name} FROM {source} WHERE {name} IS NOT NULL")
    return rewrites(col.reader, (v for (v,) in values.fetchall()))


def _source(table: ParquetTable) -> str:
    return f"read_parquet({DUCKDB.literal(str(table.path))}, file_row_number = true)"


def create_views(con, tables: Iterable[ParquetTable]) -> None:
    """One view per table over its file: the columns read, and each row's position."""
    for table in tables:
        source = _source(table)
        columns = [
            column_sql(c, DUCKDB, code_rewrites(con, source, c))
            for c in table.spec.columns
            if c.name in table.present
        ]
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {table.view} AS SELECT {', '.join(columns)}, "
            f"file_row_number AS {ROW} FROM {source}"
        )


def _literal(value: float) -> str:
    return repr(float(value))


def value_rules(table: ParquetTable) -> list[Rule]:
    """The per-column rules that pandera runs on frames (``validation.table_schema``)."""
    rules = []
    for col in table.spec.columns:
        if col.name not in table.present:
            continue
        name = table.quote(col.name)
        checks = []
        if not col.nullable:
            checks.append((f"{name} IS NULL", MISSING_VALUE, ""))
        if col.ge is not None:
            checks.append((f"{name} < {_literal(col.ge)}", "", "greater_than_or_equal_to"))
        if col.gt is not None:
            checks.append((f"{name} <= {_literal(col.gt)}", "", "greater_than"))
        if col.le is not None:
            checks.append((f"{name} > {_literal(col.le)}", "", "less_than_or_equal_to"))
        if col.allowed is not None:
            allowed = ", ".join(table.dialect.literal(a) for a in col.allowed)
            checks.append((f"{name} NOT IN ({allowed})", "", "isin"))
        if col.pattern is not None:
            checks.append((_pattern_condition(table, name, col.pattern), "", "str_matches"))
        rules += [Rule(VALUES, col.name, *check) for check in checks]
    return rules


def _pattern_condition(table: ParquetTable, name: str, pattern: str) -> str:
    """Match the pattern against each distinct value once, not against every row."""
    dialect = table.dialect
    if dialect.regex_per_row:
        return f"NOT {dialect.regex_function}({name}, {dialect.literal(pattern)})"
    failing = (
        f"SELECT v FROM (SELECT DISTINCT {name} AS v FROM {table.values}) AS d "
        f"WHERE NOT {dialect.regex_function}(v, {dialect.literal(pattern)})"
    )
    return f"{name} IN ({failing})"


def finite_rules(table: ParquetTable) -> list[Rule]:
    """Infinite numbers, which the frame reader reports before any other value rule."""
    return [
        Rule(STRUCTURE, c.name, f"abs({table.quote(c.name)}) = {INFINITY}", NOT_FINITE)
        for c in table.spec.columns
        if c.kind == "float" and c.name in table.present
    ]


def cross_rules(table: ParquetTable, tables: dict[str, ParquetTable]) -> list[Rule]:
    """The rules of ``validation.check_across`` that look at one row (the link-end rule,
    an anti-join, is checked apart)."""
    clusters = tables.get("clusters")
    known = clusters is not None and clusters.has("cluster_id")
    rules = []
    if table.name == "firms" and table.has("founded_year", "year"):
        rules.append(Rule(CROSS, "founded_year", "founded_year > year", FOUNDED_LATE))
    if table.name in ("firms", "labels") and table.has("cluster_id") and known:
        rules.append(Rule(CROSS, "cluster_id", unknown_cluster(clusters), UNKNOWN_CLUSTER))
    if table.name == "links" and table.has("source_id", "target_id"):
        rules.append(Rule(CROSS, "source_id", "source_id = target_id", SELF_LINK))
    return rules


def unknown_cluster(clusters: ParquetTable) -> str:
    """A cluster_id that the clusters table does not hold.

    Not ``cluster_id NOT IN (...)``: inside an aggregate Spark must then honour NOT IN's
    NULL rules and compares every row with every cluster in one task (a nested-loop join,
    minutes at millions of rows). Both sides here are never NULL, so IN is TRUE or FALSE
    and the same test is a join on the key, in either engine.
    """
    known = f"SELECT cluster_id FROM {clusters.values} WHERE cluster_id IS NOT NULL"
    return f"cluster_id IS NOT NULL AND NOT COALESCE(cluster_id IN ({known}), FALSE)"


@dataclass(frozen=True)
class Counted:
    """One scan of a table: its row count and how many rows fail each of its rules."""

    table: ParquetTable
    rows: int
    failures: tuple[tuple[Rule, int], ...]

    def problems(self, con, phase: int) -> list[Problem]:
        return [
            _problem(con, self.table, r, n) for r, n in self.failures if n and r.phase == phase
        ]


def count_rules(con, table: ParquetTable, rules: list[Rule]) -> Counted:
    """Count the rows and every rule's failing rows. A clean table (the usual case) costs
    one scan testing all rules at once; rules are counted one by one only if some row fails."""
    any_fails = " OR ".join(f"({r.condition})" for r in rules) or "FALSE"
    rows, failed = con.execute(
        f"SELECT COUNT(*), bool_or({any_fails}) FROM {table.values}"
    ).fetchone()
    if not failed:
        return Counted(table, rows, tuple((r, 0) for r in rules))
    counts = ", ".join(f"COUNT(*) FILTER (WHERE {r.condition})" for r in rules)
    found = con.execute(f"SELECT {counts} FROM {table.values}").fetchone()
    return Counted(table, rows, tuple(zip(rules, (int(n) for n in found), strict=True)))


def _problem(con, table: ParquetTable, rule: Rule, count: int) -> Problem:
    """Describe a failing rule as the frame checks would: first rows, and a few values."""
    rows = con.execute(
        f"SELECT {ROW} FROM {table.view} WHERE {rule.condition} ORDER BY {ROW} LIMIT 5"
    ).fetchnumpy()[ROW]
    message = rule.message
    if not message:
        values = con.execute(
            f"SELECT {rule.value or table.quote(rule.column)} AS v FROM {table.view} "
            f"WHERE {rule.condition} "
            f"GROUP BY v ORDER BY MIN({ROW}) LIMIT 3"
        ).df()["v"]
        message = describe_check(rule.check, table.spec.column(rule.column), pd.Series(values))
    return Problem(table.file, message, rule.column, rows_of(rows), count)


def key_problems(con, table: ParquetTable) -> list[Problem]:
    """Rows sharing a key with another row (all of them, as pandera reports duplicates)."""
    key = table.spec.key
    if not key or not table.has(*key):
        return []
    columns = ", ".join(table.quote(k) for k in key)
    duplicated = f"SELECT {columns} FROM {table.values} GROUP BY {columns} HAVING COUNT(*) > 1"
    if not con.execute(f"SELECT COUNT(*) FROM ({duplicated})").fetchone()[0]:
        return []
    rows = con.execute(
        f"SELECT {ROW} FROM {table.view} WHERE ({columns}) IN ({duplicated}) ORDER BY {ROW}"
    ).fetchnumpy()[ROW]
    return [Problem(table.file, DUPLICATE_KEY, "+".join(key), rows_of(rows), len(rows))]


def missing_columns(table: ParquetTable) -> list[Problem]:
    """Required columns the file lacks (the frame reader reports these with coercion)."""
    return [
        Problem(table.file, REQUIRED_MISSING, c.name)
        for c in table.spec.columns
        if c.required and c.name not in table.present
    ]


def _value_problems(con, counted: Counted) -> list[Problem]:
    """An empty table is one problem (or none where allowed), as in ``check_columns``."""
    if not counted.rows:
        return [] if counted.table.spec.allow_empty else [Problem(counted.table.file, EMPTY_TABLE)]
    return counted.problems(con, VALUES) + key_problems(con, counted.table)


def link_end_problems(con, tables: dict[str, ParquetTable]) -> list[Problem]:
    """Links whose source or target has no firms row that year (the rows, for messages)."""
    links, firms = tables["links"], tables["firms"]
    if not (links.has("source_id", "target_id", "year") and firms.has("firm_id", "year")):
        return []
    ends = f"(SELECT source_id, target_id, year, {ROW} AS pos FROM {links.view})"
    return unknown_endpoints(con, ends, firms.view, links.file, links.dialect.anti_join)


def open_parquet_extract(con, tables: list[ParquetTable]) -> None:
    """Create the tables' views on ``con`` and check them: one scan per table counts every
    rule, then problems are reported phase by phase as ``load_extract`` reports them
    (missing columns and infinite numbers; value rules and keys; cross-table rules),
    raising ContractError at the first phase with problems.

    Unknown link ends are listed here only beside another cross-table problem: in a clean
    extract the indicators' own join of links to firms (``link_ends``) shows whether there
    are any, which saves a second join of every link; see ``check_link_ends``.
    """
    create_views(con, tables)
    check_tables(con, tables)


def check_tables(
    con,
    tables: list[ParquetTable],
    read_rules: Callable[[ParquetTable], list[Rule]] | None = None,
) -> None:
    """The checks of ``open_parquet_extract`` over views that exist already; ``read_rules``
    adds a table's rules on reading itself (text that did not convert)."""
    by_name = {t.name: t for t in tables}
    counted = [count_rules(con, t, table_rules(t, by_name, read_rules)) for t in tables]
    problems = [p for c in counted for p in missing_columns(c.table) + c.problems(con, STRUCTURE)]
    if problems:
        raise ContractError(problems)
    problems = [p for c in counted for p in _value_problems(con, c)]
    if problems:
        raise ContractError(problems)
    problems = [p for c in counted for p in c.problems(con, CROSS)]
    if problems:
        raise ContractError(problems + link_end_problems(con, by_name))


def table_rules(
    table: ParquetTable,
    tables: dict[str, ParquetTable],
    read_rules: Callable[[ParquetTable], list[Rule]] | None = None,
) -> list[Rule]:
    """Every row rule of a table, in the order ``check_tables`` counts them."""
    return (
        (read_rules(table) if read_rules else [])
        + finite_rules(table)
        + value_rules(table)
        + cross_rules(table, tables)
    )


def is_clean(
    con,
    table: ParquetTable,
    tables: dict[str, ParquetTable],
    read_rules: Callable[[ParquetTable], list[Rule]] | None = None,
) -> bool:
    """Does the table pass all its own checks (columns, rules, not empty, key)?"""
    if missing_columns(table):
        return False
    counted = count_rules(con, table, table_rules(table, tables, read_rules))
    if any(n for _, n in counted.failures):
        return False
    return bool(counted.rows or table.spec.allow_empty) and not key_problems(con, table)


def guarded(table: ParquetTable, rules: list[Rule], column: str) -> str:
    """``column``, or for a row that breaks a rule an error that stops the query reading it.

    A stage that reads every row of a file through this column checks the rows in its own
    scan, so the file need not be read once more for the checks alone; the error says only
    that some row is bad, and ``check_tables`` then names the rows (``BROKEN_ROW``).
    """
    if not rules:
        return column
    fails = " OR ".join(f"({r.condition})" for r in rules)
    stop = f"{table.dialect.error_function}({table.dialect.literal(BROKEN_ROW)})"
    return f"CASE WHEN {fails} THEN {stop} ELSE {column} END"


def check_link_ends(con, tables: list[ParquetTable], link_ends: str) -> None:
    """Raise ContractError if the computed ``link_ends`` table has a link with an end that
    matched no firms row (looking the rows up only then)."""
    unmatched = con.execute(
        f"SELECT COUNT(*) FROM {link_ends} WHERE source_row IS NULL OR target_row IS NULL"
    ).fetchone()[0]
    if unmatched:
        raise ContractError(link_end_problems(con, {t.name: t for t in tables}))
