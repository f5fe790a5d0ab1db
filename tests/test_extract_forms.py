"""Extracts as analysts hold them give the same tables and indicators as the same data in
Parquet: GB18030 CSV, Excel workbooks (one per table or one for all), domains by their
Chinese names, industry codes as classes or with the section letter, old founding years."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from clusterpath.cli import app
from clusterpath.data.contract import build_contract
from clusterpath.data.errors import ContractError
from clusterpath.data.readers import load_extract
from clusterpath.data.reference import load_reference
from clusterpath.data.sql_checks import parquet_tables
from clusterpath.pipelines import features as pipeline
from tests.conftest import TINY

TABLES = ("firms", "links", "clusters", "labels")
# Founding years real extracts hold: Peking University, Corning (a partner), Tongrentang.
OLD_FOUNDINGS = {"F4": 1898, "P1": 1851, "F5": 1669}
# The industry codes of the tiny fixture as analysts write them (all read as the division).
WRITTEN_CODES = {"39": "C3911", "65": "I65", "83": "P831", "37": "3716", "34": "C34"}


def analysts_tables(domains: dict[str, str]) -> dict[str, pd.DataFrame]:
    """The tiny fixture's tables with old founding years, the industry codes as written
    above and each cluster's domain as ``domains`` writes it."""
    extract = load_extract(TINY)
    tables = {t: getattr(extract, t) for t in TABLES}
    firms = tables["firms"].copy()
    founded = firms["firm_id"].map(OLD_FOUNDINGS)
    firms["founded_year"] = founded.fillna(firms["founded_year"]).astype(int)
    firms["industry_code"] = firms["industry_code"].replace(WRITTEN_CODES)
    clusters = tables["clusters"].assign(domain=lambda f: f["cluster_id"].map(domains))
    return {**tables, "firms": firms, "clusters": clusters}


def as_codes(tables: dict[str, pd.DataFrame], codes: dict[str, str]) -> dict[str, pd.DataFrame]:
    """The same tables written as the contract reads them: divisions and domain codes."""
    division = {written: code for code, written in WRITTEN_CODES.items()}
    firms = tables["firms"].assign(industry_code=lambda f: f["industry_code"].replace(division))
    clusters = tables["clusters"].assign(domain=lambda f: f["cluster_id"].map(codes))
    return {**tables, "firms": firms, "clusters": clusters}


def write_parquet(tables: dict[str, pd.DataFrame], folder: Path) -> Path:
    folder.mkdir()
    for name, frame in tables.items():
        frame.astype({c: object for c in frame.select_dtypes("string").columns}).to_parquet(
            folder / f"{name}.parquet", index=False
        )
    return folder


def write_mixed(tables: dict[str, pd.DataFrame], folder: Path) -> Path:
    """clusters as GB18030 CSV, firms as a workbook of its own, links as UTF-8 CSV with BOM,
    labels as Parquet."""
    folder.mkdir()
    tables["clusters"].to_csv(folder / "clusters.csv", index=False, encoding="gb18030")
    tables["firms"].to_excel(folder / "firms.xlsx", index=False, sheet_name="Sheet1")
    tables["links"].to_csv(folder / "links.csv", index=False, encoding="utf-8-sig")
    tables["labels"].to_parquet(folder / "labels.parquet", index=False)
    return folder


def write_workbook(tables: dict[str, pd.DataFrame], folder: Path) -> Path:
    """Every table a sheet of one workbook."""
    folder.mkdir()
    with pd.ExcelWriter(folder / "监测数据.xlsx", engine="openpyxl") as writer:
        for name, frame in tables.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return folder


def indicators(folder: Path) -> pd.DataFrame:
    return pipeline.build_features(folder).drop(columns="extract_fingerprint")


@pytest.mark.parametrize(
    ("write", "domains", "codes"),
    [
        (
            write_mixed,
            {"C1": "生物医药", "C2": "高端装备"},
            {"C1": "biotech", "C2": "high_end_equipment"},
        ),
        (
            write_workbook,
            {"C1": "新材料", "C2": "High-End Equipment Manufacturing"},
            {"C1": "new_materials", "C2": "high_end_equipment"},
        ),
    ],
    ids=["gb18030-csv-and-workbook-per-table", "one-workbook"],
)
def test_analysts_forms_give_the_indicators_of_parquet(
    tmp_path: Path, write, domains: dict[str, str], codes: dict[str, str]
) -> None:
    tables = analysts_tables(domains)
    reference = write_parquet(as_codes(tables, codes), tmp_path / "parquet")
    held = write(tables, tmp_path / "held")
    expected = indicators(reference)
    pd.testing.assert_frame_equal(indicators(held), expected)
    extract = load_extract(held)
    assert extract.clusters["domain"].tolist() == [codes["C1"], codes["C2"]]
    assert extract.firms.loc[extract.firms["firm_id"] == "F4", "founded_year"].iat[0] == 1898
    parquet = load_extract(reference)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(extract, name), getattr(parquet, name))


def test_parquet_with_names_and_class_codes_is_read_in_sql_as_in_frames(tmp_path: Path) -> None:
    """Domains by name and codes as classes in typed Parquet stay on the SQL path and give
    what the same data written as codes gives."""
    domains = {"C1": "新一代信息技术产业", "C2": "轨道交通装备"}
    codes = {"C1": "next_gen_it", "C2": "high_end_equipment"}
    tables = analysts_tables(domains)
    written = write_parquet(tables, tmp_path / "written")
    reference = write_parquet(as_codes(tables, codes), tmp_path / "codes")
    assert parquet_tables(written, build_contract(load_reference()), pipeline.COLUMNS)
    pd.testing.assert_frame_equal(indicators(written), indicators(reference))


def test_validate_says_how_each_file_was_read(tmp_path: Path) -> None:
    tables = analysts_tables({"C1": "生物医药", "C2": "高端装备"})
    held = write_mixed(tables, tmp_path / "held")
    done = CliRunner().invoke(app, ["validate", str(held)])
    assert done.exit_code == 0, done.output
    text = " ".join(done.output.split())
    assert "clusters.csv (CSV, GB18030)" in text
    assert "firms.xlsx (Excel)" in text
    assert "links.csv (CSV, UTF-8 with BOM)" in text
    assert "labels.parquet (Parquet)" in text
    # 39 (4 rows), 65, 83, 37 and 34 (2 each) are written otherwise; 33, 31 and 64 not
    assert "firms.xlsx, column industry_code: 12 rows written as group or class codes" in text
    assert "clusters.csv, column domain: 2 rows written as names or aliases, read as codes" in text


def problem_lines(folder: Path) -> list[str]:
    with pytest.raises(ContractError) as info:
        load_extract(folder)
    return info.value.lines()


def test_true_errors_in_analysts_forms_are_named_one_line_each(tmp_path: Path) -> None:
    tables = analysts_tables({"C1": "xyz", "C2": "高端装备"})
    tables["firms"].loc[2, "founded_year"] = 1499
    held = write_workbook(tables, tmp_path / "held")
    out = tmp_path / "features.parquet"
    done = CliRunner().invoke(app, ["features", str(held), "--out", str(out)])
    assert done.exit_code == 2
    assert not out.exists()
    lines = problem_lines(held)
    assert lines == [
        "监测数据.xlsx (sheet firms), column founded_year: below the minimum 1500 (1 row, e.g. "
        "row 3)",
        "监测数据.xlsx (sheet clusters), column domain: unknown value ('xyz'); closest known "
        "names: " + lines[1].split("closest known names: ")[1],
    ]
    assert "(all in data/reference/domains.yaml)" in lines[1]
    printed = " ".join(done.output.split())
    assert all(" ".join(line.split()) in printed for line in lines), printed


def test_two_sources_for_one_table_are_ambiguous(tmp_path: Path) -> None:
    tables = analysts_tables({"C1": "生物医药", "C2": "高端装备"})
    held = write_mixed(tables, tmp_path / "held")
    tables["firms"].to_csv(held / "firms.csv", index=False)
    assert problem_lines(held) == [f"{held}: ambiguous table firms: both firms.csv and firms.xlsx"]


def test_workbook_without_the_tables_sheet_is_named(tmp_path: Path) -> None:
    tables = analysts_tables({"C1": "生物医药", "C2": "高端装备"})
    held = write_mixed(tables, tmp_path / "held")
    with pd.ExcelWriter(held / "firms.xlsx", engine="openpyxl") as writer:
        tables["firms"].to_excel(writer, sheet_name="2022", index=False)
        tables["firms"].to_excel(writer, sheet_name="2023", index=False)
    assert problem_lines(held) == [
        "firms.xlsx: no sheet named firms (sheets: 2022, 2023)",
        f"{held}: missing table firms (firms.parquet, .csv or .xlsx, or a sheet firms in a "
        "workbook)",
    ]


def test_old_excel_and_damaged_workbooks_are_named(tmp_path: Path) -> None:
    tables = analysts_tables({"C1": "生物医药", "C2": "高端装备"})
    held = write_mixed(tables, tmp_path / "held")
    (held / "firms.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    (held / "links.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    lines = problem_lines(held)
    assert lines[0].startswith("firms.xlsx: cannot be read as an Excel workbook: ")
    assert "links.xls: old Excel format: save it as .xlsx or CSV" in lines
