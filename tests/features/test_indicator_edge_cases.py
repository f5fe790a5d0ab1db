"""Edge cases have defined results: NaN with the catalogue's reason, never a crash or a silent 0.

Each case is a small written-out extract and one of its cluster-years, together with the exact
set of indicators that must be NaN there and the catalogue condition each must name. Every
other indicator of that row must be finite and carry no reason. Together the cases make every
condition of the catalogue fire at least once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest

from tests.features.test_indicators_by_hand import CATALOGUE, YEAR, compute, firm, link, value

LINK_INDICATORS = (
    "cross_industry_link_share",
    "industry_pair_entropy",
    "industry_pair_evenness",
    "external_link_share",
    "top_firm_link_share",
    "research_link_share",
    "cooperation_link_share",
    "tech_transfer_in_link_share",
)
REVENUE_INDICATORS = (
    "rd_intensity",
    "revenue_gini",
    "revenue_hhi",
    "top1_revenue_share",
    "top5_revenue_share",
    "foreign_revenue_share",
    "hq_outside_revenue_share",
    "recent_outside_revenue_share",
    "incumbent_revenue_share",
    "traditional_revenue_share",
    "digital_revenue_share",
    "digital_mix_share",
)
EMPLOYEE_INDICATORS = (
    "invention_patents_per_100_employees",
    "location_quotient",
    "unrelated_variety",
    "related_variety",
)
ENTERPRISE_INDICATORS = (
    *REVENUE_INDICATORS,
    *EMPLOYEE_INDICATORS,
    "rd_intensity_median",
    "rd_intensity_of_rd_firms",
    "top1_to_top2_revenue_ratio",
    "rd_active_share",
    "invention_patent_share",
    "sme_share",
    "size_tail_exponent",
    "links_per_firm",
    "tech_transfer_in_per_firm",
    "employment",
    "mean_firm_age",
    "entry_rate",
    "above_size_entry_rate",
    "revenue_growth",
    "employment_growth",
    "vc_per_enterprise",
)


def each(indicators: tuple[str, ...], condition: str) -> dict[str, str]:
    return dict.fromkeys(indicators, condition)


@dataclass(frozen=True)
class Case:
    """An extract, the cluster-year to look at, and indicator -> condition id for each NaN."""

    name: str
    firms: list[dict]
    links: list[dict]
    expected: dict[str, str]
    cluster: str = "C1"
    year: int = YEAR
    vc: bool = True
    values: dict[str, float] = field(default_factory=dict)


def ent(firm_id: str, **kw) -> dict:
    """An enterprise with some revenue, R&D, staff and patents unless told otherwise."""
    defaults = {"revenue": 5000.0, "rd": 250.0, "employees": 10, "inventions": 1, "utility": 1}
    return firm(firm_id, **{**defaults, **kw})


CASES = [
    Case(
        "one firm, no links anywhere, first year",
        [ent("E1")],
        [],
        {
            "revenue_gini": "few_enterprises",
            "top1_to_top2_revenue_ratio": "few_enterprises",
            "size_tail_exponent": "tail_too_short",
            **each(LINK_INDICATORS, "no_links"),
            "degree_centralisation": "few_members",
            "supply_hub_share": "no_internal_supply",
            "revenue_growth": "no_previous_year",
            "employment_growth": "no_previous_year",
        },
        # one firm holds everything; no links is 0 links per firm, not undefined
        values={
            "revenue_hhi": 1.0,
            "top1_revenue_share": 1.0,
            "top5_revenue_share": 1.0,
            "links_per_firm": 0.0,
            "tech_transfer_in_per_firm": 0.0,
            "location_quotient": 1.0,
            "unrelated_variety": 0.0,
            "related_variety": 0.0,
            "n_enterprises": 1.0,
            "n_research_bodies": 0.0,
        },
    ),
    Case(
        "zero revenue this year (R&D spent all the same)",
        [
            ent("E1", year=2022, revenue=100),
            ent("E2", year=2022, revenue=50),
            ent("E1", revenue=0),
            ent("E2", revenue=0),
            ent("E3", revenue=0, rd=0),
        ],
        [link("E1", "E2"), link("E2", "E3")],
        {
            "industry_pair_evenness": "one_division",  # every firm in division 39
            **each(REVENUE_INDICATORS, "no_revenue"),
            "rd_intensity_median": "no_revenue_firms",
            # R&D without revenue: no firm with revenue reports R&D, and no runner-up revenue
            "rd_intensity_of_rd_firms": "no_rd_firms",
            "top1_to_top2_revenue_ratio": "no_second_revenue",
            "size_tail_exponent": "tail_too_short",
            "above_size_entry_rate": "no_above_size",
        },
        # revenue fell to nothing: growth is defined, 0 / 150 - 1 = -1
        values={"revenue_growth": -1.0, "employment_growth": 0.5, "rd_active_share": 2 / 3},
    ),
    Case(
        "revenue again after a zero-revenue year",
        [
            ent("E1", year=2022, revenue=0),
            ent("E2", year=2022, revenue=0),
            ent("E1", revenue=40),
            ent("E2", revenue=20),
            ent("E3", revenue=0),
        ],
        [],
        {
            "revenue_growth": "no_previous_revenue",
            "size_tail_exponent": "tail_too_short",
            "above_size_entry_rate": "no_above_size",  # 40 and 20 (10k CNY): under 2,000
            **each(LINK_INDICATORS, "no_links"),
            "degree_centralisation": "no_internal_links",
            "supply_hub_share": "no_internal_supply",
        },
        values={"employment_growth": 0.5},
    ),
    Case(
        "zero employees this year",
        [
            ent("E1", year=2022, employees=0),
            ent("E2", year=2022, employees=0),
            ent("E1", employees=0),
            ent("E2", employees=0),
            ent("E3", employees=0),
            firm("U1", entity="university", industry="83", employees=400),
            ent("F1", cluster="C2", employees=50),
        ],
        [link("E1", "E2"), link("E2", "E3"), link("U1", "E1", "co_patent")],
        {
            **each(EMPLOYEE_INDICATORS, "no_employees"),
            "size_tail_exponent": "tail_too_short",
            "employment_growth": "no_previous_employees",
        },
        # employment of zero is a number, not a missing value
        values={"employment": 0.0, "sme_share": 1.0, "revenue_growth": 0.5},
    ),
    Case(
        "employees again after a zero-employee year",
        [
            ent("E1", year=2022, employees=0),
            ent("E2", year=2022, employees=0),
            ent("E1", employees=30),
            ent("E2", employees=30),
            ent("E3", employees=0),
        ],
        [link("E1", "E2"), link("E2", "E3")],
        {
            "industry_pair_evenness": "one_division",  # every firm in division 39
            "size_tail_exponent": "tail_too_short",
            "employment_growth": "no_previous_employees",
        },
        values={"revenue_growth": 0.5, "employment": 60.0},
    ),
    Case(
        "no enterprise patents (the university's do not count)",
        [
            ent("E1", inventions=0, utility=0),
            ent("E2", inventions=0, utility=0),
            firm("U1", entity="university", industry="83", inventions=7, utility=3),
        ],
        [link("E1", "E2"), link("U1", "E1", "co_patent")],
        {"invention_patent_share": "no_patents", "size_tail_exponent": "tail_too_short"}
        | each(("revenue_growth", "employment_growth"), "no_previous_year"),
        values={"invention_patents_per_100_employees": 0.0},
    ),
    Case(
        "no links in the whole extract, three members",
        [ent("E1"), ent("E2"), ent("E3")],
        [],
        {
            **each(LINK_INDICATORS, "no_links"),
            "degree_centralisation": "no_internal_links",
            "supply_hub_share": "no_internal_supply",
            "size_tail_exponent": "tail_too_short",
            "revenue_growth": "no_previous_year",
            "employment_growth": "no_previous_year",
        },
        values={"links_per_firm": 0.0, "tech_transfer_in_per_firm": 0.0},
    ),
    Case(
        "only links to an outside partner",
        [ent("E1"), ent("E2"), ent("E3"), ent("P1", cluster=None)],
        [link("P1", "E1"), link("E2", "P1", "tech_transfer", 2)],
        {
            "industry_pair_evenness": "one_division",  # every firm in division 39
            "degree_centralisation": "no_internal_links",
            "supply_hub_share": "no_internal_supply",
            "size_tail_exponent": "tail_too_short",
            "revenue_growth": "no_previous_year",
            "employment_growth": "no_previous_year",
        },
        values={"external_link_share": 1.0, "links_per_firm": 2 / 3},
    ),
    Case(
        "only research bodies, no enterprises",
        [
            firm("U1", entity="university", industry="83", employees=500, rd=50),
            firm("U2", entity="university", industry="83", employees=300, rd=20),
            firm("R1", entity="research_institute", industry="73", employees=100, rd=10),
            ent("P1", cluster=None),
            ent("F1", cluster="C2"),
        ],
        [
            link("U1", "U2", "co_patent"),
            link("U2", "R1", "co_patent"),
            link("U1", "P1", "cooperation"),
        ],
        each(ENTERPRISE_INDICATORS, "no_enterprises")
        | {"supply_hub_share": "no_internal_supply"},  # co-patents and co-operation only
        # U1 - U2 - R1 is a path of three members: (1 + 0 + 1) / (2 * 1) = 1
        values={
            "n_enterprises": 0.0,
            "n_research_bodies": 3.0,
            "degree_centralisation": 1.0,
            "research_link_share": 1 / 3,
        },
    ),
    Case(
        "no vc_funding column",
        [ent("E1"), ent("E2"), ent("E3")],
        [link("E1", "E2"), link("E2", "E3")],
        {
            "industry_pair_evenness": "one_division",  # every firm in division 39
            "vc_per_enterprise": "no_vc_column",
            "size_tail_exponent": "tail_too_short",
            "revenue_growth": "no_previous_year",
            "employment_growth": "no_previous_year",
        },
        vc=False,
    ),
    Case(
        "no vc_funding column and no enterprises: the column is named first",
        [firm("U1", entity="university", industry="83"), ent("F1", cluster="C2")],
        [],
        each(ENTERPRISE_INDICATORS, "no_enterprises")
        | {
            "vc_per_enterprise": "no_vc_column",
            **each(LINK_INDICATORS, "no_links"),
            "degree_centralisation": "few_members",
            "supply_hub_share": "no_internal_supply",
        },
        vc=False,
    ),
    Case(
        "a gap year: 2021 and 2023 but no 2022",
        [ent("E1", year=2021), ent("E2", year=2021), ent("E1"), ent("E2")],
        [link("E1", "E2")],
        {
            "industry_pair_evenness": "one_division",  # every firm in division 39
            "revenue_growth": "no_previous_year",
            "employment_growth": "no_previous_year",
            "size_tail_exponent": "tail_too_short",
            "degree_centralisation": "few_members",
        },
    ),
    Case(
        "24 enterprises with revenue (and two without) are too few for the tail",
        [ent(f"E{i:02d}", revenue=2.0**i) for i in range(24)]
        + [ent("Z1", revenue=0), ent("Z2", revenue=0)],
        [link("E00", "E01"), link("E01", "E02")],
        {
            "industry_pair_evenness": "one_division",  # every firm in division 39
            "size_tail_exponent": "tail_too_short",
            "revenue_growth": "no_previous_year",
            "employment_growth": "no_previous_year",
        },
        values={"n_enterprises": 26.0},
    ),
    Case(
        "25 enterprises of equal revenue: a flat tail",
        [ent(f"E{i:02d}", revenue=7.0) for i in range(25)],
        [link("E00", "E01"), link("E01", "E02")],
        {
            "industry_pair_evenness": "one_division",  # every firm in division 39
            "size_tail_exponent": "tail_flat",
            "above_size_entry_rate": "no_above_size",
            "revenue_growth": "no_previous_year",
            "employment_growth": "no_previous_year",
        },
        values={"revenue_hhi": 1 / 25, "top5_revenue_share": 5 / 25},
    ),
]


def reasons_of(table: pd.DataFrame, cluster: str, year: int) -> dict[str, str]:
    return json.loads(table.loc[(cluster, year), "undefined_reasons"])


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_edge_case_is_nan_with_its_catalogue_reason(case: Case) -> None:
    table = compute(case.firms, case.links, vc=case.vc)
    assert (case.cluster, case.year) in table.index
    reasons = reasons_of(table, case.cluster, case.year)
    expected = {ind: CATALOGUE.conditions[cond] for ind, cond in case.expected.items()}
    assert reasons == expected
    assert "undefined" not in reasons.values()
    for ind in CATALOGUE.ids:
        got = value(table, ind, case.cluster, case.year)
        if ind in case.expected:
            assert np.isnan(got), (ind, got)
            assert case.expected[ind] in CATALOGUE.get(ind).undefined_when, ind
        else:
            assert np.isfinite(got), (ind, got)
    for ind, want in case.values.items():
        assert value(table, ind, case.cluster, case.year) == pytest.approx(want, rel=1e-9), ind


def test_every_catalogue_condition_is_exercised() -> None:
    fired = {cond for case in CASES for cond in case.expected.values()}
    assert fired == set(CATALOGUE.conditions)


def test_every_row_of_an_edge_extract_names_only_catalogue_reasons() -> None:
    """All cluster-years of all cases, not just the one each case looks at."""
    known = set(CATALOGUE.conditions.values())
    for case in CASES:
        table = compute(case.firms, case.links, vc=case.vc)
        for (cluster, year), row in table.iterrows():
            reasons = reasons_of(table, cluster, year)
            nan = {i for i in CATALOGUE.ids if np.isnan(row[i])}
            assert set(reasons) == nan, (case.name, cluster, year)
            assert set(reasons.values()) <= known, (case.name, cluster, year)


def test_flat_tail_with_36_equal_revenues_is_nan() -> None:
    table = compute([ent(f"E{i:02d}", revenue=3.0) for i in range(36)])
    # n = 36, k = 6: x_(1) = ... = x_(7) = 3, so sum ln(x_(i)/x_(7)) = 0: no spread
    assert np.isnan(value(table, "size_tail_exponent"))
    assert reasons_of(table, "C1", YEAR)["size_tail_exponent"] == CATALOGUE.conditions["tail_flat"]
