"""Typed, frozen declarations of a gallery cluster, read from ``cluster.yaml``.

What is documented and what is assumed is part of the declaration: every named entity lists
which of its values come from a source (``documented``: field -> source key), so the notes
can say plainly which numbers are real and which are shaped guesses.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from clusterpath.resources import Declared, locate


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NamedEntity(_Frozen):
    """A real, named firm, university or institute, with values for the first year."""

    key: str
    name: str
    name_en: str
    entity_type: str = "enterprise"
    industry_code: str
    founded_year: int
    ownership: str
    hq_outside: bool = False
    listed: bool = False
    inside: bool = True  # False: a partner outside the cluster (parent, customer)
    employees: int
    revenue: float  # 10k CNY, first year
    rd_intensity: float = 0.0
    invention_patents: int = 0
    utility_patents: int = 0
    growth: float = 0.05  # yearly log revenue growth
    vc_funding: float = 0.0
    documented: dict[str, str] = Field(default_factory=dict)  # field -> source key
    note: str = ""


class DocumentedLink(_Frozen):
    """A relation between named entities that the public record states."""

    source: str
    target: str
    link_type: str
    weight: float
    ref: str  # source key
    note: str


class SyntheticFirms(_Frozen):
    """The shape of the unnamed firms: counts and distributions set to the documented
    character of the cluster, not drawn from any firm register."""

    count: int
    count_ref: str = ""  # source key of the documented firm count, if any
    divisions: dict[str, float]
    ownership: dict[str, float]
    hq_outside_share: float
    mean_age: float
    oldest: int
    revenue_median: float  # 10k CNY
    revenue_sigma: float
    revenue_per_employee: float = 80.0  # 10k CNY
    rd_active_share: float
    rd_intensity_median: float
    invention_share: float
    patent_cost: float = 300.0  # 10k CNY of R&D per patent granted
    vc_share: float = 0.0
    growth: float
    entry_rate: float
    exit_rate: float
    research_bodies: int = 0  # unnamed research institutes


class LinkPattern(_Frozen):
    """How the unnamed firms are tied to each other, to the named ones and to outsiders."""

    anchors: tuple[str, ...] = ()  # named keys the synthetic suppliers sell to (a star)
    anchor_share: float = 0.0
    research_reach: int = 0  # synthetic firms each research body is tied to
    research_types: dict[str, float] = Field(
        default_factory=lambda: {"tech_transfer": 0.4, "co_patent": 0.3, "cooperation": 0.3}
    )
    peer_per_firm: float = 0.5
    peer_types: dict[str, float] = Field(
        default_factory=lambda: {"supply": 0.7, "cooperation": 0.2, "co_patent": 0.1}
    )
    cross_industry: float = 0.2
    parent_share: float = 0.0  # branch plants whose outside parent is recorded
    external_per_firm: float = 0.0  # ties to customers and suppliers outside the cluster


class ClusterSpec(_Frozen):
    """One gallery cluster: identity, documented path and evidence, entities, shape."""

    slug: str
    cluster_id: str
    name: str
    name_en: str
    province: str
    city: str
    domain: str
    path: str
    years: tuple[int, ...] = (2022, 2023)
    figures_year: int | None = None  # year the documented count and output refer to
    seed: int
    total_revenue: float | None = None  # 10k CNY, first year, if documented
    total_revenue_ref: str = ""
    evidence: str
    reading: str
    sources: dict[str, str]
    named: tuple[NamedEntity, ...]
    links: tuple[DocumentedLink, ...] = ()
    firms: SyntheticFirms
    pattern: LinkPattern = LinkPattern()

    @model_validator(mode="after")
    def _refs_exist(self) -> ClusterSpec:
        keys = {e.key for e in self.named}
        refs = [r for e in self.named for r in e.documented.values()]
        refs += [link.ref for link in self.links]
        refs += [r for r in (self.firms.count_ref, self.total_revenue_ref) if r]
        unknown = sorted(set(refs) - set(self.sources))
        if unknown:
            raise ValueError(f"{self.slug}: source keys {unknown} not in sources")
        ends = {k for link in self.links for k in (link.source, link.target)}
        missing = sorted((ends | set(self.pattern.anchors)) - keys)
        if missing:
            raise ValueError(f"{self.slug}: links name unknown entities {missing}")
        return self


def gallery_dir() -> Path:
    return locate(Declared.GALLERY)


def load_spec(path: Path) -> ClusterSpec:
    with path.open(encoding="utf-8") as fh:
        return ClusterSpec(**yaml.safe_load(fh))


def load_specs(folder: Path | None = None) -> tuple[ClusterSpec, ...]:
    """Every ``<slug>/cluster.yaml`` under the gallery folder, in cluster-id order."""
    folder = folder or gallery_dir()
    specs = [load_spec(p) for p in sorted(folder.glob("*/cluster.yaml"))]
    for spec, path in zip(specs, sorted(folder.glob("*/cluster.yaml")), strict=True):
        if spec.slug != path.parent.name:
            raise ValueError(f"{path}: slug {spec.slug!r} differs from its folder")
    return tuple(sorted(specs, key=lambda s: s.cluster_id))
