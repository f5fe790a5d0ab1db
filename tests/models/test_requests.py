"""What the served model refuses, and how it says so: one line naming the column and rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE, ErrorCode

from clusterpath.models.requests import RequestRefused, request_frame

IDS = ("rd_intensity", "n_enterprises", "entry_rate")


def _refusal(model_input) -> RequestRefused:
    with pytest.raises(RequestRefused) as caught:
        request_frame(model_input, IDS)
    return caught.value


def test_a_good_request_becomes_the_indicator_table_in_order():
    sent = pd.DataFrame(
        {"cluster_id": ["A", "B"], "entry_rate": [0.1, None], "rd_intensity": [1, 2]}
    )
    got = request_frame(sent, IDS)
    assert list(got.columns) == list(IDS)
    assert got.dtypes.eq("float64").all()
    assert got["rd_intensity"].tolist() == [1.0, 2.0]
    assert np.isnan(got["n_enterprises"]).all() and np.isnan(got.loc[1, "entry_rate"])


def test_unknown_columns_are_named():
    refusal = _refusal(pd.DataFrame({"rd_intensity": [0.1], "bogus": [1], "other": [2]}))
    assert refusal.message == "unknown columns bogus, other (not among the model's 3 indicators)"
    assert refusal.get_http_status_code() == 400
    assert refusal.error_code == ErrorCode.Name(INVALID_PARAMETER_VALUE)


def test_non_numeric_values_are_named_with_their_rows_counted_from_one():
    values = [0.1, "high", 0.2, "x", "y", "z", "w", "v", True]
    refusal = _refusal(pd.DataFrame({"rd_intensity": values}))
    assert refusal.message == (
        "column rd_intensity: non-numeric value 'high' in rows 2, 4, 5, 6, 7 and 2 more "
        "(send a number, or null when undefined)"
    )
    flags = _refusal(pd.DataFrame({"entry_rate": [True, False]}))
    assert flags.message.startswith("column entry_rate: non-numeric value True in rows 1, 2")


def test_a_column_sent_twice_is_named():
    twice = pd.DataFrame(
        [[0.1, 0.2, 30]], columns=["rd_intensity", "rd_intensity", "n_enterprises"]
    )
    assert _refusal(twice).message == "column rd_intensity sent more than once"


def test_empty_and_shapeless_requests_are_refused():
    assert _refusal(pd.DataFrame()).message == "empty request: no rows to score"
    assert _refusal(pd.DataFrame(columns=list(IDS))).message == "empty request: no rows to score"
    assert "named columns" in _refusal(np.zeros((2, 3))).message


def test_the_message_resists_being_rewritten():
    """MLflow's scoring server prefixes the message with a dump of the request data."""
    refusal = RequestRefused("empty request: no rows to score")
    refusal.message = f"Failed to predict data '...'. \nError: {refusal.message}"
    assert refusal.message == "empty request: no rows to score"
    assert '"message": "empty request: no rows to score"' in refusal.serialize_as_json()
