"""Score a table of indicators: paths, probabilities, sets, flags, SHAP drivers, what-ifs.

Pure computation: an indicator table and a loaded model in, three outputs out (the scores
table, the long SHAP table, one explanation record per cluster-year). Rows are sorted by
cluster and year and nothing depends on the clock, so the same inputs give the same rows.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clusterpath.explain.counterfactual import WhatIf, what_would_change
from clusterpath.explain.drivers import LongForm, drivers_text, path_shap, ranked_drivers
from clusterpath.explain.records import (
    RowParts,
    Vocabulary,
    driver_records,
    explanation_records,
    json_numbers,
)
from clusterpath.explain.settings import ScoringConfig
from clusterpath.explain.trust import INSUFFICIENT, LOW_TRUST, too_few_enterprises, trust_flags
from clusterpath.models.conformal import SET_SEPARATOR
from clusterpath.models.contributions import Contributions
from clusterpath.models.path_model import ChunkReading, PathModel, Reading
from clusterpath.models.uncertainty import uncertainty

KEYS = ["cluster_id", "year"]
ROLES = ("recommended", "runner_up")  # the paths the long SHAP table explains, per row
CLUSTER_COLUMNS = ["cluster_name", "province", "domain"]


@dataclass(frozen=True)
class ScoredBatch:
    scores: pd.DataFrame
    explanations: pd.DataFrame
    records: list[dict]


def confidence(pred: pd.DataFrame, flags: pd.DataFrame, config: ScoringConfig) -> np.ndarray:
    """high / medium / low for readers; ``none`` where no recommendation is given."""
    size = pred["set_size"].to_numpy()
    top = pred.filter(regex="^p_").max(axis=1).to_numpy()
    low = (size >= 3) | (flags["flag"].to_numpy() == LOW_TRUST)
    high = (size == 1) & (top >= config.confidence.high_probability) & ~low
    out = np.where(high, "high", np.where(low, "low", "medium")).astype(object)
    out[flags["flag"].to_numpy() == INSUFFICIENT] = "none"
    return out


def _predictions(reading: Reading, proba: np.ndarray, flags: pd.DataFrame) -> pd.DataFrame:
    """Path, probabilities, set and runner-up; blank for rows given no recommendation."""
    pred = uncertainty(reading.sets(proba)).drop(columns=["margin", "entropy"])
    sizes = {s: s.count(SET_SEPARATOR) + 1 for s in pred["prediction_set"].unique()}
    pred["set_size"] = pred["prediction_set"].map(sizes).astype("int64")
    none = (flags["flag"] == INSUFFICIENT).to_numpy()
    pred.loc[none, pred.columns.str.startswith("p_")] = np.nan
    pred.loc[none, ["path", "prediction_set", "runner_up"]] = ""
    pred.loc[none, "set_size"] = 0
    return pred


def _what_ifs(
    reading: Reading,
    X: pd.DataFrame,
    targets: list[str],
    vocab: Vocabulary,
    config,
    search: Callable = what_would_change,
) -> list[WhatIf | None]:
    """The nearest change of every row of ``X`` to its target (``search`` may be another
    implementation of ``what_would_change``, for the benchmark's side-by-side run)."""
    actionable = [i.id for i in vocab.catalogue.indicators if i.actionable]
    integer = [i.id for i in vocab.catalogue.indicators if i.display == "integer"]
    space = reading.what_if_space(actionable, integer, config.trust)
    frame = X.reindex(columns=list(reading.feature_ids))
    return search(reading.predict, frame, targets, reading.classes, space, config)


@dataclass(frozen=True)
class Answers:
    """The answer for each row, as the scores table and the served model both give it.

    ``pred`` holds path, probabilities, prediction set, runner-up and set size (blank where no
    recommendation is given), ``flags`` the trust flag and its reason. ``ok`` are the
    positions of the rows given a recommendation; ``base`` (each path's SHAP base value),
    ``drivers`` and ``long`` (the long SHAP table, when keys were given) cover those rows
    only, and are None when explanations were not asked for.
    """

    pred: pd.DataFrame
    flags: pd.DataFrame
    confidence: np.ndarray
    ok: np.ndarray
    base: np.ndarray | None
    drivers: Drivers | None
    reading: Reading
    long: pd.DataFrame | None = None


def answer_rows(
    X: pd.DataFrame,
    model: PathModel,
    vocab: Vocabulary,
    config: ScoringConfig,
    explain: bool = True,
    keys: pd.DataFrame | None = None,
) -> Answers:
    """Path, probabilities, set, trust flag, confidence and (if ``explain``) SHAP drivers of
    every row of the indicator table ``X``: the one computation behind ``clusterpath score``
    and the served model's answers, so the two cannot disagree. With explanations, the
    probabilities come from the same pass over the trees as the SHAP values, and given the
    rows' cluster-year ``keys`` the long SHAP table is written as each chunk is explained."""
    ok = np.flatnonzero(~too_few_enterprises(X, config))
    base = explained = long = None
    rows, workers = config.explain_chunk_rows, config.workers()
    with model.read(X, ok if explain else None, rows, workers) as reading:
        flags = _trust(X, reading, config)  # while the booster explains the first chunks
        proba = reading.probabilities
        if explain:
            if keys is not None:
                long = LongForm(keys.iloc[ok], reading.classes, reading.feature_ids, list(ROLES))
            proba = np.zeros((len(X), len(reading.classes)))  # rows left out are blanked
            explained, proba[ok], base = _drivers_of_chunks(
                reading.chunks, reading.classes, X.iloc[ok], vocab, config, long
            )
    pred = _predictions(reading, proba, flags)
    level = confidence(pred, flags, config)
    table = None if long is None else long.frame()
    return Answers(pred, flags, level, ok, base, explained, reading, table)


def _trust(X: pd.DataFrame, reading: Reading, config: ScoringConfig) -> pd.DataFrame:
    return trust_flags(
        X, reading.ranges, reading.feature_ids, config, reading.support, reading.distances
    )


def score_table(
    features: pd.DataFrame,
    model: PathModel,
    vocab: Vocabulary,
    config: ScoringConfig,
    what_if: bool = True,
    step: Callable[[str], None] = lambda _stage: None,
) -> ScoredBatch:
    """Everything ``clusterpath score`` writes, for the rows of ``features``."""
    features = features.sort_values(KEYS, kind="stable").reset_index(drop=True)
    X = features.reindex(columns=list(model.feature_ids)).astype("float64")
    answers = answer_rows(X, model, vocab, config, keys=features[KEYS])
    pred, ok, explained, reading = answers.pred, answers.ok, answers.drivers, answers.reading
    step("predict")
    step("shap")
    X_ok = X.iloc[ok]
    position = {c: i for i, c in enumerate(reading.classes)}
    rec = pred["path"].iloc[ok].map(position).to_numpy(int)
    base_rec = answers.base[np.arange(len(rec)), rec]
    targets = list(pred["runner_up"].iloc[ok])
    searched = what_if and len(ok) > 0  # no row to search when all are insufficient_data
    what_ifs = _what_ifs(reading, X_ok, targets, vocab, config) if searched else [None] * len(ok)
    step("what-if")
    with _collector_paused():
        scores = _scores_frame(features, _named(pred, vocab), answers, explained.text)
        parts = RowParts(
            drivers=spread(explained.pro, ok, len(scores), list),
            holds_back=spread(explained.con, ok, len(scores), list),
            what_ifs=spread(what_ifs, ok, len(scores), lambda: None),
            shap_base=spread(json_numbers(base_rec), ok, len(scores), lambda: None),
        )
        records = explanation_records(vocab, scores, reading.classes, parts)
    step("explain")
    return ScoredBatch(scores, answers.long, records)


@dataclass(frozen=True)
class Drivers:
    """Per explained row: its top-drivers cell and its driver records for and against."""

    text: list[str]
    pro: list[list[dict]]
    con: list[list[dict]]


def _drivers(contrib: Contributions, rec: np.ndarray, X, vocab, config) -> Drivers:
    shap_rec = path_shap(contrib, rec)
    ids = contrib.feature_ids
    pro = ranked_drivers(shap_rec, X, ids, config.top_drivers, +1)
    con = ranked_drivers(shap_rec, X, ids, config.holds_back, -1)
    return Drivers(drivers_text(pro), driver_records(vocab, pro), driver_records(vocab, con))


def _drivers_of_chunks(
    chunks: Iterator[ChunkReading],
    classes: tuple[str, ...],
    X: pd.DataFrame,
    vocab: Vocabulary,
    config,
    long: LongForm | None,
) -> tuple[Drivers, np.ndarray, np.ndarray]:
    """Path probabilities, SHAP base values and the drivers of the recommended path of every
    row of ``X``, one chunk of its contributions at a time, as the booster finishes them
    (each chunk's rows of ``long`` too); the booster meanwhile explains the next chunks."""
    text, pro, con = [], [], []
    proba = np.empty((len(X), len(classes)))
    base = np.empty((len(X), len(classes)))
    with _collector_paused():
        for chunk_reading in chunks:
            part = chunk_reading.contributions
            at = slice(len(text), len(text) + len(part.values))
            rows = X.iloc[at]
            proba[at], base[at] = chunk_reading.probabilities, part.base
            ranked = np.argsort(-proba[at], axis=1, kind="stable")  # as ``uncertainty`` ranks
            chunk = _drivers(part, ranked[:, 0], rows, vocab, config)
            if long is not None:
                long.fill(at, part, rows, [ranked[:, 0], ranked[:, 1]])
            text += chunk.text
            pro += chunk.pro
            con += chunk.con
    return Drivers(text, pro, con), proba, base


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while the explanations are built.

    A batch builds a dozen dicts and lists per row, all kept. Every time the number of
    such objects grows by a quarter, the collector scans every object of the process, which
    on a large batch costs more than building them. They form no reference cycles, so the
    scans would free nothing; the collector runs again as usual once the batch is built.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _named(pred: pd.DataFrame, vocab: Vocabulary) -> pd.DataFrame:
    """Add the Chinese and English names of the recommended path beside its code."""
    names = {p.code: p for p in vocab.reference.paths}
    at = pred.columns.get_loc("path") + 1
    pred.insert(at, "path_en", pred["path"].map(lambda c: names[c].name_en if c else ""))
    pred.insert(at, "path_zh", pred["path"].map(lambda c: names[c].name_zh if c else ""))
    return pred


def _scores_frame(features, pred, answers: Answers, texts: list[str]) -> pd.DataFrame:
    scores = pd.concat(
        [features[[c for c in KEYS + CLUSTER_COLUMNS if c in features]], pred, answers.flags],
        axis=1,
    )
    scores["confidence"] = answers.confidence
    top = np.full(len(scores), "", dtype=object)
    top[answers.ok] = texts
    scores["top_drivers"] = top
    return scores


def spread(values: list, ok: np.ndarray, n_rows: int, blank: Callable[[], object]) -> list:
    """Values of the explained rows put at their positions ``ok`` among ``n_rows``; every
    other row gets its own ``blank()``."""
    if len(ok) == n_rows:
        return values
    out = [blank() for _ in range(n_rows)]
    for position, value in zip(ok.tolist(), values, strict=True):
        out[position] = value
    return out
