"""The fitted LightGBM as flat node arrays, to evaluate single trees on edited rows in bulk.

Moving one indicator changes only the trees that split on it, and within one tree only
at that tree's own thresholds: a row takes at most (thresholds + 1) distinct leaves there.
Evaluating those few leaves per tree, for every row at once, costs a small fraction of
evaluating the whole model at every candidate value. Leaves point to themselves, so every
walk takes the same number of steps and runs as plain array operations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

ZERO = 1e-35  # LightGBM's kZeroThreshold: |x| at or below it counts as zero


@dataclass(frozen=True)
class Forest:
    """Nodes of all trees in one set of arrays; ``root[t]`` is tree t's first node."""

    column: np.ndarray  # feature column split on (0 at leaves)
    threshold: np.ndarray  # go left when value <= threshold (+inf at leaves)
    left: np.ndarray
    right: np.ndarray
    nan_left: np.ndarray  # where a missing value goes
    zero_default: np.ndarray  # missing type "Zero": zero goes the default way
    default_left: np.ndarray
    value: np.ndarray  # leaf value (0 at splits)
    root: np.ndarray
    tree_class: np.ndarray
    depth: int
    n_classes: int
    names: tuple[str, ...]  # the booster's features, in the order of ``column``
    labels: tuple[str, ...]  # the path of each class, in the booster's order

    @property
    def any_zero(self) -> bool:
        return bool(self.zero_default.any())

    def trees_using(self, column: int) -> np.ndarray:
        """Trees with at least one split on ``column``."""
        node = np.flatnonzero((self.column == column) & np.isfinite(self.threshold))
        return np.unique(np.searchsorted(self.root, node, side="right") - 1)

    def tree_thresholds(self, tree: int, column: int) -> np.ndarray:
        """Sorted distinct thresholds of ``column`` in ``tree``."""
        stop = self.root[tree + 1] if tree + 1 < len(self.root) else len(self.column)
        nodes = np.arange(self.root[tree], stop)
        nodes = nodes[(self.column[nodes] == column) & np.isfinite(self.threshold[nodes])]
        return np.unique(self.threshold[nodes])

    def leaf_values(
        self,
        matrix: np.ndarray,
        rows: np.ndarray,
        trees: np.ndarray,
        edits: Sequence[tuple[int, np.ndarray]] = (),
    ) -> np.ndarray:
        """Leaf value reached by each (row, tree) job, with cells overwritten by ``edits``.

        Each edit is (column, one value per job); NaN leaves the row's own value in place.
        Missing values follow LightGBM's rules (missing types None, Zero and NaN).
        """
        node = self.root[trees]
        flat, first = matrix.ravel(), rows * matrix.shape[1]
        for _ in range(self.depth):
            column = self.column[node]
            value = flat[first + column]
            for edited, values in edits:
                value = np.where((column == edited) & ~np.isnan(values), values, value)
            missing = np.isnan(value)
            go_left = np.where(missing, self.nan_left[node], value <= self.threshold[node])
            if self.any_zero:
                zero = self.zero_default[node] & (missing | (np.abs(value) <= ZERO))
                go_left = np.where(zero, self.default_left[node], go_left)
            node = np.where(go_left, self.left[node], self.right[node])
        return self.value[node]

    def leaves(self, matrix: np.ndarray) -> np.ndarray:
        """Leaf value of every tree for every row: (rows, trees)."""
        n, trees = len(matrix), len(self.root)
        rows = np.repeat(np.arange(n), trees)
        return self.leaf_values(matrix, rows, np.tile(np.arange(trees), n)).reshape(n, trees)

    def raw_scores(self, matrix: np.ndarray, leaves: np.ndarray | None = None) -> np.ndarray:
        """Raw score of every class for every row (the sum of its trees' leaves)."""
        leaves = self.leaves(matrix) if leaves is None else leaves
        out = np.zeros((len(matrix), self.n_classes))
        for k in range(self.n_classes):
            out[:, k] = leaves[:, self.tree_class == k].sum(axis=1)
        return out


def forest_of(booster, labels: Sequence[str]) -> Forest:
    """A LightGBM booster as a Forest (``labels``: the path of each of its classes); rows
    are given in ``names`` order."""
    dump = booster.dump_model()
    nodes: list[tuple] = []
    roots, depth = [], 1

    def add(tree: dict, level: int) -> int:
        nonlocal depth
        depth = max(depth, level)
        at = len(nodes)
        if "leaf_value" in tree:
            nodes.append((0, np.inf, at, at, True, False, True, float(tree["leaf_value"])))
            return at
        nodes.append(None)
        left = add(tree["left_child"], level + 1)
        right = add(tree["right_child"], level + 1)
        if tree["decision_type"] != "<=":  # indicators are numbers; no categorical splits
            raise ValueError(f"unsupported split {tree['decision_type']!r} in the model")
        kind, default_left = tree["missing_type"], bool(tree["default_left"])
        threshold = float(tree["threshold"])
        nan_left = default_left if kind in ("NaN", "Zero") else threshold >= 0.0
        column = int(tree["split_feature"])
        nodes[at] = (column, threshold, left, right, nan_left, kind == "Zero", default_left, 0.0)
        return at

    for info in dump["tree_info"]:
        roots.append(add(info["tree_structure"], 0))
    fields = list(zip(*nodes, strict=True))
    per_iteration = dump["num_tree_per_iteration"]
    return Forest(
        column=np.array(fields[0], dtype=np.int64),
        threshold=np.array(fields[1], dtype=float),
        left=np.array(fields[2], dtype=np.int64),
        right=np.array(fields[3], dtype=np.int64),
        nan_left=np.array(fields[4], dtype=bool),
        zero_default=np.array(fields[5], dtype=bool),
        default_left=np.array(fields[6], dtype=bool),
        value=np.array(fields[7], dtype=float),
        root=np.array(roots, dtype=np.int64),
        tree_class=np.arange(len(roots)) % per_iteration,
        depth=depth,
        n_classes=per_iteration,
        names=tuple(booster.feature_name()),
        labels=tuple(str(label) for label in labels),
    )


@dataclass(frozen=True)
class Pieces:
    """The trees splitting on one indicator, each cut into the pieces between its own
    thresholds: one candidate stands for each piece, then NaN (the row's own value).

    Laid out flat for a batch: ``tree`` and ``value`` per walk (the representatives), and
    per (tree, candidate) the walk whose leaf the candidate gets (``walk``). The leaf at the
    row's own value is the row's leaf of that tree, walked once for all indicators.
    """

    trees: np.ndarray
    values: list[np.ndarray]  # per tree: representatives then NaN
    piece: list[np.ndarray]  # per tree: index of each candidate's representative
    tree: np.ndarray
    value: np.ndarray
    walk: np.ndarray  # (trees, candidates)
    steps: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]  # per class, see below

    def of(self, tree: int) -> tuple[np.ndarray, np.ndarray]:
        at = int(np.searchsorted(self.trees, tree))
        return self.values[at], self.piece[at]


def pieces_of(forest: Forest, column: int, values: np.ndarray) -> Pieces:
    trees = forest.trees_using(column)
    reps, piece = [], []
    for tree in trees.tolist():
        at = np.searchsorted(forest.tree_thresholds(tree, column), values, side="left")
        _, first, inverse = np.unique(at, return_index=True, return_inverse=True)
        reps.append(np.append(values[first], np.nan))
        piece.append(inverse)
    sizes = np.array([len(r) - 1 for r in reps], dtype=int)
    starts = np.cumsum(sizes) - sizes
    walk = np.array([start + inv for start, inv in zip(starts, piece, strict=True)], dtype=int)
    walk = walk.reshape(len(trees), len(values))
    return Pieces(
        trees,
        reps,
        piece,
        np.repeat(trees, sizes),
        np.concatenate([r[:-1] for r in reps]) if reps else np.zeros(0),
        walk,
        _steps(walk, forest.tree_class[trees], forest.n_classes),
    )


def _steps(walk: np.ndarray, classes: np.ndarray, n_classes: int) -> list[tuple]:
    """Per class: where along the sorted candidates one of its trees changes leaf.

    (first walks of the class's trees, candidate of each step, walk after it, walk before
    it), steps ordered by candidate. A score along the candidates is its value at the first
    one plus the running sum of its steps: a few steps per tree instead of every candidate.
    """
    out = []
    for k in range(n_classes):
        mine = walk[classes == k]
        tree, at = np.nonzero(mine[:, 1:] != mine[:, :-1])
        order = np.argsort(at, kind="stable")
        tree, at = tree[order], at[order] + 1
        out.append((mine[:, 0], at, mine[tree, at], mine[tree, at - 1]))
    return out
