"""Properties every indicator table must have, on small random extracts (Hypothesis).

The extracts hold 1-3 clusters over 1-2 years (sometimes with a gap), 1-8 entities per
cluster-year of every entity type, a few partners outside any cluster, and 0-10 links per year
between firms of that year (never a firm to itself). They satisfy the data contract.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusterpath.data.contract import LINK_TYPES, OWNERSHIP_TYPES, build_contract
from clusterpath.data.recording import above_size_only
from clusterpath.data.validation import validate_frames
from tests.features.test_indicators_by_hand import CATALOGUE, REFERENCE, frames, run

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Tests that compute two tables per example (about 0.2 s each) run fewer examples, so each
# stays under about 10 s.
PAIR_SETTINGS = settings(SETTINGS, max_examples=20)
KEY = ["cluster_id", "year"]
# "05" is not in industries.yaml: it forms a sector group of its own
DIVISIONS = ("13", "17", "34", "39", "63", "65", "83", "05")
ENTITY_TYPES = ("enterprise",) * 4 + (
    "university",
    "research_institute",
    "service_org",
    "financial_org",
)
MONEY_LINKS = ("supply", "investment")

# Unchanged when every money column is multiplied by a constant: ratios of money to money,
# shares, indices and entropies, plus counts and employment, which hold no money at all.
SCALE_FREE = (
    "rd_intensity",
    "rd_intensity_median",
    "rd_intensity_of_rd_firms",
    "top1_to_top2_revenue_ratio",
    "rd_active_share",
    "invention_patents_per_100_employees",
    "invention_patent_share",
    "revenue_gini",
    "revenue_hhi",
    "top1_revenue_share",
    "top5_revenue_share",
    "sme_share",
    "size_tail_exponent",
    "cross_industry_link_share",
    "industry_pair_entropy",
    "industry_pair_evenness",
    "external_link_share",
    "links_per_firm",
    "degree_centralisation",
    "top_firm_link_share",
    "supply_hub_share",
    "research_link_share",
    "foreign_revenue_share",
    "hq_outside_revenue_share",
    "recent_outside_revenue_share",
    "tech_transfer_in_per_firm",  # tech_transfer weights count transfers, not money
    "tech_transfer_in_link_share",
    "cooperation_link_share",
    "n_enterprises",
    "n_research_bodies",
    "employment",
    "mean_firm_age",
    "incumbent_revenue_share",
    "traditional_revenue_share",
    "digital_revenue_share",
    "digital_mix_share",
    "entry_rate",
    "revenue_growth",
    "employment_growth",
    "location_quotient",
    "unrelated_variety",
    "related_variety",
)
# Money per enterprise: scales with the money.
MONEY_VALUED = ("vc_per_enterprise",)
# Counted over the enterprises above a revenue threshold: scaled money moves firms across it.
ABOVE_THRESHOLD = ("above_size_entry_rate",)

SHARES = (
    "rd_active_share",
    "invention_patent_share",
    "top1_revenue_share",
    "top5_revenue_share",
    "sme_share",
    "cross_industry_link_share",
    "external_link_share",
    "top_firm_link_share",
    "supply_hub_share",
    "research_link_share",
    "cooperation_link_share",
    "tech_transfer_in_link_share",
    "foreign_revenue_share",
    "hq_outside_revenue_share",
    "recent_outside_revenue_share",
    "incumbent_revenue_share",
    "traditional_revenue_share",
    "digital_revenue_share",
    "digital_mix_share",
    "entry_rate",
    "above_size_entry_rate",
)
ENTROPIES = ("industry_pair_entropy", "unrelated_variety", "related_variety")
COUNTS = ("n_enterprises", "n_research_bodies", "employment")
# Indicators carry ten significant digits (features.compute.SIGNIFICANT_DIGITS), so a bound
# holds to half a unit of the tenth digit: two sides rounded apart can cross it by that much.
ROUNDING = 1e-9

money = st.one_of(st.just(0.0), st.floats(min_value=0.01, max_value=1e7))


@st.composite
def firm_rows(draw, firm_id: str, cluster: str | None, year: int) -> dict:
    return {
        "firm_id": firm_id,
        "year": year,
        "cluster_id": cluster,
        "entity_type": draw(st.sampled_from(ENTITY_TYPES)),
        "industry_code": draw(st.sampled_from(DIVISIONS)),
        "founded_year": draw(st.integers(year - 30, year)),
        "employees": draw(st.one_of(st.just(0), st.integers(1, 5000))),
        "revenue": draw(money),
        "rd_expense": draw(money),
        "invention_patents": draw(st.integers(0, 20)),
        "utility_patents": draw(st.integers(0, 20)),
        "ownership": draw(st.sampled_from(OWNERSHIP_TYPES)),
        "hq_outside": draw(st.booleans()),
        "vc_funding": draw(money),
    }


@st.composite
def link_rows(draw, ids: list[str], year: int) -> dict:
    source, target = draw(st.lists(st.sampled_from(ids), min_size=2, max_size=2, unique=True))
    link_type = draw(st.sampled_from(LINK_TYPES))
    if link_type in MONEY_LINKS:
        weight = draw(st.floats(min_value=0.01, max_value=1e7))
    else:
        weight = float(draw(st.integers(1, 10)))
    return {
        "source_id": source,
        "target_id": target,
        "year": year,
        "link_type": link_type,
        "weight": weight,
    }


@st.composite
def extracts(draw) -> tuple[pd.DataFrame, pd.DataFrame]:
    clusters = [f"C{i}" for i in range(draw(st.integers(1, 3)))]
    years = draw(st.sampled_from([(2020,), (2021,), (2020, 2021), (2020, 2022)]))
    firms: list[dict] = []
    links: list[dict] = []
    for year in years:
        this_year: list[dict] = []
        for cluster in clusters:
            for j in range(draw(st.integers(1, 8))):
                this_year.append(draw(firm_rows(f"{cluster}-{j}", cluster, year)))
        for j in range(draw(st.integers(0, 3))):
            this_year.append(draw(firm_rows(f"P-{j}", None, year)))
        ids = [f["firm_id"] for f in this_year]
        if len(ids) >= 2:
            for _ in range(draw(st.integers(0, 10))):
                links.append(draw(link_rows(ids, year)))
        firms += this_year
    return frames(firms, links, vc=draw(st.booleans()))


def sorted_table(firms: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    return run(firms, links).sort_values(KEY).reset_index(drop=True)


def scaled(firms: pd.DataFrame, links: pd.DataFrame, factor: float):
    firms = firms.copy()
    for column in ("revenue", "rd_expense", "vc_funding"):
        if column in firms.columns:
            firms[column] = firms[column] * factor
    links = links.copy()
    is_money = links["link_type"].isin(MONEY_LINKS)
    links.loc[is_money, "weight"] = links.loc[is_money, "weight"] * factor
    return firms, links


def test_indicator_groups_partition_the_catalogue() -> None:
    groups = (SCALE_FREE, MONEY_VALUED, ABOVE_THRESHOLD)
    assert set().union(*groups) == set(CATALOGUE.ids)
    assert sum(len(g) for g in groups) == len(CATALOGUE.ids)  # no indicator in two
    assert set(SHARES) == {i.id for i in CATALOGUE.indicators if i.unit == "share"}
    assert set(ENTROPIES) == {i.id for i in CATALOGUE.indicators if i.unit == "bits"}


@SETTINGS
@given(extract=extracts())
def test_generated_extracts_satisfy_the_contract(extract) -> None:
    firms, links = extract
    contract = build_contract(REFERENCE)
    problems = validate_frames(
        {"firms": firms, "links": links}, contract, {"firms": "firms", "links": "links"}
    )
    # The contract wants a non-empty links table; the generator also makes link-free extracts
    # on purpose, because the indicators must come out defined (or NaN with a reason) for them.
    assert [p.message for p in problems if not (links.empty and p.file == "links")] == []
    assert all(p.message == "table is empty" for p in problems)


@PAIR_SETTINGS
@given(extract=extracts(), seed=st.integers(0, 2**32 - 1))
def test_row_order_does_not_matter(extract, seed: int) -> None:
    firms, links = extract
    rng = np.random.default_rng(seed)
    shuffled_firms = firms.iloc[rng.permutation(len(firms))]
    shuffled_links = links.iloc[rng.permutation(len(links))]
    pd.testing.assert_frame_equal(
        sorted_table(firms, links),
        sorted_table(shuffled_firms, shuffled_links),
        check_exact=False,
        rtol=1e-9,
        atol=1e-12,
    )


@PAIR_SETTINGS
@given(extract=extracts(), factor=st.sampled_from([7.3, 1e-3]))
def test_scaling_money_leaves_ratios_unchanged(extract, factor: float) -> None:
    firms, links = extract
    before = sorted_table(firms, links)
    after = sorted_table(*scaled(firms, links, factor))
    pd.testing.assert_frame_equal(before[KEY], after[KEY])
    assert reasons_besides(before, ABOVE_THRESHOLD) == reasons_besides(after, ABOVE_THRESHOLD)
    for ind in SCALE_FREE:
        np.testing.assert_allclose(
            after[ind], before[ind], rtol=1e-9, atol=1e-12, equal_nan=True, err_msg=ind
        )
    for ind in MONEY_VALUED:
        np.testing.assert_allclose(
            after[ind], before[ind] * factor, rtol=1e-9, atol=1e-12, equal_nan=True, err_msg=ind
        )


@SETTINGS
@given(extract=extracts())
def test_every_nan_and_only_nan_has_a_catalogue_reason(extract) -> None:
    table = run(*extract)
    known = set(CATALOGUE.conditions.values())
    for _, row in table.iterrows():
        reasons = json.loads(row["undefined_reasons"])
        assert "undefined" not in reasons.values()
        for ind in CATALOGUE.indicators:
            got = row[ind.id]
            if np.isnan(got):
                assert ind.id in reasons, ind.id
                assert reasons[ind.id] in known
                held = {CATALOGUE.conditions[c] for c in ind.undefined_when}
                assert reasons[ind.id] in held, ind.id
            else:
                assert np.isfinite(got), ind.id
                assert ind.id not in reasons, ind.id


@SETTINGS
@given(extract=extracts())
def test_values_lie_in_their_ranges(extract) -> None:
    table = run(*extract)
    for _, row in table.iterrows():
        for ind in SHARES:
            if not math.isnan(row[ind]):
                assert 0.0 <= row[ind] <= 1.0 + ROUNDING, (ind, row[ind])
        if not math.isnan(row["revenue_gini"]):
            assert 0.0 <= row["revenue_gini"] < 1.0, row["revenue_gini"]
        if not math.isnan(row["revenue_hhi"]):
            assert 0.0 < row["revenue_hhi"] <= 1.0, row["revenue_hhi"]
            # HHI is at least the top firm's share squared and at least 1 / n
            assert row["revenue_hhi"] >= row["top1_revenue_share"] ** 2 * (1 - ROUNDING)
            assert row["revenue_hhi"] >= (1 - ROUNDING) / row["n_enterprises"]
        if not math.isnan(row["top1_revenue_share"]):
            assert row["top1_revenue_share"] <= row["top5_revenue_share"]
        if not math.isnan(row["degree_centralisation"]):
            assert 0.0 <= row["degree_centralisation"] <= 1.0, row["degree_centralisation"]
        for ind in ENTROPIES:
            if not math.isnan(row[ind]):
                assert row[ind] >= 0.0, (ind, row[ind])
        if not math.isnan(row["industry_pair_evenness"]):  # entropy over its maximum
            assert -ROUNDING <= row["industry_pair_evenness"] <= 1.0 + ROUNDING
        if not math.isnan(row["digital_revenue_share"]):  # the smaller side of the split
            digital = row["digital_revenue_share"]
            assert abs(row["digital_mix_share"] - min(digital, 1 - digital)) <= ROUNDING
        if not math.isnan(row["hq_outside_revenue_share"]):  # recent arrivals are among them
            recent = row["recent_outside_revenue_share"]
            assert recent <= row["hq_outside_revenue_share"] + ROUNDING
        for ind in ("revenue_growth", "employment_growth"):
            if not math.isnan(row[ind]):
                assert row[ind] >= -1.0, (ind, row[ind])
        for ind in COUNTS:
            if ind != "employment" or row["n_enterprises"] > 0:
                assert row[ind] >= 0 and float(row[ind]).is_integer(), (ind, row[ind])


def reasons_besides(table: pd.DataFrame, indicators: tuple[str, ...]) -> list[dict]:
    """Each row's reasons for undefined indicators, leaving out ``indicators``."""
    rows = [json.loads(r) for r in table["undefined_reasons"]]
    return [{k: v for k, v in r.items() if k not in indicators} for r in rows]


@SETTINGS
@given(extract=extracts())
def test_above_size_entry_rate_is_the_entry_rate_an_above_size_source_reads(extract) -> None:
    firms, links = extract
    every_firm = sorted_table(firms, links).set_index(KEY)
    above_size = sorted_table(*above_size_only(firms, links)).set_index(KEY)
    rows = above_size.index.intersection(every_firm.index)
    np.testing.assert_allclose(
        every_firm.loc[rows, "above_size_entry_rate"],
        above_size.loc[rows, "entry_rate"].where(above_size.loc[rows, "n_enterprises"] > 0),
        rtol=1e-9,
        equal_nan=True,
    )
    # a cluster-year with no member left has no enterprise above the size either
    gone = every_firm.index.difference(above_size.index)
    assert every_firm.loc[gone, "above_size_entry_rate"].isna().all()


@pytest.mark.parametrize("factor", [7.3, 1e-3])
def test_scaling_example_from_the_tiny_fixture(factor: float) -> None:
    """The scale property on the hand-written fixture too (not only on random extracts)."""
    from clusterpath.data.readers import load_extract
    from tests.conftest import TINY

    extract = load_extract(TINY)
    before = sorted_table(extract.firms, extract.links)
    after = sorted_table(*scaled(extract.firms, extract.links, factor))
    for ind in SCALE_FREE:
        np.testing.assert_allclose(
            after[ind], before[ind], rtol=1e-9, atol=1e-12, equal_nan=True, err_msg=ind
        )
