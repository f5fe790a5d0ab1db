"""What a narrower source would have recorded of the same clusters.

Two monitoring sources can watch the same clusters and still record different things: one
sees every supply contract, another only what listed firms disclose; one lists every
registered firm, another only those above the statistical size threshold. These functions
re-record an extract as such a source would, so a model can be graded on the same clusters
under another source's definitions (``benchmarks/definition_shift.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Above-size industrial enterprises (规模以上工业企业): main-business revenue of at least
# 20 million CNY a year, i.e. 2,000 in the contract's unit of 10k CNY. The feature SQL's
# above_size_entry_rate counts by the same threshold; a property test
# (tests/features/test_indicator_properties.py) holds the two together.
ABOVE_SIZE_REVENUE = 2_000.0


def keep_link_share(links: pd.DataFrame, share: float, seed: int) -> pd.DataFrame:
    """Each link kept with probability ``share``: a source that records part of the network."""
    if not 0.0 < share <= 1.0:
        raise ValueError(f"share of links kept must be in (0, 1], got {share}")
    kept = np.random.default_rng(seed).random(len(links)) < share
    return links.loc[kept].reset_index(drop=True)


def above_size_only(
    firms: pd.DataFrame, links: pd.DataFrame, min_revenue: float = ABOVE_SIZE_REVENUE
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Enterprises below ``min_revenue`` dropped, with every link of theirs that year.

    Universities, research institutes and other entities stay: a size threshold applies to
    enterprises only.
    """
    small = (firms["entity_type"] == "enterprise") & (firms["revenue"] < min_revenue)
    gone = pd.MultiIndex.from_frame(firms.loc[small, ["firm_id", "year"]])
    ends = [
        pd.MultiIndex.from_arrays([links[end], links["year"]])
        for end in ("source_id", "target_id")
    ]
    touched = ends[0].isin(gone) | ends[1].isin(gone)
    return (
        firms.loc[~small].reset_index(drop=True),
        links.loc[~touched].reset_index(drop=True),
    )
