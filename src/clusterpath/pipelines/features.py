"""Job: extract folder in, indicator table out (atomically, stamped with its provenance)."""

from __future__ import annotations

import difflib
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
    ROW,
    ParquetTable,
    check_link_ends,
    open_parquet_extract,
    parquet_tables,
)
from clusterpath.features.catalogue import load_catalogue
from clusterpath.features.compute import (
    FIRM_COLUMNS,
    LINK_COLUMNS,
    STAGES,
    compute_registered,
    prepare_firms,
    prepared_firms_sql,
)
from clusterpath.features.engines import DuckDBEngine, SparkEngine, SqlEngine
from clusterpath.storage import write_csv, write_parquet

Engine = Literal["duckdb", "spark"]
# Columns read (and so checked) per table; the small clusters table is read whole, so a
# broken column there stops this command as it stops `validate`.
COLUMNS = {"firms": [*FIRM_COLUMNS, "listed"], "links": LINK_COLUMNS}


def build_features(
    folder: Path, engine: Engine = "duckdb", spark_master: str = "local[2]", console=None
) -> pd.DataFrame:
    """Read the columns the catalogue needs, compute every indicator, add provenance columns.

    On DuckDB, an extract of Parquet files that already hold the contract's types is never
    loaded into pandas: it is checked and computed in SQL over the files, which is what lets
    ten million firm-rows fit in a few GiB. Anything else is read and checked as frames.
    """
    reference = load_reference()
    catalogue = load_catalogue()
    tables = None
    if engine == "duckdb":
        tables = parquet_tables(folder, build_contract(reference), COLUMNS)
    sql_engine = (
        DuckDBEngine.for_extracts() if engine == "duckdb" else SparkEngine(master=spark_master)
    )
    try:
        if tables:
            fingerprint = _register_parquet(sql_engine, tables)
        else:
            fingerprint = _register_frames(sql_engine, folder, reference)
        with Progress(console=console, transient=True, disable=console is None) as bar:
            task = bar.add_task(f"indicators ({engine})", total=len(STAGES) + 1)
            features = compute_registered(
                catalogue, reference, sql_engine, progress=lambda _stage: bar.advance(task)
            )
        if tables:
            check_link_ends(sql_engine.connection, tables, "link_ends")
            if features.empty:  # as validation.check_across says of frames
                firms = next(t for t in tables if t.name == "firms")
                raise ContractError([Problem(firms.file, NO_MEMBERS, "cluster_id")])
    finally:
        sql_engine.close()
    return features.assign(extract_fingerprint=fingerprint, catalogue_version=catalogue.version)


def _register_frames(engine: SqlEngine, folder: Path, reference: Reference) -> str:
    """Read and check the extract as frames, hand them to the engine; return the fingerprint."""
    extract = load_extract(folder, columns=COLUMNS, reference=reference)
    engine.register("firms", prepare_firms(extract.firms))
    engine.register("links", extract.links[LINK_COLUMNS])
    return extract.fingerprint


def _register_parquet(engine: DuckDBEngine, tables: list[ParquetTable]) -> str:
    """Check the Parquet files in SQL and give the engine views over them (no copies)."""
    open_parquet_extract(engine.connection, tables)
    firms, links = (next(t for t in tables if t.name == n) for n in ("firms", "links"))
    engine.materialise(
        "firms", prepared_firms_sql(firms.view, list(firms.present), ROW), view=True
    )
    engine.materialise("links", f"SELECT {', '.join(LINK_COLUMNS)} FROM {links.view}", view=True)
    return fingerprint_files(t.path for t in tables)


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
    folder: Path, out: Path, engine: Engine, spark_master: str, console: Console
) -> None:
    """Compute and write the indicator table, then say what was written."""
    features = build_features(folder, engine, spark_master, console)
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
