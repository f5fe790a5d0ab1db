"""What would change the recommendation: the smallest move of one or two actionable indicators
that makes the runner-up path the model's choice, found by searching the model itself.

A tree ensemble is piecewise constant: along one indicator its output changes only at the
split thresholds the trees use for it. So the candidate values of an indicator are exactly
its thresholds (just to the side that flips each split), and evaluating the model at all of
them finds the nearest single-indicator change exactly. Candidates stay inside the band of
values seen in training (the same band the trust flags use), so no suggestion asks the
model about values it never saw. Distance is measured in units of each indicator's training
spread (q95 - q05), so moves of different indicators compare. Pairs are tried only for rows
that no single indicator flips, among the indicators that moved the target most on their own.

All rows are searched together. The model's raw scores at every candidate of an indicator
are the row's own scores plus, over the trees that split on it, the change of leaf: each
such tree is walked once per piece between its own thresholds (``forest.Forest``), and a
matrix product spreads the pieces over the candidates. Pairs add the two indicators'
changes and walk, for the few trees splitting on both, every combination of their pieces.
The answer chosen for each row is then checked through the served estimator's
``predict_proba``, which also gives the target's probability after the change.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clusterpath.explain.settings import ScoringConfig
from clusterpath.models.forest import Forest
from clusterpath.models.search_space import SearchSpace

ProbaFn = Callable[[pd.DataFrame], np.ndarray]


@dataclass(frozen=True)
class Change:
    feature: str
    before: float
    after: float


@dataclass(frozen=True)
class WhatIf:
    """Changes that make ``target`` the recommendation, and its probability afterwards."""

    target: str
    changes: tuple[Change, ...]
    distance: float
    target_probability: float


@dataclass(frozen=True)
class _Moves:
    """One indicator moved to each of its candidates, for every row of a chunk."""

    column: int  # position among the forest's features
    values: np.ndarray  # (candidates,)
    distance: np.ndarray  # (rows, candidates): |value - x| / spread, inf where x is missing
    delta: np.ndarray  # (rows, candidates, classes): change of the raw scores


def _single_moves(forest: Forest, matrix, own_leaves, fid: str, space: SearchSpace) -> _Moves:
    """Raw-score change at every candidate of ``fid``: walk each tree splitting on it once
    per piece, then sum the differences from the row's own leaves per class."""
    column, values, pieces = forest.names.index(fid), space.candidates[fid], space.pieces[fid]
    n, walks = len(matrix), len(pieces.value)
    leaves = forest.leaf_values(
        matrix,
        np.repeat(np.arange(n), walks),
        np.tile(pieces.tree, n),
        [(column, np.tile(pieces.value, n))],
    ).reshape(n, walks)
    own = own_leaves[:, pieces.trees]
    classes = forest.tree_class[pieces.trees]
    delta = np.zeros((n, len(values), forest.n_classes))
    for k, (first, at, after, before) in enumerate(pieces.steps):
        delta[:, 0, k] = leaves[:, first].sum(axis=1) - own[:, classes == k].sum(axis=1)
        if len(at):
            starts = np.flatnonzero(np.r_[True, at[1:] != at[:-1]])
            jumps = np.add.reduceat(leaves[:, after] - leaves[:, before], starts, axis=1)
            delta[:, at[starts], k] = jumps
        np.cumsum(delta[:, :, k], axis=1, out=delta[:, :, k])
    x = matrix[:, column]
    distance = np.abs(values[None, :] - x[:, None]) / space.spread[fid]
    distance[np.isnan(x)] = np.inf
    return _Moves(column, values, distance, delta)


def _probability_gain(z: np.ndarray, target: np.ndarray, temperature: float) -> np.ndarray:
    """The target's probability minus the top path's, as the served estimator gives them.

    Asked only for rows no candidate flips, where the top path is never the target, so this
    is the target's margin over the best other path.
    """
    scaled = z / temperature
    top = scaled.max(axis=-1, keepdims=True)
    e = np.exp(scaled - top)
    e_target = np.take_along_axis(e, target[..., None], axis=-1)[..., 0]
    return (e_target - 1.0) / e.sum(axis=-1)


@dataclass
class _Found:
    """Best change found so far per row of a chunk: distance, then (column, value) pairs."""

    distance: np.ndarray
    changes: list[tuple[tuple[int, float], ...] | None]


def _singles(moves: dict[str, _Moves], z, target) -> _Found:
    """Nearest flipping candidate per row over all indicators (the first on a tie)."""
    n = len(z)
    found = _Found(np.full(n, np.inf), [None] * n)
    for move in moves.values():
        flips = (z[:, None, :] + move.delta).argmax(axis=2) == target[:, None]
        d = np.where(flips, move.distance, np.inf)
        best = np.argmin(d, axis=1)
        nearest = d[np.arange(n), best]
        for row in np.flatnonzero(nearest < found.distance).tolist():
            found.distance[row] = nearest[row]
            found.changes[row] = ((move.column, float(move.values[best[row]])),)
    return found


def _gains(moves: dict[str, _Moves], z, target, rows: np.ndarray, temperature: float) -> dict:
    """Per indicator, the best probability margin of the target any candidate gives ``rows``
    (-inf where the indicator is missing): which indicators to try in pairs."""
    gains = {}
    for fid, move in moves.items():
        scores = z[rows][:, None, :] + move.delta[rows]
        gain = _probability_gain(scores, target[rows][:, None], temperature)
        reach = np.isfinite(move.distance[rows])
        gains[fid] = np.where(reach, gain, -np.inf).max(axis=1)
    return gains


def _pair_groups(rows, gains, config) -> dict[tuple[str, str], list[int]]:
    """Rows of each pair of indicators tried: the pairs among each row's most promising."""
    groups: dict[tuple[str, str], list[int]] = {}
    for i, row in enumerate(rows):
        ranked = sorted(
            (f for f in gains if np.isfinite(gains[f][i])), key=lambda f: -gains[f][i]
        )[: config.pair_candidates]
        for pair in itertools.combinations(ranked, 2):
            groups.setdefault(pair, []).append(row)
    return groups


def _joint_correction(forest: Forest, matrix, rows, moved: tuple, space, a, b):
    """For trees splitting on both indicators, what moving both at once adds to the sum of
    moving each alone; (rows, len(a[0]), len(b[0]), classes). Every combination of the two
    indicators' pieces in each such tree is walked once per row."""
    first, second = moved
    out = np.zeros((len(rows), a.shape[1], b.shape[1], forest.n_classes))
    one, two = space.pieces[first[0]], space.pieces[second[0]]
    shared = np.intersect1d(one.trees, two.trees).tolist()
    if not shared:
        return out
    shapes = [(len(one.of(t)[0]), len(two.of(t)[0])) for t in shared]
    cells = np.array([s1 * s2 for s1, s2 in shapes])
    g1 = np.concatenate(
        [np.repeat(one.of(t)[0], s2) for t, (_, s2) in zip(shared, shapes, strict=True)]
    )
    g2 = np.concatenate(
        [np.tile(two.of(t)[0], s1) for t, (s1, _) in zip(shared, shapes, strict=True)]
    )
    n = len(rows)
    leaves = forest.leaf_values(
        matrix,
        np.repeat(rows, len(g1)),
        np.tile(np.repeat(shared, cells), n),
        [(first[1], np.tile(g1, n)), (second[1], np.tile(g2, n))],
    ).reshape(n, len(g1))
    at = np.arange(n)[:, None, None]
    start = 0
    for tree, shape, size in zip(shared, shapes, cells.tolist(), strict=True):
        block = leaves[:, start : start + size].reshape(n, *shape)
        start += size
        i, j = one.of(tree)[1][a][:, :, None], two.of(tree)[1][b][:, None, :]
        k1, k2 = shape[0] - 1, shape[1] - 1
        out[..., forest.tree_class[tree]] += (
            block[at, i, j] - block[at, i, k2] - block[at, k1, j] + block[at, k1, k2]
        )
    return out


def _pairs(matrix, z, target, moves, groups, space, width: int, found: _Found) -> None:
    """Nearest flipping pair per row among its groups, on each indicator's nearest values."""
    for (f1, f2), members in groups.items():
        rows = np.array(members)
        first, second = moves[f1], moves[f2]
        a = np.argsort(first.distance[rows], axis=1)[:, :width]
        b = np.argsort(second.distance[rows], axis=1)[:, :width]
        at = rows[:, None]
        scores = (
            z[rows][:, None, None, :]
            + first.delta[at, a][:, :, None, :]
            + second.delta[at, b][:, None, :, :]
            + _joint_correction(
                space.forest, matrix, rows, ((f1, first.column), (f2, second.column)), space, a, b
            )
        )
        flips = scores.argmax(axis=3) == target[rows][:, None, None]
        d = np.hypot(first.distance[at, a][:, :, None], second.distance[at, b][:, None, :])
        d = np.where(flips, d, np.inf).reshape(len(rows), -1)
        best = np.argmin(d, axis=1)
        nearest = d[np.arange(len(rows)), best]
        for i in np.flatnonzero(nearest < found.distance[rows]).tolist():
            row, (j1, j2) = int(rows[i]), np.unravel_index(best[i], (a.shape[1], b.shape[1]))
            found.distance[row] = nearest[i]
            found.changes[row] = (
                (first.column, float(first.values[a[i, j1]])),
                (second.column, float(second.values[b[i, j2]])),
            )


def _search_chunk(forest, matrix, target, space, config) -> _Found:
    own = forest.leaves(matrix)
    z = forest.raw_scores(matrix, own)
    moves = {fid: _single_moves(forest, matrix, own, fid, space) for fid in space.candidates}
    found = _singles(moves, z, target)
    missing = np.flatnonzero(~np.isfinite(found.distance))
    gains = _gains(moves, z, target, missing, space.temperature)
    groups = _pair_groups(missing.tolist(), gains, config)
    _pairs(matrix, z, target, moves, groups, space, config.pair_values, found)
    return found


def _chunk_rows(space: SearchSpace, config) -> int:
    """Rows searched together: ``batch_rows`` row-candidate pairs of the widest indicator."""
    widest = max((len(v) for v in space.candidates.values()), default=1)
    return max(64, config.what_if.batch_rows // widest)


def what_would_change(
    proba: ProbaFn,
    X: pd.DataFrame,
    target: Sequence[str],
    classes: Sequence[str],
    space: SearchSpace,
    config: ScoringConfig,
) -> list[WhatIf | None]:
    """Per row of ``X``: the nearest change making ``target[row]`` the recommendation, or None.

    ``proba`` is the served estimator's: every change found is checked through it, and the
    target's probability after the change is its answer.
    """
    X = X.reset_index(drop=True)
    forest = space.forest
    matrix = np.ascontiguousarray(X.reindex(columns=list(forest.names)).to_numpy(float))
    index = {c: i for i, c in enumerate(classes)}
    target_idx = np.array([index[t] for t in target], dtype=int)
    in_forest = np.array([forest.labels.index(t) for t in target], dtype=int)
    step = _chunk_rows(space, config)
    changes: list = []
    for start in range(0, len(X), step):
        at = slice(start, start + step)
        found = _search_chunk(forest, matrix[at], in_forest[at], space, config.what_if)
        changes += found.changes
    return _checked(proba, X, target, target_idx, changes, forest, space)


def _checked(proba, X, target, target_idx, changes, forest, space) -> list[WhatIf | None]:
    """The changes as WhatIfs, each evaluated through ``proba``; one that does not flip the
    served estimator (a tie between raw scores, at most) is not reported."""
    rows = [r for r, c in enumerate(changes) if c]
    out: list[WhatIf | None] = [None] * len(X)
    if not rows:
        return out
    moved = X.iloc[rows].copy()
    for i, row in enumerate(rows):
        for column, value in changes[row]:
            moved.iat[i, X.columns.get_loc(forest.names[column])] = value
    p = proba(moved)
    for i, row in enumerate(rows):
        if int(np.argmax(p[i])) != target_idx[row]:
            continue
        steps = tuple(
            Change(forest.names[c], float(X[forest.names[c]].iat[row]), v) for c, v in changes[row]
        )
        distance = float(np.hypot.reduce([_moved_by(s, space) for s in steps]))
        out[row] = WhatIf(target[row], steps, distance, float(p[i, target_idx[row]]))
    return out


def _moved_by(change: Change, space: SearchSpace) -> float:
    return abs(change.after - change.before) / space.spread[change.feature]
