"""How far a row lies from the training data: one distance over many indicators at once.

A row is unusual when its *profile* is, not when one indicator crosses a band: real sources
differ in coverage, so single bands flag almost everything, while a profile far from every
training cluster is what makes a prediction a guess. Each indicator is mapped to a normal
score through its training quantiles (straight-line continuation beyond the extremes, so a
value far outside keeps growing), missing values take the training median, and the distance
is the Mahalanobis distance under a Ledoit-Wolf shrunk covariance, over the indicators the
model leans on (those carrying most of its split gain). Its reference distribution comes
from rows scored by a support fitted without their cluster (grouped folds), so the
threshold does not reward rows for being in the fit.

Everything fitted is plain lists and floats, so it travels in the served model's bundle and
is applied with numpy alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from scipy.special import ndtr, ndtri

GRID = 101  # quantile points per indicator
REFERENCE_POINTS = 201  # points kept of the reference distance distribution
QUANTILES = (0.01, 0.05, 0.5, 0.95, 0.99)  # of each indicator's training range


class TrustConfig(BaseModel):
    """The band of an indicator's training values accepted as seen (``models/scoring.yaml``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    lower_quantile: str = "q01"
    upper_quantile: str = "q99"
    margin: float = Field(default=0.1, ge=0)


def training_band(entry: Mapping[str, float], trust: TrustConfig) -> tuple[float, float] | None:
    """The accepted interval of one indicator, or None if training never saw a value."""
    lo, hi = entry.get(trust.lower_quantile), entry.get(trust.upper_quantile)
    if lo is None or hi is None:
        return None
    widen = trust.margin * (hi - lo)
    lower = lo - widen
    if lo > 0 >= lower:
        # Widening must not stretch a positive band down to zero: a value a thousand times
        # too small (a unit mixed up, e.g. revenue in yuan, not 10k yuan) would pass unseen.
        lower = lo * (1 - trust.margin)
    return lower, hi + widen


def feature_ranges(X: pd.DataFrame, feature_ids: Sequence[str]) -> dict[str, dict[str, float]]:
    """Per feature: min, max, quantiles and missing share over the training rows."""
    out: dict[str, dict[str, float]] = {}
    for fid in feature_ids:
        values = pd.to_numeric(X[fid], errors="coerce")
        present = values.dropna()
        entry = {"missing_share": float(values.isna().mean()) if len(values) else 0.0}
        if len(present):
            entry["min"] = float(present.min())
            entry["max"] = float(present.max())
            for q in QUANTILES:
                entry[f"q{round(q * 100):02d}"] = float(present.quantile(q))
        out[fid] = entry
    return out


def _grid(values: np.ndarray) -> tuple[list[float], list[float]]:
    """Distinct quantile values of one indicator and the normal score of each."""
    n = len(values)
    probs = np.linspace(0.5 / n, 1 - 0.5 / n, GRID)
    xs = np.quantile(values, probs)
    zs = ndtri(probs)
    distinct, inverse = np.unique(xs, return_inverse=True)
    mean_z = np.bincount(inverse, weights=zs) / np.bincount(inverse)
    return distinct.tolist(), mean_z.tolist()


def _scores(values: np.ndarray, xs: Sequence[float], zs: Sequence[float]) -> np.ndarray:
    """Normal scores by the quantile grid, continued linearly beyond both ends."""
    xs_a, zs_a = np.asarray(xs), np.asarray(zs)
    out = np.interp(values, xs_a, zs_a)
    if len(xs_a) >= 2:
        lo_slope = (zs_a[1] - zs_a[0]) / max(xs_a[1] - xs_a[0], 1e-12)
        hi_slope = (zs_a[-1] - zs_a[-2]) / max(xs_a[-1] - xs_a[-2], 1e-12)
        out = np.where(values < xs_a[0], zs_a[0] + (values - xs_a[0]) * lo_slope, out)
        out = np.where(values > xs_a[-1], zs_a[-1] + (values - xs_a[-1]) * hi_slope, out)
    return np.clip(out, -40.0, 40.0)


def normal_scores(X: pd.DataFrame, support: Mapping) -> np.ndarray:
    """Rows x indicators matrix of normal scores (missing values at the training median)."""
    cols = []
    for fid in support["feature_ids"]:
        grid = support["grids"][fid]
        values = pd.to_numeric(X[fid], errors="coerce").to_numpy(float, na_value=np.nan)
        z = _scores(values, grid["x"], grid["z"]) if grid["x"] else np.zeros(len(values))
        cols.append(np.where(np.isnan(values), grid["median_z"], z))
    return np.column_stack(cols) if cols else np.zeros((len(X), 0))


def _fit_core(X: pd.DataFrame, feature_ids: Sequence[str]) -> dict:
    from sklearn.covariance import LedoitWolf

    grids = {}
    for fid in feature_ids:
        values = pd.to_numeric(X[fid], errors="coerce").dropna().to_numpy(float)
        if len(values) == 0:
            grids[fid] = {"x": [], "z": [], "median_z": 0.0}
            continue
        xs, zs = _grid(values)
        median_z = float(_scores(np.array([np.median(values)]), xs, zs)[0])
        grids[fid] = {"x": xs, "z": zs, "median_z": median_z}
    core = {"feature_ids": list(feature_ids), "grids": grids}
    Z = normal_scores(X, core)
    lw = LedoitWolf().fit(Z)
    core["location"] = lw.location_.tolist()
    core["precision"] = lw.precision_.tolist()
    return core


def distances(X: pd.DataFrame, support: Mapping) -> np.ndarray:
    """Mahalanobis distance of each row from the training data."""
    Z = normal_scores(X, support) - np.asarray(support["location"])
    P = np.asarray(support["precision"])
    return np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", Z, P, Z), 0.0))


def important_features(estimator, feature_ids: Sequence[str], share: float) -> list[str]:
    """The indicators that carry ``share`` of the LightGBM's total split gain, most first.

    A row far out in an indicator the model hardly uses (say, link coverage) is not a reason
    to doubt its recommendation; far out in the ones it leans on, it is.
    """
    from clusterpath.models.pipeline import lightgbm_step

    gain = np.asarray(lightgbm_step(estimator).booster_.feature_importance("gain"), float)
    if gain.sum() <= 0:
        return list(feature_ids)
    order = np.argsort(-gain, kind="stable")
    cumulative = np.cumsum(gain[order]) / gain.sum()
    keep = order[: int(np.searchsorted(cumulative, share)) + 1]
    return [feature_ids[i] for i in keep]


def fit_support(
    X: pd.DataFrame,
    feature_ids: Sequence[str],
    groups: pd.Series,
    quantile: float,
    folds: int = 5,
    seed: int = 0,
) -> dict:
    """Fit on all rows; set the reference distances from grouped out-of-fold rows."""
    from sklearn.model_selection import GroupKFold

    support = _fit_core(X, feature_ids)
    n_groups = pd.Series(groups).nunique()
    if n_groups >= 2:
        splitter = GroupKFold(n_splits=min(folds, n_groups), shuffle=True, random_state=seed)
        held = np.empty(len(X))
        for fit_idx, test_idx in splitter.split(X, groups=np.asarray(groups)):
            held[test_idx] = distances(X.iloc[test_idx], _fit_core(X.iloc[fit_idx], feature_ids))
    else:
        held = distances(X, support)
    support["reference"] = np.quantile(held, np.linspace(0, 1, REFERENCE_POINTS)).tolist()
    support["threshold"] = float(np.quantile(held, quantile))
    support["quantile"] = quantile
    return support


def distance_percentile(d: np.ndarray, support: Mapping) -> np.ndarray:
    """Share (0-1) of held-out training rows lying closer to the training data than ``d``."""
    ref = np.asarray(support["reference"])
    return np.interp(d, ref, np.linspace(0, 1, len(ref)), left=0.0, right=1.0)


def unusual_indicators(
    X: pd.DataFrame, support: Mapping, rows: np.ndarray, top: int = 3
) -> list[list[tuple[str, float]]]:
    """For ``rows``: the ``top`` indicators farthest out, with the training share they pass.

    The share is the normal-score CDF: 0.999 = above 99.9 % of training rows, 0.002 = below
    all but 0.2 %.
    """
    location = np.asarray(support["location"])
    Z = normal_scores(X.iloc[rows], support) - location
    order = np.argsort(-np.abs(Z), axis=1)[:, :top]
    shares = ndtr(np.take_along_axis(Z, order, axis=1) + location[order]).tolist()
    ids = np.asarray(support["feature_ids"], dtype=object)[order].tolist()
    return [list(zip(*row, strict=True)) for row in zip(ids, shares, strict=True)]
