"""`features --list` / `--show`: readable in 80 columns, whole for one indicator, parseable."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from clusterpath.cli import app
from clusterpath.features.catalogue import load_catalogue

CATALOGUE = load_catalogue()
runner = CliRunner(env={"COLUMNS": "80"})


def test_list_fits_80_columns_in_about_two_lines_per_indicator() -> None:
    result = runner.invoke(app, ["features", "--list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert len(lines) <= 2.2 * len(CATALOGUE.ids)
    assert all(ind.id in result.output for ind in CATALOGUE.indicators)


def test_show_gives_one_indicator_whole() -> None:
    result = runner.invoke(app, ["features", "--show", "top1_to_top2_revenue_ratio"])
    assert result.exit_code == 0, result.output
    ind = CATALOGUE.get("top1_to_top2_revenue_ratio")
    text = " ".join(result.output.split())
    assert ind.name_zh in text and ind.name_en in text
    assert " ".join(ind.formula.split()) in text
    for condition in ind.undefined_when:
        assert CATALOGUE.conditions[condition] in text


def test_unknown_indicator_is_bad_input_with_close_names() -> None:
    result = runner.invoke(app, ["features", "--show", "rd_intensty"])
    assert result.exit_code == 2
    assert "did you mean rd_intensity" in result.output
    assert "Traceback" not in result.output


def test_json_and_markdown_hold_every_indicator() -> None:
    as_json = runner.invoke(app, ["features", "--list", "--format", "json"])
    document = json.loads(as_json.output)
    assert [i["id"] for i in document["indicators"]] == list(CATALOGUE.ids)
    assert document["version"] == CATALOGUE.version
    as_markdown = runner.invoke(app, ["features", "--list", "--format", "markdown"])
    rows = [line for line in as_markdown.output.splitlines() if line.startswith("| `")]
    assert len(rows) == len(CATALOGUE.ids)
