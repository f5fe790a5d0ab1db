"""The scoring job end to end: a simulated extract, a registered model, every output file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

from clusterpath.cli import app
from clusterpath.data.errors import ContractError
from clusterpath.data.policy import load_policy_corpus
from clusterpath.data.readers import load_extract
from clusterpath.data.reference import load_reference
from clusterpath.data.simulator import SimulationConfig, write_extract
from clusterpath.explain.settings import load_scoring_config
from clusterpath.features.catalogue import load_catalogue
from clusterpath.models.config import load_model_config
from clusterpath.pipelines import score as score_job
from clusterpath.pipelines.features import build_features, write_features
from clusterpath.pipelines.score import OUTPUTS, run_score
from clusterpath.report.inputs import Resolver
from tests.model_store import log_to_sqlite_store, small_bundle, tracking_to

pytestmark = pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy")


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """(extract folder, features file, tracking URI, model URI)."""
    root = tmp_path_factory.mktemp("score")
    folder = root / "extract"
    write_extract(SimulationConfig(n_clusters=40, years=(2021, 2022), seed=3), folder)
    features = build_features(folder)
    features_file = root / "features.parquet"
    write_features(features, features_file)
    ids = load_catalogue().ids
    labels = load_extract(folder).labels
    bundle = small_bundle(
        features, labels, load_model_config(), ids, load_reference().path_codes, 40
    )
    stored = log_to_sqlite_store(bundle, root, features[list(ids)].head(3), "clusterpath")
    return folder, features_file, stored.tracking_uri, stored.registered_uri


def _score(setup, out, **kwargs):
    folder, features_file, uri, model = setup
    with tracking_to(uri):
        return run_score(folder, model, out, features_file, **kwargs)


@pytest.fixture(scope="module")
def scored(setup, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "scores"
    batch = _score(setup, out)
    return out, batch


def test_every_output_is_written(scored):
    out, _ = scored
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == sorted(OUTPUTS)
    scores = pd.read_parquet(out / "scores.parquet")
    assert len(scores) == 80
    assert scores[["cluster_id", "year"]].duplicated().sum() == 0
    given = scores[scores["path"] != ""]
    probabilities = given.filter(regex="^p_")
    assert probabilities.shape[1] == 5
    assert (probabilities.sum(axis=1) - 1).abs().max() < 1e-9
    assert set(scores["model_version"]) == {"1"}
    assert set(scores["confidence"]) <= {"high", "medium", "low", "none"}


def test_csv_opens_in_excel_with_chinese(scored):
    out, _ = scored
    raw = (out / "scores.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    csv = pd.read_csv(out / "scores.csv", encoding="utf-8-sig")
    parquet = pd.read_parquet(out / "scores.parquet")
    assert list(csv["cluster_name"]) == list(parquet["cluster_name"])
    assert csv["path_zh"].dropna().str.contains("型").all()


def test_same_inputs_give_identical_rows(setup, scored, tmp_path):
    """Also when SHAP is computed 7 rows at a time by three copies of the booster, instead
    of all rows in one chunk by the booster itself."""
    out, _ = scored
    again = tmp_path / "again"
    chunked = load_scoring_config().model_copy(
        update={"explain_chunk_rows": 7, "explain_workers": 3}
    )
    assert chunked.explain_chunk_rows < len(pd.read_parquet(out / "scores.parquet"))
    _score(setup, again, config=chunked)
    a = pd.read_parquet(out / "scores.parquet").drop(columns="scored_at")
    b = pd.read_parquet(again / "scores.parquet").drop(columns="scored_at")
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "explanations.parquet"),
        pd.read_parquet(again / "explanations.parquet"),
    )
    doc_a = json.loads((out / "explanations.json").read_text(encoding="utf-8"))
    doc_b = json.loads((again / "explanations.json").read_text(encoding="utf-8"))
    assert doc_a.pop("scored_at") and doc_b.pop("scored_at")
    assert doc_a == doc_b


def test_explanations_cite_the_paper_and_match_the_shap_table(scored):
    out, _ = scored
    doc = json.loads((out / "explanations.json").read_text(encoding="utf-8"))
    corpus = load_policy_corpus()
    long = pd.read_parquet(out / "explanations.parquet")
    checked = 0
    resolve = Resolver(doc)
    for row in doc["cluster_years"]:
        record = resolve.record(row)
        if record["recommendation"] is None:
            assert record["flag"] == "insufficient_data" and record["drivers"] == []
            continue
        code = record["recommendation"]["code"]
        assert record["policy"]["id"] == corpus.for_path(code).id
        assert record["policy"]["text"] == corpus.for_path(code).text
        for driver in record["drivers"]:
            assert driver["shap"] > 0 and driver["passages"]
            row = long[
                (long.cluster_id == record["cluster_id"])
                & (long.year == record["year"])
                & (long.role == "recommended")
                & (long.feature == driver["feature"])
            ]
            # the file gives six significant digits
            assert row["shap"].item() == pytest.approx(driver["shap"], rel=1e-5)
            checked += 1
        for against in record["holds_back"]:
            assert against["shap"] < 0
            assert all(p["id"].startswith("3.1") for p in against["support_passages"])
    assert checked > 0


SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "explanations.schema.json"


def test_explanations_file_follows_its_schema_and_declares_what_rows_refer_to(scored):
    out, _ = scored
    doc = json.loads((out / "explanations.json").read_text(encoding="utf-8"))
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(doc, schema)
    codes = [p["code"] for p in doc["paths"]]
    assert all(p["policy"] in doc["passages"] for p in doc["paths"])
    for ind in doc["indicators"].values():
        assert set(ind["passages"]) | set(ind["support_passages"]) <= set(doc["passages"])
    searched = 0
    for row in doc["cluster_years"]:
        assert len(row["probabilities"]) == len(codes)
        assert {row["recommendation"], row["runner_up"]} - {None} <= set(codes)
        listed = row["drivers"] + row["holds_back"]
        assert {d["feature"] for d in listed} <= set(doc["indicators"])
        if row["what_would_change"]:
            assert row["what_would_change"]["target"] == row["runner_up"]
            searched += 1
    assert searched > 0
    broken = {**doc, "cluster_years": [{**doc["cluster_years"][0], "drivers": [{}]}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_few_enterprises_get_no_recommendation(setup, tmp_path):
    folder, features_file, uri, model = setup
    features = pd.read_parquet(features_file)
    features.loc[0, "n_enterprises"] = 3
    small = tmp_path / "features.parquet"
    features.to_parquet(small)
    with tracking_to(uri):
        batch = run_score(folder, model, tmp_path / "out", small, what_if=False)
    row = batch.scores.set_index(["cluster_id", "year"]).loc[
        (features.loc[0, "cluster_id"], features.loc[0, "year"])
    ]
    assert row["flag"] == "insufficient_data" and row["path"] == "" and row["confidence"] == "none"
    assert pd.isna(row.filter(regex="^p_")).all()


def test_failure_while_writing_leaves_previous_outputs_whole(setup, scored, tmp_path, monkeypatch):
    out, _ = scored
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(score_job, "explanations_json", broken)
    with pytest.raises(OSError):
        _score(setup, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in out.parent.iterdir() if p.name.endswith((".tmp", ".old"))] == []


def test_refuses_a_folder_with_other_files(setup, tmp_path):
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ContractError, match=r"notes\.txt"):
        _score(setup, tmp_path)
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


def _cli(setup, *args):
    _, _, uri, _ = setup
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri}
    return CliRunner().invoke(app, ["score", *map(str, args)], env=env)


def test_cli_exit_codes(setup, tmp_path):
    folder, features_file, _, model = setup
    ok = _cli(
        setup, folder, "--model", model, "--features", features_file, "--out", tmp_path / "a"
    )
    assert ok.exit_code == 0, ok.output
    assert "scored 80 cluster-years" in ok.output
    missing = _cli(setup, folder, "--model", "models:/nothing@champion", "--out", tmp_path / "b")
    assert missing.exit_code == 3
    assert "nothing" in missing.output
    other = tmp_path / "other.parquet"
    pd.read_parquet(features_file).assign(extract_fingerprint="0000").to_parquet(other)
    bad = _cli(setup, folder, "--model", model, "--features", other, "--out", tmp_path / "c")
    assert bad.exit_code == 2
    assert "Traceback" not in bad.output


def test_record_base_plus_shap_is_the_raw_score_of_the_path(setup, scored):
    """The waterfall of a report adds the long table's SHAP to ``shap_base``: it must land on
    the booster's own raw score of the recommended path."""
    from clusterpath.models.loading import load_path_model

    out, _ = scored
    _, features_file, uri, model_uri = setup
    with tracking_to(uri):
        model = load_path_model(model_uri)
    features = pd.read_parquet(features_file).set_index(["cluster_id", "year"])
    forest = model.forest  # the booster's own trees, summed leaf by leaf
    matrix = features[list(forest.names)].astype("float64").to_numpy()
    raw = forest.raw_scores(matrix)
    column = {code: j for j, code in enumerate(forest.labels)}
    row_of = {key: i for i, key in enumerate(features.index)}
    long = pd.read_parquet(out / "explanations.parquet")
    recommended = long[long.role == "recommended"]
    totals = recommended.groupby(["cluster_id", "year"], observed=True)["shap"].sum()
    doc = json.loads((out / "explanations.json").read_text(encoding="utf-8"))
    checked = 0
    for record in doc["cluster_years"]:
        if record["recommendation"] is None:
            assert record["shap_base"] is None
            continue
        key = (record["cluster_id"], record["year"])
        expected = raw[row_of[key], column[record["recommendation"]]]
        base = record["shap_base"]  # six significant digits in the file
        assert base + totals[key] == pytest.approx(expected, abs=1e-5 * max(1.0, abs(base)))
        checked += 1
    assert checked > 0


def test_monitoring_is_written_beside_the_scores_and_logged(setup, scored):
    out, batch = scored
    doc = json.loads((out / "monitoring.json").read_text(encoding="utf-8"))
    given = batch.scores[batch.scores["path"] != ""]
    assert doc["rows"] == len(given)
    for key in ("estimated_accuracy", "estimated_macro_f1"):
        low, high = doc[f"{key}_interval"]
        assert 0.0 <= low <= doc[key] <= high <= 1.0
    assert sum(p["recommended"] for p in doc["paths"]) == len(given)
    assert sum(p["expected"] for p in doc["paths"]) == pytest.approx(len(given))
    assert [y["year"] for y in doc["by_year"]] == [2021, 2022]
    assert len(doc["drift"]["indicators"]) == len(load_catalogue().ids)
    assert doc["flags"]["low_trust"]["training_share"] == 0.025
    assert doc["actual"]["rows"] == len(given)  # the simulated extract has labels
    assert doc["extract_fingerprint"] == batch.scores["extract_fingerprint"].iat[0]
    import mlflow

    _, _, uri, _ = setup
    with tracking_to(uri):
        runs = mlflow.search_runs(experiment_names=["clusterpath-monitoring"])
    assert len(runs) >= 1
    run = runs.iloc[-1]
    assert run["tags.model_version"] == "1"
    assert run["tags.extract_fingerprint"] == doc["extract_fingerprint"]
    assert run["metrics.estimated_accuracy"] == pytest.approx(doc["estimated_accuracy"])


def test_fail_on_drift_exits_4_after_writing_every_output(setup, tmp_path, monkeypatch):
    folder, features_file, uri, model = setup
    strict = load_scoring_config()
    strict = strict.model_copy(
        update={"monitoring": strict.monitoring.model_copy(update={"fail_below_accuracy": 0.999})}
    )
    monkeypatch.setattr(score_job, "load_scoring_config", lambda: strict)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    out = tmp_path / "out"
    args = ["score", str(folder), "--out", str(out), "--model", model]
    result = CliRunner().invoke(app, [*args, "--features", str(features_file), "--fail-on-drift"])
    assert result.exit_code == 4, result.output
    assert "below 0.999" in result.output
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == sorted(OUTPUTS)
    calm = CliRunner().invoke(app, [*args, "--features", str(features_file)])
    assert calm.exit_code == 0, calm.output


def test_scoring_succeeds_when_the_monitoring_run_cannot_be_logged(setup, tmp_path, monkeypatch):
    """The model read from its folder; tracking pointed at a closed port."""
    import mlflow

    folder, features_file, uri, model = setup
    with tracking_to(uri):
        local = mlflow.artifacts.download_artifacts(model, dst_path=str(tmp_path / "model"))
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    out = tmp_path / "out"
    with tracking_to("http://127.0.0.1:9"):
        console = Console(record=True, width=200)
        run_score(folder, local, out, features_file, what_if=False, console=console)
    assert "monitoring run not logged" in console.export_text()
    assert (out / "monitoring.json").is_file()
