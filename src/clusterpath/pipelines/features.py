"""Job: extract folder in, indicator table out (atomically, stamped with its provenance)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress

from clusterpath.data.contract import build_contract
from clusterpath.data.errors import NO_MEMBERS, ContractError, Problem
from clusterpath.data.readers import fingerprint_files, load_extract
from clusterpath.data.reference import Reference, load_reference
from clusterpath.data.sql_checks import (
    BROKEN_ROW,
    ParquetTable,
    check_link_ends,
    check_tables,
    create_views,
    parquet_tables,
)
from clusterpath.features.catalogue import load_catalogue
from clusterpath.features.checked_scans import check_stages, parquet_rows, register_guarded
from clusterpath.features.compute import (
    FIRM_COLUMNS,
    LINK_COLUMNS,
    STAGES,
    compute_registered,
    prepare_firms,
)
from clusterpath.features.engines import DuckDBEngine, SqlEngine
from clusterpath.spark.engine import SparkEngine
from clusterpath.spark.session import SparkOptions, local_bytes
from clusterpath.storage import write_csv, write_parquet

Engine = Literal["duckdb", "spark"]
# Columns read (and so checked) per table; the small clusters table is read whole, so a
# broken column there stops this command as it stops `validate`.
COLUMNS = {"firms": [*FIRM_COLUMNS, "listed"], "links": LINK_COLUMNS}


def build_features(
    folder: Path | str,
    engine: Engine = "duckdb",
    spark: SparkOptions | None = None,
    console=None,
) -> pd.DataFrame:
    """Read the columns the catalogue needs, compute every indicator, add provenance columns.

    On DuckDB, an extract of Parquet files that already hold the contract's types is never
    loaded into pandas: it is checked and computed in SQL over the files, which is what lets
    ten million firm-rows fit in a few GiB. Anything else is read and checked as frames.
    On Spark, every extract is read, checked and computed where it lies
    (``clusterpath.spark``); only the indicator table comes back.
    """
    if engine == "spark":
        session = (spark or SparkOptions()).start(local_bytes(str(folder)))
        try:
            with session.guard():
                return spark_features(session.spark, str(folder), console).features
        finally:
            session.stop()
    folder = Path(folder)
    reference = load_reference()
    catalogue = load_catalogue()
    tables = parquet_tables(folder, build_contract(reference), COLUMNS)
    sql_engine = DuckDBEngine.for_extracts()
    try:
        if tables:
            fingerprint = _register_parquet(sql_engine, tables)
            features = _compute_parquet(sql_engine, tables, catalogue, reference, console)
        else:
            fingerprint = _register_frames(sql_engine, folder, reference)
            features = _compute(sql_engine, catalogue, reference, "duckdb", console)
    finally:
        sql_engine.close()
    return features.assign(extract_fingerprint=fingerprint, catalogue_version=catalogue.version)


@dataclass(frozen=True)
class SparkFeatures:
    """The indicator table computed on Spark, and the extract's checked tables there."""

    features: pd.DataFrame
    tables: list[ParquetTable]
    fingerprint: str


def spark_features(spark, location: str, console=None) -> SparkFeatures:
    """Check and compute on Spark over the extract's files at ``location`` (any Hadoop URI).

    As on DuckDB, the checks ride on the stages' own scans (``checked_scans``): a row that
    breaks a rule stops the stage reading it, and then, or when the stages show a problem,
    the plain checks name the file, column and rows."""
    from clusterpath.spark.extract import key_firms, read_extract

    reference, catalogue = load_reference(), load_catalogue()
    extract = read_extract(spark, location, build_contract(reference), COLUMNS)
    tables, read_rules = extract.tables, extract.read_rules
    engine = SparkEngine(spark)
    try:
        firms = next(t for t in tables if t.name == "firms")
        keyed = key_firms(spark, firms)
        register_guarded(engine, tables, None, read_rules, firm_rows=keyed)
        try:
            features = _compute(engine, catalogue, reference, "spark", console)
        except Exception as exc:
            if BROKEN_ROW in str(exc):
                extract.check(spark)  # names the rows that stopped the stages
            raise
        check_stages(engine.connection, tables, None, read_rules)
        _check_after(engine, tables, features)
    finally:
        engine.close()
    features = features.assign(
        extract_fingerprint=extract.fingerprint, catalogue_version=catalogue.version
    )
    return SparkFeatures(features, tables, extract.fingerprint)


def _compute(engine: SqlEngine, catalogue, reference, name: str, console) -> pd.DataFrame:
    with Progress(console=console, transient=True, disable=console is None) as bar:
        task = bar.add_task(f"indicators ({name})", total=len(STAGES) + 1)
        return compute_registered(
            catalogue, reference, engine, progress=lambda _stage: bar.advance(task)
        )


def _check_after(engine, tables: list[ParquetTable], features: pd.DataFrame) -> None:
    """The checks that read the computed stages: link ends, and a cluster with members."""
    check_link_ends(engine.connection, tables, "link_ends")
    firms = next(t for t in tables if t.name == "firms")
    if features.empty:  # as validation.check_across says of frames
        raise ContractError([Problem(firms.file, NO_MEMBERS, "cluster_id")])


def _register_frames(engine: SqlEngine, folder: Path, reference: Reference) -> str:
    """Read and check the extract as frames, hand them to the engine; return the fingerprint."""
    extract = load_extract(folder, columns=COLUMNS, reference=reference)
    engine.register("firms", prepare_firms(extract.firms))
    engine.register("links", extract.links[LINK_COLUMNS])
    return extract.fingerprint


def _register_parquet(engine: DuckDBEngine, tables: list[ParquetTable]) -> str:
    """Give the engine views over the Parquet files (no copies), checked as they are read
    (``checked_scans``); return the fingerprint."""
    create_views(engine.connection, tables)
    register_guarded(engine, tables, _links_rows(tables))
    return fingerprint_files(t.path for t in tables)


def _links_rows(tables: list[ParquetTable]) -> int:
    return parquet_rows(next(t for t in tables if t.name == "links"))


def _compute_parquet(
    engine: DuckDBEngine, tables: list[ParquetTable], catalogue, reference, console
) -> pd.DataFrame:
    """Compute over the guarded views; a row that stopped a stage, or a problem that the
    stages show, is reported by the plain checks (``check_tables``) before anything is
    written."""
    import duckdb

    try:
        features = _compute(engine, catalogue, reference, "duckdb", console)
    except duckdb.Error:
        check_tables(engine.connection, tables)  # names the rows that stopped the stages
        raise
    check_stages(engine.connection, tables, _links_rows(tables))
    _check_after(engine, tables, features)
    return features


def write_features(features: pd.DataFrame, out: Path) -> None:
    """Write the table as Parquet (or CSV if ``out`` ends in .csv), atomically."""
    meta = {
        "extract_fingerprint": str(features["extract_fingerprint"].iat[0])
        if len(features)
        else "",
        "catalogue_version": str(features["catalogue_version"].iat[0]) if len(features) else "",
    }
    if out.suffix == ".csv":
        write_csv(features, out)
    else:
        write_parquet(features, out, metadata=meta)


def run_features(
    folder: Path | str,
    out: Path,
    engine: Engine,
    console: Console,
    spark: SparkOptions | None = None,
) -> None:
    """Compute and write the indicator table, then say what was written."""
    features = build_features(folder, engine, spark, console)
    write_features(features, out)
    undefined = int((features["undefined_reasons"] != "{}").sum())
    console.print(
        f"[green]wrote[/green] {escape(str(out))}: {len(features):,} cluster-years × "
        f"{len(load_catalogue().ids)} indicators ({engine}); "
        f"{undefined:,} rows with some undefined indicator (reasons recorded)"
    )


def list_catalogue(
    console: Console, lang: str = "zh", fmt: str = "table", show: str | None = None
) -> None:
    """Print the catalogue (a narrow table, JSON or Markdown) or one indicator whole."""
    from clusterpath.features.listing import (
        catalogue_json,
        catalogue_markdown,
        catalogue_table,
        indicator_text,
    )

    catalogue = load_catalogue()
    if show is not None:
        if show not in catalogue.ids:
            close = difflib.get_close_matches(show, catalogue.ids, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ContractError([Problem("--show", f"no indicator {show!r}{hint}")])
        console.print(indicator_text(catalogue, show), markup=False, highlight=False)
    elif fmt == "json":
        console.print(catalogue_json(catalogue), markup=False, highlight=False, soft_wrap=True)
    elif fmt == "markdown":
        console.print(catalogue_markdown(catalogue), markup=False, highlight=False, soft_wrap=True)
    else:
        console.print(catalogue_table(catalogue, lang))
