"""Behaviour of a model trained on a simulated extract of many worlds: the paper's directions.

Each check raises indicators the paper ties to one path, over every cluster-year, and asks
that the path's probability rises on average and almost never falls: more research bodies,
invention share, R&D and young firms for indigenous innovation; a larger, star-shaped anchor
for giant-anchored; more foreign revenue, more revenue of firms that arrived from outside and
a larger share of technology transferred in for introduced innovation; more cross-industry
links, more co-operation and a more even mix of digital and other divisions for convergence;
a larger traditional base, older firms and a larger incumbent base for upgrading.
Tolerance: the mean may fall by at most 0.001 (no move), and at most 1 % of rows may lose
more than 0.05 of the path's probability (trees are step functions fitted to noisy data;
monotone constraints were not needed for this).
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


def _raised(X: pd.DataFrame, columns: list[str], quantile: float) -> pd.DataFrame:
    """Every cluster-year lifted to at least the quantile of each column."""
    Z = X.copy()
    for col in columns:
        Z[col] = np.fmax(X[col], X[col].quantile(quantile))
    return Z


DIRECTIONS = [
    ("indigenous", ["n_research_bodies"]),
    ("indigenous", ["invention_patent_share"]),
    ("indigenous", ["entry_rate"]),
    ("indigenous", ["above_size_entry_rate"]),
    ("indigenous", ["rd_intensity"]),
    (
        "indigenous",
        [
            "rd_intensity",
            "n_research_bodies",
            "entry_rate",
            "above_size_entry_rate",
            "invention_patent_share",
        ],
    ),
    ("giant_anchored", ["top1_revenue_share", "top1_to_top2_revenue_ratio"]),
    (
        "giant_anchored",
        [
            "top1_revenue_share",
            "top5_revenue_share",
            "revenue_hhi",
            "top1_to_top2_revenue_ratio",
            "top_firm_link_share",
            "degree_centralisation",
            "supply_hub_share",
        ],
    ),
    ("introduction", ["foreign_revenue_share"]),
    ("introduction", ["recent_outside_revenue_share"]),
    ("introduction", ["foreign_revenue_share", "recent_outside_revenue_share"]),
    ("introduction", ["tech_transfer_in_link_share"]),
    ("convergence", ["cross_industry_link_share"]),
    ("convergence", ["digital_mix_share"]),
    ("convergence", ["cooperation_link_share"]),
    ("convergence", ["cross_industry_link_share", "industry_pair_evenness"]),
    ("upgrade", ["traditional_revenue_share"]),
    ("upgrade", ["mean_firm_age"]),
    ("upgrade", ["incumbent_revenue_share"]),
    ("upgrade", ["traditional_revenue_share", "mean_firm_age", "incumbent_revenue_share"]),
]


@pytest.mark.parametrize(
    ("path", "raised"), DIRECTIONS, ids=lambda v: "+".join(v) if isinstance(v, list) else v
)
@pytest.mark.parametrize("quantile", [0.75, 0.9])
def test_the_papers_signals_move_toward_their_path(simulated_model, path, raised, quantile):
    model, X, codes = simulated_model
    change = _change(model, X, _raised(X, raised, quantile), codes, path)
    # a model that barely splits on one of several signals of a path moves it by nothing:
    # a mean within a thousandth of zero is no move, not a move against
    assert change.mean() >= -0.001, f"mean change {change.mean():+.4f}"
    against = (change < -0.05).mean()
    assert against <= 0.01, f"{against:.2%} of rows lose more than 0.05 (min {change.min():.3f})"


def test_more_research_by_a_step_raises_indigenous_on_average(simulated_model):
    model, X, codes = simulated_model
    Z = X.copy()
    for col in ("rd_intensity", "n_research_bodies", "entry_rate", "above_size_entry_rate"):
        Z[col] = X[col] + (X[col].quantile(0.75) - X[col].quantile(0.25))
    change = _change(model, X, Z, codes, "indigenous")
    assert change.mean() > 0
    assert (change < -0.05).mean() <= 0.01


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
