"""Job: extract folder in, indicator table out (atomically, stamped with its provenance)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd
from rich.console import Console
from rich.progress import Progress

from clusterpath.data.readers import load_extract
from clusterpath.data.reference import load_reference
from clusterpath.features.catalogue import load_catalogue
from clusterpath.features.compute import FIRM_COLUMNS, LINK_COLUMNS, STAGES, compute_indicators
from clusterpath.features.engines import DuckDBEngine, SparkEngine
from clusterpath.storage import write_csv, write_parquet

Engine = Literal["duckdb", "spark"]


def build_features(
    folder: Path, engine: Engine = "duckdb", spark_master: str = "local[2]", console=None
) -> pd.DataFrame:
    """Read the columns the catalogue needs, compute every indicator, add provenance columns."""
    reference = load_reference()
    catalogue = load_catalogue()
    extract = load_extract(
        folder,
        columns={"firms": FIRM_COLUMNS, "links": LINK_COLUMNS, "clusters": ["cluster_id"]},
        reference=reference,
    )
    sql_engine = DuckDBEngine() if engine == "duckdb" else SparkEngine(master=spark_master)
    try:
        with Progress(console=console, transient=True, disable=console is None) as bar:
            task = bar.add_task(f"indicators ({engine})", total=len(STAGES) + 1)
            features = compute_indicators(
                extract.firms,
                extract.links,
                catalogue,
                reference,
                sql_engine,
                progress=lambda _stage: bar.advance(task),
            )
    finally:
        sql_engine.close()
    return features.assign(
        extract_fingerprint=extract.fingerprint, catalogue_version=catalogue.version
    )


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
        f"[green]wrote[/green] {out}: {len(features):,} cluster-years × "
        f"{len(load_catalogue().ids)} indicators ({engine}); "
        f"{undefined:,} rows with some undefined indicator (reasons recorded)"
    )


def list_catalogue(console: Console, lang: str = "zh") -> None:
    """Print the catalogue as a table."""
    from rich.table import Table

    table = Table(title="clusterpath indicators", show_lines=False)
    for header in (
        "id",
        "名称" if lang == "zh" else "name",
        "unit",
        "trait",
        "passages",
        "formula",
    ):
        table.add_column(header, overflow="fold", no_wrap=header == "id")
    for ind in load_catalogue().indicators:
        name = ind.name_zh if lang == "zh" else ind.name_en
        table.add_row(ind.id, name, ind.unit, ind.trait, ", ".join(ind.passages), ind.formula)
    console.print(table)
