"""The indicator SQL on Apache Spark: ``clusterpath.features.engines.SqlEngine`` over a session.

The stages are the same SQL files DuckDB runs (``features/sql/``); only where they run differs.
"""

from __future__ import annotations

import pandas as pd

from clusterpath.spark.extract import SparkSql


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
