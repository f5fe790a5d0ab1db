"""The indicator SQL on Apache Spark: ``clusterpath.features.engines.SqlEngine`` over a session.

The stages are the same SQL files DuckDB runs (``features/sql/``); only where they run differs.
"""

from __future__ import annotations

import pandas as pd

from clusterpath.spark.extract import SparkSql

# Stages Spark keeps as plans although DuckDB stores them: each reader of ``members`` reads
# only its own columns of the firms file, which costs Spark less than caching all of them
# (1.4M firm-rows: 5 CPU-seconds less) and would cost DuckDB a quarter more time.
PLANNED = frozenset({"members"})


class SparkEngine:
    """Apache Spark SQL over tables that Spark already holds (views over the extract's files).

    A stage that DuckDB would store as a table is computed at once and kept with its plan
    cut (``checkpointed``), so a later stage starts from its rows instead of planning, and
    re-planning, every stage before it; view stages and ``PLANNED`` stay plans. Only small
    reference tables are registered from pandas.
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
        frame = self._spark.sql(sql)
        if not view and name not in PLANNED:
            frame = checkpointed(frame)
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


def checkpointed(frame):
    """``frame`` computed now and kept (in memory, spilling to disk), its plan cut there.

    A later query then starts from these rows, as from a table: it neither plans the stages
    before again nor runs them, and the planner knows their true size, so a small stage is
    broadcast to a join rather than both sides shuffled (a plain checkpoint keeps the
    planner's estimate, which for a join is the product of its sides). The rows are kept
    by the executors; where a checkpoint directory is set on a cluster
    (``--spark-conf spark.checkpoint.dir=hdfs://...``) they are written there first, so
    that losing an executor loses nothing.
    """
    from pyspark import StorageLevel
    from pyspark.sql import DataFrame

    spark = frame.sparkSession
    context = spark.sparkContext
    if context.getCheckpointDir() and not context.master.startswith("local"):
        cut = frame.checkpoint(eager=True)
    else:
        rows = frame._jdf.queryExecution().toRdd()
        cut = DataFrame(
            spark._jsparkSession.internalCreateDataFrame(rows, frame._jdf.schema(), False), spark
        )
    kept = cut.persist(StorageLevel.MEMORY_AND_DISK)
    kept.count()
    return kept
