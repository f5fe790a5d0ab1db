"""The contract rejects each kind of bad input with a clear message naming file, column, rows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from clusterpath.cli import app
from clusterpath.data.errors import ContractError
from clusterpath.data.readers import load_extract
from tests.conftest import edit_csv

runner = CliRunner()


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(ContractError) as info:
        load_extract(folder)
    return info.value.lines()


def test_tiny_extract_is_valid(tiny_dir: Path) -> None:
    extract = load_extract(tiny_dir)
    assert len(extract.firms) == 17
    assert extract.firms["revenue"].dtype == "float64"
    assert extract.firms["hq_outside"].dtype == bool
    assert extract.firms["cluster_id"].isna().sum() == 2


def _set(column: str, row: int, value: str):
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[row, column] = value
        return frame

    return change


@pytest.mark.parametrize(
    ("table", "change", "expected"),
    [
        (
            "firms",
            lambda f: f.drop(columns="revenue"),
            "firms.csv, column revenue: required column missing",
        ),
        (
            "firms",
            _set("employees", 2, "many"),
            "firms.csv, column employees: not a number ('many') (1 row, e.g. row 3)",
        ),
        (
            "firms",
            _set("revenue", 1, "-5"),
            "firms.csv, column revenue: negative value (1 row, e.g. row 2)",
        ),
        (
            "firms",
            _set("ownership", 3, "alien"),
            "firms.csv, column ownership: unknown value ('alien')",
        ),
        (
            "firms",
            _set("firm_id", 1, "F1"),
            "firms.csv, column firm_id+year: duplicate key (2 rows, e.g. row 1, 2)",
        ),
        (
            "firms",
            _set("revenue", 0, "1e18"),
            "firms.csv, column revenue: above the maximum 1e+09",
        ),
        (
            "firms",
            _set("founded_year", 0, "2030"),
            "firms.csv, column founded_year: founded after the observation year",
        ),
        (
            "firms",
            _set("industry_code", 0, "A9"),
            "firms.csv, column industry_code: not a GB/T 4754-2017 division, group or class code",
        ),
        (
            "firms",
            _set("hq_outside", 0, "maybe"),
            "firms.csv, column hq_outside: not true/false ('maybe')",
        ),
        (
            "firms",
            _set("revenue", 4, "inf"),
            "firms.csv, column revenue: not a finite number (1 row, e.g. row 5)",
        ),
        (
            "firms",
            _set("cluster_id", 0, "C9"),
            "firms.csv, column cluster_id: cluster_id not in the clusters table",
        ),
        (
            "links",
            _set("target_id", 0, "F99"),
            "links.csv, column target_id: firm_id not in firms for that year (1 row, e.g. row 1)",
        ),
        (
            "links",
            _set("year", 9, "2022"),
            "links.csv, column target_id: firm_id not in firms for that year (1 row, e.g. row 10)",
        ),
        (
            "links",
            _set("target_id", 0, "F3"),
            "links.csv, column source_id: link from a firm to itself",
        ),
        ("links", _set("weight", 0, "0"), "links.csv, column weight: must be greater than 0"),
        ("links", lambda f: f.iloc[0:0], "links.csv: table is empty"),
        ("labels", _set("path", 0, "magic"), "labels.csv, column path: unknown value ('magic')"),
        (
            "labels",
            _set("clarity", 0, "vague"),
            "labels.csv, column clarity: unknown value ('vague')",
        ),
        (
            "labels",
            _set("second_path", 0, "magic"),
            "labels.csv, column second_path: unknown value ('magic')",
        ),
        (
            "clusters",
            _set("domain", 0, "space"),
            "clusters.csv, column domain: unknown value ('space')",
        ),
    ],
)
def test_bad_values_are_named(tiny_dir: Path, table: str, change, expected: str) -> None:
    edit_csv(tiny_dir, table, change)
    lines = problems_of(tiny_dir)
    assert any(expected in line for line in lines), lines


def test_missing_table(tiny_dir: Path) -> None:
    (tiny_dir / "clusters.csv").unlink()
    assert problems_of(tiny_dir) == [
        f"{tiny_dir}: missing table clusters "
        "(clusters.parquet, .csv or .xlsx, or a sheet clusters in a workbook)"
    ]


def test_labels_with_an_empty_second_path_and_clarity_are_valid(tiny_dir: Path) -> None:
    def add(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(second_path="", clarity="clear")

    edit_csv(tiny_dir, "labels", add)
    assert load_extract(tiny_dir).labels["clarity"].eq("clear").all()


def test_missing_optional_labels_is_fine(tiny_dir: Path) -> None:
    (tiny_dir / "labels.csv").unlink()
    assert load_extract(tiny_dir).labels is None


def test_two_files_for_one_table_are_ambiguous(tiny_dir: Path) -> None:
    pd.read_csv(tiny_dir / "clusters.csv").to_parquet(tiny_dir / "clusters.parquet")
    assert any("ambiguous table clusters" in line for line in problems_of(tiny_dir))


def test_csv_neither_utf8_nor_gb18030(tiny_dir: Path) -> None:
    text = (tiny_dir / "clusters.csv").read_text(encoding="utf-8")
    (tiny_dir / "clusters.csv").write_bytes(text.encode("utf-16"))
    assert problems_of(tiny_dir) == [
        "clusters.csv: not UTF-8 or GB18030 text (UTF-16: save as CSV UTF-8)"
    ]
    (tiny_dir / "clusters.csv").write_bytes(text.encode("utf-8") + b"\xff\n")
    assert any(
        line.startswith("clusters.csv: not UTF-8 or GB18030 text (bad byte")
        for line in problems_of(tiny_dir)
    )


def test_truncated_parquet(tiny_dir: Path) -> None:
    frame = pd.read_csv(tiny_dir / "links.csv")
    frame.to_parquet(tiny_dir / "links.parquet")
    (tiny_dir / "links.csv").unlink()
    data = (tiny_dir / "links.parquet").read_bytes()
    (tiny_dir / "links.parquet").write_bytes(data[: len(data) // 2])
    assert any(line.startswith("links.parquet: cannot be read") for line in problems_of(tiny_dir))


def test_parquet_with_native_types_is_valid(tiny_dir: Path) -> None:
    firms = load_extract(tiny_dir).firms
    firms["industry_code"] = firms["industry_code"].astype(int)  # codes stored as numbers
    firms.to_parquet(tiny_dir / "firms.parquet")
    (tiny_dir / "firms.csv").unlink()
    reread = load_extract(tiny_dir).firms
    assert reread["industry_code"].iloc[0] == "39"


def test_extra_columns_are_kept(tiny_dir: Path) -> None:
    edit_csv(tiny_dir, "clusters", lambda f: f.assign(note="x"))
    assert "note" in load_extract(tiny_dir).clusters.columns


def test_problems_collected_across_tables(tiny_dir: Path) -> None:
    edit_csv(tiny_dir, "firms", _set("revenue", 1, "-5"))
    edit_csv(tiny_dir, "clusters", _set("domain", 0, "space"))
    lines = problems_of(tiny_dir)
    assert len(lines) == 2


def test_cli_validate_exit_codes(tiny_dir: Path) -> None:
    ok = runner.invoke(app, ["validate", str(tiny_dir)])
    assert ok.exit_code == 0, ok.output
    assert "valid extract" in ok.output
    edit_csv(tiny_dir, "firms", _set("revenue", 1, "-5"))
    bad = runner.invoke(app, ["validate", str(tiny_dir)])
    assert bad.exit_code == 2
    assert "firms.csv, column revenue: negative value" in bad.output


def test_real_process_prints_no_traceback(tiny_dir: Path) -> None:
    (tiny_dir / "firms.csv").write_bytes("firm_id,year\n\xff\xfe".encode("latin-1"))
    done = subprocess.run(
        [sys.executable, "-m", "clusterpath", "validate", str(tiny_dir)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "firms.csv: not UTF-8 or GB18030 text" in done.stderr


# Values real records hold (docs/data-contract.md gives the sources): each must validate.
REAL_EXTREMES = [
    ("founded_year", 0, "1898"),  # Peking University
    ("founded_year", 0, "1896"),  # Xi'an Jiaotong University
    ("founded_year", 7, "1851"),  # Corning, a partner outside the clusters
    ("founded_year", 4, "1669"),  # Beijing Tongrentang
    ("founded_year", 4, "1582"),  # Mayinglong Pharmaceutical
    ("employees", 7, "2100000"),  # Walmart's workforce
    ("revenue", 7, "390000000"),  # State Grid: about 3.9 trillion CNY
    ("rd_expense", 4, "16470000"),  # Huawei 2023: 164.7 bn CNY
    ("invention_patents", 0, "10000"),  # Huawei-scale yearly grants
    ("utility_patents", 0, "30000"),
]


@pytest.mark.parametrize(("column", "row", "value"), REAL_EXTREMES)
def test_real_extremes_validate(tiny_dir: Path, column: str, row: int, value: str) -> None:
    edit_csv(tiny_dir, "firms", _set(column, row, value))
    assert load_extract(tiny_dir).firms[column].iat[row] == float(value)


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("founded_year", "1499", "column founded_year: below the minimum 1500 (1 row"),
        ("founded_year", "98", "column founded_year: below the minimum 1500 (1 row"),
        ("founded_year", "2023", "column founded_year: founded after the observation year"),
        ("employees", "3100000", "column employees: above the maximum 3e+06"),
        ("revenue", "4e9", "column revenue: above the maximum 1e+09"),
        ("vc_funding", "2e9", "column vc_funding: above the maximum 1e+09"),
        ("invention_patents", "200000", "column invention_patents: above the maximum 100000"),
    ],
)
def test_values_beyond_real_records_are_errors(
    tiny_dir: Path, column: str, value: str, expected: str
) -> None:
    edit_csv(tiny_dir, "firms", _set(column, 0, value))  # row 0 is observed in 2022
    lines = problems_of(tiny_dir)
    assert len(lines) == 1 and lines[0].startswith(f"firms.csv, {expected}"), lines


def test_an_observation_year_ahead_of_today_is_an_error(tiny_dir: Path) -> None:
    from clusterpath.data.contract import current_year

    edit_csv(tiny_dir, "labels", _set("year", 0, str(current_year() + 1)))
    assert problems_of(tiny_dir) == [
        f"labels.csv, column year: above the maximum {current_year()} (likely a unit or entry "
        "error) "
        "(1 row, e.g. row 1)"
    ]


def test_a_cluster_of_twelve_thousand_enterprises_validates(tiny_dir: Path) -> None:
    """No bound on a cluster's size: the largest clusters hold thousands of firms, and
    their chains in a registry extract tens of thousands."""
    from clusterpath.pipelines.features import build_features

    firms = pd.read_csv(tiny_dir / "firms.csv", dtype=str, keep_default_na=False)
    template = firms.iloc[[1]]
    many = pd.concat([template] * 12_000, ignore_index=True)
    many["firm_id"] = [f"G{i:05d}" for i in range(len(many))]
    pd.concat([firms, many]).to_csv(tiny_dir / "firms.csv", index=False)
    extract = load_extract(tiny_dir)
    assert (extract.firms["cluster_id"] == "C1").sum() == 12_000 + 9  # 4 rows 2022, 5 2023
    members = build_features(tiny_dir).set_index(["cluster_id", "year"])["n_enterprises"]
    assert members[("C1", 2022)] == 12_000 + 3
