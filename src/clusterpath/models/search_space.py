"""Where the what-if search may move each actionable indicator: the model's own thresholds.

A tree ensemble is piecewise constant, so the candidate values of an indicator are its split
thresholds (just to the side that flips each split), kept inside the band of values seen in
training (the band the trust flags use). Built from the fitted model alone, so it lives
beside the model; ``explain/counterfactual.py`` searches it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from clusterpath.models.forest import Forest, Pieces, pieces_of
from clusterpath.models.support import TrustConfig, training_band


@dataclass(frozen=True)
class SearchSpace:
    """Per actionable indicator: candidate values (sorted) and its training spread; the
    model's trees, and the temperature its probabilities are tempered by."""

    candidates: dict[str, np.ndarray]
    spread: dict[str, float]
    integer: frozenset[str]
    forest: Forest
    pieces: dict[str, Pieces]
    temperature: float = 1.0


def _spread(entry: Mapping[str, float]) -> float:
    for lo, hi in (("q05", "q95"), ("min", "max")):
        if lo in entry and hi in entry and entry[hi] > entry[lo]:
            return float(entry[hi] - entry[lo])
    return 1.0


def search_space(
    ranges: Mapping[str, Mapping[str, float]],
    thresholds: Mapping[str, np.ndarray],
    forest: Forest,
    temperature: float,
    integer: Sequence[str],
    trust: TrustConfig,
) -> SearchSpace:
    """Both sides of every threshold of each indicator of ``thresholds``, within the
    training band."""
    candidates: dict[str, np.ndarray] = {}
    for fid, t in thresholds.items():
        band = training_band(ranges.get(fid, {}), trust)
        if band is None or not len(t):
            continue
        above = t + np.maximum(np.abs(t) * 1e-9, 1e-12)
        values = np.concatenate([t, above])
        if fid in integer:
            values = np.concatenate([np.floor(t), np.floor(t) + 1.0])
        values = np.unique(values[(values >= max(band[0], 0.0)) & (values <= band[1])])
        if len(values):
            candidates[fid] = values
    spread = {fid: _spread(ranges.get(fid, {})) for fid in candidates}
    pieces = {f: pieces_of(forest, forest.names.index(f), v) for f, v in candidates.items()}
    return SearchSpace(candidates, spread, frozenset(integer), forest, pieces, temperature)
