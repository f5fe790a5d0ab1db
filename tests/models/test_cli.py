"""The train and label commands: weak labels from the rules, and exit codes for bad input."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from clusterpath.cli import EXIT_BAD_INPUT, EXIT_UNREACHABLE, app

runner = CliRunner()


def test_label_rules_writes_weak_labels_for_every_judged_cluster_year(tiny_dir, tmp_path):
    out = tmp_path / "weak.csv"
    result = runner.invoke(app, ["label", str(tiny_dir), "--rules", "--out", str(out)])
    assert result.exit_code == 0, result.output
    labels = pd.read_csv(out)
    assert list(labels.columns) == ["cluster_id", "year", "path", "source"]
    assert set(labels["source"]) == {"rules"}
    assert len(labels) == 4  # the tiny extract has 2 clusters x 2 years
    # C1 2022: all revenue in digital divisions (score 1) and 75 % cross-industry links
    # (score 1), so convergence scores 1.0; indigenous scores (1 + (1 - 3) / 3 + 1) / 3 = .44
    # (R&D 8 % and entry 1/3 are strong, but there is a single research body).
    c1 = labels[(labels["cluster_id"] == "C1") & (labels["year"] == 2022)]
    assert c1["path"].tolist() == ["convergence"]


def test_label_needs_exactly_one_mode(tiny_dir):
    result = runner.invoke(app, ["label", str(tiny_dir)])
    assert result.exit_code == EXIT_BAD_INPUT
    result = runner.invoke(app, ["label", str(tiny_dir), "--rules", "--suggest", "3"])
    assert result.exit_code == EXIT_BAD_INPUT


def test_label_rules_needs_an_output(tiny_dir):
    assert runner.invoke(app, ["label", str(tiny_dir), "--rules"]).exit_code == EXIT_BAD_INPUT


def test_train_rejects_malformed_label_weights(tiny_dir):
    result = runner.invoke(app, ["train", str(tiny_dir), "--label-weights", "expert"])
    assert result.exit_code == EXIT_BAD_INPUT


def test_train_on_an_extract_without_labels_is_bad_input(tiny_dir):
    (tiny_dir / "labels.csv").unlink()
    result = runner.invoke(app, ["train", str(tiny_dir)])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "no labels" in result.output


def test_unreachable_tracking_server_exits_3(tiny_dir):
    (tiny_dir / "labels.csv").unlink()  # so every cluster-year is a candidate
    env = {
        "MLFLOW_TRACKING_URI": "http://127.0.0.1:9",
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
        "MLFLOW_HTTP_REQUEST_TIMEOUT": "2",
    }
    result = runner.invoke(app, ["label", str(tiny_dir), "--suggest", "2"], env=env)
    assert result.exit_code == EXIT_UNREACHABLE, result.output
