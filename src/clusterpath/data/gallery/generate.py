"""Turn a cluster spec into contract rows: named entities as documented, unnamed firms drawn
from the declared shape, links following the documented relations and patterns.

Pure computation: specs in, data frames out; one seeded generator per cluster, so a cluster's
rows do not change when another cluster is added.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from clusterpath.data.firm_sizes import spliced_log_size, tail_start
from clusterpath.data.gallery.defaults import LinkPattern, SyntheticFirms
from clusterpath.data.gallery.resolve import ResolvedCluster, ResolvedEntity, takes_top_draw
from clusterpath.data.gallery.spec import ClusterSpec

VALUE_LINKS = ("supply", "investment")  # weights are money; the others are counts
# 10k CNY: one trillion yuan, above China's largest manufacturer (Huawei, 704 bn in 2023). No
# drawn firm is larger: an outside partner is drawn about five times its cluster firm's size,
# and a Pareto tail of exponent one can draw a firm larger than all the others together.
MAX_REVENUE = 1e8
# Firms founded this many years or fewer before the first observed year are young: they
# take the table's young_revenue_factor of their size draw, and only they raise venture money.
YOUNG_YEARS = 5


@dataclass(frozen=True)
class Entity:
    """One entity's first-year values and the years it is observed."""

    firm_id: str
    cluster_id: str | None
    entity_type: str
    industry_code: str
    founded_year: int
    ownership: str
    hq_outside: bool
    listed: bool
    employees: float
    revenue: float
    rd_intensity: float
    invention_patents: int
    utility_patents: int
    growth: float
    vc_funding: float
    years: tuple[int, ...]


@dataclass(frozen=True)
class Tie:
    source_id: str
    target_id: str
    link_type: str
    weight: float


def _pick(rng: np.random.Generator, shares: dict[str, float], size: int) -> np.ndarray:
    keys = list(shares)
    p = np.array([shares[k] for k in keys], dtype=float)
    return np.array(keys)[rng.choice(len(keys), size=size, p=p / p.sum())]


def named_entities(cluster: ResolvedCluster) -> list[Entity]:
    return [_named(cluster.spec, e) for e in cluster.named]


# Values a named entity declares that pass into its Entity unchanged.
COPIED = (
    "entity_type", "industry_code", "founded_year", "ownership", "hq_outside", "listed",
    "revenue", "rd_intensity", "invention_patents", "utility_patents", "growth",
)  # fmt: skip


def _named(spec: ClusterSpec, e: ResolvedEntity) -> Entity:
    return Entity(
        firm_id=f"{spec.cluster_id}-{e.key}",
        cluster_id=spec.cluster_id if e.inside else None,
        employees=float(e.employees),
        vc_funding=0.0,
        years=tuple(y for y in spec.years if y >= e.founded_year),
        **{name: getattr(e, name) for name in COPIED},
    )


def truncated_ages(u: np.ndarray, mean_age: float, span: int) -> np.ndarray:
    """Whole years of age 1..span from uniforms ``u``: an exponential of ``mean_age`` cut at
    ``span`` years (inverse of its distribution function)."""
    cut = 1 - np.exp(-max(span, 1) / mean_age)
    return (-mean_age * np.log1p(-u * cut)).astype(int) + 1


def _lifetimes(rng: np.random.Generator, s: SyntheticFirms, years: tuple[int, ...]):
    """Founding year and observed years of incumbents and of each later year's entrants.

    Ages are exponential with the table's mean, drawn inside the years since ``oldest`` (the
    year the industry began in the city, where documented): a young cluster has no old
    firms, rather than a pile of firms exactly as old as the industry.
    """
    first = years[0]
    ages = truncated_ages(rng.random(s.firm_count), s.mean_age, first - s.oldest)
    founded = list(first - ages)
    observed = []
    for _ in range(s.firm_count):
        alive = [first]
        for year in years[1:]:
            if rng.random() < s.exit_rate:
                break
            alive.append(year)
        observed.append(tuple(alive))
    for year in years[1:]:
        entrants = round(s.firm_count * s.entry_rate)
        founded += [year] * entrants
        observed += [tuple(y for y in years if y >= year)] * entrants
    return founded, observed


def synthetic_firms(
    cluster: ResolvedCluster, rng: np.random.Generator, scale: float
) -> list[Entity]:
    """Unnamed enterprises drawn from the resolved shape; revenues times ``scale``."""
    spec, s = cluster.spec, cluster.firms
    founded, observed = _lifetimes(rng, s, spec.years)
    n = len(founded)
    divisions = _pick(rng, s.divisions, n)
    ownership = _pick(rng, s.ownership, n)
    outside = rng.random(n) < s.hq_outside_share
    log_size = spliced_log_size(
        n,
        np.log(s.revenue_median),
        s.revenue_sigma,
        rng,
        tail_z=tail_start(s.revenue_tail_share),
        alpha=s.revenue_tail_alpha,
    )
    young = np.array(founded) >= spec.years[0] - YOUNG_YEARS
    revenue = scale * np.exp(log_size) * np.where(young, s.young_revenue_factor, 1.0)
    if spec.total_revenue is None:  # a documented output bounds the scaled draws; else the cap
        revenue = np.minimum(revenue, MAX_REVENUE)
    firms = []
    for i in range(n):
        intensity = 0.0
        if rng.random() < s.rd_active_share:
            intensity = float(min(rng.lognormal(np.log(s.rd_intensity_median), 0.6), 1.5))
        patents = rng.poisson(revenue[i] * intensity / s.patent_cost)
        inventions = rng.binomial(patents, s.invention_share)
        vc = 0.0
        if young[i] and rng.random() < s.vc_share:
            vc = float(rng.lognormal(np.log(3000), 0.9))
        firms.append(
            Entity(
                firm_id=f"{spec.cluster_id}-S{i + 1:04d}",
                cluster_id=spec.cluster_id,
                entity_type="enterprise",
                industry_code=str(divisions[i]),
                founded_year=int(founded[i]),
                ownership=str(ownership[i]),
                hq_outside=bool(outside[i] or ownership[i] in ("foreign", "hmt")),
                listed=False,
                employees=max(3.0, revenue[i] / s.revenue_per_employee * rng.lognormal(0, 0.4)),
                revenue=float(revenue[i]),
                rd_intensity=intensity,
                invention_patents=int(inventions),
                utility_patents=int(patents - inventions),
                growth=float(rng.normal(s.growth, 0.12)),
                vc_funding=vc,
                years=observed[i],
            )
        )
    return firms


def research_bodies(cluster: ResolvedCluster, rng: np.random.Generator) -> list[Entity]:
    """Unnamed research institutes (contract research, testing, public labs)."""
    spec, bodies = cluster.spec, []
    for i in range(cluster.firms.research_bodies):
        revenue = float(rng.lognormal(np.log(3000), 0.8))
        bodies.append(
            Entity(
                firm_id=f"{spec.cluster_id}-R{i + 1:02d}",
                cluster_id=spec.cluster_id,
                entity_type="research_institute",
                industry_code="73",
                founded_year=int(rng.integers(max(cluster.firms.oldest, 1990), spec.years[0])),
                ownership="state",
                hq_outside=False,
                listed=False,
                employees=max(10.0, revenue / 40),
                revenue=revenue,
                rd_intensity=float(rng.uniform(0.3, 0.7)),
                invention_patents=int(rng.poisson(4)),
                utility_patents=int(rng.poisson(2)),
                growth=0.04,
                vc_funding=0.0,
                years=spec.years,
            )
        )
    return bodies


def in_output(entity: Entity, year: int) -> bool:
    """Whether ``entity`` counts in its cluster's enterprise output of ``year``: an enterprise
    inside the cluster, present that year (universities and institutes are not counted)."""
    return bool(entity.cluster_id) and entity.entity_type == "enterprise" and year in entity.years


def revenue_scale(cluster: ResolvedCluster, named: list[Entity], rng_seed: int) -> float:
    """Scale for synthetic revenues so the first-year enterprise revenue meets the documented
    output (universities and institutes are not counted in an industry's output).

    Named enterprises that take one of the largest draws (``takes_top_draw``) are counted
    among the draws; those left over once the first year's unnamed firms run out keep their
    default revenue and count as named."""
    spec = cluster.spec
    if spec.total_revenue is None:
        return 1.0
    probe = synthetic_firms(cluster, np.random.default_rng(rng_seed), 1.0)
    first = spec.years[0]
    drawn = [e.revenue for e in probe if first in e.years]
    takers = [n for e, n in zip(cluster.named, named, strict=True) if takes_top_draw(e, first)]
    left_over = takers[len(drawn) :]
    named_total = sum(
        n.revenue
        for e, n in zip(cluster.named, named, strict=True)
        if in_output(n, first) and not takes_top_draw(e, first)
    ) + sum(n.revenue for n in left_over)
    rest = spec.total_revenue - named_total
    if rest <= 0:
        raise ValueError(f"{spec.slug}: named entities exceed the documented total revenue")
    return rest / sum(drawn)


def outside_partner(
    spec: ClusterSpec,
    rng: np.random.Generator,
    index: int,
    of: Entity,
    industry_code: str | None = None,
):
    """A firm outside every monitored cluster: a parent, customer or supplier of ``of``, in
    ``of``'s division unless another is given."""
    revenue = min(float(rng.lognormal(np.log(max(of.revenue, 1.0) * 5), 1.0)), MAX_REVENUE)
    return Entity(
        firm_id=f"{spec.cluster_id}-X{index:04d}",
        cluster_id=None,
        entity_type="enterprise",
        industry_code=industry_code or of.industry_code,
        founded_year=int(rng.integers(1980, spec.years[0])),
        ownership=of.ownership,
        hq_outside=False,
        listed=bool(rng.random() < 0.3),
        employees=max(20.0, revenue / 100),
        revenue=revenue,
        rd_intensity=float(rng.uniform(0.0, 0.05)),
        invention_patents=int(rng.poisson(3)),
        utility_patents=int(rng.poisson(5)),
        growth=0.04,
        vc_funding=0.0,
        years=spec.years,
    )


def _value(rng: np.random.Generator, revenue: float, share: float) -> float:
    return float(max(1.0, revenue * share * rng.lognormal(0, 0.6)))


def _tie(rng, link_type: str, a: Entity, b: Entity, share: float) -> Tie:
    weight = _value(rng, a.revenue, share) if link_type in VALUE_LINKS else 1.0
    if link_type not in VALUE_LINKS:
        weight = float(1 + rng.poisson(1.0))
    return Tie(a.firm_id, b.firm_id, link_type, weight)


def pattern_ties(
    cluster: ResolvedCluster,
    rng: np.random.Generator,
    named: dict[str, Entity],
    firms: list[Entity],
    research: list[Entity],
    anchor_keys: tuple[str, ...],
) -> tuple[list[Tie], list[Entity]]:
    """Star (around ``anchor_keys``), research, peer, parent and external ties; returns ties
    and outside partners."""
    spec, p = cluster.spec, cluster.pattern
    ties: list[Tie] = []
    anchors = [named[k] for k in anchor_keys]
    for firm in firms:
        if anchors and rng.random() < p.anchor_share:
            anchor = anchors[rng.integers(len(anchors))]
            ties.append(_tie(rng, "supply", firm, anchor, 0.4))
    bodies = research + [
        e for e in named.values() if e.cluster_id and e.entity_type != "enterprise"
    ]
    for body in bodies:
        reach = min(p.research_reach, len(firms))
        for j in rng.choice(len(firms), size=reach, replace=False):
            kind = str(_pick(rng, p.research_types, 1)[0])
            ties.append(_tie(rng, kind, body, firms[j], 0.02))
    ties += _peer_ties(rng, p, firms)
    partners: list[Entity] = []
    for firm in firms:
        if firm.hq_outside and rng.random() < p.parent_share:
            parent = outside_partner(spec, rng, len(partners) + 1, firm)
            partners.append(parent)
            ties.append(_tie(rng, "investment", parent, firm, 0.3))
            if rng.random() < 0.5:
                ties.append(_tie(rng, "tech_transfer", parent, firm, 0.0))
    codes = sorted({f.industry_code for f in firms})
    for _ in range(round(p.external_per_firm * len(firms))):
        firm = firms[rng.integers(len(firms))]
        code = _partner_division(rng, p.cross_industry, firm.industry_code, codes)
        partner = outside_partner(spec, rng, len(partners) + 1, firm, code)
        partners.append(partner)
        if rng.random() < 0.6:
            ties.append(_tie(rng, "supply", firm, partner, 0.2))
        else:
            ties.append(_tie(rng, "supply", partner, firm, 0.05))
    return ties, partners


def partner_weights(revenues: Sequence[float]) -> np.ndarray:
    """One over each firm's rank by revenue (1 for the largest; ties keep their order):
    chosen in proportion, firms hold ties in numbers that follow Zipf's law, as customer
    links do in Japan's firm network (a power-law tail of exponent one)."""
    order = np.argsort(-np.asarray(revenues, dtype=float), kind="stable")
    rank = np.empty(len(order))
    rank[order] = np.arange(1, len(order) + 1)
    return 1.0 / rank


def _partner_division(
    rng: np.random.Generator, cross_share: float, own: str, codes: list[str]
) -> str:
    """An outside customer's or supplier's division: another of the cluster's divisions with
    the pattern's cross-industry share (supply crosses industries as often outside the
    cluster as inside), else the firm's own."""
    others = [c for c in codes if c != own]
    if others and rng.random() < cross_share:
        return others[int(rng.integers(len(others)))]
    return own


def _weighted_pool(pool: list[int], weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A pool of firms and its cumulative chances, worked out once per pool: one uniform
    draw then picks a firm as ``Generator.choice`` with these weights would."""
    members = np.asarray(pool)
    cdf = (weight[members] / weight[members].sum()).cumsum()
    cdf /= cdf[-1]
    return members, cdf


def _peer_ties(rng: np.random.Generator, p: LinkPattern, firms: list[Entity]) -> list[Tie]:
    """Ties among unnamed firms; a share cross industry divisions by construction.

    A tie starts at a firm drawn at random and ends at one drawn with weight one over its
    revenue rank, so the number of ties a firm holds follows Zipf's law and the larger firms
    hold more of them (``partner_weights``)."""
    by_division: dict[str, list[int]] = {}
    for i, firm in enumerate(firms):
        by_division.setdefault(firm.industry_code, []).append(i)
    others = {
        code: [j for j in range(len(firms)) if firms[j].industry_code != code]
        for code in by_division
    }
    weight = partner_weights([f.revenue for f in firms])
    within = {code: _weighted_pool(pool, weight) for code, pool in by_division.items()}
    across = {code: _weighted_pool(pool, weight) for code, pool in others.items() if pool}
    ties = []
    for _ in range(round(p.peer_per_firm * len(firms))):
        i = int(rng.integers(len(firms)))
        code = firms[i].industry_code
        cross = rng.random() < p.cross_industry and others[code]
        pool, cdf = across[code] if cross else within[code]
        j = int(pool[cdf.searchsorted(rng.random(), side="right")])
        if j == i:
            continue
        kind = str(_pick(rng, p.peer_types, 1)[0])
        ties.append(_tie(rng, kind, firms[i], firms[j], 0.1))
    return ties
