"""Trust flags: rows the model should not speak about confidently.

``insufficient_data``: too few enterprises for the indicators to mean much; such rows get no
recommendation at all. ``low_trust``: some indicator lies outside what the model saw in
training (beyond the stored quantile band, widened by a margin), or is missing where training
never had it missing; the recommendation is kept but marked, with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from clusterpath.explain.settings import ScoringConfig

INSUFFICIENT = "insufficient_data"
LOW_TRUST = "low_trust"
ENTERPRISE_COUNT = "n_enterprises"


def training_band(entry: Mapping[str, float], config: ScoringConfig) -> tuple[float, float] | None:
    """The accepted interval of one indicator, or None if training never saw a value."""
    lo, hi = entry.get(config.trust.lower_quantile), entry.get(config.trust.upper_quantile)
    if lo is None or hi is None:
        return None
    widen = config.trust.margin * (hi - lo)
    lower = lo - widen
    if lo > 0 >= lower:
        # Widening must not stretch a positive band down to zero: a value a thousand times
        # too small (a unit mixed up, e.g. revenue in yuan, not 10k yuan) would pass unseen.
        lower = lo * (1 - config.trust.margin)
    return lower, hi + widen


def _out_of_band(
    values: pd.Series, band: tuple[float, float] | None, never_missing: bool
) -> pd.Series:
    """Per row: a reason string where ``values`` falls outside the band, else ''."""
    reasons = pd.Series("", index=values.index, dtype=object)
    name = values.name
    if never_missing:
        reasons[values.isna()] = f"{name} missing (never missing in training)"
    if band is None:
        return reasons
    lo, hi = band
    reasons[values < lo] = values[values < lo].map(lambda v: f"{name} {v:.4g} < {lo:.4g}")
    reasons[values > hi] = values[values > hi].map(lambda v: f"{name} {v:.4g} > {hi:.4g}")
    return reasons


def join_reasons(parts: Sequence[np.ndarray], n_rows: int) -> np.ndarray:
    """Element-wise '; '-join of non-empty reason strings (vectorised over rows)."""
    joined = np.full(n_rows, "", dtype=object)
    for part in parts:
        both = (joined != "") & (part != "")
        joined = np.where(both, joined + "; " + part, joined + part)
    return joined


def trust_flags(
    X: pd.DataFrame,
    ranges: Mapping[str, Mapping[str, float]],
    feature_ids: Sequence[str],
    config: ScoringConfig,
) -> pd.DataFrame:
    """``flag`` ('' | low_trust | insufficient_data) and ``flag_reason`` for every row of X."""
    parts = [
        _out_of_band(
            pd.to_numeric(X[fid], errors="coerce").rename(fid),
            training_band(ranges.get(fid, {}), config),
            ranges.get(fid, {}).get("missing_share", 1.0) == 0.0,
        )
        for fid in feature_ids
    ]
    joined = join_reasons([p.to_numpy(object) for p in parts], len(X))
    flag = np.where(joined != "", LOW_TRUST, "")
    enterprises = pd.to_numeric(X[ENTERPRISE_COUNT], errors="coerce")
    few = ~(enterprises >= config.min_enterprises)
    reason = np.where(
        few,
        enterprises.map(
            lambda n: (
                f"{0 if pd.isna(n) else int(n)} enterprises "
                f"(at least {config.min_enterprises} needed)"
            )
        ),
        joined,
    )
    return pd.DataFrame(
        {"flag": np.where(few, INSUFFICIENT, flag), "flag_reason": reason}, index=X.index
    )
