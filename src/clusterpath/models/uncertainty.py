"""Which predictions are least certain: top-1 margin and entropy of the path probabilities."""

from __future__ import annotations

import numpy as np
import pandas as pd

PROBA_PREFIX = "p_"


def probability_columns(predictions: pd.DataFrame) -> list[str]:
    return [c for c in predictions.columns if c.startswith(PROBA_PREFIX)]


def uncertainty(predictions: pd.DataFrame) -> pd.DataFrame:
    """Add ``margin`` (top-1 minus top-2 probability), ``entropy`` (bits) and ``runner_up``."""
    cols = probability_columns(predictions)
    proba = predictions[cols].to_numpy(float)
    order = np.argsort(-proba, axis=1, kind="stable")
    top = np.take_along_axis(proba, order[:, :2], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        bits = -np.nansum(np.where(proba > 0, proba * np.log2(proba), 0.0), axis=1)
    names = np.asarray([c.removeprefix(PROBA_PREFIX) for c in cols], dtype=object)
    return predictions.assign(
        runner_up=names[order[:, 1]], margin=top[:, 0] - top[:, 1], entropy=bits
    )


def least_certain(predictions: pd.DataFrame, n: int) -> pd.DataFrame:
    """The ``n`` rows with the smallest top-1 margin (ties: higher entropy first)."""
    scored = uncertainty(predictions)
    return (
        scored.sort_values(["margin", "entropy"], ascending=[True, False], kind="stable")
        .head(n)
        .reset_index(drop=True)
    )
