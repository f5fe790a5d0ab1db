"""Explanation records built a batch at a time, checked field by field on two rows."""

from __future__ import annotations

import gc

import numpy as np
import pandas as pd
import pytest

from clusterpath.data.policy import load_policy_corpus
from clusterpath.data.reference import load_reference
from clusterpath.explain.batch import _collector_paused, _spread
from clusterpath.explain.drivers import RankedDrivers
from clusterpath.explain.records import (
    RowParts,
    Vocabulary,
    driver_records,
    explanation_records,
)
from clusterpath.features.catalogue import load_catalogue

DRIVER_KEYS = [
    "feature",
    "name_zh",
    "name_en",
    "unit",
    "value",
    "value_zh",
    "value_en",
    "shap",
    "passages",
]


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


def test_driver_records_carry_names_units_and_passages(vocab):
    rows = driver_records(vocab, _ranked())
    assert [[d["feature"] for d in row] for row in rows] == [
        ["rd_intensity", "employment"],
        ["employment"],
    ]
    rd, employment, missing = rows[0][0], rows[0][1], rows[1][0]
    assert list(rd) == DRIVER_KEYS
    assert (rd["name_en"], rd["unit"]) == ("R&D intensity", "ratio")
    assert (rd["value"], rd["value_zh"], rd["value_en"], rd["shap"]) == (
        0.021,
        "2.1 %",
        "2.1 %",
        0.4,
    )
    assert [p["id"] for p in rd["passages"]] == ["1.1.b", "3.2.1", "3.2.5"]
    assert (employment["value_zh"], employment["value_en"]) == ("1,235 人", "1,235 employees")
    assert (missing["value"], missing["value_zh"], missing["value_en"]) == (None, "无数据", "n/a")
    assert missing["shap"] == 0.2


def test_holding_back_records_quote_support_passages(vocab):
    rows = driver_records(vocab, _ranked(), holding_back=True)
    rd, employment = rows[0]
    assert list(employment) == [*DRIVER_KEYS, "support_passages"]
    assert rd["support_passages"] == []
    (support,) = employment["support_passages"]
    assert support["id"] == "3.1.3" and support["text"]


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
    assert first["recommendation"] == {
        "code": "indigenous",
        "name_zh": vocab.path_refs["indigenous"]["name_zh"],
        "name_en": vocab.path_refs["indigenous"]["name_en"],
    }
    assert first["runner_up"]["code"] == "upgrade"
    assert first["probabilities"] == dict.fromkeys(classes, 0.1)
    assert first["prediction_set"] == ["indigenous", "upgrade"]
    assert (first["drivers"], first["holds_back"]) == (drivers, [])
    assert first["policy"] is vocab.policies["indigenous"]
    assert (first["what_would_change"], first["shap_base"]) == (None, -0.5)
    assert (second["recommendation"], second["runner_up"], second["policy"]) == (None,) * 3
    assert second["probabilities"] == dict.fromkeys(classes)
    assert (second["prediction_set"], second["flag"]) == ([], "insufficient_data")
    assert list(second)[-2:] == ["what_would_change", "shap_base"]


def test_spread_puts_explained_rows_in_place():
    assert _spread(["a", "b"], np.array([0, 2]), 3, list) == ["a", [], "b"]
    every = ["a", "b"]
    assert _spread(every, np.array([0, 1]), 2, list) is every


def test_collector_is_paused_only_inside():
    with _collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
