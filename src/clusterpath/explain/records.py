"""Explanations as plain records, ready for reports: every claim with its number and passage.

One record per cluster-year: the recommendation and its policy passage (三(二)1-5, quoted),
the drivers with their values (in their own units) and the passages they bear on, what holds
the cluster back (linked to the talent and finance passages of 三(一) where the indicator
speaks to them), and the nearest change that would make the runner-up the recommendation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from clusterpath.data.policy import Passage, PolicyCorpus
from clusterpath.data.reference import Reference
from clusterpath.explain.counterfactual import WhatIf
from clusterpath.explain.drivers import Driver
from clusterpath.explain.units import describe_change, format_value
from clusterpath.features.catalogue import Catalogue
from clusterpath.models.conformal import SET_SEPARATOR


@dataclass(frozen=True)
class Vocabulary:
    """The data an explanation is written from: catalogue, paper and reference tables."""

    catalogue: Catalogue
    corpus: PolicyCorpus
    reference: Reference
    holds_back_passages: tuple[str, ...]

    @cached_property
    def indicators(self) -> dict[str, dict]:
        """Per indicator, the part of a driver record that never changes (built once)."""
        return {
            ind.id: {
                "feature": ind.id,
                "name_zh": ind.name_zh,
                "name_en": ind.name_en,
                "unit": ind.unit,
                "passages": [passage_ref(self.corpus.get(p)) for p in ind.passages],
                "support": [
                    passage_ref(self.corpus.get(p), with_text=True)
                    for p in ind.passages
                    if p in self.holds_back_passages
                ],
                "meta": ind,
            }
            for ind in self.catalogue.indicators
        }

    @cached_property
    def policies(self) -> dict[str, dict]:
        return {
            p.code: passage_ref(self.corpus.for_path(p.code), with_text=True)
            for p in self.reference.paths
        }

    @cached_property
    def path_refs(self) -> dict[str, dict]:
        return {
            p.code: {"code": p.code, "name_zh": p.name_zh, "name_en": p.name_en}
            for p in self.reference.paths
        }


def _number(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def passage_ref(passage: Passage, with_text: bool = False) -> dict:
    ref = {
        "id": passage.id,
        "section": passage.section,
        "title_zh": passage.title_zh,
        "title_en": passage.title_en,
    }
    if with_text:
        ref |= {"text": passage.text, "summary_en": passage.summary_en}
    return ref


def path_ref(vocab: Vocabulary, code: str | None) -> dict | None:
    return None if code is None else dict(vocab.path_refs[code])


def driver_record(vocab: Vocabulary, driver: Driver, holding_back: bool = False) -> dict:
    """A driver with its names, unit, formatted value and the passages it bears on."""
    static = vocab.indicators[driver.feature]
    ind = static["meta"]
    record = {
        "feature": driver.feature,
        "name_zh": ind.name_zh,
        "name_en": ind.name_en,
        "unit": ind.unit,
        "value": _number(driver.value),
        "value_zh": format_value(driver.value, ind, "zh"),
        "value_en": format_value(driver.value, ind, "en"),
        "shap": driver.shap,
        "passages": static["passages"],
    }
    if holding_back:
        record["support_passages"] = static["support"]
    return record


def what_if_record(vocab: Vocabulary, what_if: WhatIf | None) -> dict | None:
    if what_if is None:
        return None
    changes = []
    for change in what_if.changes:
        ind = vocab.indicators[change.feature]["meta"]
        changes.append(
            {
                "feature": change.feature,
                "from": _number(change.before),
                "to": change.after,
                "text_zh": describe_change(ind, change.before, change.after, "zh"),
                "text_en": describe_change(ind, change.before, change.after, "en"),
            }
        )
    return {
        "target": path_ref(vocab, what_if.target),
        "changes": changes,
        "target_probability": what_if.target_probability,
        "distance": what_if.distance,
    }


def explanation_record(
    vocab: Vocabulary,
    row: dict,
    classes: Sequence[str],
    drivers: list[Driver],
    holds_back: list[Driver],
    what_if: WhatIf | None,
) -> dict:
    """The whole explanation of one scored row (``row`` is one record of the scores table)."""
    path = row["path"] or None
    return {
        "cluster_id": row["cluster_id"],
        "year": int(row["year"]),
        "cluster_name": row.get("cluster_name"),
        "province": row.get("province"),
        "domain": row.get("domain"),
        "recommendation": path_ref(vocab, path),
        "runner_up": path_ref(vocab, row["runner_up"] or None),
        "probabilities": {c: _number(row[f"p_{c}"]) for c in classes},
        "prediction_set": [p for p in str(row["prediction_set"] or "").split(SET_SEPARATOR) if p],
        "confidence": row["confidence"],
        "flag": row["flag"],
        "flag_reason": row["flag_reason"],
        "drivers": [driver_record(vocab, d) for d in drivers],
        "holds_back": [driver_record(vocab, d, holding_back=True) for d in holds_back],
        "policy": vocab.policies[path] if path else None,
        "what_would_change": what_if_record(vocab, what_if),
    }
