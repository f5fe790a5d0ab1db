"""Check typed extract frames against the contract: values per column, then across tables.

Column checks run through pandera schemas built from the contract; the messages are
written from pandera's failure cases so they name the file, column and rows in plain words.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from clusterpath.data.codes import NamedCodes
from clusterpath.data.contract import ColumnSpec, Contract, TableSpec
from clusterpath.data.errors import (
    DUPLICATE_KEY,
    EMPTY_TABLE,
    FOUNDED_LATE,
    MISSING_VALUE,
    NO_MEMBERS,
    SELF_LINK,
    UNKNOWN_CLUSTER,
    UNKNOWN_FIRM,
    Problem,
    rows_of,
)

if TYPE_CHECKING:
    import pandera.pandas as pa


def _pandera():
    """pandera, imported on first use: it takes about 0.4 s to import (it loads pyspark when
    that is installed), and a Parquet extract checked in SQL never needs it."""
    import pandera.pandas

    return pandera.pandas


def _checks(col: ColumnSpec) -> list[pa.Check]:
    pa = _pandera()
    checks = []
    if col.ge is not None:
        checks.append(pa.Check.ge(col.ge))
    if col.gt is not None:
        checks.append(pa.Check.gt(col.gt))
    if col.le is not None:
        checks.append(pa.Check.le(col.le))
    if col.allowed is not None:
        checks.append(pa.Check.isin(list(col.allowed)))
    if col.pattern is not None:
        checks.append(pa.Check.str_matches(col.pattern))
    return checks


def table_schema(spec: TableSpec, present: list[str]) -> pa.DataFrameSchema:
    """Build the pandera schema of one table, for the columns that were read."""
    pa = _pandera()
    columns = {
        c.name: pa.Column(checks=_checks(c), nullable=c.nullable, required=False)
        for c in spec.columns
        if c.name in present
    }
    key = [k for k in spec.key if k in present] if set(spec.key) <= set(present) else None
    return pa.DataFrameSchema(columns, unique=key or None, report_duplicates="all", strict=False)


NOT_A_NUMBER, NOT_TRUE_FALSE = "not_a_number", "not_true_false"  # text that did not convert


def describe_check(check: str, col: ColumnSpec | None, values: pd.Series) -> str:
    """Say in plain words what a failed check (named as pandera names it) found."""
    if check == "not_nullable":
        return MISSING_VALUE
    if "uniqueness" in check:
        return DUPLICATE_KEY
    if check.startswith("greater_than_or_equal_to"):
        return f"below the minimum {col.ge:g}" if col.ge != 0 else "negative value"
    if check.startswith("greater_than"):
        return f"must be greater than {col.gt:g}"
    if check.startswith("less_than_or_equal_to"):
        return f"above the maximum {col.le:g} (likely a unit or entry error)"
    examples = ", ".join(repr(v) for v in pd.unique(values)[:3])
    if check.startswith("isin"):
        return f"unknown value ({examples}); {_known(col, str(values.iloc[0]))}"
    if check == NOT_A_NUMBER:
        return f"not a number ({examples})"
    if check == NOT_TRUE_FALSE:
        return f"not true/false ({examples})"
    if check.startswith("str_matches"):
        return f"not a GB/T 4754-2017 division, group or class code ({examples})"
    return f"fails {check} ({examples})"


def _known(col: ColumnSpec, value: str) -> str:
    """What the column admits: its codes, or for codes with names the names most like the
    value found (a list of every name would bury the useful ones)."""
    if isinstance(col.reader, NamedCodes):
        closest = ", ".join(col.reader.closest(value))
        return f"closest known names: {closest} (all in {col.reader.source})"
    return f"allowed: {', '.join(col.allowed)}"


def check_columns(frame: pd.DataFrame, spec: TableSpec, file: str) -> list[Problem]:
    """Run the table's pandera schema and turn its failure cases into problems."""
    if frame.empty:
        return [] if spec.allow_empty else [Problem(file, EMPTY_TABLE)]
    schema = table_schema(spec, list(frame.columns))
    try:
        schema.validate(frame, lazy=True)
    except _pandera().errors.SchemaErrors as err:
        return _problems_from(err.failure_cases, spec, file)
    return []


def _problems_from(cases: pd.DataFrame, spec: TableSpec, file: str) -> list[Problem]:
    problems = []
    cases = cases.assign(column=cases["column"].fillna(""))
    for (column, check), group in cases.groupby(["column", "check"], sort=False):
        col = spec.column(column) if column in spec.column_names else None
        if "uniqueness" in check:
            column = "+".join(spec.key)
        rows = group["index"].dropna().astype(int).drop_duplicates().sort_values()
        problems.append(
            Problem(
                file,
                describe_check(check, col, group["failure_case"]),
                column,
                rows_of(rows),
                len(rows),
            )
        )
    return list(dict.fromkeys(problems))  # a key's columns each report the same duplicates


def _mask_problem(file: str, column: str, mask: pd.Series, message: str) -> list[Problem]:
    mask = mask.fillna(False).to_numpy(dtype=bool)
    if not mask.any():
        return []
    return [Problem(file, message, column, rows_of(np.flatnonzero(mask)), int(mask.sum()))]


def _has(frame: pd.DataFrame | None, *columns: str) -> bool:
    return frame is not None and all(c in frame.columns for c in columns)


def check_across(frames: dict[str, pd.DataFrame], files: dict[str, str]) -> list[Problem]:
    """Rules that join tables: founding before observation, links between known firms, ids."""
    firms, links = frames.get("firms"), frames.get("links")
    clusters, labels = frames.get("clusters"), frames.get("labels")
    problems: list[Problem] = []
    if _has(firms, "founded_year", "year"):
        problems += _mask_problem(
            files["firms"],
            "founded_year",
            firms["founded_year"] > firms["year"],
            FOUNDED_LATE,
        )
    if _has(firms, "cluster_id") and len(firms) and firms["cluster_id"].isna().all():
        problems.append(Problem(files["firms"], NO_MEMBERS, "cluster_id"))
    if _has(firms, "cluster_id") and _has(clusters, "cluster_id"):
        unknown = firms["cluster_id"].notna() & ~firms["cluster_id"].isin(clusters["cluster_id"])
        problems += _mask_problem(files["firms"], "cluster_id", unknown, UNKNOWN_CLUSTER)
    if _has(labels, "cluster_id") and _has(clusters, "cluster_id"):
        unknown = ~labels["cluster_id"].isin(clusters["cluster_id"])
        problems += _mask_problem(files["labels"], "cluster_id", unknown, UNKNOWN_CLUSTER)
    if _has(links, "source_id", "target_id"):
        problems += _mask_problem(
            files["links"],
            "source_id",
            links["source_id"] == links["target_id"],
            SELF_LINK,
        )
        if _has(links, "year") and _has(firms, "firm_id", "year"):
            problems += _unknown_endpoints(links, firms, files["links"])
    return problems


def _unknown_endpoints(links: pd.DataFrame, firms: pd.DataFrame, file: str) -> list[Problem]:
    """Links whose source or target has no firms row that year (an anti-join in DuckDB)."""
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        con.register("known", firms[["firm_id", "year"]])
        ends = links[["source_id", "target_id", "year"]].assign(pos=np.arange(len(links)))
        con.register("ends", ends)
        return unknown_endpoints(con, "ends", "known", file)
    finally:
        con.close()


def unknown_endpoints(
    con, links: str, firms: str, file: str, anti_join: str = "ANTI JOIN"
) -> list[Problem]:
    """Anti-join the relation ``links`` (source_id, target_id, year, pos: 0-based row) with
    ``firms`` (firm_id, year) on a DuckDB connection; one problem per end with misses."""
    problems = []
    for column in ("source_id", "target_id"):
        missing = con.execute(
            f"SELECT l.pos FROM {links} AS l {anti_join} {firms} AS f "
            f"ON l.{column} = f.firm_id AND l.year = f.year ORDER BY l.pos"
        ).fetchnumpy()["pos"]
        if len(missing):
            problems.append(Problem(file, UNKNOWN_FIRM, column, rows_of(missing), len(missing)))
    return problems


def validate_frames(
    frames: dict[str, pd.DataFrame], contract: Contract, files: dict[str, str]
) -> list[Problem]:
    """Every problem of typed frames: per-column values first, then cross-table rules."""
    problems: list[Problem] = []
    for name, frame in frames.items():
        problems += check_columns(frame, contract.table(name), files[name])
    if problems:
        return problems
    return check_across(frames, files)
