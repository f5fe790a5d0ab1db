"""The gallery's defaults: one table per SEI domain for every value the sources leave open.

Read from ``data/gallery/defaults.yaml``: ``base`` laid under each domain's own values. The
tables know no path, so a cluster's unnamed firms and links are shaped by its domain and its
documented facts alone, never by the reading it is judged against.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from clusterpath.data.reference import load_reference
from clusterpath.resources import Declared, locate, read_yaml


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SyntheticFirms(_Frozen):
    """The shape of the unnamed firms: counts and distributions (nothing drawn from a
    register of real firms)."""

    firm_count: int = Field(ge=0)
    divisions: dict[str, float]  # the whole mix: lead industry and other divisions
    ownership: dict[str, float]
    hq_outside_share: float = Field(ge=0, le=1)
    mean_age: float = Field(gt=0)
    oldest: int
    revenue_median: float = Field(gt=0)  # 10k CNY
    revenue_sigma: float = Field(gt=0)  # of the lognormal body
    revenue_tail_share: float = Field(gt=0, lt=0.5)  # the largest firms, in the Pareto tail
    revenue_tail_alpha: float = Field(gt=0)
    revenue_per_employee: float = Field(gt=0)  # 10k CNY
    young_revenue_factor: float = Field(gt=0, le=1)  # a young firm's draw against an older one's
    rd_active_share: float = Field(ge=0, le=1)
    rd_intensity_median: float = Field(gt=0)
    invention_share: float = Field(ge=0, le=1)
    patent_cost: float = Field(gt=0)  # 10k CNY of R&D per patent granted
    vc_share: float = Field(ge=0, le=1)
    growth: float
    entry_rate: float = Field(ge=0, le=1)
    exit_rate: float = Field(ge=0, le=1)
    research_bodies: int = Field(ge=0)  # unnamed research institutes


class LinkPattern(_Frozen):
    """How unnamed firms are tied to each other, to the anchors and to outsiders."""

    anchor_revenue_share: float = Field(gt=0, le=1)  # rule deciding which named are anchors
    anchor_share: float = Field(ge=0, le=1)
    research_reach: int = Field(ge=0)
    research_types: dict[str, float]
    peer_per_firm: float = Field(ge=0)
    peer_types: dict[str, float]
    cross_industry: float = Field(ge=0, le=1)
    parent_share: float = Field(ge=0, le=1)
    external_per_firm: float = Field(ge=0)
    link_weight: dict[str, float]  # share of the source's revenue, value links only


class NamedDefaults(_Frozen):
    """Values of a named entity of one type that its sources do not give."""

    age: int = Field(ge=0)  # years before the first observed year
    ownership: str
    hq_outside: bool
    employees: int = Field(gt=0)
    revenue: float = Field(gt=0)
    rd_intensity: float | None = None  # None: the domain's R&D median
    invention_patents: int = Field(ge=0)
    utility_patents: int = Field(ge=0)


class DomainDefaults(SyntheticFirms):
    """One domain's table: the unnamed firms' shape, link pattern and named-entity values.

    ``divisions`` is the lead industry's mix; ``lead_industry_share`` of the unnamed firms
    sit in it and the rest in the ``other_divisions`` outside it, by their weights (see
    ``firm_mix``).
    """

    lead_industry_share: float = Field(gt=0, le=1)
    other_divisions: dict[str, float] = Field(min_length=1)  # weights, any scale
    links: LinkPattern
    named: dict[str, NamedDefaults]

    @model_validator(mode="after")
    def _shares_sum_to_one(self) -> DomainDefaults:
        for name in ("divisions", "ownership"):
            total = sum(getattr(self, name).values())
            if abs(total - 1) > 1e-9:
                raise ValueError(f"{name} shares sum to {total}, not 1")
        return self

    def firms(self) -> SyntheticFirms:
        """The unnamed firms' default shape, divisions mixed at the default lead share."""
        shape = self.model_dump(include=set(SyntheticFirms.model_fields))
        return SyntheticFirms(**{**shape, "divisions": self.firm_mix(self.lead_industry_share)})

    def named_patents(self, entity_type: str) -> tuple[int, int]:
        """Default (invention, utility) patents held by a named entity: an enterprise's
        declared total split as the domain's unnamed firms' (``invention_share``), other
        bodies' as declared (universities and institutes hold mostly inventions)."""
        fallback = self.named[entity_type]
        if entity_type != "enterprise":
            return fallback.invention_patents, fallback.utility_patents
        total = fallback.invention_patents + fallback.utility_patents
        inventions = round(total * self.invention_share)
        return inventions, total - inventions

    def firm_mix(self, lead_industry_share: float) -> dict[str, float]:
        """Lead divisions weighted by ``lead_industry_share``, the other divisions sharing
        the rest by their weights: a cluster is its lead industry and some of its place's
        others."""
        others = {c: w for c, w in self.other_divisions.items() if c not in self.divisions}
        if not others:
            return dict(self.divisions)
        rest = (1 - lead_industry_share) / sum(others.values())
        mix = {c: w * lead_industry_share for c, w in self.divisions.items()}
        return {**mix, **{c: w * rest for c, w in others.items()}}


class Defaults(_Frozen):
    provenance: dict[str, str]
    base: dict
    domains: dict[str, dict]

    def table(self, domain: str) -> DomainDefaults:
        return DomainDefaults(**_merge(self.base, self.domains[domain]))


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(base[key], value) if isinstance(base.get(key), dict) else value
    return out


def defaults_path() -> Path:
    return locate(Declared.GALLERY) / "defaults.yaml"


@cache
def load_defaults(path: Path | None = None) -> Defaults:
    """Read the defaults; every domain must have a table and every value a provenance."""
    path = path or defaults_path()
    defaults = Defaults(**read_yaml(path))
    codes = set(load_reference().domain_codes)
    if set(defaults.domains) != codes:
        raise ValueError(f"{path}: domains {sorted(defaults.domains)} differ from {sorted(codes)}")
    fields = set(defaults.base) - {"links"} | set(defaults.base["links"])
    unexplained = sorted(fields - set(defaults.provenance) - {"oldest", "exit_rate"})
    if unexplained:
        raise ValueError(f"{path}: no provenance for {unexplained}")
    known = {i.code for i in load_reference().industries}
    for code in sorted(codes):
        unknown = sorted(set(defaults.table(code).other_divisions) - known)  # validates too
        if unknown:
            raise ValueError(f"{path}: other_divisions {unknown} are not in industries.yaml")
    return defaults
