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

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from clusterpath.data.policy import Passage, PolicyCorpus
from clusterpath.data.reference import Reference
from clusterpath.explain.counterfactual import WhatIf
from clusterpath.explain.drivers import RankedDrivers, split_rows
from clusterpath.explain.units import describe_change, format_values
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


def _numbers(values: np.ndarray) -> list[float | None]:
    """Floats as Python numbers, ``None`` where not finite (JSON has no NaN)."""
    return np.where(np.isfinite(values), values, None).tolist()


def _formatted(
    vocab: Vocabulary, feature_ids: Sequence[str], feature: np.ndarray, value: np.ndarray
) -> tuple[list[str], list[str]]:
    """Chinese and English text of each value, formatted one indicator at a time."""
    zh, en = np.empty(len(feature), dtype=object), np.empty(len(feature), dtype=object)
    for j in np.unique(feature).tolist():
        at = np.flatnonzero(feature == j)
        indicator = vocab.indicators[feature_ids[j]]["meta"]
        zh[at], en[at] = format_values(value[at].tolist(), indicator)
    return zh.tolist(), en.tolist()


def _driver_template(vocab: Vocabulary, feature: str, holding_back: bool) -> dict:
    """A driver record of ``feature`` with the per-row fields left blank, keys in order."""
    static = vocab.indicators[feature]
    template = {
        "feature": feature,
        "name_zh": static["name_zh"],
        "name_en": static["name_en"],
        "unit": static["unit"],
        "value": None,
        "value_zh": None,
        "value_en": None,
        "shap": None,
        "passages": static["passages"],
    }
    if holding_back:
        template["support_passages"] = static["support"]
    return template


def driver_records(
    vocab: Vocabulary, ranked: RankedDrivers, holding_back: bool = False
) -> list[list[dict]]:
    """Per row, its drivers with names, unit, formatted value and the passages they bear on.

    A batch lists several drivers for every row, so records are built for all rows at once:
    values are formatted one indicator at a time, and each record is a copy of its
    indicator's template with the four per-row fields filled in.
    """
    feature, value, shap, counts = ranked.flat()
    value_zh, value_en = _formatted(vocab, ranked.feature_ids, feature, value)
    templates = [_driver_template(vocab, f, holding_back) for f in ranked.feature_ids]
    records = []
    for j, number, zh, en, contribution in zip(
        feature.tolist(), _numbers(value), value_zh, value_en, shap.tolist(), strict=True
    ):
        record = templates[j].copy()
        record["value"], record["value_zh"], record["value_en"] = number, zh, en
        record["shap"] = contribution
        records.append(record)
    return split_rows(records, counts)


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


def _column(frame: pd.DataFrame, name: str) -> list:
    """A column as the Python objects ``DataFrame.to_dict`` gives; ``None`` if absent."""
    if name not in frame:
        return [None] * len(frame)
    column = frame[name]
    boxed = column.dtype == object or isinstance(column.dtype, pd.api.extensions.ExtensionDtype)
    if boxed and infer_dtype(column, skipna=True) not in ("string", "empty"):
        return frame[[name]].to_dict("list")[name]
    return column.tolist()


def _prediction_sets(texts: list[str]) -> list[list[str]]:
    """``a|b`` -> ``["a", "b"]``; the few distinct sets of a batch are split once each."""
    split = {text: [p for p in str(text or "").split(SET_SEPARATOR) if p] for text in set(texts)}
    return [list(split[text]) for text in texts]


def _probabilities(scores: pd.DataFrame, classes: Sequence[str]) -> list[dict]:
    columns = [_numbers(scores[f"p_{c}"].to_numpy(float)) for c in classes]
    return [dict(zip(classes, row, strict=True)) for row in zip(*columns, strict=True)]


@dataclass(frozen=True)
class RowParts:
    """Per row of the scores table, the parts of its explanation not in the table itself
    (empty lists and None for rows given no recommendation)."""

    drivers: list[list[dict]]
    holds_back: list[list[dict]]
    what_ifs: list[WhatIf | None]
    shap_base: list[float | None]


def explanation_records(
    vocab: Vocabulary, scores: pd.DataFrame, classes: Sequence[str], parts: RowParts
) -> list[dict]:
    """The whole explanation of every row of the scores table, one record per row.

    Built from the table's columns rather than from one dict per row, which would cost
    more than the explanations themselves on a large batch.
    """
    col = _column
    rows = zip(
        col(scores, "cluster_id"),
        col(scores, "year"),
        col(scores, "cluster_name"),
        col(scores, "province"),
        col(scores, "domain"),
        col(scores, "path"),
        col(scores, "runner_up"),
        _probabilities(scores, classes),
        _prediction_sets(col(scores, "prediction_set")),
        col(scores, "confidence"),
        col(scores, "flag"),
        col(scores, "flag_reason"),
        parts.drivers,
        parts.holds_back,
        parts.what_ifs,
        parts.shap_base,
        strict=True,
    )
    return [
        {
            "cluster_id": cluster_id,
            "year": int(year),
            "cluster_name": name,
            "province": province,
            "domain": domain,
            "recommendation": path_ref(vocab, path or None),
            "runner_up": path_ref(vocab, runner_up or None),
            "probabilities": probabilities,
            "prediction_set": prediction_set,
            "confidence": confidence,
            "flag": flag,
            "flag_reason": flag_reason,
            "drivers": drivers,
            "holds_back": holds_back,
            "policy": vocab.policies[path] if path else None,
            "what_would_change": what_if_record(vocab, what_if),
            "shap_base": shap_base,
        }
        for (
            cluster_id,
            year,
            name,
            province,
            domain,
            path,
            runner_up,
            probabilities,
            prediction_set,
            confidence,
            flag,
            flag_reason,
            drivers,
            holds_back,
            what_if,
            shap_base,
        ) in rows
    ]
