"""The indicator catalogue (features/indicators.yaml) as typed, checked objects."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from clusterpath.resources import Declared, locate, read_yaml

TRAITS = ("1.1.a", "1.1.b", "1.1.c", "1.1.d", "1.1.e")


class Indicator(BaseModel):
    """One cluster-year indicator: what it means, how it is computed, what it speaks to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name_zh: str
    name_en: str
    unit: str
    display: Literal["percent", "integer", "decimal"] = "decimal"
    formula: str
    note: str = ""  # why the indicator is there, e.g. how it carries across sources
    trait: Literal["1.1.a", "1.1.b", "1.1.c", "1.1.d", "1.1.e"]
    passages: tuple[str, ...]
    stronger: Literal["higher", "lower"]
    actionable: bool
    undefined_when: tuple[str, ...]


class Catalogue(BaseModel):
    """All indicators plus the named conditions under which an indicator is undefined."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    conditions: dict[str, str]
    indicators: tuple[Indicator, ...]

    @model_validator(mode="after")
    def _consistent(self) -> Catalogue:
        ids = [i.id for i in self.indicators]
        if len(set(ids)) != len(ids):
            raise ValueError("indicator catalogue: duplicate indicator id")
        for ind in self.indicators:
            unknown = set(ind.undefined_when) - set(self.conditions)
            if unknown:
                raise ValueError(f"indicator {ind.id}: unknown conditions {sorted(unknown)}")
            if not ind.id.isidentifier() or ind.id.lower() != ind.id:
                raise ValueError(f"indicator id {ind.id!r} must be snake_case")
        return self

    @cached_property
    def ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.indicators)

    def get(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(f"unknown indicator {indicator_id!r}")


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Read and check the catalogue file."""
    path = path or locate(Declared.CATALOGUE)
    return Catalogue(**read_yaml(path))
