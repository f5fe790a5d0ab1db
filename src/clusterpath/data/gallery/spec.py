"""Typed, frozen declarations of a gallery cluster, read from ``cluster.yaml``.

A spec is blind to the path: the documented path is a reading that lives only in
``labels``, ``evidence``, ``reading`` and ``against``. Every number the extract is built from
is either documented (a source key whose quoted sentence states it) or left out, in which
case the domain's default (``data/gallery/defaults.yaml``) fills it. A spec that sets a
number without a source key is refused, and so is one that declares a shape (divisions,
ownership mix, link pattern) of its own: there is no field to hold it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from clusterpath.data.contract import ENTITY_TYPES
from clusterpath.resources import Declared, locate, read_yaml

LISTS = ("ndrc_sei_2019", "miit_advanced_mfg_2022", "most_innovative_pilot", "provincial", "other")
SHARES = (
    "foreign_revenue_share",
    "state_revenue_share",
    "hq_outside_share",
    "rd_intensity",
    "rd_active_share",
    "high_tech_share",
    "above_size_share",
    "lead_industry_share",
)
# Values of a named entity that are either documented or taken from the defaults.
UNADDRESSED = "no address kept:"  # a stored page whose address was not kept, then described
DEFAULTED = (
    "founded_year",
    "ownership",
    "hq_outside",
    "employees",
    "revenue",
    "rd_intensity",
    "invention_patents",
    "utility_patents",
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NamedEntity(_Frozen):
    """A real, named firm, university or institute. Values left out come from the defaults."""

    key: str
    name: str
    name_en: str
    entity_type: Literal[ENTITY_TYPES] = "enterprise"  # type: ignore[valid-type]
    industry_code: str
    inside: bool = True  # False: a partner outside the cluster (parent, customer)
    listed: bool = False
    founded_year: int | None = None
    ownership: Literal["state", "private", "mixed", "foreign", "hmt"] | None = None
    hq_outside: bool | None = None
    employees: int | None = None
    revenue: float | None = None  # 10k CNY, first year
    rd_intensity: float | None = None
    invention_patents: int | None = None
    utility_patents: int | None = None
    documented: dict[str, str] = Field(default_factory=dict)  # field -> source key
    note: str = ""

    @model_validator(mode="after")
    def _set_means_documented(self) -> NamedEntity:
        set_by_hand = [f for f in DEFAULTED if getattr(self, f) is not None]
        undocumented = [f for f in set_by_hand if f not in self.documented]
        if undocumented:
            raise ValueError(
                f"{self.key}: {undocumented} set without a source key in `documented`; "
                "leave them out to take the domain default"
            )
        unset = sorted(set(self.documented) - set(set_by_hand) - {"listed"})
        if unset:
            raise ValueError(f"{self.key}: `documented` names {unset}, which are not given")
        return self


class DocumentedLink(_Frozen):
    """A relation between named entities that the public record states."""

    source: str
    target: str
    # `parent`: a group holding its branch; the extract writes it as an investment tie
    link_type: Literal[
        "supply", "cooperation", "co_patent", "investment", "tech_transfer", "parent"
    ]
    ref: str  # source key
    note: str = ""
    weight: float | None = None  # only if documented
    weight_ref: str = ""

    @model_validator(mode="after")
    def _weight_documented(self) -> DocumentedLink:
        if self.weight is not None and not self.weight_ref:
            raise ValueError(f"link {self.source}->{self.target}: weight without weight_ref")
        return self


class Labels(_Frozen):
    """The reading of the record: the only place the path lives."""

    path: str
    second_path: str | None = None
    clarity: Literal["clear", "mixed"]


class ListEntry(_Frozen):
    list: Literal[LISTS]  # type: ignore[valid-type]
    ref: str


class Share(_Frozen):
    value: float = Field(ge=0, le=1)
    ref: str


class ClusterSpec(_Frozen):
    """One gallery cluster: identity, lists, reading, sources with quotes, documented facts."""

    slug: str
    cluster_id: str
    name: str
    name_en: str
    province: str
    city: str
    domain: str
    years: tuple[int, ...] = (2022, 2023)
    figures_year: int | None = None  # year the documented count and output refer to
    seed: int
    lists: tuple[ListEntry, ...] = ()
    labels: Labels
    evidence: str
    reading: str
    against: str = ""
    sources: dict[str, str]
    quotes: dict[str, str]
    total_revenue: float | None = None  # 10k CNY, first year, if documented
    total_revenue_ref: str = ""
    firm_count: int | None = None  # firms in the cluster, if documented
    firm_count_ref: str = ""
    industry_since: int | None = Field(default=None, ge=1500)  # the industry began in the city
    industry_since_ref: str = ""
    shares: dict[Literal[SHARES], Share] = Field(default_factory=dict)  # type: ignore[valid-type]
    named: tuple[NamedEntity, ...] = ()
    links: tuple[DocumentedLink, ...] = ()
    buildable: bool = True
    why: str = ""  # why a cluster cannot be built from the record
    same_as: str | None = None  # slug of the gallery cluster this one duplicates

    @property
    def path(self) -> str:
        return self.labels.path

    @property
    def built(self) -> bool:
        return self.buildable and self.same_as is None

    def source_keys(self) -> set[str]:
        """Every source key the spec cites for a value, a list or a link."""
        keys = {r for e in self.named for r in e.documented.values()}
        keys |= {link.ref for link in self.links} | {link.weight_ref for link in self.links}
        keys |= {entry.ref for entry in self.lists} | {s.ref for s in self.shares.values()}
        keys |= {self.total_revenue_ref, self.firm_count_ref, self.industry_since_ref}
        return keys - {""}

    @model_validator(mode="after")
    def _consistent(self) -> ClusterSpec:
        for value, ref, name in (
            (self.total_revenue, self.total_revenue_ref, "total_revenue"),
            (self.firm_count, self.firm_count_ref, "firm_count"),
            (self.industry_since, self.industry_since_ref, "industry_since"),
        ):
            if (value is None) != (not ref):
                raise ValueError(f"{self.slug}: {name} and {name}_ref go together")
        addressless = sorted(
            k
            for k, v in self.sources.items()
            if not v.startswith(("http://", "https://", UNADDRESSED))
        )
        if addressless:
            raise ValueError(
                f"{self.slug}: sources {addressless} need an address or {UNADDRESSED!r}"
            )
        unknown = sorted(self.source_keys() - set(self.sources))
        if unknown:
            raise ValueError(f"{self.slug}: source keys {unknown} not in sources")
        unquoted = sorted(k for k in self.source_keys() if not self.quotes.get(k, "").strip())
        if unquoted:
            raise ValueError(f"{self.slug}: source keys {unquoted} have no quote")
        keys = [e.key for e in self.named]
        if len(set(keys)) != len(keys):
            raise ValueError(f"{self.slug}: a named key is repeated")
        ends = {k for link in self.links for k in (link.source, link.target)}
        missing = sorted(ends - set(keys))
        if missing:
            raise ValueError(f"{self.slug}: links name unknown entities {missing}")
        if self.built and len(self.years) < 2:
            raise ValueError(f"{self.slug}: observe a cluster in at least two years")
        if not self.buildable and not self.why.strip():
            raise ValueError(f"{self.slug}: buildable: false needs `why`")
        return self


def gallery_dir() -> Path:
    return locate(Declared.GALLERY)


def load_spec(path: Path) -> ClusterSpec:
    try:
        raw = read_yaml(path)
    except yaml.YAMLError as err:
        raise ValueError(f"not valid YAML: {' '.join(str(err).split())}") from err
    return ClusterSpec(**raw)


def load_specs(folder: Path | None = None) -> tuple[ClusterSpec, ...]:
    """Every ``<slug>/cluster.yaml`` under the gallery folder, in cluster-id order."""
    folder = folder or gallery_dir()
    specs = []
    for path in sorted(folder.glob("*/cluster.yaml")):
        try:
            spec = load_spec(path)
        except ValueError as err:  # pydantic's ValidationError is a ValueError
            raise ValueError(f"{path}: {err}") from err
        if spec.slug != path.parent.name:
            raise ValueError(f"{path}: slug {spec.slug!r} differs from its folder")
        specs.append(spec)
    return tuple(sorted(specs, key=lambda s: s.cluster_id))
