"""Re-recording an extract as a narrower source would (clusterpath.data.recording)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterpath.data.recording import above_size_only, keep_link_share


def firms() -> pd.DataFrame:
    # S is small in 2022 only; U is a university with no revenue, which a size threshold
    # does not concern
    return pd.DataFrame(
        {
            "firm_id": ["A", "S", "U", "A", "S", "U"],
            "year": [2022, 2022, 2022, 2023, 2023, 2023],
            "entity_type": ["enterprise", "enterprise", "university"] * 2,
            "revenue": [50_000.0, 1_999.0, 0.0, 52_000.0, 2_000.0, 0.0],
        }
    )


def links() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source_id": ["S", "A", "U", "S", "A"],
            "target_id": ["A", "U", "S", "A", "U"],
            "year": [2022, 2022, 2022, 2023, 2023],
            "link_type": ["supply", "cooperation", "co_patent", "supply", "cooperation"],
            "weight": [10.0, 1.0, 1.0, 12.0, 1.0],
        }
    )


def test_above_size_drops_small_enterprises_and_their_links_that_year_only() -> None:
    kept_firms, kept_links = above_size_only(firms(), links())
    # S is under 2,000 (10k CNY: 20 million CNY) in 2022 and exactly at it in 2023; U has no
    # revenue but is not an enterprise
    assert list(zip(kept_firms.firm_id, kept_firms.year, strict=True)) == [
        ("A", 2022),
        ("U", 2022),
        ("A", 2023),
        ("S", 2023),
        ("U", 2023),
    ]
    assert list(zip(kept_links.source_id, kept_links.target_id, kept_links.year, strict=True)) == [
        ("A", "U", 2022),
        ("S", "A", 2023),
        ("A", "U", 2023),
    ]


def test_keeping_every_link_keeps_the_table() -> None:
    assert keep_link_share(links(), 1.0, seed=0).equals(links())


@pytest.mark.parametrize("share", [0.0, -0.1, 1.5])
def test_a_share_outside_zero_to_one_is_refused(share: float) -> None:
    with pytest.raises(ValueError, match="share of links kept"):
        keep_link_share(links(), share, seed=0)


@settings(max_examples=30, deadline=None)
@given(share=st.floats(0.05, 1.0), seed=st.integers(0, 10_000))
def test_kept_links_are_a_subset_near_the_share(share: float, seed: int) -> None:
    many = pd.concat([links()] * 400, ignore_index=True).assign(weight=range(2000))
    kept = keep_link_share(many, share, seed)
    assert set(kept.weight) <= set(many.weight)  # rows kept whole, none invented
    assert kept.weight.is_monotonic_increasing  # in their order
    # binomial(2000, share): 5 standard deviations at most 112 rows
    assert abs(len(kept) - share * len(many)) <= 5 * (len(many) * share * (1 - share)) ** 0.5 + 1
