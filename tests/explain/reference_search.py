"""The what-if search as it was before the single batched search: the reference its answers
are checked against. It evaluates the served estimator at candidate values directly, in
rings of growing distance per row, then pairs; exact for single changes, and slow (several
milliseconds per row), so it is kept here, for tests only.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clusterpath.explain.counterfactual import Change, ProbaFn, WhatIf
from clusterpath.models.search_space import SearchSpace


def _evaluate(
    proba: ProbaFn,
    base: pd.DataFrame,
    rows: np.ndarray,
    edits: Sequence[tuple[np.ndarray, np.ndarray]],
    batch: int,
) -> np.ndarray:
    """Probabilities of copies of ``base``'s ``rows`` with cells overwritten by ``edits``.

    Each edit is (column positions, values), one entry per copied row, so one call can move
    different indicators in different rows; the model is called once per ``batch`` rows.
    """
    matrix = base.to_numpy(float)
    out = []
    for start in range(0, len(rows), batch):
        stop = min(start + batch, len(rows))
        part = matrix[rows[start:stop]].copy()
        at = np.arange(stop - start)
        for cols, values in edits:
            part[at, cols[start:stop]] = values[start:stop]
        out.append(proba(pd.DataFrame(part, columns=base.columns)))
    return np.concatenate(out) if out else np.zeros((0, 0))


def _margins(p: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(p_target, p_target - best other path) for probabilities ``p`` of shape (rows, k)."""
    p_target = p[np.arange(len(p)), target]
    others = np.where(np.arange(p.shape[1])[None, :] == target[:, None], -np.inf, p)
    return p_target, p_target - others.max(axis=1)


class _SingleSearch:
    """Nearest single-indicator flips, evaluated in rings of growing distance per row.

    Each round evaluates, for every still-open row, the next few candidates of every
    indicator in order of distance from the row's value; a row closes once its best flip is
    nearer than every candidate not yet tried, so confident rows cost the full grid but rows
    near a boundary stop after a few candidates.
    """

    def __init__(self, proba: ProbaFn, X: pd.DataFrame, target: np.ndarray, space, batch: int):
        self.proba, self.X, self.target, self.space, self.batch = proba, X, target, space, batch
        n = len(X)
        self.best_d = np.full(n, np.inf)
        self.best: dict[int, tuple[float, str, float, float]] = {}
        self.gains = {f: np.full(n, -np.inf) for f in space.candidates}
        self.dist: dict[str, np.ndarray] = {}
        self.order: dict[str, np.ndarray] = {}
        for fid, values in space.candidates.items():
            x = X[fid].to_numpy(float)
            d = np.abs(values[None, :] - x[:, None]) / space.spread[fid]
            d[np.isnan(x)] = np.inf
            self.order[fid] = np.argsort(d, axis=1, kind="stable")
            self.dist[fid] = np.take_along_axis(d, self.order[fid], axis=1)

    def _round(self, fid: str, rows: np.ndarray, lo: int, hi: int) -> None:
        values, dist = self.space.candidates[fid], self.dist[fid]
        hi = min(hi, len(values))
        if lo >= hi:
            return
        rows = rows[np.isfinite(dist[rows, lo])]
        if not len(rows):
            return
        width = hi - lo
        picked = self.order[fid][rows, lo:hi]
        grid = values[picked].ravel()
        flat_rows = np.repeat(rows, width)
        cols = np.full(len(grid), self.X.columns.get_loc(fid))
        p = _evaluate(self.proba, self.X, flat_rows, [(cols, grid)], self.batch)
        p_target, margin = _margins(p, self.target[flat_rows])
        margin = margin.reshape(len(rows), width)
        self.gains[fid][rows] = np.maximum(self.gains[fid][rows], margin.max(axis=1))
        d = np.where(margin > 0, dist[rows, lo:hi], np.inf)
        k = np.argmin(d, axis=1)
        better = d[np.arange(len(rows)), k] < self.best_d[rows]
        for i in np.flatnonzero(better):
            row = int(rows[i])
            self.best_d[row] = d[i, k[i]]
            j = i * width + k[i]
            self.best[row] = (float(d[i, k[i]]), fid, float(grid[j]), float(p_target[j]))

    def _next_distance(self, hi: int) -> np.ndarray:
        nxt = np.full(len(self.X), np.inf)
        for dist in self.dist.values():
            if hi < dist.shape[1]:
                nxt = np.minimum(nxt, dist[:, hi])
        return nxt

    def run(self) -> None:
        open_rows = np.arange(len(self.X))
        lo, width = 0, 4
        longest = max((len(v) for v in self.space.candidates.values()), default=0)
        while len(open_rows) and lo < longest:
            for fid in self.space.candidates:
                self._round(fid, open_rows, lo, lo + width)
            lo, width = lo + width, width * 2
            nxt = self._next_distance(lo)
            open_rows = open_rows[self.best_d[open_rows] > nxt[open_rows]]


@dataclass(frozen=True)
class _PairJobs:
    """All pair evaluations, flattened: one entry per (row, indicator pair, value pair)."""

    rows: np.ndarray
    first: np.ndarray
    second: np.ndarray
    first_values: np.ndarray
    second_values: np.ndarray


def _pair_jobs(
    X: pd.DataFrame, rows: Sequence[int], gains: dict[str, np.ndarray], space: SearchSpace, cfg
) -> _PairJobs:
    """For each row, the value grids of its most promising indicator pairs."""
    parts: list[tuple] = []
    for row in rows:
        ranked = sorted(
            (f for f in gains if np.isfinite(gains[f][row])), key=lambda f: -gains[f][row]
        )[: cfg.pair_candidates]
        for f1, f2 in itertools.combinations(ranked, 2):
            near = []
            for fid in (f1, f2):
                x, values = X[fid].iat[row], space.candidates[fid]
                near.append(values[np.argsort(np.abs(values - x))[: cfg.pair_values]])
            g1, g2 = (g.ravel() for g in np.meshgrid(near[0], near[1], indexing="ij"))
            c1, c2 = X.columns.get_loc(f1), X.columns.get_loc(f2)
            parts.append(
                (np.full(len(g1), row), np.full(len(g1), c1), np.full(len(g1), c2), g1, g2)
            )
    if not parts:
        empty = np.zeros(0, dtype=int)
        return _PairJobs(empty, empty, empty, np.zeros(0), np.zeros(0))
    return _PairJobs(*(np.concatenate(column) for column in zip(*parts, strict=True)))


def _pairs(
    proba: ProbaFn,
    X: pd.DataFrame,
    target: np.ndarray,
    jobs: _PairJobs,
    space: SearchSpace,
    batch: int,
) -> dict[int, tuple[float, tuple[Change, ...], float]]:
    """Best pair change per row among the jobs: {row: (distance, changes, p_target)}."""
    if not len(jobs.rows):
        return {}
    edits = [(jobs.first, jobs.first_values), (jobs.second, jobs.second_values)]
    p = _evaluate(proba, X, jobs.rows, edits, batch)
    p_target, margin = _margins(p, target[jobs.rows])
    matrix = X.to_numpy(float)
    spread = np.array([space.spread.get(c, 1.0) for c in X.columns])
    d1 = (jobs.first_values - matrix[jobs.rows, jobs.first]) / spread[jobs.first]
    d2 = (jobs.second_values - matrix[jobs.rows, jobs.second]) / spread[jobs.second]
    d = np.where(margin > 0, np.hypot(d1, d2), np.inf)
    order = np.lexsort((d, jobs.rows))
    first_of_row = order[np.r_[True, np.diff(jobs.rows[order]) != 0]]
    best: dict[int, tuple[float, tuple[Change, ...], float]] = {}
    for j in first_of_row[np.isfinite(d[first_of_row])]:
        row = int(jobs.rows[j])
        changes = tuple(
            Change(X.columns[c], float(matrix[row, c]), float(v))
            for c, v in (
                (jobs.first[j], jobs.first_values[j]),
                (jobs.second[j], jobs.second_values[j]),
            )
        )
        best[row] = (float(d[j]), changes, float(p_target[j]))
    return best


def reference_search(proba: ProbaFn, X: pd.DataFrame, target, classes, space, config):
    """Per row of ``X``: the nearest change making ``target[row]`` the recommendation, or None
    (``what_would_change``'s arguments and answers)."""
    X = X.reset_index(drop=True)
    index = {c: i for i, c in enumerate(classes)}
    target_idx = np.array([index[t] for t in target], dtype=int)
    batch = config.what_if.batch_rows
    search = _SingleSearch(proba, X, target_idx, space, batch)
    search.run()
    single, gains = search.best, search.gains
    missing = [r for r in range(len(X)) if r not in single]
    jobs = _pair_jobs(X, missing, gains, space, config.what_if) if missing else []
    pairs = _pairs(proba, X, target_idx, jobs, space, batch)
    out: list[WhatIf | None] = []
    for row, code in enumerate(target):
        if row in single:
            d, fid, value, p = single[row]
            change = Change(fid, float(X[fid].iat[row]), value)
            out.append(WhatIf(code, (change,), d, p))
        elif row in pairs:
            d, changes, p = pairs[row]
            out.append(WhatIf(code, changes, d, p))
        else:
            out.append(None)
    return out
