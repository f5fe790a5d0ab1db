"""Score cluster-years on Spark with the embedded job's own function, a chunk per task.

Every output of ``clusterpath score`` (paths, probabilities, sets, trust flags, SHAP
drivers, what-ifs, explanation records) is a function of one cluster-year's indicators and
the model, so the indicator table is cut into contiguous chunks in (cluster, year) order,
each chunk is scored by ``explain.batch.score_table`` inside a Spark task (``mapInPandas``),
and the driver puts the chunks back in order. The rows are then those the embedded job
writes: same function, same order.

A chunk travels as an Arrow IPC stream carrying pandas' own column types (categoricals
included), and comes back as two such streams and the explanation records as JSON, so
nothing is unpickled from a payload. The model, the vocabulary and the settings are
broadcast once, by Spark.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from itertools import pairwise

import orjson
import pandas as pd
import pyarrow as pa
from pandas.api.types import union_categoricals

from clusterpath.explain.batch import KEYS, ScoredBatch, score_table
from clusterpath.explain.records import Vocabulary
from clusterpath.explain.settings import ScoringConfig
from clusterpath.models.path_model import PathModel

CHUNK_ROWS = 2000  # cluster-years per task: enough work to pay for a task, small to send
CHUNK_SCHEMA = "chunk INT, features BINARY"
SCORED_SCHEMA = "chunk INT, scores BINARY, explanations BINARY, records BINARY"


def frame_bytes(frame: pd.DataFrame) -> bytes:
    """A frame as an Arrow IPC stream, with the pandas metadata that restores its types."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def bytes_frame(data: bytes) -> pd.DataFrame:
    return pa.ipc.open_stream(data).read_all().to_pandas()


def chunk_bounds(rows: int, parallelism: int) -> list[tuple[int, int]]:
    """Contiguous [start, stop) ranges covering ``rows``: at least one per core, at most
    ``CHUNK_ROWS`` each, none empty (one empty range when there are no rows)."""
    count = max(1, min(rows, max(parallelism, math.ceil(rows / CHUNK_ROWS))))
    edges = [rows * i // count for i in range(count + 1)]  # strictly increasing: count <= rows
    return list(pairwise(edges))


def _score_chunks(shared, what_if: bool):
    """The task body: read each chunk, score it, send the outputs back."""

    def score(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        model, vocab, config = shared.value
        for batch in batches:
            for chunk, data in zip(batch["chunk"], batch["features"], strict=True):
                scored = score_table(bytes_frame(data), model, vocab, config, what_if)
                yield pd.DataFrame(
                    {
                        "chunk": [chunk],
                        "scores": [frame_bytes(scored.scores)],
                        "explanations": [frame_bytes(scored.explanations)],
                        "records": [orjson.dumps(scored.records, option=NUMPY)],
                    }
                )

    return score


NUMPY = orjson.OPT_SERIALIZE_NUMPY


def score_on_spark(
    spark,
    features: pd.DataFrame,
    model: PathModel,
    vocab: Vocabulary,
    config: ScoringConfig,
    what_if: bool = True,
) -> ScoredBatch:
    """``score_table`` of ``features``, computed by Spark tasks."""
    features = features.sort_values(KEYS, kind="stable").reset_index(drop=True)
    context = spark.sparkContext
    bounds = chunk_bounds(len(features), context.defaultParallelism)
    chunks = [
        (index, frame_bytes(features.iloc[start:stop]))
        for index, (start, stop) in enumerate(bounds)
    ]
    shared = context.broadcast((model, vocab, config))
    try:
        frame = spark.createDataFrame(chunks, CHUNK_SCHEMA).repartition(len(bounds))
        rows = frame.mapInPandas(_score_chunks(shared, what_if), SCORED_SCHEMA).collect()
    finally:
        shared.destroy()
    parts = [
        ScoredBatch(
            bytes_frame(row["scores"]),
            bytes_frame(row["explanations"]),
            orjson.loads(row["records"]),
        )
        for row in sorted(rows, key=lambda r: r["chunk"])
    ]
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
