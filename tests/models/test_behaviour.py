"""Behaviour of a model trained on a simulated extract: invariance and direction.

The checks read the domain brief: a cluster made more research-intensive, richer in research
bodies and start-ups must not move away from the indigenous path; a cluster whose largest
firm holds more of the revenue must move (if anything) toward the giant-anchored path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clusterpath.models.dataset import join_labels
from clusterpath.models.pipeline import build_pipeline, fit_pipeline, predict_proba_ordered
from clusterpath.pipelines.train import load_labels

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def simulated_model(simulated_extract, config, feature_ids, path_codes):
    folder, features = simulated_extract
    labels, _ = load_labels(folder)
    data = join_labels(features, labels, feature_ids, config.label_weights)
    model = fit_pipeline(
        build_pipeline(config, feature_ids), data.X, data.y, data.groups, data.weight, config
    )
    return model, data.X, list(path_codes)


def _change(model, X: pd.DataFrame, Z: pd.DataFrame, codes: list[str], path: str) -> np.ndarray:
    j = codes.index(path)
    return (
        predict_proba_ordered(model, Z, codes)[:, j] - predict_proba_ordered(model, X, codes)[:, j]
    )


@pytest.mark.parametrize(
    "raised",
    [
        ["rd_intensity"],
        ["n_research_bodies"],
        ["entry_rate"],
        ["rd_intensity", "n_research_bodies", "entry_rate"],
    ],
)
@pytest.mark.parametrize("quantile", [0.75, 0.9])
def test_more_research_and_start_ups_never_lowers_indigenous_by_more_than_005(
    simulated_model, raised, quantile
):
    model, X, codes = simulated_model
    Z = X.copy()
    for col in raised:  # lift every cluster-year to at least the quantile of the column
        Z[col] = np.fmax(X[col], X[col].quantile(quantile))
    change = _change(model, X, Z, codes, "indigenous")
    assert change.min() >= -0.05, f"largest drop {change.min():.3f}"


def test_more_research_by_a_step_never_lowers_indigenous_by_more_than_005(simulated_model):
    model, X, codes = simulated_model
    Z = X.copy()
    for col in ("rd_intensity", "n_research_bodies", "entry_rate"):
        Z[col] = X[col] + (X[col].quantile(0.75) - X[col].quantile(0.25))
    change = _change(model, X, Z, codes, "indigenous")
    assert change.min() >= -0.05
    assert change.mean() > 0


@pytest.mark.parametrize("share", [0.4, 0.6])
def test_a_larger_top_firm_moves_toward_giant_anchored(simulated_model, share):
    """Top-1 share raised to ``share``, with top-5 share and HHI kept consistent with it."""
    model, X, codes = simulated_model
    Z = X.copy()
    Z["top1_revenue_share"] = np.fmax(X["top1_revenue_share"], share)
    Z["top5_revenue_share"] = np.fmax(X["top5_revenue_share"], Z["top1_revenue_share"])
    Z["revenue_hhi"] = np.fmax(X["revenue_hhi"], Z["top1_revenue_share"] ** 2)
    change = _change(model, X, Z, codes, "giant_anchored")
    assert change.mean() > 0
    assert (change > 1e-9).sum() > (change < -1e-9).sum()
