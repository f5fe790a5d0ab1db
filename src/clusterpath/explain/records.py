"""Explanations as plain records, ready for reports: every claim with its number and passage.

One record per cluster-year: the recommendation and its policy passage (三(二)1-5, quoted),
the drivers with their values (in their own units) and the passages they bear on, what holds
the cluster back (linked to the talent and finance passages of 三(一) where the indicator
speaks to them), and the nearest change that would make the runner-up the recommendation.
"""

from __future__ import annotations

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
from clusterpath.features.catalogue import Catalogue, Indicator
from clusterpath.models.conformal import SET_SEPARATOR


@dataclass(frozen=True)
class Vocabulary:
    """The data an explanation is written from: catalogue, paper and reference tables."""

    catalogue: Catalogue
    corpus: PolicyCorpus
    reference: Reference
    holds_back_passages: tuple[str, ...]

    @cached_property
    def meta(self) -> dict[str, Indicator]:
        return {ind.id: ind for ind in self.catalogue.indicators}

    def declarations(self, classes: Sequence[str]) -> dict:
        """What every row refers to by id, declared once at the top of the document: the
        paths (in the order of each row's probabilities) with their policy passage, the
        indicators with names, unit and passages, and the passages quoted in full."""
        paths = {path.code: path for path in self.reference.paths}
        policy = {code: self.corpus.for_path(code).id for code in classes}
        cited = {pid for ind in self.catalogue.indicators for pid in ind.passages}
        cited |= set(policy.values())
        return {
            "paths": [
                {
                    "code": code,
                    "name_zh": paths[code].name_zh,
                    "name_en": paths[code].name_en,
                    "policy": policy[code],
                }
                for code in classes
            ],
            "indicators": {
                ind.id: {
                    "name_zh": ind.name_zh,
                    "name_en": ind.name_en,
                    "unit": ind.unit,
                    "display": ind.display,
                    "passages": list(ind.passages),
                    "support_passages": [p for p in ind.passages if p in self.holds_back_passages],
                }
                for ind in self.catalogue.indicators
            },
            "passages": {
                pid: passage_ref(self.corpus.get(pid), with_text=True)
                for pid in self.corpus.ids
                if pid in cited
            },
        }


SIGNIFICANT_DIGITS = 6


def _number(value: float | None) -> float | None:
    return json_numbers(np.array([np.nan if value is None else value], dtype=float))[0]


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


def json_numbers(values: np.ndarray) -> list[float | None]:
    """Floats to ``SIGNIFICANT_DIGITS`` significant digits as Python numbers, ``None`` where
    not finite (JSON has no NaN). Full precision stays in the parquet outputs; six digits
    keep every figure a reader sees and halve the bytes of each number in the JSON."""
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values) & (values != 0)
    magnitude = np.floor(np.log10(np.abs(values, where=finite, out=np.ones_like(values))))
    scale = 10.0 ** (SIGNIFICANT_DIGITS - 1 - magnitude)
    rounded = np.where(finite, np.round(values * scale) / scale, values)
    return np.where(np.isfinite(values), rounded, None).tolist()


def _formatted(
    vocab: Vocabulary, feature_ids: Sequence[str], feature: np.ndarray, value: np.ndarray
) -> tuple[list[str], list[str]]:
    """Chinese and English text of each value, formatted one indicator at a time."""
    zh, en = np.empty(len(feature), dtype=object), np.empty(len(feature), dtype=object)
    for j in np.unique(feature).tolist():
        at = np.flatnonzero(feature == j)
        indicator = vocab.meta[feature_ids[j]]
        zh[at], en[at] = format_values(value[at].tolist(), indicator)
    return zh.tolist(), en.tolist()


def driver_records(vocab: Vocabulary, ranked: RankedDrivers) -> list[list[dict]]:
    """Per row, its drivers: indicator id, value (raw and formatted) and SHAP.

    Names, unit and passages are declared once per document (``Vocabulary.declarations``);
    values are formatted one indicator at a time for all rows of the batch.
    """
    feature, value, shap, counts = ranked.flat()
    value_zh, value_en = _formatted(vocab, ranked.feature_ids, feature, value)
    ids = ranked.feature_ids
    records = [
        {"feature": ids[j], "value": number, "value_zh": zh, "value_en": en, "shap": contribution}
        for j, number, zh, en, contribution in zip(
            feature.tolist(),
            json_numbers(value),
            value_zh,
            value_en,
            json_numbers(shap),
            strict=True,
        )
    ]
    return split_rows(records, counts)


def what_if_record(vocab: Vocabulary, what_if: WhatIf | None) -> dict | None:
    if what_if is None:
        return None
    changes = []
    for change in what_if.changes:
        ind = vocab.meta[change.feature]
        changes.append(
            {
                "feature": change.feature,
                "from": _number(change.before),
                "to": _number(change.after),
                "text_zh": describe_change(ind, change.before, change.after, "zh"),
                "text_en": describe_change(ind, change.before, change.after, "en"),
            }
        )
    return {
        "target": what_if.target,
        "changes": changes,
        "target_probability": _number(what_if.target_probability),
        "distance": _number(what_if.distance),
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


def _probabilities(scores: pd.DataFrame, classes: Sequence[str]) -> list[list[float | None]]:
    """Per row, the probability of each path in ``classes`` order (the document's paths)."""
    columns = [json_numbers(scores[f"p_{c}"].to_numpy(float)) for c in classes]
    return [list(row) for row in zip(*columns, strict=True)]


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
            "recommendation": path or None,
            "runner_up": runner_up or None,
            "probabilities": probabilities,
            "prediction_set": prediction_set,
            "confidence": confidence,
            "flag": flag,
            "flag_reason": flag_reason,
            "drivers": drivers,
            "holds_back": holds_back,
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
