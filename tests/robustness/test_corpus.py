"""The corpus of broken extracts: each case gives a clear error, a flagged result, or (where
the contract allows it) the usual result; never a traceback, never a silent surprise."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from clusterpath.pipelines.score import MARKER, OUTPUTS
from tests.robustness.mutations import CASES, Case, build_case, case

pytestmark = pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy")

PROBLEMS = re.compile(r"bad input: (\d+) problem")
EXAMPLE_ROWS = re.compile(r"e\.g\. row ([\d, ]+)\)")
PROVENANCE = ["extract_fingerprint"]


def test_corpus_is_large_and_named_once():
    names = [c.name for c in CASES]
    assert len(names) >= 40
    assert len(set(names)) == len(names)
    assert {c.outcome for c in CASES} == {"error", "flagged", "accepted"}


def _rows(cases: pd.DataFrame, cluster: str, year: int | None) -> pd.DataFrame:
    picked = cases[cases["cluster_id"] == cluster]
    return picked if year is None else picked[picked["year"] == year]


def check_error(the_case: Case, output: str) -> None:
    assert "Traceback" not in output
    count = PROBLEMS.search(output)
    assert count and 1 <= int(count.group(1)) <= 2, output
    lines = [line.strip() for line in output.splitlines()]
    where = the_case.file + (f", column {the_case.column}" if the_case.column else "")
    named = [line for line in lines if where in line and the_case.message in line]
    assert named, output
    if the_case.row is not None:
        rows = EXAMPLE_ROWS.search(named[0])
        assert rows, named[0]
        assert the_case.row in {int(r) for r in rows.group(1).split(",")}, named[0]


def check_flagged(the_case: Case, work: Path, clean) -> None:
    features = pd.read_parquet(work / "features.parquet")
    scores = pd.read_parquet(work / "scores" / "scores.parquet")
    assert the_case.affected
    for cluster, year in the_case.affected:
        if the_case.undefined:
            rows = _rows(features, cluster, year)
            assert len(rows), (cluster, year)
            for reasons in rows["undefined_reasons"]:
                assert any(the_case.undefined in r for r in json.loads(reasons).values()), reasons
        if the_case.score_flag:
            rows = _rows(scores, cluster, year)
            assert len(rows) == (1 if year else 2), (cluster, year)
            assert (rows["flag"] == the_case.score_flag).all(), rows["flag_reason"]
            assert rows["flag_reason"].str.contains(the_case.score_reason, regex=False).all()
            before = _rows(clean.scores, cluster, year)["flag_reason"]
            assert not before.str.contains(the_case.score_reason, regex=False).any()
    if the_case.score_flag == "insufficient_data":
        given = scores[scores["flag"] == "insufficient_data"]
        assert (given["path"] == "").all() and (given["confidence"] == "none").all()


def check_accepted(the_case: Case, work: Path, clean) -> None:
    scores = pd.read_parquet(work / "scores" / "scores.parquet")
    assert len(scores) == len(clean.scores)
    assert sorted(p.name for p in (work / "scores").iterdir()) == sorted([*OUTPUTS, MARKER])
    if the_case.verbatim:
        written = set(scores["cluster_id"]) | set(scores["cluster_name"])
        assert set(the_case.verbatim) <= written
        csv = pd.read_csv(work / "scores" / "scores.csv", encoding="utf-8-sig", dtype=str)
        assert set(the_case.verbatim) <= set(csv["cluster_id"]) | set(csv["cluster_name"])
        return
    features = pd.read_parquet(work / "features.parquet").drop(columns=PROVENANCE)
    pd.testing.assert_frame_equal(features, clean.features.drop(columns=PROVENANCE))


@pytest.mark.parametrize("the_case", CASES, ids=lambda c: c.name)
def test_case(the_case: Case, corpus_bases, commands, clean_results, tmp_path):
    folder = build_case(the_case, corpus_bases, tmp_path / "extract")
    results = commands.all_three(folder, tmp_path)
    for command, result in results.items():
        if the_case.outcome == "error":
            assert result.exit_code == 2, (command, result.output)
            check_error(the_case, result.output)
        else:
            assert result.exit_code == 0, (command, result.output)
    if the_case.outcome == "error":
        assert not (tmp_path / "features.parquet").exists()
        assert not (tmp_path / "scores").exists()
    elif the_case.outcome == "flagged":
        check_flagged(the_case, tmp_path, clean_results)
    else:
        check_accepted(the_case, tmp_path, clean_results)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["firms_truncated_parquet", "clusters_csv_utf16"])
def test_real_processes_print_one_line_and_no_traceback(name, corpus_bases, tmp_path):
    """The same cases through real processes: stderr holds the problem, no traceback."""
    the_case = case(name)
    folder = build_case(the_case, corpus_bases, tmp_path / "extract")
    for args in (["validate"], ["features", "--out", tmp_path / "f.parquet"]):
        done = subprocess.run(
            [sys.executable, "-m", "clusterpath", args[0], folder, *args[1:]],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr + done.stdout
        assert f"{the_case.file}: {the_case.message}" in done.stderr
