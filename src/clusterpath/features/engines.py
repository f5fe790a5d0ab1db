"""SQL engines that run the indicator queries: DuckDB embedded, or Apache Spark.

The indicator definitions are SQL files written in the subset both engines share, so each
indicator is defined once; an engine only registers tables, materialises the intermediate
stages and fetches the result.
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


def spark_session(master: str = "local[2]", app_name: str = "clusterpath"):
    """Start (or reuse) a guarded Spark session (``clusterpath.spark.session``); its workers
    use this interpreter."""
    from clusterpath.spark.session import start_session

    return start_session(master, app_name=app_name).spark


class SparkEngine:
    """Apache Spark SQL over tables that Spark already holds (views over the extract's files).

    A stage that DuckDB would store as a table is kept by Spark (in memory, spilling to disk)
    the first time a later stage reads it, so each is computed once; view stages stay plans.
    Only small reference tables are registered from pandas.
    """

    def __init__(self, session) -> None:
        self._spark = session
        self._views: list[str] = []
        self._kept: list[object] = []

    @property
    def connection(self):
        """Spark SQL behind the small ``execute`` interface the contract checks use."""
        from clusterpath.spark.extract import SparkSql

        return SparkSql(self._spark)

    def register(self, name: str, frame: pd.DataFrame) -> None:
        self._spark.createDataFrame(frame).createOrReplaceTempView(name)
        self._views.append(name)

    def materialise(self, name: str, sql: str, view: bool = False) -> None:
        from pyspark import StorageLevel

        frame = self._spark.sql(sql)
        if not view:
            frame = frame.persist(StorageLevel.MEMORY_AND_DISK)
            self._kept.append(frame)
        frame.createOrReplaceTempView(name)
        self._views.append(name)

    def fetch(self, sql: str) -> pd.DataFrame:
        return self._spark.sql(sql).toPandas()

    def close(self) -> None:
        for frame in self._kept:
            frame.unpersist()
        for name in self._views:
            self._spark.catalog.dropTempView(name)
