"""Trust flags: rows the model should not speak about confidently.

``insufficient_data``: too few enterprises for the indicators to mean much; such rows get no
recommendation at all. ``low_trust``: the row's indicator profile lies far from the training
data (its distance, ``models/support.py``, beyond the quantile of held-out training rows set
at training), or an indicator is missing where training never had it missing; the
recommendation is kept but marked, with how unusual the row is and the indicators that make
it so. Models trained before the distance existed fall back to per-indicator bands.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from clusterpath.explain.settings import ScoringConfig
from clusterpath.models.support import (
    distance_percentile,
    distances,
    training_band,
    unusual_indicators,
)

INSUFFICIENT = "insufficient_data"
LOW_TRUST = "low_trust"
ENTERPRISE_COUNT = "n_enterprises"


def _out_of_band(
    values: np.ndarray, name: str, band: tuple[float, float] | None
) -> dict[int, str]:
    """Row position -> reason, for the rows where ``values`` falls outside the band.

    Few rows are out of band, so reasons are written for those rows only.
    """
    reasons: dict[int, str] = {}
    if band is None:
        return reasons
    lo, hi = band
    for rows, sign, edge in ((values < lo, "<", lo), (values > hi, ">", hi)):
        for row, value in zip(np.flatnonzero(rows).tolist(), values[rows].tolist(), strict=True):
            reasons[row] = f"{name} {value:.4g} {sign} {edge:.4g}"
    return reasons


def join_reasons(parts: Sequence[Mapping[int, str]], n_rows: int) -> np.ndarray:
    """Per row, its reasons from all ``parts`` (row position -> reason) joined by '; '."""
    joined = np.full(n_rows, "", dtype=object)
    for part in parts:
        for row, reason in part.items():
            joined[row] = f"{joined[row]}; {reason}" if joined[row] else reason
    return joined


def _too_few(n: float, config: ScoringConfig) -> str:
    return f"{0 if pd.isna(n) else int(n)} enterprises (at least {config.min_enterprises} needed)"


def _share(p: float) -> str:
    """A share as a percentage with the precision that tells 99.9 from 100."""
    return f"{100 * p:.1f}".rstrip("0").rstrip(".") + " %"


def _unusual_profile(
    X: pd.DataFrame, support: Mapping, d: np.ndarray | None = None
) -> dict[int, str]:
    """Row position -> reason, for rows farther from the training data than the threshold
    (``d``: their distances, if the model gave them already)."""
    d = distances(X, support) if d is None else d
    rows = np.flatnonzero(d > support["threshold"])
    if not len(rows):
        return {}
    percentile = distance_percentile(d[rows], support)
    column = {fid: j for j, fid in enumerate(X.columns)}
    values = X.iloc[rows].to_numpy().tolist()  # the flagged rows only, as Python floats
    extremes_of = unusual_indicators(X, support, rows)
    reasons = {}
    for row, own, share, extremes in zip(
        rows.tolist(), values, percentile.tolist(), extremes_of, strict=True
    ):
        named = ", ".join(
            f"{fid} {own[column[fid]]:.4g} ({'above' if p >= 0.5 else 'below'} "
            f"{_share(p if p >= 0.5 else 1 - p)} of training)"
            for fid, p in extremes
        )
        reasons[row] = (
            f"unusual profile: farther from the training data than {_share(share)} of "
            f"training cluster-years; most unusual: {named}"
        )
    return reasons


def _missing(X: pd.DataFrame, ranges: Mapping, feature_ids: Sequence[str]) -> dict[int, str]:
    """Row position -> one reason naming every indicator it lacks that training never lacked
    (a row sent with only a few indicators gets one readable reason, not thirty)."""
    never = [fid for fid in feature_ids if ranges.get(fid, {}).get("missing_share", 1.0) == 0.0]
    if not never:
        return {}
    gaps = X[never].apply(pd.to_numeric, errors="coerce").isna().to_numpy()
    names = np.asarray(never, dtype=object)
    return {
        row: f"{', '.join(names[gaps[row]])} missing (never missing in training)"
        for row in np.flatnonzero(gaps.any(axis=1)).tolist()
    }


def too_few_enterprises(X: pd.DataFrame, config: ScoringConfig) -> np.ndarray:
    """Rows flagged ``insufficient_data``: fewer enterprises than configured, or unknown."""
    enterprises = pd.to_numeric(X[ENTERPRISE_COUNT], errors="coerce")
    return ~(enterprises >= config.min_enterprises).to_numpy()


def trust_flags(
    X: pd.DataFrame,
    ranges: Mapping[str, Mapping[str, float]],
    feature_ids: Sequence[str],
    config: ScoringConfig,
    support: Mapping | None = None,
    known_distances: np.ndarray | None = None,
) -> pd.DataFrame:
    """``flag`` ('' | low_trust | insufficient_data) and ``flag_reason`` for every row of X
    (``known_distances``: each row's support distance, if the model gave it)."""
    if support:
        parts = [_unusual_profile(X, support, known_distances), _missing(X, ranges, feature_ids)]
    else:
        parts = [
            *(
                _out_of_band(
                    pd.to_numeric(X[fid], errors="coerce").to_numpy(float, na_value=np.nan),
                    fid,
                    training_band(ranges.get(fid, {}), config.trust),
                )
                for fid in feature_ids
            ),
            _missing(X, ranges, feature_ids),
        ]
    reason = join_reasons(parts, len(X))
    flag = np.where(reason != "", LOW_TRUST, "")
    enterprises = pd.to_numeric(X[ENTERPRISE_COUNT], errors="coerce")
    few = too_few_enterprises(X, config)
    reason[few] = [_too_few(n, config) for n in enterprises[few]]
    return pd.DataFrame(
        {"flag": np.where(few, INSUFFICIENT, flag), "flag_reason": reason}, index=X.index
    )
