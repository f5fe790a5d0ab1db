"""Typed, frozen configuration for training (models/lightgbm.yaml, models/rules.yaml)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from clusterpath.data.contract import LABEL_SOURCES
from clusterpath.resources import Declared, locate, read_yaml


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LightGBMConfig(_Frozen):
    """Hyper-parameters of the gradient-boosted classifier."""

    n_estimators: int = Field(gt=0)
    learning_rate: float = Field(gt=0, le=1)
    num_leaves: int = Field(ge=2)
    min_child_samples: int = Field(ge=1)
    class_weight: Literal["balanced"] | None = None
    colsample_bytree: float = Field(default=1.0, gt=0, le=1)
    reg_lambda: float = Field(default=0.0, ge=0)
    extra_trees: bool = False
    early_stopping_rounds: int | None = Field(default=None, gt=0)
    early_stopping_share: float = Field(default=0.2, gt=0, lt=1)
    n_jobs: int = 2


class EvaluationConfig(_Frozen):
    cv_folds: int = Field(ge=2)
    holdout_share: float = Field(gt=0, lt=1)
    shift_min_clusters: int = Field(default=5, ge=1)
    min_training_clusters: int = Field(default=150, ge=1)
    min_worlds: int = Field(default=4, ge=1)
    evaluation_sources: tuple[str, ...] = ("expert", "simulated")

    @field_validator("evaluation_sources")
    @classmethod
    def _known_sources(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = set(value) - set(LABEL_SOURCES)
        if unknown:
            raise ValueError(f"unknown label sources {sorted(unknown)}")
        return value


class CalibrationConfig(_Frozen):
    method: Literal["sigmoid", "isotonic", "temperature"]
    ece_threshold: float = Field(ge=0, le=1)
    ece_bins: int = Field(default=10, ge=2)


class ConformalConfig(_Frozen):
    coverage: float = Field(gt=0, lt=1)
    method: Literal["lac", "aps"] = "lac"
    scheme: Literal["cross", "split"] = "cross"
    calibration_share: float = Field(default=0.25, gt=0, lt=1)


class TrustConfig(_Frozen):
    """Where a row counts as far from the training data (see ``models/support.py``)."""

    distance_quantile: float = Field(default=0.975, gt=0, lt=1)
    importance_share: float = Field(default=0.8, gt=0, le=1)


class TuningSpace(_Frozen):
    """Closed ranges searched by ``--tune``."""

    learning_rate: tuple[float, float]
    num_leaves: tuple[int, int]
    min_child_samples: tuple[int, int]
    colsample_bytree: tuple[float, float]
    reg_lambda: tuple[float, float]


class ModelConfig(_Frozen):
    """Everything ``clusterpath train`` needs besides the data."""

    version: str
    lightgbm: LightGBMConfig
    random_state: int
    evaluation: EvaluationConfig
    calibration: CalibrationConfig
    conformal: ConformalConfig
    trust: TrustConfig = TrustConfig()
    label_weights: dict[str, float]
    tuning: TuningSpace
    # indicator id -> why the classifier does not read it (its level reads the source)
    excluded_indicators: dict[str, str] = Field(default_factory=dict)

    def model_features(self, indicator_ids: Sequence[str]) -> tuple[str, ...]:
        """The catalogue's indicators the classifier reads, in catalogue order."""
        unknown = sorted(set(self.excluded_indicators) - set(indicator_ids))
        if unknown:
            raise ValueError(f"excluded_indicators: not in the catalogue {unknown}")
        return tuple(i for i in indicator_ids if i not in self.excluded_indicators)

    @field_validator("label_weights")
    @classmethod
    def _weights(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = set(value) - set(LABEL_SOURCES)
        if unknown:
            raise ValueError(f"label_weights: unknown sources {sorted(unknown)}")
        if any(w < 0 for w in value.values()):
            raise ValueError("label_weights must not be negative")
        return value

    def with_lightgbm(self, **changes: object) -> ModelConfig:
        """A copy with some LightGBM hyper-parameters replaced (validated again)."""
        merged = {**self.lightgbm.model_dump(), **changes}
        return self.model_copy(update={"lightgbm": LightGBMConfig(**merged)})

    def with_label_weights(self, weights: Mapping[str, float]) -> ModelConfig:
        merged = {**self.label_weights, **weights}
        return ModelConfig(**{**self.model_dump(), "label_weights": merged})


class Criterion(_Frozen):
    """One reading of the paper: an indicator above or below a threshold."""

    indicator: str
    direction: Literal["above", "below"]
    threshold: float
    scale: float = Field(gt=0)
    weight: float = Field(gt=0)


class RulesConfig(_Frozen):
    """Thresholds of the transparent rule baseline, one criterion list per path."""

    version: str
    temperature: float = Field(gt=0)
    paths: dict[str, tuple[Criterion, ...]]

    @model_validator(mode="after")
    def _non_empty(self) -> RulesConfig:
        empty = [code for code, criteria in self.paths.items() if not criteria]
        if empty:
            raise ValueError(f"rules: paths without criteria {empty}")
        return self

    def indicators(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for criteria in self.paths.values():
            for c in criteria:
                seen.setdefault(c.indicator, None)
        return tuple(seen)


def default_model_config_path() -> Path:
    return locate(Declared.MODEL_CONFIG)


def default_rules_path() -> Path:
    return locate(Declared.RULES)


def load_model_config(path: Path | None = None) -> ModelConfig:
    """Read and check the training configuration."""
    return ModelConfig(**read_yaml(path or default_model_config_path()))


def load_rules(
    path: Path | None = None,
    path_codes: tuple[str, ...] | None = None,
    indicator_ids: tuple[str, ...] | None = None,
) -> RulesConfig:
    """Read the rule thresholds; check paths and indicators against the reference tables."""
    rules = RulesConfig(**read_yaml(path or default_rules_path()))
    if path_codes is not None and set(rules.paths) != set(path_codes):
        raise ValueError(
            f"rules.yaml must give criteria for exactly the paths {list(path_codes)}; "
            f"got {sorted(rules.paths)}"
        )
    if indicator_ids is not None:
        unknown = [i for i in rules.indicators() if i not in indicator_ids]
        if unknown:
            raise ValueError(f"rules.yaml names unknown indicators {unknown}")
    return rules


def parse_label_weights(text: str) -> dict[str, float]:
    """Parse ``expert=1,rules=0.3,simulated=1`` into a mapping (checked by ModelConfig)."""
    weights: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"label weight {part!r} is not SOURCE=WEIGHT")
        try:
            weights[key.strip()] = float(value)
        except ValueError:
            raise ValueError(f"label weight {part!r}: {value!r} is not a number") from None
    return weights
