"""A synthetic labelled indicator table: class-dependent means, cluster effects, some gaps.

Used by the pure modelling tests, which must not depend on the simulator or the SQL layer.
Each path shifts the indicators the domain brief names as its signals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clusterpath.data.reference import load_reference
from clusterpath.features.catalogue import load_catalogue

# Shift, in standard deviations of the base distribution, per path.
SIGNALS: dict[str, dict[str, float]] = {
    "giant_anchored": {
        "top1_revenue_share": 2.0,
        "revenue_hhi": 1.5,
        "top_firm_link_share": 1.5,
        "degree_centralisation": 1.0,
        "supply_hub_share": 1.0,
    },
    "upgrade": {
        "traditional_revenue_share": 2.0,
        "mean_firm_age": 1.5,
        "entry_rate": -1.0,
        "invention_patent_share": -1.0,
    },
    "convergence": {
        "cross_industry_link_share": 2.0,
        "industry_pair_entropy": 1.5,
        "industry_pair_evenness": 1.5,
        "digital_revenue_share": 1.5,
        "unrelated_variety": 1.0,
    },
    "introduction": {
        "foreign_revenue_share": 2.0,
        "hq_outside_revenue_share": 1.5,
        "recent_outside_revenue_share": 1.5,
        "external_link_share": 1.5,
        "tech_transfer_in_per_firm": 1.0,
    },
    "indigenous": {
        "rd_intensity": 2.0,
        "n_research_bodies": 1.5,
        "entry_rate": 1.5,
        "vc_per_enterprise": 1.0,
        "research_link_share": 1.0,
    },
}

# Base level and spread of each indicator (unit-scale values so rule thresholds make sense).
BASE: dict[str, tuple[float, float]] = {
    "rd_intensity": (0.03, 0.012),
    "n_research_bodies": (2.0, 1.5),
    "entry_rate": (0.12, 0.05),
    "top1_revenue_share": (0.2, 0.1),
    "traditional_revenue_share": (0.3, 0.15),
    "cross_industry_link_share": (0.35, 0.12),
    "digital_revenue_share": (0.2, 0.1),
    "foreign_revenue_share": (0.15, 0.08),
    "hq_outside_revenue_share": (0.15, 0.08),
    "recent_outside_revenue_share": (0.15, 0.08),
    "external_link_share": (0.3, 0.1),
}


# Indicators derived here from others of the table, so they carry those ones' signal.
DERIVED = (
    "digital_mix_share",
    "tech_transfer_in_link_share",
    "cooperation_link_share",
    "above_size_entry_rate",
)


def synthetic_features(
    n_clusters: int = 100, years: tuple[int, int] = (2019, 2023), seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (features, labels): one row per cluster-year; labels with source ``simulated``."""
    rng = np.random.default_rng(seed)
    ids = tuple(i for i in load_catalogue().ids if i not in DERIVED)
    codes = load_reference().path_codes
    clusters = [f"S{i:03d}" for i in range(n_clusters)]
    paths = [codes[i % len(codes)] for i in range(n_clusters)]
    rng.shuffle(paths)
    rows = []
    for cluster, path in zip(clusters, paths, strict=True):
        effect = rng.normal(0, 0.5, size=len(ids))
        for year in range(years[0], years[1] + 1):
            z = effect + rng.normal(0, 0.6, size=len(ids))
            for j, ind in enumerate(ids):
                z[j] += SIGNALS[path].get(ind, 0.0)
            mean_sd = [BASE.get(ind, (1.0, 0.3)) for ind in ids]
            values = np.array([m + s * zj for (m, s), zj in zip(mean_sd, z, strict=True)])
            rows.append(
                {"cluster_id": cluster, "year": year, **dict(zip(ids, values, strict=True))}
            )
    features = pd.DataFrame(rows)
    gaps = rng.random(features[list(ids)].shape) < 0.03
    features[list(ids)] = features[list(ids)].mask(gaps)
    digital = features["digital_revenue_share"]  # the mix is the smaller side of the split
    features["digital_mix_share"] = np.minimum(digital, 1 - digital)
    # transfers per firm over the links a source records per firm (about four)
    features["tech_transfer_in_link_share"] = features["tech_transfer_in_per_firm"] / 4.0
    # co-operation goes with links across industries, the convergence path's
    features["cooperation_link_share"] = features["cross_industry_link_share"] / 2.0
    # above-size firms enter less often than small ones, with the same signal
    features["above_size_entry_rate"] = features["entry_rate"] * 0.6
    labels = pd.DataFrame(
        {
            "cluster_id": features["cluster_id"],
            "year": features["year"],
            "path": features["cluster_id"].map(dict(zip(clusters, paths, strict=True))),
            "source": "simulated",
        }
    )
    return features, labels
