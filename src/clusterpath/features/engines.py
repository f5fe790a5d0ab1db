"""SQL engines that run the indicator queries: DuckDB embedded, or Apache Spark.

The indicator definitions are SQL files written in the subset both engines share, so each
indicator is defined once; an engine only registers tables, materialises the intermediate
stages and fetches the result.
"""

from __future__ import annotations

import os
import shutil
import sys
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


def spark_session(master: str = "local[2]", app_name: str = "clusterpath"):
    """Start (or reuse) a Spark session whose Python workers use this interpreter."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )


class SparkEngine:
    """Apache Spark SQL; stages become temporary views, planned together at the final fetch."""

    def __init__(self, session=None, master: str = "local[2]") -> None:
        self._spark = session or spark_session(master)
        self._owned = session is None
        self._views: list[str] = []

    def register(self, name: str, frame: pd.DataFrame) -> None:
        self._spark.createDataFrame(frame).createOrReplaceTempView(name)
        self._views.append(name)

    def materialise(self, name: str, sql: str, view: bool = False) -> None:
        self._spark.sql(sql).createOrReplaceTempView(name)
        self._views.append(name)

    def fetch(self, sql: str) -> pd.DataFrame:
        return self._spark.sql(sql).toPandas()

    def close(self) -> None:
        for name in self._views:
            self._spark.catalog.dropTempView(name)
        if self._owned:
            self._spark.stop()
