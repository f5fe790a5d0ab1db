"""Explanation records built a batch at a time, checked field by field on two rows."""

from __future__ import annotations

import gc

import numpy as np
import pandas as pd
import pytest

from clusterpath.data.policy import load_policy_corpus
from clusterpath.data.reference import load_reference
from clusterpath.explain.batch import _collector_paused, spread
from clusterpath.explain.drivers import RankedDrivers
from clusterpath.explain.records import (
    RowParts,
    Vocabulary,
    driver_records,
    explanation_records,
    json_numbers,
)
from clusterpath.features.catalogue import load_catalogue

DRIVER_KEYS = ["feature", "value", "value_zh", "value_en", "shap"]


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return Vocabulary(load_catalogue(), load_policy_corpus(), load_reference(), ("3.1.3",))


def _ranked() -> RankedDrivers:
    # row 0 lists both drivers, row 1 only its first (the second has the wrong sign)
    return RankedDrivers(
        feature=np.array([[0, 1], [1, 0]]),
        value=np.array([[0.021, 1234.6], [np.nan, 0.5]]),
        shap=np.array([[0.4, 0.1], [0.2, -0.3]]),
        listed=np.array([[True, True], [True, False]]),
        feature_ids=("rd_intensity", "employment"),
    )


def test_driver_records_carry_ids_and_formatted_values(vocab):
    rows = driver_records(vocab, _ranked())
    assert [[d["feature"] for d in row] for row in rows] == [
        ["rd_intensity", "employment"],
        ["employment"],
    ]
    rd, employment, missing = rows[0][0], rows[0][1], rows[1][0]
    assert list(rd) == DRIVER_KEYS
    assert (rd["value"], rd["value_zh"], rd["value_en"], rd["shap"]) == (
        0.021,
        "2.1 %",
        "2.1 %",
        0.4,
    )
    assert (employment["value"], employment["value_zh"]) == (1234.6, "1,235 人")
    assert employment["value_en"] == "1,235 employees"
    assert (missing["value"], missing["value_zh"], missing["value_en"]) == (None, "无数据", "n/a")
    assert missing["shap"] == 0.2


def test_declarations_hold_names_units_and_passages_once(vocab):
    classes = vocab.reference.path_codes
    declared = vocab.declarations(classes)
    assert [p["code"] for p in declared["paths"]] == list(classes)
    indigenous = declared["paths"][classes.index("indigenous")]
    assert indigenous["policy"] == vocab.corpus.for_path("indigenous").id
    rd, employment = declared["indicators"]["rd_intensity"], declared["indicators"]["employment"]
    assert (rd["name_en"], rd["unit"], rd["display"]) == ("R&D intensity", "ratio", "percent")
    assert rd["passages"] == ["1.1.b", "3.2.1", "3.2.5"] and rd["support_passages"] == []
    assert employment["support_passages"] == ["3.1.3"]
    support = declared["passages"]["3.1.3"]
    assert support["id"] == "3.1.3" and support["text"] == vocab.corpus.get("3.1.3").text


def test_numbers_keep_six_significant_digits():
    values = np.array([0.907167370984777, -2.9314451929228706, 123456789.0, 0.0, np.nan])
    assert json_numbers(values) == [0.907167, -2.93145, 123457000.0, 0.0, None]


def test_explanation_records_read_the_scores_table(vocab):
    classes = vocab.reference.path_codes
    scores = pd.DataFrame(
        {
            "cluster_id": ["C1", "C2"],
            "year": [2020, 2021],
            "cluster_name": ["甲", None],
            "path": ["indigenous", ""],
            "runner_up": ["upgrade", ""],
            **{f"p_{c}": [0.1, np.nan] for c in classes},
            "prediction_set": ["indigenous|upgrade", ""],
            "confidence": ["medium", "none"],
            "flag": ["", "insufficient_data"],
            "flag_reason": ["", "4 enterprises (at least 10 needed)"],
        }
    )
    drivers = [{"feature": "rd_intensity"}]
    parts = RowParts([drivers, []], [[], []], [None, None], [-0.5, None])
    first, second = explanation_records(vocab, scores, classes, parts)
    assert first["cluster_id"] == "C1" and type(first["year"]) is int
    assert (first["cluster_name"], first["province"], first["domain"]) == ("甲", None, None)
    assert (first["recommendation"], first["runner_up"]) == ("indigenous", "upgrade")
    assert first["probabilities"] == [0.1] * len(classes)
    assert first["prediction_set"] == ["indigenous", "upgrade"]
    assert (first["drivers"], first["holds_back"]) == (drivers, [])
    assert (first["what_would_change"], first["shap_base"]) == (None, -0.5)
    assert (second["recommendation"], second["runner_up"]) == (None, None)
    assert second["probabilities"] == [None] * len(classes)
    assert (second["prediction_set"], second["flag"]) == ([], "insufficient_data")
    assert list(second)[-2:] == ["what_would_change", "shap_base"]


def test_spread_puts_explained_rows_in_place():
    assert spread(["a", "b"], np.array([0, 2]), 3, list) == ["a", [], "b"]
    every = ["a", "b"]
    assert spread(every, np.array([0, 1]), 2, list) is every


def test_collector_is_paused_only_inside():
    with _collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
