"""Typed settings of the scoring job (models/scoring.yaml)."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from clusterpath.models.monitoring import MonitoringConfig
from clusterpath.models.support import TrustConfig
from clusterpath.resources import Declared, locate, read_yaml


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ConfidenceConfig(_Frozen):
    high_probability: float = Field(default=0.6, gt=0, le=1)


class WhatIfConfig(_Frozen):
    pair_candidates: int = Field(default=4, ge=0)
    pair_values: int = Field(default=12, ge=1)
    batch_rows: int = Field(default=200_000, ge=1_000)


class ScoringConfig(_Frozen):
    """What counts as too little data, how many drivers, trust, what-if search limits and
    how each batch is monitored."""

    version: str
    min_enterprises: int = Field(ge=1)
    top_drivers: int = Field(ge=1)
    holds_back: int = Field(ge=0)
    trust: TrustConfig
    confidence: ConfidenceConfig
    what_if: WhatIfConfig
    holds_back_passages: tuple[str, ...]
    explain_chunk_rows: int = Field(default=10_000, ge=1)
    explain_workers: int = Field(default=0, ge=0)
    monitoring: MonitoringConfig = MonitoringConfig()

    def workers(self) -> int:
        """Threads computing SHAP chunks: ``explain_workers``, or one per usable core if 0."""
        if self.explain_workers:
            return self.explain_workers
        if hasattr(os, "sched_getaffinity"):  # the cores this process may run on (Linux)
            return len(os.sched_getaffinity(0))
        return os.cpu_count() or 1


def default_scoring_config_path() -> Path:
    return locate(Declared.SCORING)


def load_scoring_config(path: Path | None = None) -> ScoringConfig:
    return ScoringConfig(**read_yaml(path or default_scoring_config_path()))
