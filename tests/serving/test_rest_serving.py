"""Serving over REST: ``mlflow models serve`` answers each row as ``clusterpath score`` does.

The registered champion is served from a temporary SQLite store by ``mlflow models serve
--env-manager local`` on a free loopback port, in its own process group (it starts a uvicorn
child), and stopped as a group afterwards. Its answers are compared with the scoring job's
for the same rows; bad requests must get a 400 naming the problem, with no traceback.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

import pandas as pd
import pytest

from clusterpath.data.policy import load_policy_corpus
from clusterpath.data.reference import load_reference
from clusterpath.explain.batch import score_table
from clusterpath.explain.records import Vocabulary
from clusterpath.explain.settings import load_scoring_config
from clusterpath.explain.trust import LOW_TRUST
from clusterpath.features.catalogue import load_catalogue
from clusterpath.models.loading import load_path_model
from clusterpath.serving.answers import answer_columns
from tests.model_store import assert_same_predictions, tracking_to
from tests.processes import VENV_BIN, free_port, running_server
from tests.serving.conftest import SOMETIMES_MISSING

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy"),
]

KEYS = ["cluster_id", "year"]


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


def _post(url: str, body: dict) -> tuple[int, str]:
    request = urllib.request.Request(
        f"{url}/invocations",
        data=json.dumps(body, allow_nan=False).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            return reply.status, reply.read().decode("utf-8")
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode("utf-8")


def _split(frame: pd.DataFrame, params: dict | None = None) -> dict:
    """``dataframe_split`` with the keys and indicators, undefined values as ``null``."""
    columns = [*KEYS, *load_catalogue().ids]
    data = [
        [None if pd.isna(v) else v.item() if hasattr(v, "item") else v for v in row]
        for row in frame[columns].itertuples(index=False)
    ]
    body: dict = {"dataframe_split": {"columns": columns, "data": data}}
    return body | ({"params": params} if params else {})


@pytest.fixture(scope="module")
def rows(gappy_features) -> pd.DataFrame:
    """The gappy rows in the scoring job's order (cluster, year)."""
    return gappy_features.sort_values(KEYS, kind="stable").reset_index(drop=True)


@pytest.fixture(scope="module")
def job_batch(stored_model, rows):
    """What ``clusterpath score`` computes for the same rows (no what-if search)."""
    config = load_scoring_config()
    vocab = Vocabulary(
        load_catalogue(), load_policy_corpus(), load_reference(), config.holds_back_passages
    )
    with tracking_to(stored_model.tracking_uri):
        model = load_path_model(stored_model.registered_uri)
    return score_table(rows, model, vocab, config, what_if=False)


def test_served_answers_are_the_scoring_jobs(model_server, rows, job_batch):
    status, body = _post(model_server, _split(rows))
    assert status == 200, body
    got = pd.DataFrame(json.loads(body)["predictions"])
    codes = load_reference().path_codes
    assert list(got.columns) == answer_columns(codes)
    scores = job_batch.scores
    assert_same_predictions(got, scores, codes)
    for column in ("confidence", "flag", "flag_reason"):
        assert list(got[column]) == list(scores[column]), column
    # Some rows are recommended, some flagged, one (no indicators at all) is not scored.
    assert {LOW_TRUST, "insufficient_data"} <= set(got["flag"])
    assert (got["path"] == "").sum() >= 1 and (got["path"] != "").sum() >= 8
    catalogue = load_catalogue()
    for served, record in zip(got["drivers"], job_batch.records, strict=True):
        assert [{k: d[k] for k in d if k != "passages"} for d in served] == record["drivers"]
        for driver in served:
            assert driver["passages"] == list(catalogue.get(driver["feature"]).passages)
    assert sum(len(d) for d in got["drivers"]) > 0


def test_explain_off_gives_the_same_answers_without_drivers(model_server, rows):
    _, with_drivers = _post(model_server, _split(rows))
    status, body = _post(model_server, _split(rows, {"explain": False}))
    assert status == 200, body
    plain = pd.DataFrame(json.loads(body)["predictions"])
    full = pd.DataFrame(json.loads(with_drivers)["predictions"])
    assert plain["drivers"].isna().all()
    pd.testing.assert_frame_equal(plain.drop(columns="drivers"), full.drop(columns="drivers"))


def test_a_row_with_three_indicators_is_flagged_for_what_it_lacks(model_server, rows):
    sparse = {"rd_intensity": 0.05, "n_enterprises": 120, "entry_rate": 0.2}
    status, body = _post(model_server, {"dataframe_records": [sparse]})
    assert status == 200, body
    (answer,) = json.loads(body)["predictions"]
    assert answer["path"] and answer["flag"] == LOW_TRUST and answer["confidence"] == "low"
    (missing,) = [
        part.removesuffix(" missing (never missing in training)")
        for part in answer["flag_reason"].split("; ")
        if part.endswith("missing (never missing in training)")
    ]
    always_there = set(load_catalogue().ids) - set(SOMETIMES_MISSING) - set(sparse)
    assert set(missing.split(", ")) == always_there


def _refused(url: str, body: dict) -> str:
    status, text = _post(url, body)
    assert status == 400, text
    assert "Traceback" not in text and "stack_trace" not in text
    assert ".py" not in text and "/tmp" not in text and "site-packages" not in text
    return json.loads(text)["message"]


def test_bad_requests_are_refused_naming_the_problem(model_server, rows):
    body = _split(rows.head(2))
    body["dataframe_split"]["columns"][-1] = "bogus_indicator"
    assert _refused(model_server, body).startswith("unknown column bogus_indicator")

    body = _split(rows.head(4))
    at = body["dataframe_split"]["columns"].index("rd_intensity")
    for row in (1, 3):
        body["dataframe_split"]["data"][row][at] = "high"
    message = _refused(model_server, body)
    assert message.startswith("column rd_intensity: non-numeric value 'high' in rows 2, 4")

    assert _refused(model_server, {"dataframe_records": []}) == "empty request: no rows to score"
