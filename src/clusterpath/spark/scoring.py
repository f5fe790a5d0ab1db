"""Score cluster-years on Spark with the embedded job's own function, a chunk per task.

Every output of ``clusterpath score`` (paths, probabilities, sets, trust flags, SHAP
drivers, what-ifs, explanation records) is a function of one cluster-year's indicators and
the model, so the indicator table is cut into contiguous chunks in (cluster, year) order,
each chunk is scored by ``explain.batch.score_table`` inside a Spark task (``mapInPandas``),
and the driver puts the chunks back in order. The rows are then those the embedded job
writes: same function, same order.

A chunk travels as a pickled frame and comes back as a pickled ``ScoredBatch``, so no
column's type is changed on the way (Arrow would turn categoricals and empty object columns
into something else). The model, the vocabulary and the settings are broadcast once.
"""

from __future__ import annotations

import math
import pickle
from collections.abc import Iterator

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from clusterpath.explain.batch import KEYS, ScoredBatch, score_table
from clusterpath.explain.records import Vocabulary
from clusterpath.explain.settings import ScoringConfig
from clusterpath.models.loading import LoadedModel

CHUNK_ROWS = 2000  # cluster-years per task: enough work to pay for a task, small to send
PAYLOAD_SCHEMA = "chunk INT, payload BINARY"


def chunk_bounds(rows: int, parallelism: int) -> list[tuple[int, int]]:
    """Contiguous [start, stop) ranges covering ``rows``: at least one per core, at most
    ``CHUNK_ROWS`` each, none empty (one empty range when there are no rows)."""
    count = max(1, min(rows, max(parallelism, math.ceil(rows / CHUNK_ROWS))))
    edges = np.linspace(0, rows, count + 1).round().astype(int)
    return list(zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True))


def _score_chunks(shared, what_if: bool):
    """The task body: unpickle each chunk, score it, send the pickled batch back."""

    def score(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        model, vocab, config = pickle.loads(shared.value)
        for batch in batches:
            for chunk, payload in zip(batch["chunk"], batch["payload"], strict=True):
                scored = score_table(pickle.loads(payload), model, vocab, config, what_if)
                yield pd.DataFrame({"chunk": [chunk], "payload": [pickle.dumps(scored)]})

    return score


def score_on_spark(
    spark,
    features: pd.DataFrame,
    model: LoadedModel,
    vocab: Vocabulary,
    config: ScoringConfig,
    what_if: bool = True,
) -> ScoredBatch:
    """``score_table`` of ``features``, computed by Spark tasks."""
    features = features.sort_values(KEYS, kind="stable").reset_index(drop=True)
    context = spark.sparkContext
    bounds = chunk_bounds(len(features), context.defaultParallelism)
    payloads = [
        (index, pickle.dumps(features.iloc[start:stop]))
        for index, (start, stop) in enumerate(bounds)
    ]
    shared = context.broadcast(pickle.dumps((model, vocab, config)))
    try:
        chunks = spark.createDataFrame(payloads, PAYLOAD_SCHEMA).repartition(len(bounds))
        rows = chunks.mapInPandas(_score_chunks(shared, what_if), PAYLOAD_SCHEMA).collect()
    finally:
        shared.destroy()
    parts = [pickle.loads(row["payload"]) for row in sorted(rows, key=lambda r: r["chunk"])]
    return concat_batches(parts)


def concat_batches(parts: list[ScoredBatch]) -> ScoredBatch:
    """The batches of consecutive chunks as one batch, as if scored together."""
    scores = pd.concat([p.scores for p in parts], ignore_index=True)
    long = pd.concat([p.explanations for p in parts], ignore_index=True)
    for column in parts[0].explanations.columns:
        pieces = [p.explanations[column] for p in parts]
        if isinstance(pieces[0].dtype, pd.CategoricalDtype):
            long[column] = _union(pieces)
    return ScoredBatch(scores, long, [r for p in parts for r in p.records])


def _union(pieces: list[pd.Series]) -> pd.Categorical:
    """Categories kept as they are when every chunk has the same (roles, paths, features);
    sorted when they differ (cluster ids, which one batch also sorts)."""
    same = all(list(p.cat.categories) == list(pieces[0].cat.categories) for p in pieces)
    return union_categoricals(pieces, sort_categories=not same, ignore_order=True)
