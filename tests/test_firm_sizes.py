"""Firm sizes: a lognormal body joined to a Pareto tail at a declared quantile."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterpath.data.firm_sizes import spliced_log_size, tail_start


def test_the_tail_of_the_largest_five_per_cent_starts_at_the_normal_quantile():
    # the standard normal's 95th percentile, from tables: 1.6449
    assert tail_start(0.05) == pytest.approx(1.644854, abs=1e-6)
    assert tail_start(0.5) == pytest.approx(0.0, abs=1e-12)


def test_the_body_is_the_plain_normal_draw():
    z = np.random.default_rng(3).standard_normal(1000)
    logs = spliced_log_size(1000, 2.0, 0.5, np.random.default_rng(3), tail_z=1.645, alpha=1.0)
    body = z <= 1.645
    np.testing.assert_allclose(logs[body], 2.0 + 0.5 * z[body])
    assert (logs[~body] > 2.0 + 0.5 * 1.645).all()


@pytest.mark.parametrize("alpha", [1.0, 1.25])
def test_the_tail_has_the_declared_exponent(alpha):
    # Hill's estimator over the tail: 1 / mean(log(S / s0)) estimates alpha
    logs = spliced_log_size(
        200_000, 0.0, 1.2, np.random.default_rng(7), tail_z=tail_start(0.05), alpha=alpha
    )
    start = 1.2 * tail_start(0.05)
    tail = logs[logs > start]
    assert len(tail) / len(logs) == pytest.approx(0.05, abs=0.002)
    assert 1 / np.mean(tail - start) == pytest.approx(alpha, rel=0.03)


@settings(max_examples=30, deadline=None)
@given(
    mu=st.floats(-5, 15),
    sigma=st.floats(0.1, 3),
    seed=st.integers(0, 2**32 - 1),
)
def test_moving_the_median_moves_every_size_alike(mu, sigma, seed):
    base = spliced_log_size(50, 0.0, sigma, np.random.default_rng(seed), tail_z=1.0, alpha=1.1)
    moved = spliced_log_size(50, mu, sigma, np.random.default_rng(seed), tail_z=1.0, alpha=1.1)
    np.testing.assert_allclose(moved - base, mu, atol=1e-9)
