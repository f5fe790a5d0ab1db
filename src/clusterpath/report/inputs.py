"""Read the outputs of ``clusterpath score`` that a report is built from.

The files are read as they are and never changed: the report only re-presents what
scoring wrote, so a number on a page can always be traced to a row of the scores folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from clusterpath.data.errors import ContractError, Problem

SCORES = "scores.parquet"
EXPLANATIONS = "explanations.parquet"
DOCUMENT = "explanations.json"
MONITORING = "monitoring.json"  # optional: folders scored before monitoring lack it
Key = tuple[str, int]


@dataclass(frozen=True)
class ScoreOutputs:
    """Scores (one row per cluster-year), the long SHAP table and the explanation document."""

    scores: pd.DataFrame
    explanations: pd.DataFrame
    document: dict
    monitoring: dict | None = None

    @cached_property
    def records(self) -> dict[Key, dict]:
        """Explanation record of each cluster-year, its references resolved."""
        resolve = Resolver(self.document)
        return {
            (r["cluster_id"], int(r["year"])): resolve.record(r)
            for r in self.document["cluster_years"]
        }

    @cached_property
    def recommended(self) -> pd.DataFrame:
        """Indicator values and SHAP of each row's recommended path, indexed by key."""
        frame = self.explanations[self.explanations["role"] == "recommended"]
        return frame.set_index(["cluster_id", "year"]).sort_index()

    @property
    def model(self) -> dict:
        return self.document["model"]


class Resolver:
    """Rows of the explanations file refer to paths, indicators and passages by id; this
    puts the declared names, units and passage texts back in place for the pages."""

    def __init__(self, document: dict):
        self.paths = {p["code"]: p for p in document["paths"]}
        self.classes = [p["code"] for p in document["paths"]]
        self.indicators = document["indicators"]
        self.passages = document["passages"]

    def path(self, code: str | None) -> dict | None:
        if code is None:
            return None
        path = self.paths[code]
        return {"code": code, "name_zh": path["name_zh"], "name_en": path["name_en"]}

    def _quotes(self, ids: list[str]) -> list[dict]:
        return [self.passages[pid] for pid in ids]

    def driver(self, driver: dict, holding_back: bool) -> dict:
        indicator = self.indicators[driver["feature"]]
        out = {
            "feature": driver["feature"],
            "name_zh": indicator["name_zh"],
            "name_en": indicator["name_en"],
            "unit": indicator["unit"],
            **{k: driver[k] for k in ("value", "value_zh", "value_en", "shap")},
            "passages": self._quotes(indicator["passages"]),
        }
        if holding_back:
            out["support_passages"] = self._quotes(indicator["support_passages"])
        return out

    def record(self, row: dict) -> dict:
        code, found = row["recommendation"], row["what_would_change"]
        policy = self.passages[self.paths[code]["policy"]] if code else None
        return {
            **row,
            "recommendation": self.path(code),
            "runner_up": self.path(row["runner_up"]),
            "probabilities": dict(zip(self.classes, row["probabilities"], strict=True)),
            "drivers": [self.driver(d, False) for d in row["drivers"]],
            "holds_back": [self.driver(d, True) for d in row["holds_back"]],
            "policy": policy,
            "what_would_change": {**found, "target": self.path(found["target"])}
            if found
            else None,
        }


def read_scores_dir(folder: Path) -> ScoreOutputs:
    """Read a scores folder; a missing file is bad input (exit 2), listed by name."""
    folder = Path(folder)
    missing = [name for name in (SCORES, EXPLANATIONS, DOCUMENT) if not (folder / name).is_file()]
    if missing:
        raise ContractError(
            [
                Problem(str(folder / n), "missing; give a folder written by `clusterpath score`")
                for n in missing
            ]
        )
    scores = _plain(pd.read_parquet(folder / SCORES))
    explanations = _plain(pd.read_parquet(folder / EXPLANATIONS))
    document = json.loads((folder / DOCUMENT).read_text(encoding="utf-8"))
    health = folder / MONITORING
    monitoring = json.loads(health.read_text(encoding="utf-8")) if health.is_file() else None
    return ScoreOutputs(scores, explanations, document, monitoring)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as plain values and years as int, so keys compare as in the JSON.

    Parquet may hand ids back as categoricals; grouping on those yields every combination of
    categories, and a cluster-year that was never scored would turn up as a peer.
    """
    categorical = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
    frame[categorical] = frame[categorical].astype(object)
    frame["year"] = frame["year"].astype(int)
    return frame
