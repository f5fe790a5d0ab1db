"""Settings of a simulation run and the summary it hands back."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

_YEARS = re.compile(r"^\s*(\d{4})\s*(?:[-–:]\s*(\d{4}))?\s*$")


def parse_years(text: str) -> tuple[int, int]:
    """Parse ``"2019-2023"`` (or a single ``"2021"``) into ``(first, last)``."""
    match = _YEARS.match(text)
    if not match:
        raise ValueError(f"years {text!r}: expected FIRST-LAST, e.g. 2019-2023")
    first = int(match.group(1))
    last = int(match.group(2) or first)
    if last < first:
        raise ValueError(f"years {text!r}: last year before first")
    return first, last


class SimulationConfig(BaseModel):
    """What to simulate. Every field is a knob documented in ``docs/simulator.md``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    n_clusters: int = Field(600, ge=1, le=1_000_000)
    years: tuple[int, int] = (2019, 2023)
    seed: int = Field(0, ge=0)
    target_firm_rows: int | None = Field(
        None, ge=1, description="keep adding clusters until this many firm rows are written"
    )
    world: str = Field(
        "random", description="a world of data/simulator/worlds.yaml, or random (one per cluster)"
    )
    links_per_firm_row: float | None = Field(
        None, gt=0, le=50, description="links per firm row; None: the cluster's world decides"
    )
    median_cluster_size: float | None = Field(
        None, gt=1, description="median enterprises in a cluster; None: the world decides"
    )
    cluster_size_sigma: float | None = Field(None, ge=0, le=3)
    small_cluster_share: float = Field(0.02, ge=0, le=1, description="clusters of 3-9 firms")
    transition_share: float = Field(0.12, ge=0, le=1, description="clusters changing path")
    mixture_share: float = Field(0.3, ge=0, le=1, description="clusters mixing two paths")
    trait_noise: float = Field(1.0, ge=0, le=5, description="scale of cluster-level noise")
    row_group_rows: int = Field(250_000, ge=1_000, description="firm rows per Parquet write")

    @model_validator(mode="after")
    def _check_world(self) -> SimulationConfig:
        from clusterpath.data.simulator.worlds import check_world_name, load_worlds

        check_world_name(self.world, load_worlds())
        return self

    @model_validator(mode="after")
    def _check_years(self) -> SimulationConfig:
        first, last = self.years
        if not 1950 <= first <= last <= 2100:
            raise ValueError(f"years {self.years}: need 1950 <= first <= last <= 2100")
        return self

    @property
    def year_range(self) -> range:
        return range(self.years[0], self.years[1] + 1)


class ExtractSummary(BaseModel):
    """What ``write_extract`` wrote."""

    model_config = ConfigDict(frozen=True)

    out_dir: Path
    n_clusters: int
    years: tuple[int, int]
    firm_rows: int
    link_rows: int
    label_rows: int
    path_counts: dict[str, int]  # cluster-years per labelled path
    world_counts: dict[str, int]  # clusters per world
    seconds: float
