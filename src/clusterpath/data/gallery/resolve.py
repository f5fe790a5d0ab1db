"""Resolve a spec against its domain's defaults: every value concrete, each one either
documented (with its source key) or the default.

This is the one place where documented facts meet the defaults, so the rule "a number is
documented or it is the default" is enforced here and checked by the tests, and the notes
can say of every value where it came from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

from clusterpath.data.gallery.defaults import (
    DomainDefaults,
    LinkPattern,
    SyntheticFirms,
    load_defaults,
)
from clusterpath.data.gallery.spec import DEFAULTED, ClusterSpec, NamedEntity

CONTRACT_LINK = {"parent": "investment"}  # spec link types the contract has no name for
ABOVE_SIZE_LINE = 2000.0  # 10k CNY: NBS "above designated size" is revenue >= 20 M CNY
FOREIGN = ("foreign", "hmt")


@dataclass(frozen=True)
class ResolvedEntity:
    """A named entity with every value set; ``documented`` says which are sourced."""

    key: str
    name: str
    name_en: str
    entity_type: str
    industry_code: str
    inside: bool
    listed: bool
    founded_year: int
    ownership: str
    hq_outside: bool
    employees: int
    revenue: float
    rd_intensity: float
    invention_patents: int
    utility_patents: int
    growth: float
    documented: dict[str, str]
    note: str


@dataclass(frozen=True)
class ResolvedCluster:
    """A spec with its unnamed firms' shape, link pattern and named values."""

    spec: ClusterSpec
    firms: SyntheticFirms
    pattern: LinkPattern
    named: tuple[ResolvedEntity, ...]
    link_weights: tuple[float, ...]  # one per documented link, in order
    documented: dict[str, str]  # synthetic field -> source key of the figure that set it


def takes_top_draw(entity: ResolvedEntity, first_year: int) -> bool:
    """Whether a named entity holds one of the largest revenues drawn for its cluster: an
    enterprise inside, present in the first year, whose revenue no source gives. The record
    names a cluster's leading firms, so an undocumented one is among its largest, not a firm
    of a fixed size whatever the cluster's output."""
    return (
        entity.inside
        and entity.entity_type == "enterprise"
        and entity.founded_year <= first_year
        and "revenue" not in entity.documented
    )


def resolve_entity(entity: NamedEntity, table: DomainDefaults, first_year: int, growth: float):
    fallback = table.named[entity.entity_type]
    values = {
        "founded_year": first_year - fallback.age,
        "ownership": fallback.ownership,
        "hq_outside": fallback.hq_outside,
        "employees": fallback.employees,
        "revenue": fallback.revenue,
        "rd_intensity": fallback.rd_intensity
        if fallback.rd_intensity is not None
        else table.rd_intensity_median,
    }
    values["invention_patents"], values["utility_patents"] = table.named_patents(
        entity.entity_type
    )
    values |= {f: getattr(entity, f) for f in DEFAULTED if getattr(entity, f) is not None}
    return ResolvedEntity(
        key=entity.key,
        name=entity.name,
        name_en=entity.name_en,
        entity_type=entity.entity_type,
        industry_code=entity.industry_code,
        inside=entity.inside,
        listed=entity.listed,
        growth=growth,
        documented=dict(entity.documented),
        note=entity.note,
        **values,
    )


def _reweighted(mix: dict[str, float], fixed: dict[str, float]) -> dict[str, float]:
    """``mix`` with the ``fixed`` keys set and the others scaled to fill the rest."""
    rest = {k: v for k, v in mix.items() if k not in fixed}
    room, held = 1.0 - sum(fixed.values()), sum(rest.values())
    return {**{k: v * room / held for k, v in rest.items()}, **fixed}


def _local_foundings(spec: ClusterSpec) -> list[tuple[int, str]]:
    """Documented founding years (with their source keys) of the named enterprises inside:
    the industry is at least as old as the oldest of them, whatever a page says of its
    start. A foreign-invested firm's year is often its group's abroad, so those do not count."""
    return [
        (e.founded_year, e.documented["founded_year"])
        for e in spec.named
        if e.inside
        and e.entity_type == "enterprise"
        and e.ownership not in FOREIGN
        and "founded_year" in e.documented
    ]


def documented_shape(spec: ClusterSpec, table: DomainDefaults) -> tuple[dict, dict[str, str]]:
    """The unnamed firms' values the spec documents (count and shares), with their refs."""
    values: dict = {}
    refs: dict[str, str] = {}
    named_inside = sum(1 for e in spec.named if e.inside and e.entity_type == "enterprise")
    if spec.firm_count is not None:
        values["firm_count"] = max(spec.firm_count - named_inside, 0)
        refs["firm_count"] = spec.firm_count_ref
    if spec.industry_since is not None:
        since = min([(spec.industry_since, spec.industry_since_ref), *_local_foundings(spec)])
        values["oldest"], refs["oldest"] = min(since[0], spec.years[0] - 1), since[1]
    shares = spec.shares
    ownership = dict(table.ownership)
    if "foreign_revenue_share" in shares:
        share = shares["foreign_revenue_share"]
        held = sum(table.ownership[k] for k in FOREIGN)
        fixed = {k: share.value * table.ownership[k] / held for k in FOREIGN}
        ownership = _reweighted(ownership, fixed)
        refs["ownership"] = share.ref
    if "state_revenue_share" in shares:
        ownership = _reweighted(ownership, {"state": shares["state_revenue_share"].value})
        refs["ownership"] = shares["state_revenue_share"].ref
    if "ownership" in refs:
        values["ownership"] = ownership
    for name in ("hq_outside_share", "rd_active_share"):
        if name in shares:
            values[name], refs[name] = shares[name].value, shares[name].ref
    if "rd_intensity" in shares:
        # cluster R&D / revenue ~ active share x mean intensity (lognormal, sigma 0.6)
        active = values.get("rd_active_share", table.rd_active_share)
        mean_factor = math.exp(0.6**2 / 2)
        values["rd_intensity_median"] = shares["rd_intensity"].value / (active * mean_factor)
        refs["rd_intensity_median"] = shares["rd_intensity"].ref
    if "lead_industry_share" in shares:
        values["divisions"] = table.firm_mix(shares["lead_industry_share"].value)
        refs["divisions"] = shares["lead_industry_share"].ref
    if "above_size_share" in shares:
        z = NormalDist().inv_cdf(min(max(shares["above_size_share"].value, 0.01), 0.99))
        values["revenue_median"] = ABOVE_SIZE_LINE * math.exp(table.revenue_sigma * z)
        refs["revenue_median"] = shares["above_size_share"].ref
    return values, refs


def resolve(spec: ClusterSpec, table: DomainDefaults | None = None) -> ResolvedCluster:
    """Every value of ``spec`` made concrete from its documented facts and domain defaults."""
    table = table or load_defaults().table(spec.domain)
    values, refs = documented_shape(spec, table)
    firms = table.firms().model_copy(update=values)
    named = tuple(resolve_entity(e, table, spec.years[0], table.growth) for e in spec.named)
    by_key = {e.key: e for e in named}
    shares = table.links.link_weight
    kinds = [CONTRACT_LINK.get(link.link_type, link.link_type) for link in spec.links]
    weights = tuple(
        link.weight
        if link.weight is not None
        else (by_key[link.source].revenue * shares[kind] if kind in shares else 1.0)
        for link, kind in zip(spec.links, kinds, strict=True)
    )
    return ResolvedCluster(
        spec=spec,
        firms=firms,
        pattern=table.links,
        named=named,
        link_weights=weights,
        documented=refs,
    )
