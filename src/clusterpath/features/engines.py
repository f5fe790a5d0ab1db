"""SQL engines that run the indicator queries: what an engine must do, and DuckDB embedded.

The indicator definitions are SQL files written in the subset DuckDB and Spark SQL share, so
each indicator is defined once; an engine only registers tables, materialises the
intermediate stages and fetches the result. The Spark engine lives with the rest of Spark
(``clusterpath.spark.engine``), so this stage never reaches up to it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Protocol

import pandas as pd


class SqlEngine(Protocol):
    """What the feature pipeline needs from an engine."""

    def register(self, name: str, frame: pd.DataFrame) -> None: ...

    def materialise(self, name: str, sql: str, view: bool = False) -> None: ...

    def fetch(self, sql: str) -> pd.DataFrame: ...

    def close(self) -> None: ...


class DuckDBEngine:
    """In-process DuckDB; pandas frames are copied in once, stages become temp tables."""

    def __init__(
        self,
        threads: int | None = None,
        memory_limit: str | None = None,
        spill: bool = False,
    ) -> None:
        import duckdb

        self._con = duckdb.connect(":memory:")
        self._spill_dir = tempfile.mkdtemp(prefix="clusterpath-duckdb-") if spill else None
        if threads:
            self._con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            self._con.execute("SET memory_limit = ?", [memory_limit])
        if self._spill_dir:
            self._con.execute("SET temp_directory = ?", [self._spill_dir])
        self._con.execute("SET preserve_insertion_order = false")

    @classmethod
    def for_extracts(cls) -> DuckDBEngine:
        """An engine for a whole extract: every core, and at most a quarter of the machine's
        memory (on 24 GiB, 6 GiB), beyond which DuckDB spills to a private temporary folder
        (under TMPDIR, removed on close) instead of growing without bound."""
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        return cls(threads=os.cpu_count(), memory_limit=f"{memory // 4 // 2**20}MB", spill=True)

    @property
    def connection(self):
        """The DuckDB connection, for checks that run over the same views as the stages."""
        return self._con

    def register(self, name: str, frame: pd.DataFrame) -> None:
        # Copy once into DuckDB's columnar storage: scanning pandas object columns again in
        # every stage would convert Python strings over and over.
        self._con.register(f"_{name}_frame", frame)
        self._con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _{name}_frame")
        self._con.unregister(f"_{name}_frame")

    def materialise(self, name: str, sql: str, view: bool = False) -> None:
        kind = "VIEW" if view else "TABLE"
        self._con.execute(f"CREATE OR REPLACE TEMP {kind} {name} AS {sql}")

    def fetch(self, sql: str) -> pd.DataFrame:
        return self._con.execute(sql).df()

    def close(self) -> None:
        self._con.close()
        if self._spill_dir:
            shutil.rmtree(self._spill_dir, ignore_errors=True)
