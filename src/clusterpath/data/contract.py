"""The input data contract: which tables an extract holds and what each column may contain.

Declared once here; the readers, the validator, the simulator's tests and the contract
document all read these specifications. Enumerations that are domain data (path codes,
SEI domains) come from the reference tables rather than being repeated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from clusterpath.data.codes import CodeReader, DivisionCodes, NamedCodes
from clusterpath.data.reference import Reference

Kind = Literal["string", "int", "float", "bool"]

ENTITY_TYPES = ("enterprise", "university", "research_institute", "service_org", "financial_org")
RESEARCH_BODIES = ("university", "research_institute")
OWNERSHIP_TYPES = ("state", "private", "foreign", "hmt", "mixed")
LINK_TYPES = ("supply", "investment", "co_patent", "tech_transfer", "cooperation")
LABEL_SOURCES = ("expert", "rules", "simulated")
CLARITY = ("clear", "mixed")  # how clearly the record supports an expert's reading

# Bounds set by real records, not by the simulator; docs/data-contract.md gives the facts.
MAX_MONEY = 1e9  # 10k CNY = 10 trillion CNY, twice the largest revenue any firm reports
MAX_EMPLOYEES = 3_000_000  # the largest employer (Walmart) has about 2.1 million
MAX_PATENTS = 100_000  # a year's grants to one firm; the most granted (Huawei) are ~10k
FIRST_YEAR = 1949  # observation years: the first of the People's Republic's statistics
FIRST_FOUNDED = 1500  # heritage firms in SEI clusters date from 1582 (Mayinglong) on
DIVISION_PATTERN = r"^(0[1-9]|[1-8][0-9]|9[0-7])$"  # GB/T 4754-2017 divisions 01-97


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a contract table and the values it admits."""

    name: str
    kind: Kind
    meaning: str
    required: bool = True
    nullable: bool = False
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    allowed: tuple[str, ...] | None = None
    pattern: str | None = None
    reader: CodeReader | None = None  # reads other ways of writing a value as the value


@dataclass(frozen=True)
class TableSpec:
    """One contract table: its columns and the columns that identify a row."""

    name: str
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...] = ()
    required: bool = True
    allow_empty: bool = False
    meaning: str = ""

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


@dataclass(frozen=True)
class Contract:
    """All tables of an extract, in the order they are read and checked."""

    tables: tuple[TableSpec, ...] = field(default_factory=tuple)

    def table(self, name: str) -> TableSpec:
        return next(t for t in self.tables if t.name == name)


def current_year() -> int:
    """The last year that can have been observed (an observation year cannot be ahead)."""
    return datetime.now(UTC).year


def _year(name: str, meaning: str) -> ColumnSpec:
    return ColumnSpec(name, "int", meaning, ge=FIRST_YEAR, le=current_year())


def _money(name: str, meaning: str, required: bool = True) -> ColumnSpec:
    return ColumnSpec(name, "float", meaning, required=required, ge=0, le=MAX_MONEY)


def _count(name: str, meaning: str) -> ColumnSpec:
    return ColumnSpec(name, "int", meaning, ge=0, le=MAX_PATENTS)


def _firms(reference: Reference) -> TableSpec:
    return TableSpec(
        "firms",
        (
            ColumnSpec("firm_id", "string", "unique within a year, kept across years"),
            _year("year", "observation year"),
            ColumnSpec(
                "cluster_id", "string", "monitored cluster; empty = partner outside", nullable=True
            ),
            ColumnSpec("entity_type", "string", "kind of entity", allowed=ENTITY_TYPES),
            ColumnSpec(
                "industry_code",
                "string",
                "GB/T 4754-2017 division",
                pattern=DIVISION_PATTERN,
                reader=DivisionCodes(reference.section_spans),
            ),
            ColumnSpec(
                "founded_year",
                "int",
                "year the entity was founded, as its records give it (not after `year`)",
                ge=FIRST_FOUNDED,
            ),
            ColumnSpec("employees", "int", "employees", ge=0, le=MAX_EMPLOYEES),
            _money("revenue", "revenue that year, 10k CNY"),
            _money("rd_expense", "R&D expense that year, 10k CNY"),
            _count("invention_patents", "invention patents granted that year"),
            _count("utility_patents", "utility models and designs granted that year"),
            ColumnSpec("ownership", "string", "ownership", allowed=OWNERSHIP_TYPES),
            ColumnSpec("hq_outside", "bool", "parent headquartered outside the cluster's city"),
            ColumnSpec("listed", "bool", "listed company", required=False),
            _money("vc_funding", "venture funding received that year, 10k CNY", required=False),
        ),
        key=("firm_id", "year"),
        meaning="one row per entity and observation year",
    )


def _links() -> TableSpec:
    return TableSpec(
        "links",
        (
            ColumnSpec("source_id", "string", "firm_id of the source"),
            ColumnSpec("target_id", "string", "firm_id of the target"),
            _year("year", "year of the relation"),
            ColumnSpec("link_type", "string", "kind of relation", allowed=LINK_TYPES),
            ColumnSpec(
                "weight", "float", "strength, comparable within a link type", gt=0, le=MAX_MONEY
            ),
        ),
        meaning="one row per relation and year",
    )


def _clusters(reference: Reference) -> TableSpec:
    return TableSpec(
        "clusters",
        (
            ColumnSpec("cluster_id", "string", "cluster identifier"),
            ColumnSpec("name", "string", "Chinese name"),
            ColumnSpec("name_en", "string", "English name", required=False, nullable=True),
            ColumnSpec("province", "string", "province"),
            ColumnSpec("city", "string", "city"),
            ColumnSpec(
                "domain",
                "string",
                "SEI domain",
                allowed=reference.domain_codes,
                reader=NamedCodes(reference.domain_names, "data/reference/domains.yaml"),
            ),
            ColumnSpec(
                "world",
                "string",
                "monitoring source or setting the records come from",
                required=False,
                nullable=True,
            ),
        ),
        key=("cluster_id",),
        meaning="one row per monitored cluster",
    )


def _labels(reference: Reference) -> TableSpec:
    return TableSpec(
        "labels",
        (
            ColumnSpec("cluster_id", "string", "cluster identifier"),
            _year("year", "year the label applies to"),
            ColumnSpec("path", "string", "innovation path", allowed=reference.path_codes),
            ColumnSpec(
                "second_path",
                "string",
                "a second path the record also supports (a mixed reading); empty if none",
                required=False,
                nullable=True,
                allowed=reference.path_codes,
            ),
            ColumnSpec(
                "clarity",
                "string",
                "how clearly the record supports the path: clear or mixed",
                required=False,
                nullable=True,
                allowed=CLARITY,
            ),
            ColumnSpec("source", "string", "who assigned it", allowed=LABEL_SOURCES),
        ),
        key=("cluster_id", "year"),
        required=False,
        allow_empty=True,
        meaning="known innovation path of a cluster-year",
    )


def build_contract(reference: Reference) -> Contract:
    """Assemble the contract, taking domain and path codes from the reference tables."""
    return Contract((_firms(reference), _links(), _clusters(reference), _labels(reference)))
