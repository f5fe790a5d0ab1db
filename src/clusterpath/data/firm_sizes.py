"""Firm sizes as registers show them: a lognormal body and a Pareto upper tail.

Real firm sizes follow a lognormal in the body and a power law among the largest few per
cent (Zipf's law, exponent near one, e.g. the revenues of China's top 500 firms). The
simulator and the gallery both draw sizes this way, each with its own declared tail.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np


def spliced_log_size(
    n: int,
    mu: np.ndarray | float,
    sigma: float,
    rng: np.random.Generator,
    *,
    tail_z: float,
    alpha: float,
) -> np.ndarray:
    """``n`` log sizes: normal(``mu``, ``sigma``) up to ``tail_z`` standard deviations above
    ``mu``, and beyond it a Pareto tail (P(S > s) ~ s^-``alpha``) joined to the body there."""
    z = rng.standard_normal(n)
    tail = z > tail_z
    z[tail] = tail_z + rng.exponential(1.0, tail.sum()) / (alpha * max(sigma, 1e-6))
    return mu + sigma * z


def tail_start(tail_share: float) -> float:
    """Where the tail of the largest ``tail_share`` of firms begins, in standard deviations."""
    return NormalDist().inv_cdf(1 - tail_share)
