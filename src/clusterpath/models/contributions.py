"""Exact TreeSHAP contributions of the path model, per cluster-year, path and indicator.

LightGBM computes path-dependent TreeSHAP itself (``pred_contrib=True``, asked through
``PathModel.contributions_into``); it agrees with ``shap.TreeExplainer`` to rounding (see
tests) and skips shap's model conversion. The values are in the model's raw-score (log-odds)
space: for each row and path, the contributions plus the path's base value add up to that
path's raw score. ``contributions_ahead`` computes them in chunks while the caller turns
earlier chunks into records.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from queue import SimpleQueue

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Contributions:
    """SHAP values ``values[row, path, feature]`` and the base value ``base[row, path]``."""

    values: np.ndarray
    base: np.ndarray
    classes: tuple[str, ...]
    feature_ids: tuple[str, ...]

    def raw_scores(self) -> np.ndarray:
        """Per row and path, the raw score the contributions add up to."""
        return self.values.sum(axis=2) + self.base

    def mean_abs(self) -> pd.DataFrame:
        """Mean |SHAP| per feature (rows) and path (columns): the global importance."""
        return pd.DataFrame(
            np.abs(self.values).mean(axis=0).T, index=self.feature_ids, columns=self.classes
        )

    def head(self, n: int) -> Contributions:
        """The first ``n`` rows, as views."""
        return Contributions(self.values[:n], self.base[:n], self.classes, self.feature_ids)


def empty_contributions(
    n_rows: int, classes: Sequence[str], feature_ids: Sequence[str]
) -> Contributions:
    """Zero contributions for ``n_rows`` rows, to be filled in place (a path the booster
    never learned keeps its zeros)."""
    k, f = len(classes), len(feature_ids)
    return Contributions(
        np.zeros((n_rows, k, f)), np.zeros((n_rows, k)), tuple(classes), tuple(feature_ids)
    )


def _matrix(X: pd.DataFrame, feature_ids: Sequence[str]) -> np.ndarray:
    """The indicator columns as one row-major float array, the layout LightGBM reads."""
    return np.ascontiguousarray(X.reindex(columns=list(feature_ids)).astype("float64").to_numpy())


def tree_contributions(model, X: pd.DataFrame) -> Contributions:
    """TreeSHAP of ``model`` (a ``PathModel``) on the rows of ``X``, paths in its order."""
    out = empty_contributions(len(X), model.classes, model.feature_ids)
    return model.contributions_into(_matrix(X, model.feature_ids), out)


@contextmanager
def contributions_ahead(
    model, X: pd.DataFrame, rows: int, workers: int = 1
) -> Iterator[Iterator[Contributions]]:
    """The chunks of ``tree_contributions`` of ``X``, ``rows`` rows each, in order, computed
    ahead: the booster starts on entering, so the caller may do other work before reading.

    LightGBM releases the interpreter while it computes, so chunks are computed in worker
    threads while the caller turns earlier chunks into Python records. With one worker the
    booster spreads each chunk over every core; with ``workers`` > 1 each worker runs its own
    copy of the booster on one thread, and takes the next chunk when it is done. The caller's
    work then takes a core from one worker for a while, and the others go on, instead of every
    core waiting at the end of each chunk for the one that was shared. Each row's
    contributions do not depend on the other rows, so chunking changes no value.

    A chunk is written into one of a few buffers, reused once the caller asks for the next
    chunk: memory stays that of a few chunks however many rows there are, and the buffers
    stay warm. A caller keeps a copy of whatever it needs of a chunk beyond that.
    """
    matrix = _matrix(X, model.feature_ids)  # once: each chunk is a view, not a copy
    starts = list(range(0, len(X), rows)) or [0]
    workers = max(1, min(workers, len(starts)))
    job = _ChunkJob(model, matrix, rows, workers)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="treeshap") as pool:
        pending = deque(pool.submit(job, start) for start in starts[: workers + 1])
        try:
            yield _in_order(pool, pending, job, starts[workers + 1 :])
        finally:
            for future in pending:  # left unread after an error: not worth finishing
                future.cancel()


class _ChunkJob:
    """Compute one chunk into a free buffer: with the booster itself, or with one of
    ``workers`` copies of it, each used by one thread at a time.

    At most ``workers + 1`` chunks are pending and the caller holds one, so that many
    buffers are never all taken when a chunk starts.
    """

    def __init__(self, model, matrix: np.ndarray, rows: int, workers: int):
        self.model, self.matrix, self.rows, self.workers = model, matrix, rows, workers
        self.buffers, self.boosters = SimpleQueue(), SimpleQueue()
        size = min(rows, max(len(matrix), 1))
        for _ in range(workers + 2):  # zeros: a path the booster never learned keeps them
            self.buffers.put(empty_contributions(size, model.classes, model.feature_ids))
        if workers > 1:
            for booster in model.booster_copies(workers):
                self.boosters.put(booster)

    def __call__(self, start: int) -> tuple[Contributions, Contributions]:
        """(the buffer taken, the chunk's contributions: a view of it)."""
        matrix, buffer = self.matrix[start : start + self.rows], self.buffers.get()
        part = buffer.head(len(matrix))
        if self.workers == 1:
            return buffer, self.model.contributions_into(matrix, part)
        booster = self.boosters.get()
        try:
            return buffer, self.model.contributions_into(matrix, part, booster)
        finally:
            self.boosters.put(booster)

    def release(self, buffer: Contributions) -> None:
        self.buffers.put(buffer)


def _in_order(pool, pending: deque, job: _ChunkJob, rest: list[int]) -> Iterator[Contributions]:
    """Each chunk once it is done, in order, keeping as many chunks pending as there are;
    a chunk's buffer is freed when the caller asks for the next one."""
    rest = deque(rest)
    while pending:
        buffer, ready = pending.popleft().result()
        if rest:
            pending.append(pool.submit(job, rest.popleft()))
        yield ready
        job.release(buffer)
