"""Every catalogue indicator against a value worked out by hand on a tiny written-out extract.

Each test builds its extract here, row by row, and states the arithmetic beside the expected
value, so a reader can check the number without running anything. `covers` records which
indicators have a hand test; `test_every_indicator_has_a_hand_test` fails when the catalogue
gains an indicator that has none.

The helpers (`firm`, `link`, `compute`, `value`) are shared with the edge-case and property
tests in this folder.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
import pytest

from clusterpath.data.reference import load_reference
from clusterpath.features.catalogue import load_catalogue
from clusterpath.features.compute import compute_indicators
from clusterpath.features.engines import DuckDBEngine

CATALOGUE = load_catalogue()
REFERENCE = load_reference()
YEAR = 2023

FIRM_DTYPES = {
    "firm_id": object,
    "year": "int64",
    "cluster_id": object,
    "entity_type": object,
    "industry_code": object,
    "founded_year": "int64",
    "employees": "int64",
    "revenue": "float64",
    "rd_expense": "float64",
    "invention_patents": "int64",
    "utility_patents": "int64",
    "ownership": object,
    "hq_outside": bool,
    "vc_funding": "float64",
}
LINK_DTYPES = {
    "source_id": object,
    "target_id": object,
    "year": "int64",
    "link_type": object,
    "weight": "float64",
}


def firm(
    firm_id: str,
    cluster: str | None = "C1",
    year: int = YEAR,
    entity: str = "enterprise",
    industry: str = "39",
    founded: int = 2015,
    employees: int = 100,
    revenue: float = 0.0,
    rd: float = 0.0,
    inventions: int = 0,
    utility: int = 0,
    ownership: str = "private",
    hq_outside: bool = False,
    vc: float = 0.0,
) -> dict:
    """One firms row; `cluster=None` is a partner outside every monitored cluster."""
    return {
        "firm_id": firm_id,
        "year": year,
        "cluster_id": cluster,
        "entity_type": entity,
        "industry_code": industry,
        "founded_year": founded,
        "employees": employees,
        "revenue": float(revenue),
        "rd_expense": float(rd),
        "invention_patents": inventions,
        "utility_patents": utility,
        "ownership": ownership,
        "hq_outside": hq_outside,
        "vc_funding": float(vc),
    }


def link(
    source: str, target: str, link_type: str = "supply", weight: float = 1.0, year: int = YEAR
) -> dict:
    """One links row."""
    return {
        "source_id": source,
        "target_id": target,
        "year": year,
        "link_type": link_type,
        "weight": float(weight),
    }


def frames(
    firms: Iterable[dict], links: Iterable[dict] = (), vc: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Typed firms and links frames as the readers would deliver them."""
    firm_frame = pd.DataFrame(list(firms), columns=list(FIRM_DTYPES)).astype(FIRM_DTYPES)
    if not vc:
        firm_frame = firm_frame.drop(columns="vc_funding")
    link_frame = pd.DataFrame(list(links), columns=list(LINK_DTYPES)).astype(LINK_DTYPES)
    return firm_frame, link_frame


def run(firm_frame: pd.DataFrame, link_frame: pd.DataFrame) -> pd.DataFrame:
    """compute_indicators on a fresh DuckDB engine (closed afterwards)."""
    engine = DuckDBEngine()
    try:
        return compute_indicators(firm_frame, link_frame, CATALOGUE, REFERENCE, engine)
    finally:
        engine.close()


def compute(firms: Iterable[dict], links: Iterable[dict] = (), vc: bool = True) -> pd.DataFrame:
    """The indicator table of a written-out extract, indexed by (cluster_id, year)."""
    return run(*frames(firms, links, vc=vc)).set_index(["cluster_id", "year"])


def value(table: pd.DataFrame, indicator: str, cluster: str = "C1", year: int = YEAR) -> float:
    return float(table.loc[(cluster, year), indicator])


def approx(expected: float):
    return pytest.approx(expected, rel=1e-9)


COVERED: set[str] = set()


def covers(*indicators: str) -> Callable:
    """Mark a test as the hand test of these indicators."""

    def mark(test: Callable) -> Callable:
        COVERED.update(indicators)
        return test

    return mark


# ---------------------------------------------------------------------------------------------
# The base extract: one cluster-year (C1, 2023) with four enterprises, a university, a research
# institute, a service organisation and one partner outside the cluster. Only the enterprises
# E1-E4 enter the enterprise indicators; U1, R1, S1 and P1 carry large values that would show
# up if they leaked in.
#
#      id  type                 div  founded  emp   revenue  rd   inv util  ownership  hq_out  vc
#      E1  enterprise            39  2010     1000  600      30   6   2     foreign    no      100
#      E2  enterprise            65  2022      200  250      50   1   3     hmt        yes       0
#      E3  enterprise            13  2021       50  100       0   0   4     private    yes      50
#      E4  enterprise            34  2020      300   50       5   1   0     state      no       30
#      U1  university            83  1950     3000    0     900  20   1     state      no      500
#      R1  research_institute    73  1990      100   10      10   2   0     state      no        0
#      S1  service_org           72  2022       10    5       1   0   0     private    yes       0
#      P1  enterprise (outside)  39  2000     5000  10000  1000  50  50     foreign    yes     999
#
# Enterprise sums: revenue 1000, R&D 85, employees 1550, inventions 8, utility 9, vc 180.
# ---------------------------------------------------------------------------------------------
def base_firms(e4_revenue: float = 50.0) -> list[dict]:
    return [
        firm("E1", industry="39", founded=2010, employees=1000, revenue=600, rd=30,
             inventions=6, utility=2, ownership="foreign", vc=100),
        firm("E2", industry="65", founded=2022, employees=200, revenue=250, rd=50,
             inventions=1, utility=3, ownership="hmt", hq_outside=True, vc=0),
        firm("E3", industry="13", founded=2021, employees=50, revenue=100, rd=0,
             inventions=0, utility=4, ownership="private", hq_outside=True, vc=50),
        firm("E4", industry="34", founded=2020, employees=300, revenue=e4_revenue, rd=5,
             inventions=1, utility=0, ownership="state", vc=30),
        firm("U1", entity="university", industry="83", founded=1950, employees=3000,
             revenue=0, rd=900, inventions=20, utility=1, ownership="state", vc=500),
        firm("R1", entity="research_institute", industry="73", founded=1990, employees=100,
             revenue=10, rd=10, inventions=2, ownership="state"),
        firm("S1", entity="service_org", industry="72", founded=2022, employees=10,
             revenue=5, rd=1, hq_outside=True),
        firm("P1", cluster=None, industry="39", founded=2000, employees=5000, revenue=10000,
             rd=1000, inventions=50, utility=50, ownership="foreign", hq_outside=True, vc=999),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def base() -> pd.DataFrame:
    return compute(base_firms())


# --- innovation ------------------------------------------------------------------------------
@covers("rd_intensity")
def test_rd_intensity(base: pd.DataFrame) -> None:
    # (30 + 50 + 0 + 5) / (600 + 250 + 100 + 50) = 85 / 1000
    assert value(base, "rd_intensity") == approx(0.085)


@covers("rd_intensity_median")
def test_rd_intensity_median_even_count_is_mean_of_middle_two(base: pd.DataFrame) -> None:
    # E1 30/600 = 0.05, E2 50/250 = 0.2, E3 0/100 = 0, E4 5/50 = 0.1
    # sorted 0, 0.05, 0.1, 0.2 -> (0.05 + 0.1) / 2 = 0.075
    assert value(base, "rd_intensity_median") == approx(0.075)


@covers("rd_intensity_median")
def test_rd_intensity_median_skips_enterprises_without_revenue() -> None:
    table = compute(base_firms(e4_revenue=0.0))
    # E4 now has no revenue and drops out: 0, 0.05, 0.2 -> median 0.05
    assert value(table, "rd_intensity_median") == approx(0.05)


@covers("rd_active_share")
def test_rd_active_share(base: pd.DataFrame) -> None:
    # R&D > 0: E1, E2, E4 (E3 has 0) -> 3 / 4
    assert value(base, "rd_active_share") == approx(0.75)


@covers("rd_intensity_of_rd_firms")
def test_rd_intensity_of_rd_firms(base: pd.DataFrame) -> None:
    # firms reporting R&D: E1, E2, E4 with revenue 600 + 250 + 50 = 900 and R&D 30 + 50 + 5
    # -> 85 / 900; E3 (no R&D) and U1's 900 of R&D stay out
    assert value(base, "rd_intensity_of_rd_firms") == approx(85 / 900)


def test_rd_intensity_of_rd_firms_ignores_firms_without_filings() -> None:
    # E2's R&D never reached the extract: rd_intensity halves, the R&D firms' ratio does not
    full = compute([firm("E1", revenue=100, rd=10), firm("E2", revenue=100, rd=10)])
    half = compute([firm("E1", revenue=100, rd=10), firm("E2", revenue=100, rd=0)])
    assert value(full, "rd_intensity") == approx(0.1)
    assert value(half, "rd_intensity") == approx(0.05)
    assert value(full, "rd_intensity_of_rd_firms") == approx(0.1)
    assert value(half, "rd_intensity_of_rd_firms") == approx(0.1)


@covers("invention_patents_per_100_employees")
def test_invention_patents_per_100_employees(base: pd.DataFrame) -> None:
    # 100 * (6 + 1 + 0 + 1) / (1000 + 200 + 50 + 300) = 800 / 1550 = 0.516129...
    assert value(base, "invention_patents_per_100_employees") == approx(800 / 1550)


@covers("invention_patent_share")
def test_invention_patent_share(base: pd.DataFrame) -> None:
    # inventions 6+1+0+1 = 8, utility 2+3+4+0 = 9 -> 8 / (8 + 9) = 8/17
    assert value(base, "invention_patent_share") == approx(8 / 17)


# --- firm-size distribution ------------------------------------------------------------------
@covers("revenue_gini")
def test_revenue_gini(base: pd.DataFrame) -> None:
    # ascending 50, 100, 250, 600; n = 4, sum = 1000
    # (2 * (1*50 + 2*100 + 3*250 + 4*600)) / (4 * 1000) - 5/4 = 6800/4000 - 1.25 = 0.45
    assert value(base, "revenue_gini") == approx(0.45)


@covers("revenue_hhi")
def test_revenue_hhi(base: pd.DataFrame) -> None:
    # shares 0.6, 0.25, 0.1, 0.05 -> 0.36 + 0.0625 + 0.01 + 0.0025 = 0.435
    assert value(base, "revenue_hhi") == approx(0.435)


@covers("top1_revenue_share")
def test_top1_revenue_share(base: pd.DataFrame) -> None:
    # 600 / 1000 (P1's 10000 is outside the cluster)
    assert value(base, "top1_revenue_share") == approx(0.6)


@covers("top1_to_top2_revenue_ratio")
def test_top1_to_top2_revenue_ratio(base: pd.DataFrame) -> None:
    # largest E1 600, second E2 250 -> 2.4
    assert value(base, "top1_to_top2_revenue_ratio") == approx(2.4)


def test_top1_to_top2_revenue_ratio_does_not_dilute_with_small_firms() -> None:
    # a giant of 1000 and a runner-up of 100; adding 50 firms of 10 halves the top-1 share
    # (1000/1100 -> 1000/1600) but leaves the lead over the runner-up at 10
    small = [firm(f"S{i}", revenue=10) for i in range(50)]
    few = compute([firm("G", revenue=1000), firm("R", revenue=100)])
    many = compute([firm("G", revenue=1000), firm("R", revenue=100), *small])
    assert value(few, "top1_to_top2_revenue_ratio") == approx(10.0)
    assert value(many, "top1_to_top2_revenue_ratio") == approx(10.0)
    assert value(many, "top1_revenue_share") == approx(1000 / 1600)


def test_top1_to_top2_revenue_ratio_undefined_without_a_runner_up_revenue() -> None:
    table = compute([firm("G", revenue=1000), firm("R", revenue=0)])
    assert math.isnan(value(table, "top1_to_top2_revenue_ratio"))


@covers("top1_revenue_share", "top5_revenue_share")
def test_top5_revenue_share_with_seven_enterprises() -> None:
    firms = [firm(f"E{r}", revenue=r) for r in range(1, 8)]
    firms.append(firm("P1", cluster=None, revenue=100))
    table = compute(firms)
    # revenues 1..7, total 28: top five 7+6+5+4+3 = 25 -> 25/28; top one 7/28 = 0.25
    assert value(table, "top5_revenue_share") == approx(25 / 28)
    assert value(table, "top1_revenue_share") == approx(0.25)


@covers("top5_revenue_share")
def test_top5_revenue_share_with_fewer_than_five_is_one(base: pd.DataFrame) -> None:
    # only four enterprises: (600 + 250 + 100 + 50) / 1000
    assert value(base, "top5_revenue_share") == approx(1.0)


@covers("sme_share")
def test_sme_share(base: pd.DataFrame) -> None:
    # fewer than 300 employees: E2 (200), E3 (50); E4 has exactly 300 -> 2 / 4
    assert value(base, "sme_share") == approx(0.5)


@covers("size_tail_exponent")
def test_size_tail_exponent_hill_with_25_enterprises() -> None:
    revenues = [32, 16, 8, 4, 2] + [1] * 20
    firms = [firm(f"E{i:02d}", revenue=r) for i, r in enumerate(revenues)]
    firms.append(firm("Z0", revenue=0))  # no revenue: not part of the tail sample
    table = compute(firms)
    # n = 25 positive revenues, k = floor(sqrt(25)) = 5, x_(6) = 1
    # sum_{i<=5} ln(x_(i)/1) = (5+4+3+2+1) ln 2 = 15 ln 2 -> 5 / (15 ln 2) = 0.480898...
    assert value(table, "size_tail_exponent") == approx(5 / (15 * math.log(2)))


@covers("size_tail_exponent")
def test_size_tail_exponent_k_grows_with_sqrt_n() -> None:
    revenues = [64, 32, 16, 8, 4, 2] + [1] * 30
    table = compute([firm(f"E{i:02d}", revenue=r) for i, r in enumerate(revenues)])
    # n = 36, k = 6, x_(7) = 1: (6+5+4+3+2+1) ln 2 = 21 ln 2 -> 6 / (21 ln 2) = 0.412198...
    assert value(table, "size_tail_exponent") == approx(6 / (21 * math.log(2)))


# --- cross-industry linkage and network ------------------------------------------------------
# The link extract: C1 holds A (39), B (65), C (39) and the university U (83); P (34) is
# outside; D (13) is in cluster C2.
#
#      link          type           weight  normalised in C1          divisions  end
#      L1 A -> B     supply            100  100 / 200 = 0.5           39-65      internal
#      L2 C -> A     supply            300  300 / 200 = 1.5           39-39      internal
#      L3 P -> A     supply            200  200 / 200 = 1.0           34-39      external
#      L4 U -> B     co_patent           2    2 / 4   = 0.5           83-65      internal
#      L5 U -> C     co_patent           6    6 / 4   = 1.5           83-39      internal
#      L6 P -> B     tech_transfer       3    3 / 3   = 1.0           34-65      external
#      L7 A -> D     cooperation         5    5 / 5   = 1.0           39-13      external (C2)
#
# supply mean in C1 (100 + 300 + 200) / 3 = 200, co_patent mean (2 + 6) / 2 = 4;
# total normalised weight 0.5 + 1.5 + 1 + 0.5 + 1.5 + 1 + 1 = 7.
def link_firms() -> list[dict]:
    return [
        firm("A", industry="39"),
        firm("B", industry="65"),
        firm("C", industry="39"),
        firm("U", entity="university", industry="83"),
        firm("P", cluster=None, industry="34"),
        firm("D", cluster="C2", industry="13"),
    ]


def link_rows() -> list[dict]:
    return [
        link("A", "B", "supply", 100),
        link("C", "A", "supply", 300),
        link("P", "A", "supply", 200),
        link("U", "B", "co_patent", 2),
        link("U", "C", "co_patent", 6),
        link("P", "B", "tech_transfer", 3),
        link("A", "D", "cooperation", 5),
    ]


@pytest.fixture(scope="module")
def linked() -> pd.DataFrame:
    return compute(link_firms(), link_rows())


@covers("cross_industry_link_share")
def test_cross_industry_link_share(linked: pd.DataFrame) -> None:
    # every link but L2 (39-39) crosses divisions: (7 - 1.5) / 7 = 11/14
    assert value(linked, "cross_industry_link_share") == approx(11 / 14)
    # C2 sees only L7 (39-13): 1 / 1
    assert value(linked, "cross_industry_link_share", "C2") == approx(1.0)


@covers("cross_industry_link_share")
def test_cross_industry_link_share_normalises_weights_per_type_and_cluster_year() -> None:
    firms = [
        firm("A", industry="39"),
        firm("B", industry="65"),
        firm("C", industry="39"),
        firm("D", cluster="C2", industry="39"),
        firm("E", cluster="C2", industry="65"),
    ]
    links = [
        link("A", "B", "supply", 1000),  # 1000 / 2000 = 0.5, cross
        link("A", "C", "supply", 3000),  # 3000 / 2000 = 1.5, same division
        link("A", "C", "co_patent", 1),  # 1 / 2 = 0.5, same division
        link("B", "C", "co_patent", 3),  # 3 / 2 = 1.5, cross
        link("D", "E", "supply", 1e6),  # C2's own supply mean; must not touch C1's
    ]
    table = compute(firms, links)
    # (0.5 + 1.5) / (0.5 + 1.5 + 0.5 + 1.5) = 0.5   (raw weights would give 1003/4004 = 0.2505)
    assert value(table, "cross_industry_link_share") == approx(0.5)
    assert value(table, "cross_industry_link_share", "C2") == approx(1.0)


@covers("industry_pair_entropy", "industry_pair_evenness")
def test_industry_pair_entropy_over_unordered_division_pairs() -> None:
    firms = [
        firm("A", industry="39"),
        firm("B", industry="65"),
        firm("C", industry="39"),
        firm("D", industry="13"),
    ]
    links = [
        link("A", "B", weight=10),  # pair 39-65
        link("B", "C", weight=10),  # pair 65-39 = 39-65
        link("A", "C", weight=10),  # pair 39-39
        link("D", "A", weight=10),  # pair 13-39
    ]
    table = compute(firms, links)
    # each normalised weight 10/10 = 1, total 4: p = 2/4, 1/4, 1/4
    # -(0.5 log2 0.5 + 0.25 log2 0.25 + 0.25 log2 0.25) = 0.5 + 0.5 + 0.5 = 1.5 bits
    assert value(table, "industry_pair_entropy") == approx(1.5)
    # evenness: divisions 13, 39, 65, k = 3, k (k + 1) / 2 = 6 pairs: 1.5 / log2 6 = 0.580...
    assert value(table, "industry_pair_evenness") == approx(1.5 / math.log2(6))


@covers("industry_pair_entropy")
def test_industry_pair_entropy_with_normalised_weights(linked: pd.DataFrame) -> None:
    # seven distinct pairs with weights 0.5, 1.5, 1, 0.5, 1.5, 1, 1 out of 7:
    # p = 1/14 (x2), 3/14 (x2), 1/7 (x3)
    # H = 2 (1/14) log2 14 + 2 (3/14) log2 (14/3) + 3 (1/7) log2 7 = 2.735...
    expected = (
        2 * (1 / 14) * math.log2(14) + 2 * (3 / 14) * math.log2(14 / 3) + 3 / 7 * math.log2(7)
    )
    assert value(linked, "industry_pair_entropy") == approx(expected)


def test_industry_pair_evenness_does_not_grow_when_a_source_codes_finer() -> None:
    # one cluster, its four firms linked all to all with equal weights, coded into two
    # divisions and then into four: the entropy grows, the evenness stays the same order
    def table(codes: list[str]) -> pd.DataFrame:
        firms = [firm(name, industry=code) for name, code in zip("ABCD", codes, strict=True)]
        links = [link(a, b, weight=1) for a, b in ("AB", "AC", "AD", "BC", "BD", "CD")]
        return compute(firms, links)

    coarse, fine = table(["39", "39", "65", "65"]), table(["39", "38", "65", "64"])
    # coarse: pairs 39-39 (AB), 65-65 (CD), 39-65 (4 links): p = 1/6, 1/6, 4/6
    h_coarse = 2 * (1 / 6) * math.log2(6) + (4 / 6) * math.log2(6 / 4)
    assert value(coarse, "industry_pair_entropy") == approx(h_coarse)
    assert value(coarse, "industry_pair_evenness") == approx(h_coarse / math.log2(3))
    # fine: six distinct pairs, p = 1/6 each: log2 6 bits over a maximum of log2 10
    assert value(fine, "industry_pair_entropy") == approx(math.log2(6))
    assert value(fine, "industry_pair_evenness") == approx(math.log2(6) / math.log2(10))
    assert value(fine, "industry_pair_entropy") - value(coarse, "industry_pair_entropy") > 1
    assert (
        abs(value(fine, "industry_pair_evenness") - value(coarse, "industry_pair_evenness")) < 0.1
    )


def test_industry_pair_evenness_needs_two_divisions() -> None:
    firms = [firm("A", industry="39"), firm("B", industry="39")]
    table = compute(firms, [link("A", "B", weight=3)])
    assert value(table, "industry_pair_entropy") == approx(0.0)
    assert math.isnan(value(table, "industry_pair_evenness"))


@covers("external_link_share")
def test_external_link_share(linked: pd.DataFrame) -> None:
    # L3 (from P), L6 (from P), L7 (to C2's D): (1 + 1 + 1) / 7 = 3/7
    assert value(linked, "external_link_share") == approx(3 / 7)
    # C2 sees only L7, which comes from C1: 1 / 1
    assert value(linked, "external_link_share", "C2") == approx(1.0)


@covers("links_per_firm")
def test_links_per_firm(linked: pd.DataFrame) -> None:
    # C1: 7 links touch it, 3 enterprises (U is a university) -> 7/3
    assert value(linked, "links_per_firm") == approx(7 / 3)
    # C2: L7 touches it too (a link between two clusters counts for each), 1 enterprise -> 1
    assert value(linked, "links_per_firm", "C2") == approx(1.0)


@covers("degree_centralisation")
def test_degree_centralisation_star_line_and_isolated_members() -> None:
    firms = [
        # C1, a star around A
        firm("A"),
        firm("B"),
        firm("C"),
        firm("D"),
        firm("P", cluster=None),
        # C2, a path G - H - I plus an unlinked enterprise J and an unlinked university K
        firm("G", cluster="C2"),
        firm("H", cluster="C2"),
        firm("I", cluster="C2"),
        firm("J", cluster="C2"),
        firm("K", cluster="C2", entity="university", industry="83"),
        # C3, a line W - X - Y - Z
        firm("W", cluster="C3"),
        firm("X", cluster="C3"),
        firm("Y", cluster="C3"),
        firm("Z", cluster="C3"),
    ]
    links = [
        link("A", "B"),
        link("B", "A", "cooperation"),  # same partner again: still one edge
        link("A", "C", "co_patent"),
        link("D", "A"),
        link("A", "P"),  # external: not an edge among members
        link("G", "H"),
        link("H", "I"),
        link("W", "X"),
        link("X", "Y"),
        link("Y", "Z"),
    ]
    table = compute(firms, links)
    # star, n = 4: degrees A 3, B C D 1 -> (0 + 2 + 2 + 2) / ((4-1)(4-2)) = 6/6 = 1
    assert value(table, "degree_centralisation") == approx(1.0)
    # path + 2 isolated, n = 5: degrees 1, 2, 1, 0, 0 -> (1 + 0 + 1 + 2 + 2) / (4 * 3) = 0.5
    assert value(table, "degree_centralisation", "C2") == approx(0.5)
    # line, n = 4: degrees 1, 2, 2, 1 -> (1 + 0 + 0 + 1) / (3 * 2) = 1/3
    assert value(table, "degree_centralisation", "C3") == approx(1 / 3)


def chain_firms() -> list[dict]:
    """C1: an anchor A with suppliers B, C, D, E and a university U; C2: a line F - G - H."""
    c1 = [firm(f) for f in "ABCDE"] + [firm("U", entity="university", industry="83")]
    return c1 + [firm(f, cluster="C2") for f in "FGH"] + [firm("P", cluster=None)]


def chain_links() -> list[dict]:
    return [
        link("B", "A"),
        link("C", "A"),
        link("A", "D", weight=7.0),  # the anchor selling: still a supply pair
        link("D", "A"),  # the same pair again: one pair
        link("E", "A"),
        link("B", "C"),  # suppliers trading among themselves
        link("A", "U", "cooperation"),  # not supply: not part of the chain
        link("E", "U", "co_patent"),
        link("P", "A"),  # from outside the cluster: not a pair of members
        link("F", "G"),
        link("G", "H"),
    ]


@covers("supply_hub_share")
def test_supply_hub_share_is_the_anchors_share_of_the_chains_pairs() -> None:
    table = compute(chain_firms(), chain_links())
    # pairs AB AC AD AE BC: A has 4 partners of 5 pairs
    assert value(table, "supply_hub_share") == approx(4 / 5)
    # a line of three: G has 2 partners of 2 pairs, as the centre of a star would
    assert value(table, "supply_hub_share", "C2") == approx(1.0)


def test_a_source_seeing_part_of_the_chain_halves_the_centralisation_not_the_hub_share() -> None:
    full = compute(chain_firms(), chain_links())
    # a source that saw only B -> A, D -> A and B -> C of C1's supply (and every other link)
    kept = [chain_links()[i] for i in (0, 3, 5, 6, 7, 8, 9, 10)]
    half = compute(chain_firms(), kept)
    assert value(half, "supply_hub_share") == approx(2 / 3)  # A: 2 of 3 pairs (4 of 5 before)
    # degree centralisation, n = 6 members: A's partners 4 + U -> 5 before, then B, D, U -> 3
    # before: degrees A 5, B 2, C 2, D 1, E 2, U 2 -> (0 + 3 + 3 + 4 + 3 + 3) / (5 * 4) = 0.8
    assert value(full, "degree_centralisation") == approx(0.8)
    # after: A 3, B 2, C 1, D 1, E 1, U 2 -> (0 + 1 + 2 + 2 + 2 + 1) / 20 = 0.4
    assert value(half, "degree_centralisation") == approx(0.4)


@covers("top_firm_link_share")
def test_top_firm_link_share(linked: pd.DataFrame) -> None:
    # member strength: A = L1 0.5 + L2 1.5 + L3 1 + L7 1 = 4, C = 1.5 + 1.5 = 3,
    # B = 0.5 + 0.5 + 1 = 2, U = 0.5 + 1.5 = 2 -> 4 / 7
    assert value(linked, "top_firm_link_share") == approx(4 / 7)


@covers("top_firm_link_share")
def test_top_firm_link_share_ignores_outside_partners() -> None:
    firms = [firm("A"), firm("B"), firm("C"), firm("P", cluster=None)]
    links = [link("P", "A"), link("P", "B"), link("P", "C"), link("A", "B")]
    table = compute(firms, links)
    # all weights 1; A = 1 + 1 = 2, B = 2, C = 1; P (3) is not a member -> 2 / 4
    assert value(table, "top_firm_link_share") == approx(0.5)


@covers("research_link_share")
def test_research_link_share(linked: pd.DataFrame) -> None:
    # L4 (U-B) and L5 (U-C) join a university and an enterprise: (0.5 + 1.5) / 7 = 2/7
    assert value(linked, "research_link_share") == approx(2 / 7)


@covers("research_link_share")
def test_research_link_share_counts_both_directions_and_outside_universities() -> None:
    firms = [
        firm("A"),
        firm("R", entity="research_institute", industry="73"),
        firm("U", entity="university", industry="83"),
        firm("S", entity="service_org", industry="72"),
        firm("V", cluster=None, entity="university", industry="83"),
    ]
    links = [
        link("R", "A", "co_patent"),  # research institute -> enterprise: yes
        link("A", "U", "cooperation"),  # enterprise -> university: yes
        link("S", "A", "cooperation"),  # service organisation: no
        link("U", "R", "co_patent"),  # research body to research body: no
        link("V", "A", "co_patent"),  # university outside the cluster -> enterprise: yes
    ]
    table = compute(firms, links)
    # all weights 1 (each type's mean is 1): 3 / 5
    assert value(table, "research_link_share") == approx(0.6)


# --- origin ----------------------------------------------------------------------------------
@covers("foreign_revenue_share")
def test_foreign_revenue_share(base: pd.DataFrame) -> None:
    # foreign E1 600 + hmt E2 250 (outside P1 does not count) -> 850 / 1000
    assert value(base, "foreign_revenue_share") == approx(0.85)


@covers("hq_outside_revenue_share")
def test_hq_outside_revenue_share(base: pd.DataFrame) -> None:
    # hq_outside enterprises E2 250 + E3 100 (S1 is no enterprise) -> 350 / 1000
    assert value(base, "hq_outside_revenue_share") == approx(0.35)


@covers("recent_outside_revenue_share")
def test_recent_outside_revenue_share(base: pd.DataFrame) -> None:
    # hq_outside enterprises E2 (founded 2022, 1 year) 250 and E3 (2021, 2 years) 100 both
    # arrived less than 15 years ago -> 350 / 1000
    assert value(base, "recent_outside_revenue_share") == approx(0.35)


def test_recent_outside_revenue_share_leaves_out_long_standing_group_members() -> None:
    firms = [
        firm("OLD", founded=1990, revenue=600, hq_outside=True),  # 33 years: a group's branch
        firm("NEW", founded=2010, revenue=300, hq_outside=True),  # 13 years: arrived
        firm("EDGE", founded=2008, revenue=50, hq_outside=True),  # 15 years: not recent
        firm("LOCAL", founded=2020, revenue=50),
    ]
    table = compute(firms)
    # hq_outside 950 / 1000, recent arrivals only NEW: 300 / 1000
    assert value(table, "hq_outside_revenue_share") == approx(0.95)
    assert value(table, "recent_outside_revenue_share") == approx(0.3)


def transfer_firms() -> list[dict]:
    return [
        firm("A", industry="39"),
        firm("B", industry="65"),
        firm("C", industry="39"),
        firm("U", entity="university", industry="83"),
        firm("P", cluster=None, industry="34"),
        firm("D", cluster="C2", industry="13"),
    ]


def transfer_links() -> list[dict]:
    return [
        link("P", "A", "tech_transfer", 4),  # from outside into A: yes
        link("D", "B", "tech_transfer", 2),  # from cluster C2 into B: yes
        link("P", "U", "tech_transfer", 9),  # from outside into member U: yes
        link("U", "A", "tech_transfer", 10),  # inside the cluster: no
        link("A", "P", "tech_transfer", 7),  # outgoing: no
        link("P", "C", "supply", 100),  # not a technology transfer: no
    ]


@covers("tech_transfer_in_per_firm")
def test_tech_transfer_in_per_firm() -> None:
    table = compute(transfer_firms(), transfer_links())
    # raw weights (4 + 2 + 9) / 3 enterprises (A, B, C) = 5
    assert value(table, "tech_transfer_in_per_firm") == approx(5.0)
    # C2: D -> B leaves C2, nothing comes in: 0 / 1
    assert value(table, "tech_transfer_in_per_firm", "C2") == approx(0.0)


@covers("cooperation_link_share")
def test_cooperation_link_share() -> None:
    firms = [firm("A"), firm("B", industry="65"), firm("C"), firm("D", cluster="C2")]
    links = [
        link("A", "B", "cooperation", 2),  # 2 / 4 = 0.5
        link("B", "C", "cooperation", 6),  # 6 / 4 = 1.5
        link("A", "C", "supply", 50),  # its type's mean: 1
        link("D", "A", "supply", 10),  # C1 sees it too: 10 / 30 = 1/3; C2 sees it alone
    ]
    table = compute(firms, links)
    # (0.5 + 1.5) / (0.5 + 1.5 + 50 / 30 + 10 / 30) = 2 / 4 = 0.5   (raw weights: 8 / 68)
    assert value(table, "cooperation_link_share") == approx(0.5)
    assert value(table, "cooperation_link_share", "C2") == approx(0.0)


@covers("tech_transfer_in_link_share")
def test_tech_transfer_in_link_share() -> None:
    table = compute(transfer_firms(), transfer_links())
    # C1's transfers weigh 4, 2, 9, 10, 7 (mean 6.4); the supply link is its type's mean.
    # incoming (4 + 2 + 9) / 6.4 over all links (32 / 6.4 + 1 = 6): 2.34375 / 6 = 25/64
    assert value(table, "tech_transfer_in_link_share") == approx(25 / 64)
    # C2: D -> B leaves C2, nothing comes in: 0 of its one link
    assert value(table, "tech_transfer_in_link_share", "C2") == approx(0.0)


def test_a_source_recording_every_link_twice_doubles_transfers_per_firm_not_their_share() -> None:
    once = compute(transfer_firms(), transfer_links())
    twice = compute(transfer_firms(), transfer_links() * 2)
    assert value(twice, "tech_transfer_in_per_firm") == approx(10.0)
    assert value(twice, "tech_transfer_in_link_share") == approx(
        value(once, "tech_transfer_in_link_share")
    )


@covers("tech_transfer_in_per_firm")
def test_tech_transfer_in_per_firm_in_link_extract(linked: pd.DataFrame) -> None:
    # only L6 (P -> B, weight 3) is an incoming transfer: 3 / 3 enterprises
    assert value(linked, "tech_transfer_in_per_firm") == approx(1.0)


# --- structure and growth --------------------------------------------------------------------
@covers("n_enterprises")
def test_n_enterprises(base: pd.DataFrame) -> None:
    # E1-E4; U1, R1, S1 are no enterprises and P1 is outside
    assert value(base, "n_enterprises") == approx(4.0)


@covers("n_research_bodies")
def test_n_research_bodies(base: pd.DataFrame) -> None:
    # U1 (university) + R1 (research institute); S1 (service_org) does not count
    assert value(base, "n_research_bodies") == approx(2.0)


@covers("employment")
def test_employment(base: pd.DataFrame) -> None:
    # 1000 + 200 + 50 + 300 (not U1's 3000, R1's 100, S1's 10, P1's 5000)
    assert value(base, "employment") == approx(1550.0)


@covers("mean_firm_age")
def test_mean_firm_age(base: pd.DataFrame) -> None:
    # 2023 - (2010, 2022, 2021, 2020) = 13, 1, 2, 3 -> 19 / 4
    assert value(base, "mean_firm_age") == approx(4.75)


@covers("incumbent_revenue_share")
def test_incumbent_revenue_share() -> None:
    firms = [
        firm("A", founded=1995, revenue=500),  # 28 years
        firm("B", founded=2003, revenue=200),  # 20 years: counts
        firm("C", founded=2004, revenue=200),  # 19 years
        firm("U", entity="university", founded=1950, revenue=100),  # no enterprise
    ]
    # (500 + 200) / 900
    assert value(compute(firms), "incumbent_revenue_share") == approx(7 / 9)


@covers("traditional_revenue_share")
def test_traditional_revenue_share(base: pd.DataFrame) -> None:
    # traditional divisions in industries.yaml: 13 (E3, 100) and 34 (E4, 50) -> 150 / 1000
    assert REFERENCE.industry_by_code["13"].traditional
    assert REFERENCE.industry_by_code["34"].traditional
    assert not REFERENCE.industry_by_code["39"].traditional
    assert not REFERENCE.industry_by_code["65"].traditional
    assert value(base, "traditional_revenue_share") == approx(0.15)


@covers("digital_revenue_share")
def test_digital_revenue_share(base: pd.DataFrame) -> None:
    # digital divisions in industries.yaml: 39 (E1, 600) and 65 (E2, 250) -> 850 / 1000
    assert REFERENCE.industry_by_code["39"].digital
    assert REFERENCE.industry_by_code["65"].digital
    assert not REFERENCE.industry_by_code["13"].digital
    assert not REFERENCE.industry_by_code["34"].digital
    assert value(base, "digital_revenue_share") == approx(0.85)


@covers("digital_mix_share")
def test_digital_mix_share(base: pd.DataFrame) -> None:
    # digital 850 of 1000 (above): the smaller side is the 150 outside -> 0.15
    assert value(base, "digital_mix_share") == approx(0.15)


def test_digital_mix_share_reads_either_side_alike() -> None:
    """A software cluster with a fifth in machinery mixes as much as a machinery cluster
    with a fifth in software; the digital revenue share reads them 0.8 and 0.2."""

    def cluster(software: float, machinery: float) -> pd.DataFrame:
        return compute(
            [
                firm("S1", industry="65", revenue=software),
                firm("M1", industry="34", revenue=machinery),
            ]
        )

    a, b = cluster(800, 200), cluster(200, 800)
    assert value(a, "digital_mix_share") == approx(0.2) == value(b, "digital_mix_share")
    assert value(a, "digital_revenue_share") == approx(0.8)
    assert value(b, "digital_revenue_share") == approx(0.2)


@covers("entry_rate")
def test_entry_rate(base: pd.DataFrame) -> None:
    # ages 13, 1, 2, 3: younger than 3 are E2 and E3 (E4 at exactly 3 is not) -> 2 / 4
    assert value(base, "entry_rate") == approx(0.5)


@covers("above_size_entry_rate")
def test_above_size_entry_rate_counts_only_enterprises_of_20_million_cny() -> None:
    firms = [
        firm("E1", revenue=5000, founded=YEAR - 13),
        firm("E2", revenue=3000, founded=YEAR - 1),
        firm("E3", revenue=100, founded=YEAR - 2),  # young but under the threshold
        firm("E4", revenue=2000, founded=YEAR - 3),  # at the threshold, not young
        firm("E5", revenue=2500, founded=YEAR),
        firm("U1", entity="university", industry="83", revenue=9000, founded=YEAR),
    ]
    table = compute(firms)
    # above the size: E1, E2, E4, E5; founded in the last 3 years among them: E2, E5
    assert value(table, "above_size_entry_rate") == approx(2 / 4)
    assert value(table, "entry_rate") == approx(3 / 5)  # every enterprise: E2, E3, E5


def growth_firms() -> list[dict]:
    return [
        firm("E1", year=2022, revenue=500, employees=800),
        firm("E2", year=2022, revenue=300, employees=200),
        firm("U1", year=2022, entity="university", industry="83", revenue=100, employees=1000),
        firm("F1", year=2022, cluster="C2", revenue=10, employees=10),
        firm("E1", year=2023, revenue=700, employees=800),
        firm("E2", year=2023, revenue=250, employees=150),
        firm("E3", year=2023, revenue=50, employees=150),
        firm("U1", year=2023, entity="university", industry="83", revenue=100, employees=1000),
        firm("F1", year=2023, cluster="C2", revenue=30, employees=5),
        firm("P1", year=2023, cluster=None, revenue=99999, employees=9999),
    ]


@covers("revenue_growth")
def test_revenue_growth() -> None:
    table = compute(growth_firms())
    # C1 enterprises: 2022 500 + 300 = 800, 2023 700 + 250 + 50 = 1000 -> 1000/800 - 1 = 0.25
    assert value(table, "revenue_growth") == approx(0.25)
    # C2: 30 / 10 - 1 = 2
    assert value(table, "revenue_growth", "C2") == approx(2.0)


@covers("employment_growth")
def test_employment_growth() -> None:
    table = compute(growth_firms())
    # C1 enterprises: 2022 800 + 200 = 1000, 2023 800 + 150 + 150 = 1100 -> 1100/1000 - 1 = 0.1
    assert value(table, "employment_growth") == approx(0.1)
    # C2: 5 / 10 - 1 = -0.5
    assert value(table, "employment_growth", "C2") == approx(-0.5)


@covers("vc_per_enterprise")
def test_vc_per_enterprise(base: pd.DataFrame) -> None:
    # (100 + 0 + 50 + 30) / 4 (U1's 500 and P1's 999 do not count) = 45
    assert value(base, "vc_per_enterprise") == approx(45.0)


@covers("location_quotient")
def test_location_quotient_against_all_clusters_that_year() -> None:
    firms = [
        firm("A", industry="39", employees=600),
        firm("B", industry="65", employees=200),
        firm("C", industry="13", employees=200),
        firm("U", entity="university", industry="39", employees=5000),  # not an enterprise
        firm("D", cluster="C2", industry="39", employees=400),
        firm("E", cluster="C2", industry="34", employees=1600),
        firm("P", cluster=None, industry="39", employees=10000),  # outside every cluster
        firm("A", year=2022, industry="39", employees=500),
        firm("B", year=2022, industry="65", employees=500),
        firm("F", year=2022, cluster="C2", industry="65", employees=1500),
    ]
    table = compute(firms)
    # 2023: all clusters 600+200+200+400+1600 = 3000, division 39: 600+400 = 1000
    # C1 main division 39: (600 / 1000) / (1000 / 3000) = 0.6 / (1/3) = 1.8
    assert value(table, "location_quotient") == approx(1.8)
    # C2 main division 34: (1600 / 2000) / (1600 / 3000) = 0.8 / 0.5333 = 1.5
    assert value(table, "location_quotient", "C2") == approx(1.5)
    # 2022: all clusters 500+500+1500 = 2500, division 39: 500, division 65: 500+1500 = 2000
    # C1's 39 and 65 tie at 500 and the lower code 39 is taken (not stated in the catalogue):
    # (500/1000) / (500/2500) = 0.5 / 0.2 = 2.5   (65 would give 0.5 / 0.8 = 0.625)
    assert value(table, "location_quotient", "C1", 2022) == approx(2.5)
    # C2 main division 65: (1500/1500) / (2000/2500) = 1 / 0.8 = 1.25
    assert value(table, "location_quotient", "C2", 2022) == approx(1.25)


def variety_firms() -> list[dict]:
    # sector groups from industries.yaml: 39 electronics; 63, 64, 65 ict_services;
    # 13, 17 light_industry
    return [
        firm("V1", industry="39", employees=150),
        firm("V2", industry="39", employees=100),
        firm("V3", industry="63", employees=125),
        firm("V4", industry="64", employees=125),
        firm("V5", industry="65", employees=250),
        firm("V6", industry="13", employees=250),
        firm("V7", industry="17", employees=0),
        firm("U1", entity="university", industry="83", employees=1000),
    ]


@covers("unrelated_variety")
def test_unrelated_variety() -> None:
    groups = {code: REFERENCE.industry_by_code[code].group for code in ("39", "63", "64", "65")}
    assert groups == {
        "39": "electronics",
        "63": "ict_services",
        "64": "ict_services",
        "65": "ict_services",
    }
    assert REFERENCE.industry_by_code["13"].group == REFERENCE.industry_by_code["17"].group
    table = compute(variety_firms())
    # groups: electronics 150+100 = 250, ict_services 125+125+250 = 500, light 250+0 = 250
    # of 1000: P = 0.25, 0.5, 0.25 -> 0.25*2 + 0.5*1 + 0.25*2 = 1.5 bits
    assert value(table, "unrelated_variety") == approx(1.5)


@covers("related_variety")
def test_related_variety() -> None:
    table = compute(variety_firms())
    # H_electronics = 0 (one division), H_light = 0 (division 17 has no employees),
    # H_ict = -(0.25 log2 0.25 + 0.25 log2 0.25 + 0.5 log2 0.5) = 0.5 + 0.5 + 0.5 = 1.5
    # -> 0.25*0 + 0.5*1.5 + 0.25*0 = 0.75 bits
    assert value(table, "related_variety") == approx(0.75)


# --- bookkeeping -----------------------------------------------------------------------------
def test_every_indicator_has_a_hand_test() -> None:
    assert set(CATALOGUE.ids) == COVERED


def test_base_extract_has_every_indicator_defined_except_tail_and_growth(
    base: pd.DataFrame,
) -> None:
    row = base.loc[("C1", YEAR)]
    missing = {i for i in CATALOGUE.ids if not np.isfinite(row[i])}
    # 4 enterprises (< 25) for the tail; no 2022 data; no links at all; none of 20 million CNY
    assert missing == {
        "above_size_entry_rate",
        "size_tail_exponent",
        "revenue_growth",
        "employment_growth",
        "cross_industry_link_share",
        "industry_pair_entropy",
        "industry_pair_evenness",
        "external_link_share",
        "degree_centralisation",
        "top_firm_link_share",
        "supply_hub_share",
        "research_link_share",
        "cooperation_link_share",
        "tech_transfer_in_link_share",
    }
