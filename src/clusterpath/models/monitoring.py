"""How a scored batch is likely doing, without labels: estimated performance and drift.

Estimated performance follows confidence-based performance estimation (CBPE, as in NannyML:
https://nannyml.readthedocs.io/en/stable/how_it_works/performance_estimation.html). With
calibrated probabilities, row i's recommendation (its most likely path) is right with
probability ``m_i = max_k p_ik``:

- expected accuracy = mean of ``m_i``; the number of right rows is Poisson-binomial, with
  variance ``sum m_i (1 - m_i)``, so a normal interval is ``acc +- z sqrt(sum m(1-m)) / n``;
- expected confusion counts per path k: ``TP_k`` = sum of ``p_ik`` over rows recommending k,
  ``FP_k`` = sum of ``1 - p_ik`` over those rows, ``FN_k`` = sum of ``p_ik`` over the other
  rows; expected F1_k = 2 TP / (2 TP + FP + FN), and macro-F1 their mean over the paths that
  are recommended or expected (as ``evaluation.macro_f1`` counts them). Its interval comes
  from labels drawn from the probabilities themselves (``draws`` times, seeded).

Both are only as good as the calibration: rows far from training may be over-confident, which
is why drift is reported beside them. Drift compares each indicator with the compact reference
saved with the model at training (``training_reference``: quantiles at 20 equal-probability
levels, standard deviation and undefined share): the Wasserstein distance between the batch's
and the training quantile functions (the mean absolute gap over the levels), divided by the
training standard deviation, as Evidently's "normed Wasserstein distance" for numerical
columns. A batch of n rows drawn from the training distribution itself scatters by about
1 / sqrt(n) standard deviations, so an indicator is flagged drifted above ``threshold +
sample_allowance / sqrt(n)`` (measured: the 95th percentile of the statistic without drift
stayed below 2.5 / sqrt(n) for normal, lognormal and zero-inflated indicators from 26 to 2,000
rows), or when its undefined share moved by more than ``undefined_share_change``. The test and
its settings are declared in ``models/scoring.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from scipy.special import ndtri

from clusterpath.models.real_source import RealSourceCorrection

LEVELS = (np.arange(20) + 0.5) / 20  # equal-probability levels of the reference quantiles
NOT_RECOMMENDED = ""  # the path of a row given no recommendation


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DriftConfig(_Frozen):
    test: Literal["wasserstein"] = "wasserstein"
    threshold: float = Field(default=0.1, gt=0)
    sample_allowance: float = Field(default=2.5, ge=0)
    undefined_share_change: float = Field(default=0.1, gt=0, le=1)


class MonitoringConfig(_Frozen):
    """Interval level and draws of the estimate, the drift test, and when to fail."""

    interval: float = Field(default=0.95, gt=0, lt=1)
    draws: int = Field(default=200, ge=10)
    seed: int = 0
    drift: DriftConfig = DriftConfig()
    fail_below_accuracy: float = Field(default=0.6, ge=0, le=1)
    fail_drifted_share: float = Field(default=0.25, gt=0, le=1)


def training_reference(
    X: pd.DataFrame,
    feature_ids: Sequence[str],
    flag_rates: Mapping[str, float],
    corrections: Mapping[str, float] | None = None,
    real_source: Mapping | None = None,
    trained_on: Sequence[str] = (),
) -> dict:
    """The compact reference of the training indicators kept with the model (plain lists),
    with what the shift test taught about the estimate (``estimate_corrections``) and what
    the graded real clusters taught (``real_source.RealSourceCorrection.as_dict``)."""
    indicators = {}
    for fid in feature_ids:
        values = pd.to_numeric(X[fid], errors="coerce").to_numpy(float)
        present = values[~np.isnan(values)]
        indicators[fid] = {
            "quantiles": np.quantile(present, LEVELS).tolist() if len(present) else None,
            "std": float(present.std()) if len(present) else 0.0,
            "undefined_share": float(np.isnan(values).mean()) if len(values) else 0.0,
        }
    return {
        "levels": LEVELS.tolist(),
        "indicators": indicators,
        "flag_rates": {k: float(v) for k, v in flag_rates.items()},
        "corrections": {k: float(v) for k, v in (corrections or {}).items()},
        "real_source": dict(real_source) if real_source else None,
        "trained_on": sorted(str(c) for c in trained_on),  # labelled clusters fitted on
    }


def estimate_corrections(
    per_world: pd.DataFrame,
    proba: np.ndarray,
    y_true,
    flagged: np.ndarray,
    classes: Sequence[str],
    min_flagged: int = 10,
) -> dict[str, float]:
    """What the shift test teaches about the estimate on worlds the model did not see:

    - ``estimate_error``: the root mean square gap between estimated and actual accuracy
      over the held-out worlds, a systematic error the interval adds to sampling;
    - ``low_trust_confidence_ratio``: the accuracy of rows flagged ``low_trust`` over their
      mean confidence (at most 1; 1 with fewer than ``min_flagged`` such rows). Those rows are
      unlike training, where calibration was learned, and are over-confident.
    """
    gap = per_world["estimated_accuracy"] - per_world["actual_accuracy"]
    ratio = 1.0
    flagged = np.asarray(flagged, dtype=bool)
    if flagged.sum() >= min_flagged:
        top = proba[flagged].max(axis=1)
        pred = np.asarray(classes, dtype=object)[np.argmax(proba[flagged], axis=1)]
        right = pred == np.asarray(y_true, dtype=object)[flagged]
        ratio = min(1.0, float(right.mean() / top.mean()))
    return {
        "estimate_error": float(np.sqrt(np.mean(np.square(gap)))) if len(gap) else 0.0,
        "low_trust_confidence_ratio": ratio,
    }


def discounted(proba: np.ndarray, rows: np.ndarray, ratio: float | np.ndarray) -> np.ndarray:
    """``proba`` with the top path of ``rows`` scaled by ``ratio`` (one value, or one per
    row of ``proba``) and the other paths scaled up to fill the rest (each row still sums
    to 1; the top path stays on top only as far as it still leads)."""
    ratios = np.broadcast_to(np.asarray(ratio, dtype=float), (len(proba),))
    rows = np.asarray(rows, dtype=bool) & (ratios < 1.0)
    if not rows.any():
        return proba
    out = proba.copy()
    part = out[rows]
    top = np.argmax(part, axis=1)
    at = np.arange(len(part))
    p = part[at, top]
    r = ratios[rows]
    rest = 1.0 - p
    scale = np.divide(1.0 - p * r, rest, out=np.ones_like(p), where=rest > 0)
    part *= scale[:, None]
    part[at, top] = p * r
    out[rows] = part
    return out


def corrected_proba(
    proba: np.ndarray,
    resemblance: np.ndarray | None,
    low_trust: np.ndarray,
    reference: Mapping | None,
) -> np.ndarray:
    """The probabilities the estimate reads: the top path of ``low_trust`` rows scaled by
    the held-out worlds' ratio, and every row's by its ``resemblance`` to the graded real
    clusters (``real_source``: ``1 - s (1 - ratio)``); a model saved without either keeps
    ``proba``."""
    reference = reference or {}
    ratio = np.where(
        low_trust, reference.get("corrections", {}).get("low_trust_confidence_ratio", 1.0), 1.0
    )
    real = reference.get("real_source")
    if real and resemblance is not None:
        ratio = ratio * (1.0 - resemblance * (1.0 - real["ratio"]))
    return discounted(proba, np.ones(len(proba), dtype=bool), ratio)


def recommended_index(proba: np.ndarray, pred: np.ndarray | None) -> np.ndarray:
    """Each row's recommended path: ``pred`` where given, else the leading path of ``proba``."""
    return np.argmax(proba, axis=1) if pred is None else np.asarray(pred, dtype=int)


def estimate_performance(
    proba: np.ndarray,
    classes: Sequence[str],
    config: MonitoringConfig,
    groups: np.ndarray | None = None,
    systematic: float = 0.0,
    pred: np.ndarray | None = None,
) -> dict[str, object]:
    """Expected accuracy and macro-F1 of the rows of ``proba`` (recommended rows only), with
    intervals at ``config.interval``; None where there are no rows. With ``groups`` (one
    value per row, e.g. the year), ``by_group`` holds the same for each group, from the same
    label draws. ``systematic`` (an accuracy error seen on held-out worlds) widens the
    accuracy interval beside the sampling error: half-width z sqrt(se^2 + systematic^2).
    ``pred`` is the index of each row's recommended path: when ``proba`` was corrected
    after the recommendation (``corrected_proba``), another path may now lead, but the
    recommendation is what is right or wrong (default: the leading path of ``proba``)."""
    n = len(proba)
    if n == 0:
        return _estimate(proba, np.zeros(0, int), np.zeros(0), config, systematic)
    pred = recommended_index(proba, pred)
    codes = np.zeros(n, dtype=int) if groups is None else np.unique(groups, return_inverse=True)[1]
    draws = _drawn_macro_f1(proba, pred, codes, config)
    out = _estimate(proba, pred, draws[0], config, systematic)
    if groups is not None:
        out["by_group"] = {
            value: _estimate(proba[codes == g], pred[codes == g], draws[g + 1], config, systematic)
            for g, value in enumerate(np.unique(groups).tolist())
        }
    return out


def _estimate(
    proba: np.ndarray,
    pred: np.ndarray,
    drawn_f1: np.ndarray,
    config: MonitoringConfig,
    systematic: float = 0.0,
) -> dict[str, object]:
    n = len(proba)
    if n == 0:
        return {
            "rows": 0,
            "estimated_accuracy": None,
            "estimated_accuracy_interval": None,
            "estimated_macro_f1": None,
            "estimated_macro_f1_interval": None,
        }
    top = proba[np.arange(n), pred]
    accuracy = float(top.mean())
    z = float(ndtri(0.5 + config.interval / 2))
    sampling = float(np.sum(top * (1 - top))) / n**2
    half = z * float(np.sqrt(sampling + systematic**2))
    tail = (1 - config.interval) / 2
    return {
        "rows": n,
        "estimated_accuracy": accuracy,
        "estimated_accuracy_interval": [max(0.0, accuracy - half), min(1.0, accuracy + half)],
        "estimated_macro_f1": expected_macro_f1(proba, pred),
        "estimated_macro_f1_interval": np.quantile(drawn_f1, [tail, 1 - tail]).tolist(),
    }


def expected_macro_f1(proba: np.ndarray, pred: np.ndarray) -> float:
    """CBPE's macro-F1 from the expected TP, FP and FN of each path (see the module note)."""
    k = proba.shape[1]
    chosen = np.zeros_like(proba, dtype=bool)
    chosen[np.arange(len(pred)), pred] = True
    tp = np.where(chosen, proba, 0.0).sum(axis=0)
    fp = np.where(chosen, 1 - proba, 0.0).sum(axis=0)
    fn = np.where(chosen, 0.0, proba).sum(axis=0)
    present = chosen.any(axis=0) | (proba.sum(axis=0) > 0.5)  # recommended or expected
    f1 = np.divide(2 * tp, 2 * tp + fp + fn, out=np.zeros(k), where=(2 * tp + fp + fn) > 0)
    return float(f1[present].mean())


def _drawn_macro_f1(
    proba: np.ndarray, pred: np.ndarray, groups: np.ndarray, config: MonitoringConfig
) -> np.ndarray:
    """Macro-F1 of the recommendations against labels drawn from the probabilities, per
    draw: row 0 for all rows, row g + 1 for the rows of group code g.

    A row's label is the number of its cumulative probabilities a uniform draw passes, one
    comparison per path boundary (single precision: 0.3 s for 200 draws of 100,000 rows).
    """
    rng = np.random.default_rng(config.seed)
    n, k = proba.shape
    n_groups = int(groups.max()) + 1 if n else 0
    bounds = np.cumsum(proba, axis=1).astype(np.float32)
    columns = [np.ascontiguousarray(bounds[:, j]) for j in range(k - 1)]
    out = np.empty((n_groups + 1, config.draws))
    base = (groups.astype(np.int64) * k + pred) * k  # group, predicted, then drawn
    for d in range(config.draws):
        u = rng.random(n, dtype=np.float32)
        cell = base.copy()
        for column in columns:
            cell += u >= column
        counts = np.bincount(cell, minlength=n_groups * k * k).reshape(n_groups, k, k)
        out[0, d] = _macro_f1_of(counts.sum(axis=0))
        for g in range(n_groups):
            out[g + 1, d] = _macro_f1_of(counts[g])
    return out


def _macro_f1_of(confusion: np.ndarray) -> float:
    """Macro-F1 of a (predicted x actual) count table, over the paths that occur."""
    tp = np.diag(confusion).astype(float)
    both = confusion.sum(axis=1) + confusion.sum(axis=0)  # predicted + actual
    present = both > 0
    return float((2 * tp[present] / both[present]).mean()) if present.any() else 0.0


def expected_counts(
    proba: np.ndarray, classes: Sequence[str], pred: np.ndarray | None = None
) -> list[dict[str, object]]:
    """Per path: the expected number of rows truly on it against the number recommended
    (``pred`` as for ``estimate_performance``)."""
    recommended = np.bincount(recommended_index(proba, pred), minlength=len(classes))
    expected = proba.sum(axis=0)
    return [
        {"path": code, "expected": float(expected[i]), "recommended": int(recommended[i])}
        for i, code in enumerate(classes)
    ]


def quantile_gap(values: np.ndarray, quantiles: Sequence[float], std: float) -> float:
    """Wasserstein distance between the present ``values`` and the training quantiles, on
    the reference levels, in training standard deviations (NaN without values)."""
    present = values[~np.isnan(values)]
    if not len(present):
        return float("nan")
    gap = float(np.abs(np.quantile(present, LEVELS) - np.asarray(quantiles, dtype=float)).mean())
    if std > 0:
        return gap / std
    return float("inf") if gap > 0 else 0.0  # a constant in training: any change is drift


def indicator_drift(X: pd.DataFrame, reference: Mapping, config: DriftConfig) -> pd.DataFrame:
    """Per indicator: drift statistic, flag and undefined share against training."""
    rows = []
    for fid, ref in reference["indicators"].items():
        values = pd.to_numeric(X[fid], errors="coerce").to_numpy(float)
        undefined = float(np.isnan(values).mean()) if len(values) else 0.0
        statistic = (
            quantile_gap(values, ref["quantiles"], ref["std"])
            if ref["quantiles"] is not None
            else float("nan")
        )
        present = int((~np.isnan(values)).sum())
        limit = config.threshold + config.sample_allowance / np.sqrt(max(present, 1))
        change = abs(undefined - ref["undefined_share"])
        rows.append(
            {
                "indicator": fid,
                "statistic": statistic,
                "limit": float(limit),
                "undefined_share": undefined,
                "training_undefined_share": ref["undefined_share"],
                "drifted": bool(statistic > limit) or change > config.undefined_share_change,
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class FlagNames:
    """How the scores table marks its flags, and the rule behind ``insufficient_data``."""

    low_trust: str
    insufficient: str
    enterprise_count: str  # the indicator counting a cluster-year's enterprises
    min_enterprises: int


def batch_health(
    scores: pd.DataFrame,
    X: pd.DataFrame,
    classes: Sequence[str],
    reference: Mapping | None,
    flags: FlagNames,
    config: MonitoringConfig,
    labels: pd.DataFrame | None = None,
) -> dict[str, object]:
    """The monitoring document of one scored batch (``scores`` as ``score`` writes them,
    ``X`` its indicators in the same row order): estimate, counts per path, per year, flag
    shares beside training's, drift of the rows given a recommendation against ``reference``
    (None for a model saved without one) and whether it should fail; with ``labels``
    (cluster_id, year, path), the actual accuracy of the labelled rows beside the estimate
    on the same rows."""
    given = (scores["path"] != NOT_RECOMMENDED).to_numpy()
    columns = [f"p_{c}" for c in classes]
    corrections = (reference or {}).get("corrections", {})
    low_trust = (scores["flag"] == flags.low_trust).to_numpy()[given]
    resemblance = _resemblance(X[given], reference)
    raw = scores.loc[given, columns].to_numpy(float)
    recommended = np.argmax(raw, axis=1)
    proba = corrected_proba(raw, resemblance, low_trust, reference)
    years = scores["year"].to_numpy()[given]
    several = len(np.unique(years)) > 1
    estimate = estimate_performance(
        proba,
        classes,
        config,
        years if several else None,
        corrections.get("estimate_error", 0.0),
        recommended,
    )
    by_year = estimate.pop("by_group", None)
    doc: dict[str, object] = {
        **estimate,
        "interval_level": config.interval,
        "corrections": dict(corrections),
        "real_source": _resemblance_section(resemblance, reference),
        "paths": expected_counts(proba, classes, recommended),
    }
    if by_year:
        doc["by_year"] = [{"year": int(y), **e} for y, e in by_year.items()]
    training = {
        flags.low_trust: (reference or {}).get("flag_rates", {}).get(flags.low_trust),
        flags.insufficient: share_below(reference, flags.enterprise_count, flags.min_enterprises),
    }
    doc["flags"] = {
        flag: {
            "share": float((scores["flag"] == flag).mean()) if len(scores) else 0.0,
            "training_share": share,
        }
        for flag, share in training.items()
    }
    doc["drift"] = _drift_section(X[given], reference, config.drift)  # rows it spoke about
    doc["alerts"] = alerts(doc, config)
    if labels is not None and not labels.empty:
        doc["actual"] = _actual_section(
            scores[given], proba, recommended, labels, classes, config, reference
        )
    return doc


def _actual_section(
    scores: pd.DataFrame,
    proba: np.ndarray,
    recommended: np.ndarray,
    labels: pd.DataFrame,
    classes: Sequence[str],
    config: MonitoringConfig,
    reference: Mapping | None,
) -> dict[str, object]:
    """The estimate against the labels, on labelled rows of clusters the model did not
    train on: a model trained with a cluster's label would grade itself on it."""
    keys = ["cluster_id", "year"]
    truth = labels[[*keys, "path"]].rename(columns={"path": "label"})
    keyed = scores[keys].reset_index(drop=True).assign(_row=np.arange(len(proba)))
    rows = keyed.merge(truth, on=keys, how="inner")
    trained = rows["cluster_id"].astype(str).isin(set((reference or {}).get("trained_on", [])))
    rows = rows[~trained]
    systematic = (reference or {}).get("corrections", {}).get("estimate_error", 0.0)
    at = rows["_row"].to_numpy()
    out = estimate_against_actual(
        proba[at], rows["label"], classes, config, systematic, recommended[at]
    )
    return {**out, "trained_rows_left_out": int(trained.sum())}


def _resemblance(X: pd.DataFrame, reference: Mapping | None) -> np.ndarray | None:
    correction = RealSourceCorrection.from_dict((reference or {}).get("real_source"))
    return None if correction is None else correction.resemblance(X)


def _resemblance_section(resemblance: np.ndarray | None, reference: Mapping | None) -> dict | None:
    """How much the batch resembles the graded real clusters, and their ratio."""
    if resemblance is None:
        return None
    real = (reference or {})["real_source"]
    return {
        "ratio": real["ratio"],
        "real_rows": real["real_rows"],
        "mean_resemblance": float(resemblance.mean()) if len(resemblance) else None,
    }


def _drift_section(X: pd.DataFrame, reference: Mapping | None, config: DriftConfig) -> dict:
    if not reference:
        return {"test": config.test, "threshold": config.threshold, "indicators": None}
    table = indicator_drift(X, reference, config)
    drifted = table.loc[table["drifted"], "indicator"].tolist()
    return {
        "test": config.test,
        "threshold": config.threshold,
        "sample_allowance": config.sample_allowance,
        "undefined_share_change": config.undefined_share_change,
        "drifted": drifted,
        "drifted_share": len(drifted) / len(table) if len(table) else 0.0,
        "indicators": [
            {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in r.items()}
            for r in table.to_dict(orient="records")
        ],
    }


def alerts(doc: Mapping, config: MonitoringConfig) -> list[str]:
    """Why ``score --fail-on-drift`` would stop: the estimate below its floor, or too many
    indicators drifted (empty when neither)."""
    out = []
    accuracy = doc["estimated_accuracy"]
    if accuracy is not None and accuracy < config.fail_below_accuracy:
        out.append(f"estimated accuracy {accuracy:.3f} below {config.fail_below_accuracy:.3f}")
    share = doc["drift"].get("drifted_share")
    if share is not None and share > config.fail_drifted_share:
        out.append(
            f"{len(doc['drift']['drifted'])} indicators drifted "
            f"({share:.0%} > {config.fail_drifted_share:.0%})"
        )
    return out


def share_below(reference: Mapping | None, indicator: str, bound: float) -> float | None:
    """The training share of ``indicator`` below ``bound`` read off the reference quantiles
    (to the nearest of its 20 levels; None without a reference)."""
    entry = (reference or {}).get("indicators", {}).get(indicator)
    if not entry or entry["quantiles"] is None:
        return None
    below = float(np.mean(np.asarray(entry["quantiles"]) < bound))
    return entry["undefined_share"] + (1 - entry["undefined_share"]) * below


def estimate_against_actual(
    proba: np.ndarray,
    y_true,
    classes: Sequence[str],
    config: MonitoringConfig | None = None,
    systematic: float = 0.0,
    pred: np.ndarray | None = None,
) -> dict[str, object]:
    """The estimated accuracy of labelled rows beside their actual accuracy: the check of
    the estimate on held-out worlds at training, and on a labelled extract at scoring
    (``pred`` as for ``estimate_performance``)."""
    config = config or MonitoringConfig()
    estimate = estimate_performance(proba, classes, config, systematic=systematic, pred=pred)
    if not len(proba):
        return {"rows": 0}
    pred = np.asarray(classes, dtype=object)[recommended_index(proba, pred)]
    actual = float((pred == np.asarray(y_true, dtype=object)).mean())
    low, high = estimate["estimated_accuracy_interval"]
    return {
        "rows": len(proba),
        "estimated_accuracy": estimate["estimated_accuracy"],
        "estimated_accuracy_low": low,
        "estimated_accuracy_high": high,
        "actual_accuracy": actual,
        "estimate_covers_actual": bool(low <= actual <= high),
    }


def covered_with_error(per_world: pd.DataFrame, interval: float = 0.95) -> pd.Series:
    """Per held-out world: does the interval cover the actual accuracy once it carries the
    systematic error measured on the other worlds (leave one world out, as a new world's
    batch would be scored)?"""
    z = float(ndtri(0.5 + interval / 2))
    gap = per_world["estimated_accuracy"] - per_world["actual_accuracy"]
    sampling = (per_world["estimated_accuracy_high"] - per_world["estimated_accuracy_low"]) / 2
    out = {}
    for world in per_world.index:
        others = gap.drop(world)
        error = float(np.sqrt(np.mean(np.square(others)))) if len(others) else 0.0
        half = np.sqrt(sampling[world] ** 2 + (z * error) ** 2)
        out[world] = bool(abs(gap[world]) <= half)
    return pd.Series(out)
