"""Serving over REST: ``mlflow models serve`` answers a real request like the local model.

The registered champion is served from a temporary SQLite store by ``mlflow models serve
--env-manager local`` on a free loopback port, in its own process group (it starts a uvicorn
child), and stopped as a group afterwards.
"""

from __future__ import annotations

import json
import os
import urllib.request

import pandas as pd
import pytest

from clusterpath.data.reference import load_reference
from clusterpath.features.catalogue import load_catalogue
from tests.model_store import assert_same_predictions
from tests.processes import VENV_BIN, free_port, running_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy"),
]


@pytest.fixture(scope="module")
def model_server(stored_model, tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("model-server")
    port = free_port()
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": stored_model.tracking_uri,
        "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
        # The local env manager runs ``uvicorn`` by name: it must be this environment's.
        "PATH": os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")]),
    }
    command = [
        str(VENV_BIN / "mlflow"),
        "models",
        "serve",
        "-m",
        stored_model.registered_uri,
        "--env-manager",
        "local",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    url = f"http://127.0.0.1:{port}"
    with running_server(command, f"{url}/ping", folder / "serve.log", env, timeout=180):
        yield url


def _split_request(frame: pd.DataFrame) -> bytes:
    """``dataframe_split`` JSON with undefined indicators as ``null`` (JSON has no NaN)."""
    ids = list(load_catalogue().ids)
    data = [[None if pd.isna(v) else float(v) for v in row] for row in frame[ids].to_numpy()]
    body = {"dataframe_split": {"columns": ids, "data": data}}
    return json.dumps(body, allow_nan=False).encode("utf-8")


def test_served_model_answers_like_the_local_model(
    model_server, gappy_features, local_predictions
):
    request = urllib.request.Request(
        f"{model_server}/invocations",
        data=_split_request(gappy_features),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as reply:
        assert reply.status == 200
        answer = json.loads(reply.read())
    got = pd.DataFrame(answer["predictions"])
    codes = load_reference().path_codes
    assert list(got.columns) == ["path", *(f"p_{c}" for c in codes), "prediction_set"]
    assert len(got) == len(gappy_features)
    assert_same_predictions(got, local_predictions, codes)
