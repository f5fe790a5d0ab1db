"""A small library of ways to break an extract, and the corpus of cases built from it.

Each mutation is a function that takes a clean extract folder (Parquet as the simulator
writes it, or the same tables as CSV) and breaks it in one way, in place. A ``Case`` pairs a
mutation with the outcome the commands must give:

- ``error``: ``validate``, ``features`` and ``score`` each exit 2 with a message naming the
  file (or table), the column and the first rows, and no traceback;
- ``flagged``: the data are odd but valid; the commands succeed and the cluster-years it
  touches carry a reason: a NaN indicator with its ``undefined_reasons`` entry in the
  features, and/or a ``low_trust`` / ``insufficient_data`` flag with its reason in the scores;
- ``accepted``: the contract allows it as it is (extra columns, a missing optional table,
  hostile text, which stays data); the commands succeed and the output carries it verbatim.

``docs/robustness.md`` lists every case with its outcome (``render_table``); a test checks
that it does.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

Outcome = Literal["error", "flagged", "accepted"]
Format = Literal["parquet", "csv"]
Mutation = Callable[[Path], None]

TABLES = ("firms", "links", "clusters", "labels")
ROW = 4  # the 0-based row most mutations touch: "row 5" in messages
SMALL = "C0008"  # a small cluster of the corpus (a few dozen to a hundred entities a year)
INSTITUTES = "C0005"  # a cluster of the corpus with research institutes (four a year)
HOSTILE = (
    "../../x",
    "<script>alert(1)</script>",
    "$(rm -rf /)",
    "a\nb; `touch pwned`",
    "O'Brien\" --; DROP TABLE firms",
)


# --- reading and writing one table, in whatever form the folder holds it -----------------


def table_file(folder: Path, table: str) -> Path:
    """The file holding ``table`` (``firms.parquet`` or ``firms.csv``)."""
    found = [p for p in (folder / f"{table}.parquet", folder / f"{table}.csv") if p.exists()]
    if len(found) != 1:
        raise FileNotFoundError(f"{table} in {folder}: {found}")
    return found[0]


def read_table(folder: Path, table: str) -> pd.DataFrame:
    """The table's raw content: typed columns from Parquet, text cells from CSV."""
    path = table_file(folder, table)
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def write_table(folder: Path, table: str, frame: pd.DataFrame) -> None:
    """Write ``frame`` back in the table's form (Parquet or UTF-8 CSV)."""
    path = table_file(folder, table)
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False, encoding="utf-8")


def to_csv_extract(source: Path, target: Path) -> Path:
    """The same extract with every table as UTF-8 CSV."""
    target.mkdir(parents=True)
    for table in TABLES:
        pd.read_parquet(source / f"{table}.parquet").to_csv(
            target / f"{table}.csv", index=False, encoding="utf-8"
        )
    return target


def compose(*mutations: Mutation) -> Mutation:
    def mutate(folder: Path) -> None:
        for mutation in mutations:
            mutation(folder)

    return mutate


def edit(table: str, change: Callable[[pd.DataFrame], pd.DataFrame]) -> Mutation:
    def mutate(folder: Path) -> None:
        write_table(folder, table, change(read_table(folder, table)))

    return mutate


# --- mutations ----------------------------------------------------------------------------


def drop_column(table: str, column: str) -> Mutation:
    return edit(table, lambda f: f.drop(columns=column))


def add_columns(table: str, **values: object) -> Mutation:
    return edit(table, lambda f: f.assign(**values))


def reverse_columns(table: str) -> Mutation:
    return edit(table, lambda f: f[list(reversed(f.columns))])


def set_cell(table: str, column: str, value: object, rows: tuple[int, ...] = (ROW,)) -> Mutation:
    """Put ``value`` in ``column`` at the (0-based) ``rows`` that exist, as an export would
    store it: text in a numeric Parquet column turns the whole column into text, a missing or
    non-whole number makes an integer column float, and a text column holds text or nothing."""

    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.reset_index(drop=True)
        values, cell = frame[column], value
        missing = value is None or (isinstance(value, float) and np.isnan(value))
        if pd.api.types.is_bool_dtype(values) and missing:
            frame[column], cell = values.astype(object), None
        elif pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            if isinstance(value, str):
                frame[column] = values.astype(str)
            elif missing or isinstance(value, float):
                frame[column] = values.astype("float64")
        elif not isinstance(value, str):
            cell = None if missing else repr(value)
        frame.loc[[r for r in rows if r < len(frame)], column] = cell
        return frame

    return edit(table, change)


def scale_column(table: str, column: str, factor: float, cluster: str | None = None) -> Mutation:
    """Multiply a money column (all rows, or one cluster's), e.g. yuan given for 10k yuan."""

    def change(frame: pd.DataFrame) -> pd.DataFrame:
        rows = frame["cluster_id"] == cluster if cluster else slice(None)
        frame.loc[rows, column] = frame.loc[rows, column].astype(float) * factor
        return frame

    return edit(table, change)


def duplicate_row(table: str) -> Mutation:
    """Repeat a row right after the first one: the key appears twice (rows 1 and 2)."""
    return edit(table, lambda f: pd.concat([f.iloc[[0]], f.iloc[[0]], f.iloc[1:]]))


def copy_key(table: str, column: str, source: int = 0, target: int = ROW) -> Mutation:
    """Give row ``target`` the key of row ``source`` (a duplicate id)."""

    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        frame.loc[target, column] = frame.loc[source, column]
        for other in ("year",):
            if other in frame.columns:
                frame.loc[target, other] = frame.loc[source, other]
        return frame

    return edit(table, change)


def empty_table(table: str) -> Mutation:
    return edit(table, lambda f: f.iloc[0:0])


def remove_table(table: str) -> Mutation:
    def mutate(folder: Path) -> None:
        table_file(folder, table).unlink()

    return mutate


def zero_byte_file(table: str) -> Mutation:
    def mutate(folder: Path) -> None:
        table_file(folder, table).write_bytes(b"")

    return mutate


def truncate_file(table: str, keep: float = 0.5) -> Mutation:
    def mutate(folder: Path) -> None:
        path = table_file(folder, table)
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * keep)])

    return mutate


def garbage_file(table: str) -> Mutation:
    def mutate(folder: Path) -> None:
        table_file(folder, table).write_bytes(b"PAR1 this is not parquet \x00\xff" * 40)

    return mutate


def reencode(table: str, encoding: str) -> Mutation:
    """Rewrite a CSV table in another encoding (GBK as a Windows export in China writes it)."""

    def mutate(folder: Path) -> None:
        path = table_file(folder, table)
        path.write_bytes(path.read_text(encoding="utf-8").encode(encoding))

    return mutate


def both_forms(table: str) -> Mutation:
    """The table as Parquet and as CSV at once (which one is meant?)."""

    def mutate(folder: Path) -> None:
        path = table_file(folder, table)
        read_table(folder, table).to_csv(path.with_suffix(".csv"), index=False)

    return mutate


def to_workbook(*tables: str, book: str | None = None, keep: bool = False) -> Mutation:
    """Move tables into Excel: each into its own ``<table>.xlsx``, or all into ``book`` as
    sheets named after them (as analysts keep an extract in one workbook); ``keep`` leaves
    the tables' files in place too."""

    def mutate(folder: Path) -> None:
        frames = {t: read_table(folder, t) for t in tables}
        for table in tables if not keep else ():
            table_file(folder, table).unlink()
        if book is None:
            for table, frame in frames.items():
                frame.to_excel(folder / f"{table}.xlsx", index=False, sheet_name="Sheet1")
            return
        with pd.ExcelWriter(folder / book, engine="openpyxl") as writer:
            for table, frame in frames.items():
                frame.to_excel(writer, sheet_name=table, index=False)

    return mutate


def domains_by_name(folder: Path) -> None:
    """Clusters' domains written as analysts write them: Chinese names and short forms."""
    written = {
        "next_gen_it": "新一代信息技术产业",
        "high_end_equipment": "高端装备",
        "new_materials": "新材料",
        "biotech": "生物医药",
        "new_energy_vehicles": "新能源汽车",
        "new_energy": "New Energy",
    }
    edit("clusters", lambda f: f.assign(domain=f["domain"].replace(written)))(folder)


def industry_codes_as_classes(folder: Path) -> None:
    """Industry codes as class codes after their section letter ("39" -> "C3911")."""
    from clusterpath.data.reference import load_reference

    spans = load_reference().section_spans
    letter = {f"{d:02d}": s for s, first, last in spans for d in range(first, last + 1)}

    def change(frame: pd.DataFrame) -> pd.DataFrame:
        codes = frame["industry_code"].astype(str)
        return frame.assign(industry_code=codes.map(letter) + codes + "11")

    edit("firms", change)(folder)


def ragged_row(table: str, row: int = ROW) -> Mutation:
    """A CSV line with two fields more than the header."""

    def mutate(folder: Path) -> None:
        path = table_file(folder, table)
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        lines[row + 1] = lines[row + 1].rstrip("\n") + ",x,y\n"
        path.write_text("".join(lines), encoding="utf-8")

    return mutate


def self_link(row: int = ROW) -> Mutation:
    """A link whose target is its own source."""

    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[row, "target_id"] = frame.loc[row, "source_id"]
        return frame

    return edit("links", change)


def links_in_year(year: int, rows: tuple[int, ...] = (ROW,)) -> Mutation:
    """Move links to a year where their firms have no rows."""
    return set_cell("links", "year", year, rows)


def link_to_firm_of_other_year(folder: Path) -> None:
    """A 2022 link whose target exists only in 2021 (a firm that closed)."""
    firms = read_table(folder, "firms")
    years = firms.groupby("firm_id")["year"].agg(set)
    gone = next(fid for fid, ys in years.items() if ys == {2021})
    links = read_table(folder, "links")
    row = int(np.flatnonzero(links["year"] == 2022)[0])
    links.loc[row, "target_id"] = gone
    write_table(folder, "links", links)


def keep_cluster_members(cluster: str, keep: int, entity_type: str | None = None) -> Mutation:
    """Leave ``cluster`` with only ``keep`` entities a year (and the links among what is left).

    With ``entity_type`` the kept members are of that type (e.g. only universities).
    """

    def mutate(folder: Path) -> None:
        firms = read_table(folder, "firms")
        mine = firms["cluster_id"] == cluster
        if entity_type is not None:
            firms = firms[~mine | (firms["entity_type"] == entity_type)]
            mine = firms["cluster_id"] == cluster
        rank = firms[mine].groupby("year").cumcount()
        dropped = firms[mine][rank >= keep]
        firms = firms.drop(index=dropped.index)
        write_table(folder, "firms", firms.reset_index(drop=True))
        _drop_dangling_links(folder, firms)

    return mutate


def shrink_every_cluster(keep: int) -> Mutation:
    def mutate(folder: Path) -> None:
        for cluster in read_table(folder, "clusters")["cluster_id"]:
            keep_cluster_members(cluster, keep)(folder)

    return mutate


def _drop_dangling_links(folder: Path, firms: pd.DataFrame) -> None:
    links = read_table(folder, "links")
    known = set(zip(firms["firm_id"], firms["year"].astype(int), strict=True))
    keep = [
        (s, int(y)) in known and (t, int(y)) in known
        for s, t, y in zip(links["source_id"], links["target_id"], links["year"], strict=True)
    ]
    write_table(folder, "links", links[keep].reset_index(drop=True))


def drop_members(cluster: str, year: int | None = None) -> Mutation:
    """Remove every firms row of ``cluster`` (in ``year``, or in all years), and its links."""

    def mutate(folder: Path) -> None:
        firms = read_table(folder, "firms")
        gone = firms["cluster_id"] == cluster
        if year is not None:
            gone &= firms["year"].astype(int) == year
        firms = firms[~gone].reset_index(drop=True)
        write_table(folder, "firms", firms)
        _drop_dangling_links(folder, firms)

    return mutate


def drop_links(year: int | None = None, cluster: str | None = None) -> Mutation:
    """Remove every link of ``year``, or every link touching ``cluster``."""

    def mutate(folder: Path) -> None:
        links = read_table(folder, "links")
        if cluster is None:
            keep = links["year"].astype(int) != year
        else:
            firms = read_table(folder, "firms")
            members = set(firms.loc[firms["cluster_id"] == cluster, "firm_id"])
            keep = ~(links["source_id"].isin(members) | links["target_id"].isin(members))
        write_table(folder, "links", links[keep].reset_index(drop=True))

    return mutate


def zero_cluster_revenue(cluster: str) -> Mutation:
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[frame["cluster_id"] == cluster, "revenue"] = 0.0
        return frame

    return edit("firms", change)


def rename_clusters(new_ids: tuple[str, ...] = HOSTILE, names: bool = False) -> Mutation:
    """Give the first clusters hostile ids everywhere (or, with ``names``, hostile names)."""

    def mutate(folder: Path) -> None:
        clusters = read_table(folder, "clusters")
        old = list(clusters["cluster_id"][: len(new_ids)])
        if names:
            clusters.loc[: len(new_ids) - 1, "name"] = list(new_ids)
            clusters.loc[: len(new_ids) - 1, "city"] = list(new_ids)
            write_table(folder, "clusters", clusters)
            return
        mapping = dict(zip(old, new_ids, strict=True))
        for table in ("clusters", "firms", "labels"):
            frame = read_table(folder, table)
            frame["cluster_id"] = frame["cluster_id"].replace(mapping)
            write_table(folder, table, frame)

    return mutate


def rename_firms(new_ids: tuple[str, ...] = HOSTILE) -> Mutation:
    """Give the first firms hostile ids in firms and links."""

    def mutate(folder: Path) -> None:
        firms = read_table(folder, "firms")
        old = list(dict.fromkeys(firms["firm_id"]))[: len(new_ids)]
        mapping = dict(zip(old, new_ids, strict=True))
        firms["firm_id"] = firms["firm_id"].replace(mapping)
        write_table(folder, "firms", firms)
        links = read_table(folder, "links")
        for end in ("source_id", "target_id"):
            links[end] = links[end].replace(mapping)
        write_table(folder, "links", links)

    return mutate


def only_year(year: int) -> Mutation:
    """Keep one observation year in every table."""

    def mutate(folder: Path) -> None:
        for table in ("firms", "links", "labels"):
            frame = read_table(folder, table)
            write_table(folder, table, frame[frame["year"].astype(int) == year])

    return mutate


# --- the corpus ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One broken extract and what the commands must make of it.

    ``error``: every command's output holds a line naming ``file`` (a file name, or the
    table for a missing table) and, where given, ``column``, ``message`` and ``row`` (1-based).
    ``flagged``: every row of ``affected`` (cluster_id, year; year None = every year) has
    ``undefined`` among its features' ``undefined_reasons`` (where given), and in the scores
    the flag ``score_flag`` with ``score_reason`` in its ``flag_reason`` (where given).
    ``accepted``: the commands succeed; ``verbatim`` strings appear in the scores as written,
    and without them the features equal the clean extract's.
    """

    name: str
    what: str
    mutate: Mutation
    outcome: Outcome
    base: Format = "parquet"
    file: str = ""
    column: str | None = None
    message: str = ""
    row: int | None = None
    affected: tuple[tuple[str, int | None], ...] = ()
    undefined: str = ""
    score_flag: str | None = None
    score_reason: str = ""
    verbatim: tuple[str, ...] = field(default=())

    def expected_text(self) -> str:
        """What the user gets, for the documentation table."""
        if self.outcome == "error":
            where = self.file if self.column is None else f"{self.file}, column {self.column}"
            text = f"{where}: {self.message}" if self.message else where
            return f"exit 2: `{text}{f' (… row {self.row})' if self.row else ''}`"
        if self.outcome == "flagged":
            parts = []
            if self.undefined:
                parts.append(f"features: NaN indicators, reason “{self.undefined}”")
            if self.score_flag:
                reason = f" “{self.score_reason}”" if self.score_reason else ""
                parts.append(f"scores: `{self.score_flag}`{reason}")
            return "; ".join(parts)
        return "results as usual, text kept as data" if self.verbatim else "results as usual"


def _error(name, what, mutate, file, column, message, row=None, base="parquet") -> Case:
    return Case(name, what, mutate, "error", base, file, column, message, row)


P, C = "parquet", "csv"
R = ROW + 1
NOT_IN_FIRMS = "firm_id not in firms for that year"

CASES: tuple[Case, ...] = (
    # missing and extra columns
    _error(
        "firms_missing_revenue",
        "firms without its revenue column",
        drop_column("firms", "revenue"),
        "firms.parquet",
        "revenue",
        "required column missing",
    ),
    _error(
        "firms_missing_firm_id",
        "firms (CSV) without its firm_id column",
        drop_column("firms", "firm_id"),
        "firms.csv",
        "firm_id",
        "required column missing",
        base=C,
    ),
    _error(
        "links_missing_weight",
        "links (CSV) without its weight column",
        drop_column("links", "weight"),
        "links.csv",
        "weight",
        "required column missing",
        base=C,
    ),
    _error(
        "clusters_missing_domain",
        "clusters without its domain column",
        drop_column("clusters", "domain"),
        "clusters.parquet",
        "domain",
        "required column missing",
    ),
    Case(
        "extra_columns",
        "extra columns in firms, links and clusters",
        compose(*(add_columns(t, note="x", 备注="额外") for t in ("firms", "links", "clusters"))),
        "accepted",
    ),
    Case(
        "columns_reversed",
        "every CSV table with its columns in reverse order",
        compose(*(reverse_columns(t) for t in TABLES)),
        "accepted",
        C,
    ),
    Case(
        "firms_without_optional_columns",
        "firms without the optional listed and vc_funding columns",
        compose(drop_column("firms", "listed"), drop_column("firms", "vc_funding")),
        "flagged",
        affected=(("C0001", None), (SMALL, None)),
        undefined="the extract has no vc_funding column",
        score_flag="low_trust",
        score_reason="vc_per_enterprise missing (never missing in training)",
    ),
    # tables missing, empty, unreadable
    _error(
        "firms_table_missing",
        "no firms file",
        remove_table("firms"),
        "missing table firms",
        None,
        "",
    ),
    _error(
        "links_table_missing",
        "no links file (CSV extract)",
        remove_table("links"),
        "missing table links",
        None,
        "",
        base=C,
    ),
    _error(
        "clusters_table_missing",
        "no clusters file",
        remove_table("clusters"),
        "missing table clusters",
        None,
        "",
    ),
    Case(
        "labels_table_missing",
        "no labels file (the table is optional)",
        remove_table("labels"),
        "accepted",
    ),
    _error(
        "firms_in_two_forms",
        "firms.parquet and firms.csv side by side",
        both_forms("firms"),
        "ambiguous table firms",
        None,
        "",
    ),
    _error(
        "firms_empty",
        "firms with a header and no rows",
        empty_table("firms"),
        "firms.parquet",
        None,
        "table is empty",
    ),
    _error(
        "links_empty",
        "links (CSV) with a header and no rows",
        empty_table("links"),
        "links.csv",
        None,
        "table is empty",
        base=C,
    ),
    _error(
        "clusters_empty",
        "clusters with a header and no rows",
        empty_table("clusters"),
        "clusters.parquet",
        None,
        "table is empty",
    ),
    _error(
        "firms_zero_bytes",
        "firms.csv of zero bytes",
        zero_byte_file("firms"),
        "firms.csv",
        None,
        "file is empty (no header)",
        base=C,
    ),
    _error(
        "firms_truncated_parquet",
        "firms.parquet cut in half (a copy that stopped)",
        truncate_file("firms"),
        "firms.parquet",
        None,
        "cannot be read",
    ),
    _error(
        "links_truncated_parquet",
        "links.parquet cut at 90 %",
        truncate_file("links", 0.9),
        "links.parquet",
        None,
        "cannot be read",
    ),
    _error(
        "clusters_not_parquet",
        "clusters.parquet holding bytes that are not Parquet",
        garbage_file("clusters"),
        "clusters.parquet",
        None,
        "cannot be read",
    ),
    Case(
        "clusters_csv_gbk",
        "clusters.csv saved in GBK (Chinese names), read as GB18030",
        reencode("clusters", "gbk"),
        "accepted",
        base=C,
    ),
    _error(
        "clusters_csv_utf16",
        "clusters.csv saved as UTF-16 (Excel's 'Unicode text')",
        reencode("clusters", "utf-16"),
        "clusters.csv",
        None,
        "not UTF-8 or GB18030 text",
        base=C,
    ),
    Case(
        "tables_as_workbooks",
        "firms and links each in an Excel workbook of their own",
        to_workbook("firms", "links"),
        "accepted",
    ),
    Case(
        "tables_in_one_workbook",
        "every table a sheet of one workbook, extract.xlsx",
        to_workbook(*TABLES, book="extract.xlsx"),
        "accepted",
    ),
    _error(
        "firms_in_csv_and_workbook",
        "firms.csv beside a workbook with a sheet firms",
        to_workbook("firms", book="extract.xlsx", keep=True),
        "ambiguous table firms",
        None,
        "both extract.xlsx and firms.csv",
        base=C,
    ),
    Case(
        "domains_by_name",
        "domains written as 新一代信息技术产业, 高端装备, 新材料, 生物医药, New Energy",
        domains_by_name,
        "accepted",
    ),
    Case(
        "industry_codes_as_classes",
        "industry codes written as classes after the section letter (C3911)",
        industry_codes_as_classes,
        "accepted",
        base=C,
    ),
    _error(
        "links_csv_ragged_row",
        "a links.csv line with two fields too many",
        ragged_row("links"),
        "links.csv",
        None,
        "cannot be read",
        base=C,
    ),
    # wrong types
    _error(
        "firms_employees_text",
        "'many' in the employees column (CSV)",
        set_cell("firms", "employees", "many"),
        "firms.csv",
        "employees",
        "not a number ('many')",
        R,
        base=C,
    ),
    _error(
        "firms_revenue_text_parquet",
        "revenue stored as text in Parquet, one cell 'n/a'",
        set_cell("firms", "revenue", "n/a"),
        "firms.parquet",
        "revenue",
        "not a number ('n/a')",
        R,
    ),
    _error(
        "firms_year_fraction",
        "a year of 2021.5 (CSV)",
        set_cell("firms", "year", "2021.5"),
        "firms.csv",
        "year",
        "not a whole number",
        R,
        base=C,
    ),
    _error(
        "firms_hq_outside_maybe",
        "'maybe' in the boolean hq_outside",
        set_cell("firms", "hq_outside", "maybe"),
        "firms.parquet",
        "hq_outside",
        "not true/false ('maybe')",
        R,
    ),
    Case(
        "links_weight_numbers_as_text",
        "link weights stored as text in Parquet (all valid numbers)",
        edit("links", lambda f: f.assign(weight=f["weight"].astype(str))),
        "accepted",
    ),
    # NaN and inf
    _error(
        "firms_revenue_nan",
        "NaN revenue",
        set_cell("firms", "revenue", float("nan")),
        "firms.parquet",
        "revenue",
        "missing value",
        R,
    ),
    _error(
        "firms_revenue_inf",
        "infinite revenue",
        set_cell("firms", "revenue", float("inf")),
        "firms.parquet",
        "revenue",
        "not a finite number",
        R,
    ),
    _error(
        "links_weight_inf_csv",
        "'inf' as a link weight (CSV)",
        set_cell("links", "weight", "inf"),
        "links.csv",
        "weight",
        "not a finite number",
        R,
        base=C,
    ),
    _error(
        "links_weight_nan",
        "NaN link weight",
        set_cell("links", "weight", float("nan")),
        "links.parquet",
        "weight",
        "missing value",
        R,
    ),
    _error(
        "firms_employees_nan_text",
        "'NaN' written as text for employees (CSV)",
        set_cell("firms", "employees", "NaN"),
        "firms.csv",
        "employees",
        "not a number ('NaN')",
        R,
        base=C,
    ),
    _error(
        "firms_vc_funding_nan",
        "NaN in the optional vc_funding column",
        set_cell("firms", "vc_funding", float("nan")),
        "firms.parquet",
        "vc_funding",
        "missing value",
        R,
    ),
    _error(
        "firms_firm_id_missing",
        "an empty firm_id",
        set_cell("firms", "firm_id", None),
        "firms.parquet",
        "firm_id",
        "missing value",
        R,
    ),
    # negative and absurd values
    _error(
        "firms_revenue_negative",
        "negative revenue (CSV)",
        set_cell("firms", "revenue", "-5"),
        "firms.csv",
        "revenue",
        "negative value",
        R,
        base=C,
    ),
    _error(
        "firms_employees_negative",
        "negative employees",
        set_cell("firms", "employees", -3),
        "firms.parquet",
        "employees",
        "negative value",
        R,
    ),
    _error(
        "firms_patents_negative",
        "negative invention patents",
        set_cell("firms", "invention_patents", -1),
        "firms.parquet",
        "invention_patents",
        "negative value",
        R,
    ),
    _error(
        "firms_revenue_1e18",
        "revenue of 1e18 (10k CNY)",
        set_cell("firms", "revenue", 1e18),
        "firms.parquet",
        "revenue",
        "above the maximum 1e+09",
        R,
    ),
    _error(
        "firms_employees_absurd",
        "five million employees in one firm",
        set_cell("firms", "employees", 5_000_000),
        "firms.parquet",
        "employees",
        "above the maximum 3e+06",
        R,
    ),
    _error(
        "links_weight_1e18",
        "a link weight of 1e18",
        set_cell("links", "weight", 1e18),
        "links.parquet",
        "weight",
        "above the maximum 1e+09",
        R,
    ),
    _error(
        "links_weight_zero",
        "a link weight of 0",
        set_cell("links", "weight", 0.0),
        "links.parquet",
        "weight",
        "must be greater than 0",
        R,
    ),
    _error(
        "firms_year_1800",
        "an observation year of 1800",
        set_cell("firms", "year", 1800),
        "firms.parquet",
        "year",
        "below the minimum 1949",
        R,
    ),
    _error(
        "firms_founded_after_year",
        "a firm founded in 2030 (CSV)",
        set_cell("firms", "founded_year", "2030"),
        "firms.csv",
        "founded_year",
        "founded after the observation year",
        R,
        base=C,
    ),
    # unknown codes
    _error(
        "firms_unknown_entity_type",
        "entity_type 'alien'",
        set_cell("firms", "entity_type", "alien"),
        "firms.parquet",
        "entity_type",
        "unknown value ('alien')",
        R,
    ),
    _error(
        "firms_bad_industry_code",
        "industry_code 'A9' (CSV)",
        set_cell("firms", "industry_code", "A9"),
        "firms.csv",
        "industry_code",
        "not a GB/T 4754-2017 division, group or class code ('A9')",
        R,
        base=C,
    ),
    _error(
        "clusters_unknown_domain",
        "domain 'space'",
        set_cell("clusters", "domain", "space"),
        "clusters.parquet",
        "domain",
        "unknown value ('space')",
        R,
    ),
    _error(
        "links_unknown_type",
        "link_type 'friendship'",
        set_cell("links", "link_type", "friendship"),
        "links.parquet",
        "link_type",
        "unknown value ('friendship')",
        R,
    ),
    # duplicate ids and broken references
    _error(
        "firms_duplicate_id",
        "two firms rows with one firm_id and year",
        copy_key("firms", "firm_id"),
        "firms.parquet",
        "firm_id+year",
        "duplicate key",
        1,
    ),
    _error(
        "clusters_duplicate_id",
        "two clusters with one cluster_id (CSV)",
        copy_key("clusters", "cluster_id"),
        "clusters.csv",
        "cluster_id",
        "duplicate key",
        1,
        base=C,
    ),
    _error(
        "labels_duplicate",
        "a labels row repeated",
        duplicate_row("labels"),
        "labels.parquet",
        "cluster_id+year",
        "duplicate key",
        1,
    ),
    _error(
        "links_unknown_target",
        "a link to a firm_id that does not exist",
        set_cell("links", "target_id", "F-NOBODY"),
        "links.parquet",
        "target_id",
        NOT_IN_FIRMS,
        R,
    ),
    _error(
        "links_year_without_firms",
        "a link dated 2020, a year with no firms rows",
        links_in_year(2020),
        "links.parquet",
        "source_id",
        NOT_IN_FIRMS,
        R,
    ),
    _error(
        "links_to_closed_firm",
        "a 2022 link to a firm whose last row is 2021",
        link_to_firm_of_other_year,
        "links.parquet",
        "target_id",
        NOT_IN_FIRMS,
    ),
    _error(
        "links_self_link",
        "a link from a firm to itself (CSV)",
        self_link(),
        "links.csv",
        "source_id",
        "link from a firm to itself",
        R,
        base=C,
    ),
    _error(
        "firms_unknown_cluster",
        "a firm in cluster 'C9999', which clusters does not list",
        set_cell("firms", "cluster_id", "C9999"),
        "firms.parquet",
        "cluster_id",
        "cluster_id not in the clusters table",
        R,
    ),
    _error(
        "labels_unknown_cluster",
        "a label for cluster 'C9999'",
        set_cell("labels", "cluster_id", "C9999"),
        "labels.parquet",
        "cluster_id",
        "cluster_id not in the clusters table",
        R,
    ),
    # mixed-up units
    _error(
        "revenue_in_yuan",
        "every revenue in yuan instead of 10k yuan (×10,000)",
        scale_column("firms", "revenue", 1e4),
        "firms.parquet",
        "revenue",
        "above the maximum 1e+09 (likely a unit or entry error)",
    ),
    _error(
        "revenue_in_yuan_one_cluster",
        f"cluster {SMALL}'s revenue in yuan (×10,000; its largest firm 3.5 bn CNY)",
        scale_column("firms", "revenue", 1e4, SMALL),
        "firms.parquet",
        "revenue",
        "above the maximum 1e+09 (likely a unit or entry error)",
    ),
    Case(
        "rd_expense_in_yuan_one_cluster",
        f"cluster {SMALL}'s R&D expense in yuan (×10,000)",
        scale_column("firms", "rd_expense", 1e4, SMALL),
        "flagged",
        affected=((SMALL, None),),
        score_flag="low_trust",
        score_reason="rd_intensity",
    ),
    # odd but valid shapes
    Case(
        "cluster_with_one_firm",
        f"cluster {SMALL} reduced to one enterprise a year",
        keep_cluster_members(SMALL, 1, "enterprise"),
        "flagged",
        affected=((SMALL, None),),
        undefined="fewer than 2 enterprises",
        score_flag="insufficient_data",
        score_reason="1 enterprises (at least 10 needed)",
    ),
    Case(
        "cluster_of_institutes_only",
        f"cluster {INSTITUTES} left with its research institutes only (no enterprise)",
        keep_cluster_members(INSTITUTES, 1000, "research_institute"),
        "flagged",
        affected=((INSTITUTES, None),),
        undefined="the cluster has no enterprises this year",
        score_flag="insufficient_data",
        score_reason="0 enterprises (at least 10 needed)",
    ),
    Case(
        "every_cluster_too_small",
        "every cluster cut to 5 entities a year: none has the 10 enterprises needed",
        shrink_every_cluster(5),
        "flagged",
        affected=(("C0001", None), (SMALL, None)),
        undefined="fewer than 25 enterprises with revenue",
        score_flag="insufficient_data",
        score_reason="enterprises (at least 10 needed)",
    ),
    Case(
        "cluster_without_members_one_year",
        f"cluster {SMALL} listed, but no firms rows in 2022",
        drop_members(SMALL, 2022),
        "flagged",
        affected=((SMALL, 2022),),
        score_flag="insufficient_data",
        score_reason="0 enterprises (at least 10 needed)",
    ),
    _error(
        "firms_all_outside_clusters",
        "every firm an outside partner (cluster_id empty): nothing to compute",
        edit("firms", lambda f: f.assign(cluster_id=None)),
        "firms.parquet",
        "cluster_id",
        "no row belongs to a cluster",
    ),
    Case(
        "year_with_no_links",
        "no links at all in 2022",
        drop_links(year=2022),
        "flagged",
        affected=(("C0001", 2022), (SMALL, 2022)),
        undefined="no links touch the cluster this year",
        score_flag="low_trust",
        score_reason="missing (never missing in training)",
    ),
    Case(
        "cluster_without_links",
        f"no link touches cluster {SMALL}",
        drop_links(cluster=SMALL),
        "flagged",
        affected=((SMALL, None),),
        undefined="no links touch the cluster this year",
        score_flag="low_trust",
        score_reason="missing (never missing in training)",
    ),
    Case(
        "cluster_zero_revenue",
        f"every firm of cluster {SMALL} reports zero revenue",
        zero_cluster_revenue(SMALL),
        "flagged",
        affected=((SMALL, None),),
        undefined="enterprises report zero total revenue",
        score_flag="low_trust",
        score_reason="missing (never missing in training)",
    ),
    Case(
        "single_year",
        "only 2022 in the extract (no previous year anywhere)",
        only_year(2022),
        "flagged",
        affected=(("C0001", 2022), (SMALL, 2022)),
        undefined="the cluster has no data for the previous year",
    ),
    # hostile text
    Case(
        "hostile_cluster_ids",
        "cluster ids `../../x`, `<script>…`, `$(rm -rf /)`, a newline, SQL quotes",
        rename_clusters(),
        "accepted",
        verbatim=HOSTILE,
    ),
    Case(
        "hostile_cluster_names_csv",
        "the same strings as cluster names and cities (CSV)",
        rename_clusters(names=True),
        "accepted",
        C,
        verbatim=HOSTILE,
    ),
    Case(
        "hostile_firm_ids",
        "the same strings as firm ids in firms and links",
        rename_firms(),
        "accepted",
    ),
)


def case(name: str) -> Case:
    return next(c for c in CASES if c.name == name)


def build_case(the_case: Case, bases: dict[str, Path], target: Path) -> Path:
    """Copy the clean extract of the case's form to ``target`` and break it."""
    shutil.copytree(bases[the_case.base], target)
    the_case.mutate(target)
    return target


def render_table() -> str:
    """The corpus as the Markdown table of docs/robustness.md."""
    lines = [
        "| case | form | what is broken | outcome | what the user gets |",
        "|---|---|---|---|---|",
    ]
    for c in CASES:
        what = c.what.replace("|", "\\|")
        lines.append(f"| `{c.name}` | {c.base} | {what} | {c.outcome} | {c.expected_text()} |")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m tests.robustness.mutations > table for the docs
    print(render_table())
