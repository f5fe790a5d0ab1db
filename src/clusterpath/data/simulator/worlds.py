"""Simulator worlds: what differs between monitoring sources, regions and years.

A world (``data/simulator/worlds.yaml``) is a set of ranges: how many links the source
records, how many firms' R&D and patents reach it, how large clusters are, how dominant a
giant is, how research-intensive the region is, and shifts of latent traits shared by every
path. Each cluster draws one concrete ``World`` inside its world's ranges, so a model trained
on many worlds cannot lean on one source's calibration, and a model can be graded on a world
it never saw.

Beyond levels, every cluster also draws how its source *defines* what it records (industry
coding granularity, whom it counts as headquartered outside, which links it records) and
shifts of the traits the paper does not use to tell paths apart; ``path_traits`` declares the
traits that do, each with its passage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from clusterpath.resources import Declared, locate, read_yaml

RANDOM = "random"
DRAWN_FIELDS = (  # drawn per cluster inside the world's range
    "links_per_firm",
    "rd_reporting",
    "median_enterprises",
    "size_sigma",
    "giant_anchor_share",
    "rd_scale",
    "frontier_share",
)
_LOG_FIELDS = ("links_per_firm", "median_enterprises", "rd_scale")


class _Range(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    low: float
    high: float

    @model_validator(mode="before")
    @classmethod
    def _from_pair(cls, value: object) -> object:
        if isinstance(value, list | tuple):
            if len(value) != 2:
                raise ValueError(f"a range is [low, high], got {value!r}")
            return {"low": value[0], "high": value[1]}
        return value

    @model_validator(mode="after")
    def _ordered(self) -> _Range:
        if self.high < self.low:
            raise ValueError(f"range [{self.low}, {self.high}] has high below low")
        return self


class WorldSpec(BaseModel):
    """The ranges of one world, as declared in worlds.yaml."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    description: str
    links_per_firm: _Range
    rd_reporting: _Range
    median_enterprises: _Range
    size_sigma: _Range
    max_enterprises: int = Field(ge=10, le=50_000)
    giant_anchor_share: _Range
    rd_scale: _Range
    frontier_share: _Range
    trait_shifts: dict[str, _Range] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _bounds(self) -> WorldSpec:
        for name in ("rd_reporting", "giant_anchor_share", "frontier_share"):
            r = getattr(self, name)
            if not 0 <= r.low <= r.high <= 1:
                raise ValueError(f"{name} must lie in [0, 1]")
        for name in _LOG_FIELDS:
            if getattr(self, name).low <= 0:
                raise ValueError(f"{name} must be positive")
        return self


class PathTraits(BaseModel):
    """The traits that define one path, and the passage of the paper they rest on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    passage: str
    quote: str
    traits: tuple[str, ...]


class Definitions(BaseModel):
    """Ranges of how a source defines its records, drawn per cluster in every world."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    coding_spread: _Range = _Range(low=0.0, high=0.0)
    group_attribution: _Range = _Range(low=0.0, high=0.0)
    link_coverage: dict[str, _Range] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _shares(self) -> Definitions:
        ranges = [self.coding_spread, self.group_attribution, *self.link_coverage.values()]
        if not all(0 <= r.low <= r.high <= 1 for r in ranges):
            raise ValueError("definitions: every range is a share in [0, 1]")
        return self


class WorldCatalogue(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    worlds: dict[str, WorldSpec]
    path_traits: dict[str, PathTraits] = Field(default_factory=dict)
    definitions: Definitions = Definitions()
    free_shifts: dict[str, _Range] = Field(default_factory=dict)

    @property
    def defining_traits(self) -> frozenset[str]:
        return frozenset(t for p in self.path_traits.values() for t in p.traits)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.worlds)


@dataclass(frozen=True)
class World:
    """The concrete values one cluster was drawn with."""

    name: str
    links_per_firm: float
    rd_reporting: float
    median_enterprises: float
    size_sigma: float
    max_enterprises: int
    giant_anchor_share: float
    rd_scale: float
    frontier_share: float
    trait_shifts: dict[str, float] = field(default_factory=dict)
    coding_spread: float = 0.0
    group_attribution: float = 0.0
    link_coverage: dict[str, float] = field(default_factory=dict)  # link type -> share kept


def default_worlds_path() -> Path:
    return locate(Declared.WORLDS)


@cache
def load_worlds(path: Path | None = None) -> WorldCatalogue:
    """Read and check the world declarations (cached: the file is read once per process)."""
    return WorldCatalogue(**read_yaml(path or default_worlds_path()))


def check_world_name(name: str, catalogue: WorldCatalogue) -> None:
    if name != RANDOM and name not in catalogue.worlds:
        known = ", ".join((RANDOM, *catalogue.names))
        raise ValueError(f"unknown world {name!r}; known: {known}")


def draw_world(
    choice: str, catalogue: WorldCatalogue, trait_names: set[str], rng: np.random.Generator
) -> World:
    """One cluster's world: ``choice`` names a world, or ``random`` picks one uniformly."""
    check_world_name(choice, catalogue)
    name = catalogue.names[rng.integers(len(catalogue.names))] if choice == RANDOM else choice
    spec = catalogue.worlds[name]
    named = set(spec.trait_shifts) | set(catalogue.free_shifts) | catalogue.defining_traits
    unknown = named - trait_names
    if unknown:
        raise ValueError(f"world {name}: unknown traits {sorted(unknown)}")

    def draw(field_name: str, r: _Range) -> float:
        if field_name in _LOG_FIELDS:
            return float(np.exp(rng.uniform(np.log(r.low), np.log(r.high))))
        return float(rng.uniform(r.low, r.high))

    values = {f: draw(f, getattr(spec, f)) for f in DRAWN_FIELDS}
    shifts = {t: draw(t, r) for t, r in sorted(spec.trait_shifts.items())}
    for trait, r in sorted(catalogue.free_shifts.items()):
        shifts[trait] = shifts.get(trait, 0.0) + draw(trait, r)
    d = catalogue.definitions
    return World(
        name,
        max_enterprises=spec.max_enterprises,
        trait_shifts=shifts,
        coding_spread=draw("coding_spread", d.coding_spread),
        group_attribution=draw("group_attribution", d.group_attribution),
        link_coverage={t: draw(t, r) for t, r in sorted(d.link_coverage.items())},
        **values,
    )
