"""The SQL path for Parquet extracts finds what the frame path finds and computes the same.

`clusterpath features` checks and computes a Parquet extract whose columns already hold the
contract's types in DuckDB SQL over the files (data/sql_checks.py); everything else goes
through pandas (data/readers.py, data/validation.py). Each bad value below is written into a
typed Parquet copy of the tiny fixture, and both paths must list the same problems.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from clusterpath.cli import app
from clusterpath.data.contract import build_contract
from clusterpath.data.errors import ContractError
from clusterpath.data.readers import load_extract
from clusterpath.data.reference import load_reference
from clusterpath.data.sql_checks import BROKEN_ROW, parquet_tables
from clusterpath.features.catalogue import load_catalogue
from clusterpath.pipelines import features as pipeline
from tests.conftest import TINY

Change = Callable[[pd.DataFrame], pd.DataFrame]


def typed_copy(folder: Path) -> Path:
    """The tiny fixture as Parquet files holding the contract's types."""
    extract = load_extract(TINY)
    folder.mkdir()
    for name in ("firms", "links", "clusters", "labels"):
        frame = getattr(extract, name)
        frame.astype({c: object for c in frame.select_dtypes("string").columns}).to_parquet(
            folder / f"{name}.parquet", index=False
        )
    return folder


def change(folder: Path, table: str, edit: Change) -> None:
    """Rewrite a table after ``edit``; an emptied table keeps its column types."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = folder / f"{table}.parquet"
    frame = edit(pd.read_parquet(path))
    schema = pq.read_schema(path) if frame.empty else None
    pq.write_table(pa.Table.from_pandas(frame, schema=schema, preserve_index=False), path)


def _set(column: str, row: int, value) -> Change:
    def edit(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[row, column] = value
        return frame

    return edit


def _null_int(column: str, row: int) -> Change:
    """An integer column with one value missing (still stored as integers)."""

    def edit(frame: pd.DataFrame) -> pd.DataFrame:
        frame[column] = frame[column].astype("Int64")
        frame.loc[row, column] = pd.NA
        return frame

    return edit


def frame_problems(folder: Path) -> list[str]:
    with pytest.raises(ContractError) as info:
        load_extract(folder, columns=pipeline.COLUMNS)
    return info.value.lines()


def sql_problems(folder: Path) -> list[str]:
    assert parquet_tables(folder, build_contract(load_reference()), pipeline.COLUMNS)
    with pytest.raises(ContractError) as info:
        pipeline.build_features(folder)
    return info.value.lines()


@pytest.mark.parametrize(
    ("table", "edit", "expected"),
    [
        ("firms", lambda f: f.drop(columns="revenue"), "column revenue: required column missing"),
        ("firms", _set("revenue", 1, -5.0), "column revenue: negative value (1 row, e.g. row 2)"),
        ("firms", _set("revenue", 4, np.inf), "column revenue: not a finite number"),
        ("firms", _set("revenue", 2, np.nan), "column revenue: missing value (1 row, e.g. row 3)"),
        ("firms", _set("revenue", 0, 1e18), "column revenue: above the maximum 1e+09"),
        ("firms", _null_int("employees", 2), "column employees: missing value (1 row"),
        ("firms", _set("ownership", 3, "alien"), "column ownership: unknown value ('alien')"),
        ("firms", _set("ownership", 3, " private"), "column ownership: unknown value"),
        ("firms", _set("firm_id", 1, "F1"), "column firm_id+year: duplicate key (2 rows"),
        ("firms", _set("founded_year", 0, 2030), "column founded_year: founded after"),
        ("firms", _set("industry_code", 0, "A9"), "column industry_code: not a GB/T 4754-2017"),
        ("firms", _set("cluster_id", 0, "C9"), "column cluster_id: cluster_id not in the"),
        ("links", _set("target_id", 0, "F99"), "column target_id: firm_id not in firms"),
        ("links", _set("year", 9, 2022), "column target_id: firm_id not in firms"),
        ("links", _set("target_id", 0, "F3"), "column source_id: link from a firm to itself"),
        ("links", _set("weight", 0, 0.0), "column weight: must be greater than 0"),
        ("links", lambda f: f.iloc[0:0], "links.parquet: table is empty"),
        ("labels", _set("path", 0, "magic"), "column path: unknown value ('magic')"),
        # rows that only the stages' own scans read: outside every cluster, a link's type
        ("firms", _set("revenue", 7, -5.0), "column revenue: negative value (1 row, e.g. row 8)"),
        ("firms", _set("industry_code", 7, "A9"), "column industry_code: not a GB/T 4754-2017"),
        ("firms", _set("cluster_id", 7, "C9"), "column cluster_id: cluster_id not in the"),
        ("firms", lambda f: f.iloc[0:0], "firms.parquet: table is empty"),
        ("links", _set("link_type", 3, "bribery"), "column link_type: unknown value ('bribery')"),
        ("links", _set("link_type", 3, None), "column link_type: missing value (1 row, e.g. row"),
        ("links", _set("weight", 3, np.inf), "column weight: not a finite number"),
        ("links", lambda f: f.drop(columns="weight"), "column weight: required column missing"),
        ("clusters", _set("domain", 1, "magic"), "column domain: unknown value ('magic')"),
    ],
)
def test_both_paths_name_the_same_problems(
    tmp_path: Path, table: str, edit: Change, expected: str
) -> None:
    folder = typed_copy(tmp_path / "typed")
    change(folder, table, edit)
    frames, sql = frame_problems(folder), sql_problems(folder)
    assert sorted(sql) == sorted(frames)
    assert any(expected in line for line in sql), sql


def test_unknown_end_is_listed_beside_other_cross_table_problems(tmp_path: Path) -> None:
    folder = typed_copy(tmp_path / "typed")
    change(folder, "links", _set("target_id", 0, "F99"))
    change(folder, "firms", _set("founded_year", 0, 2030))
    assert sorted(sql_problems(folder)) == sorted(frame_problems(folder))


def test_one_digit_division_reads_as_0n_on_both_paths(tmp_path: Path) -> None:
    folder = typed_copy(tmp_path / "typed")
    change(folder, "firms", _set("industry_code", 0, "7"))
    sql = pipeline.build_features(folder)
    assert load_extract(folder).firms["industry_code"].iat[0] == "07"
    assert len(sql) == 4


def test_text_stored_as_numbers_goes_through_pandas(tmp_path: Path) -> None:
    folder = typed_copy(tmp_path / "typed")
    change(folder, "firms", lambda f: f.astype({"industry_code": int}))
    assert parquet_tables(folder, build_contract(load_reference()), pipeline.COLUMNS) is None
    assert len(pipeline.build_features(folder)) == 4


def test_sql_path_computes_what_the_frame_path_computes(tmp_path: Path, monkeypatch) -> None:
    from clusterpath.data.simulator import SimulationConfig, write_extract

    folder = tmp_path / "sim"
    write_extract(SimulationConfig(n_clusters=6, years=(2021, 2022), seed=5), folder)
    sql = pipeline.build_features(folder)
    monkeypatch.setattr(pipeline, "parquet_tables", lambda *args: None)
    frames = pipeline.build_features(folder)
    ids = list(load_catalogue().ids)
    pd.testing.assert_frame_equal(sql[["cluster_id", "year"]], frames[["cluster_id", "year"]])
    np.testing.assert_allclose(sql[ids], frames[ids], rtol=1e-9, atol=1e-15, equal_nan=True)
    assert sql["undefined_reasons"].tolist() == frames["undefined_reasons"].tolist()
    assert sql["extract_fingerprint"].tolist() == frames["extract_fingerprint"].tolist()


@pytest.mark.parametrize(
    ("table", "edit", "expected"),
    [
        ("links", _set("target_id", 0, "F99"), "column target_id: firm_id not in firms for that"),
        ("links", _set("link_type", 3, "bribery"), "column link_type: unknown value ('bribery')"),
        (
            "firms",
            _set("employees", 7, -1),
            "column employees: negative value (1 row, e.g. row 8)",
        ),
        ("firms", _set("year", 16, 2022), "column firm_id+year: duplicate key (2 rows"),
    ],
)
def test_cli_exits_2_on_a_bad_parquet_extract(
    tmp_path: Path, table: str, edit: Change, expected: str
) -> None:
    """Problems found in the stages' own scans are reported as the plain checks report them:
    one line naming file, column and rows, exit code 2, no output file."""
    folder = typed_copy(tmp_path / "typed")
    change(folder, table, edit)
    done = CliRunner().invoke(app, ["features", str(folder), "--out", str(tmp_path / "f.parquet")])
    assert done.exit_code == 2
    assert f"{table}.parquet, {expected}" in done.output
    assert "Traceback" not in done.output and BROKEN_ROW not in done.output
    assert not (tmp_path / "f.parquet").exists()
