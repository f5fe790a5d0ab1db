"""The yardstick of ``clusterpath features``: the contract checks, then one plain SQL query.

Usage (from the repository root):

    .venv/bin/python benchmarks/reference_features.py DATA

reads an extract of Parquet files and does what the command does, the straightforward way:

1. the contract checks of ``clusterpath features`` on the same columns (the rules of
   ``data/sql_checks.py``: missing columns, infinite numbers, value rules and keys,
   cross-table rules, raising the same errors), and the unknown-link-end anti-join on its
   own (both ends of every link looked up in the firms table);
2. ``reference_features.sql``: all 42 indicators in one DuckDB query over the files, its
   rows fetched into pandas.

DuckDB gets the command's settings (every core, a quarter of the machine's memory, spilling
beyond it), so the two differ only in how the work is written.

It prints the number of cluster-years. ``benchmarks/bench_features.py`` times it against the
command; ``tests/features/test_reference_query.py`` holds its indicators to the engine's.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

QUERY = Path(__file__).with_name("reference_features.sql")


def reference_sql(folder: Path) -> str:
    """The query over the extract's two Parquet files (paths filled in)."""
    text = QUERY.read_text(encoding="utf-8")
    quoted = {
        name: str(folder / f"{name}.parquet").replace("'", "''") for name in ("firms", "links")
    }
    return text.replace("{firms}", quoted["firms"]).replace("{links}", quoted["links"])


def reference_features(folder: Path) -> pd.DataFrame:
    """Check the extract as ``clusterpath features`` does, then run the plain query."""
    from clusterpath.data.contract import build_contract
    from clusterpath.data.errors import ContractError
    from clusterpath.data.reference import load_reference
    from clusterpath.data.sql_checks import link_end_problems, open_parquet_extract, parquet_tables
    from clusterpath.features.compute import industries_frame
    from clusterpath.features.engines import DuckDBEngine
    from clusterpath.pipelines.features import COLUMNS

    folder = Path(folder)
    reference = load_reference()
    tables = parquet_tables(folder, build_contract(reference), COLUMNS)
    if not tables:
        raise SystemExit(f"{folder}: the reference reads Parquet files of the contract's types")
    engine = DuckDBEngine.for_extracts()  # the command's settings: cores, memory cap, spill
    con = engine.connection
    try:
        open_parquet_extract(con, tables)
        problems = link_end_problems(con, {t.name: t for t in tables})
        if problems:
            raise ContractError(problems)
        con.register("industries", industries_frame(reference))
        return con.execute(reference_sql(folder)).df()
    finally:
        engine.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    args = parser.parse_args()
    print(len(reference_features(args.folder)))


if __name__ == "__main__":
    main()
