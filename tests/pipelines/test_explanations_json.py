"""The explanations document as written to disk."""

from __future__ import annotations

import json

import numpy as np

from clusterpath.pipelines.score import explanations_json


def test_chinese_is_written_as_utf8_and_numbers_read_back():
    document = {
        "paper": "战略性新兴产业集群",
        "cluster_years": [{"year": np.int64(2021), "p": np.float64(0.25), "base": None}],
    }
    data = explanations_json(document)
    assert "战略性新兴产业集群".encode() in data  # not \\u-escaped
    assert json.loads(data.decode("utf-8")) == {
        "paper": "战略性新兴产业集群",
        "cluster_years": [{"year": 2021, "p": 0.25, "base": None}],
    }


def test_missing_numbers_never_reach_the_file_as_nan():
    data = explanations_json({"value": float("nan")})
    assert json.loads(data) == {"value": None}
