"""The served model's answer: each row as the scores table has it, with its drivers.

``batch.answer_rows`` computes it, the same function ``clusterpath score`` uses, so a row
sent over REST gets the path, probabilities, set, confidence and trust flag of the scores
table. The drivers carry the ids of the paper's passages they bear on, since a caller has no
explanations document in which to look them up. Everything the answer is written from (the
indicator catalogue, the paper, the reference tables and the scoring settings) is logged with
the model as one JSON artifact, so a served model answers by the declarations it was logged
with, wherever it runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clusterpath.data.policy import PolicyCorpus, load_policy_corpus
from clusterpath.data.reference import Reference, load_reference
from clusterpath.explain.batch import answer_rows, spread
from clusterpath.explain.records import Vocabulary
from clusterpath.explain.settings import ScoringConfig, load_scoring_config
from clusterpath.features.catalogue import Catalogue, load_catalogue
from clusterpath.models.path_model import PathModel, probability_column

ANSWER_TAIL = ("prediction_set", "confidence", "flag", "flag_reason", "drivers")


def answer_columns(classes) -> list[str]:
    """``path``, one ``p_<code>`` per path, then the set, confidence, flag and drivers."""
    return ["path", *(probability_column(c) for c in classes), *ANSWER_TAIL]


def declarations() -> dict:
    """The declared data a served model answers by, as plain JSON-ready values."""
    return {
        "catalogue": load_catalogue().model_dump(mode="json"),
        "policy": load_policy_corpus().model_dump(mode="json"),
        "reference": load_reference().model_dump(mode="json"),
        "scoring": load_scoring_config().model_dump(mode="json"),
    }


def read_declarations(data: dict) -> tuple[Vocabulary, ScoringConfig]:
    config = ScoringConfig.model_validate(data["scoring"])
    vocab = Vocabulary(
        Catalogue.model_validate(data["catalogue"]),
        PolicyCorpus.model_validate(data["policy"]),
        Reference.model_validate(data["reference"]),
        config.holds_back_passages,
    )
    return vocab, config


def _nullable(values: np.ndarray) -> list[float | None]:
    """Floats at full precision, None where undefined (JSON has no NaN)."""
    return [None if np.isnan(v) else v for v in values.tolist()]


def served_answers(
    X: pd.DataFrame,
    model: PathModel,
    vocab: Vocabulary,
    config: ScoringConfig,
    explain: bool = True,
) -> pd.DataFrame:
    """One answer per row of the indicator table ``X`` (``drivers`` None if not ``explain``)."""
    answers = answer_rows(X, model, vocab, config, explain)
    out = pd.DataFrame({"path": answers.pred["path"].to_numpy(object)})
    for code in model.classes:
        column = probability_column(code)
        out[column] = pd.Series(_nullable(answers.pred[column].to_numpy(float)), dtype=object)
    out["prediction_set"] = answers.pred["prediction_set"].to_numpy(object)
    out["confidence"] = answers.confidence
    out["flag"] = answers.flags["flag"].to_numpy(object)
    out["flag_reason"] = answers.flags["flag_reason"].to_numpy(object)
    if answers.drivers is None:
        out["drivers"] = None
        return out
    passages = {ind.id: list(ind.passages) for ind in vocab.catalogue.indicators}
    drivers = [
        [{**d, "passages": passages[d["feature"]]} for d in row] for row in answers.drivers.pro
    ]
    out["drivers"] = spread(drivers, answers.ok, len(out), list)
    return out
