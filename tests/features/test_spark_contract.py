"""Spark checks an extract with the contract's rules and says what the embedded reader says.

A few cases from each family (a value rule, a cross-table rule, a link end found only after
computing, CSV text that does not convert), each compared line for line with the frame
reader's problems; the full corpus runs on the embedded paths.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clusterpath.data.errors import ContractError, Problem
from clusterpath.pipelines.features import build_features
from clusterpath.spark.extract import EXCEL_REFUSED
from tests.conftest import edit_csv
from tests.features.test_engine_parity import assert_same_indicators
from tests.features.test_parquet_path import _set, change, frame_problems, typed_copy
from tests.test_extract_forms import analysts_tables, as_codes, write_mixed, write_parquet

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def spark_problems(folder: Path) -> list[str]:
    with pytest.raises(ContractError) as info:
        build_features(folder, engine="spark")
    return info.value.lines()


@pytest.mark.parametrize(
    ("table", "edit", "expected"),
    [
        ("firms", _set("revenue", 1, -5.0), "column revenue: negative value (1 row, e.g. row 2)"),
        ("firms", _set("cluster_id", 0, "C9"), "column cluster_id: cluster_id not in the"),
        ("links", _set("target_id", 0, "F99"), "column target_id: firm_id not in firms"),
    ],
)
def test_parquet_problems_match_the_reader(spark, tmp_path, table, edit, expected) -> None:
    folder = typed_copy(tmp_path / "typed")
    change(folder, table, edit)
    problems = spark_problems(folder)
    assert sorted(problems) == sorted(frame_problems(folder))
    assert any(expected in line for line in problems), problems


def _cell(column: str, row: int, text: str):
    def edit(frame):
        frame.loc[row, column] = text
        return frame

    return edit


@pytest.mark.parametrize(
    ("column", "text", "expected"),
    [
        ("employees", "12a", "column employees: not a number ('12a') (1 row, e.g. row 3)"),
        ("hq_outside", "maybe", "column hq_outside: not true/false ('maybe')"),
        ("invention_patents", "2.5", "column invention_patents: not a whole number"),
    ],
)
def test_csv_text_that_does_not_convert(spark, tiny_dir, column, text, expected) -> None:
    edit_csv(tiny_dir, "firms", _cell(column, 2, text))
    problems = spark_problems(tiny_dir)
    assert sorted(problems) == sorted(frame_problems(tiny_dir))
    assert any(expected in line for line in problems), problems


def test_gb18030_csv_with_names_and_written_codes_gives_the_embedded_indicators(
    spark, tmp_path
) -> None:
    """Chinese domain names and class or lettered industry codes, in GB18030 text."""
    tables = analysts_tables({"C1": "生物医药", "C2": "高端装备"})
    codes = {"C1": "biotech", "C2": "high_end_equipment"}
    reference = write_parquet(as_codes(tables, codes), tmp_path / "parquet")
    held = tmp_path / "held"
    held.mkdir()
    for name, frame in tables.items():
        frame.to_csv(held / f"{name}.csv", index=False, encoding="gb18030")
    expected = build_features(reference).drop(columns="extract_fingerprint")
    read = build_features(held, engine="spark").drop(columns="extract_fingerprint")
    assert_same_indicators(expected, read)


def test_excel_is_refused_with_how_to_convert(spark, tmp_path) -> None:
    held = write_mixed(analysts_tables({"C1": "生物医药", "C2": "高端装备"}), tmp_path / "held")
    assert spark_problems(held) == [f"firms.xlsx: {EXCEL_REFUSED}"]


def test_tables_are_found_through_hadoop_as_the_local_search_finds_them(spark, tmp_path):
    """Any case of name, a folder of part files, a workbook refused by name, a missing table
    named; a location off this machine (here a Hadoop listing alone) sees workbooks named
    after a table."""
    from clusterpath.data.contract import build_contract
    from clusterpath.data.reference import load_reference
    from clusterpath.spark.extract import HadoopPath, _listed, locate

    held = write_mixed(analysts_tables({"C1": "生物医药", "C2": "高端装备"}), tmp_path / "held")
    (held / "labels.parquet").rename(held / "Labels.parquet")
    (held / "links.csv").rename(tmp_path / "part-00000.csv")
    (held / "links.csv").mkdir()
    (tmp_path / "part-00000.csv").rename(held / "links.csv" / "part-00000.csv")
    contract = build_contract(load_reference())
    found, problems = locate(spark, str(held), contract)
    assert {name: (place.name, encoding) for name, (place, encoding) in found.items()} == {
        "clusters": ("clusters.csv", "GB18030"),
        "links": ("links.csv", "UTF-8"),
        "labels": ("Labels.parquet", None),
    }
    assert [str(p) for p in problems] == [str(Problem("firms.xlsx", EXCEL_REFUSED))]
    elsewhere, _ = _listed(HadoopPath(spark, held.as_uri()), contract, None)
    assert elsewhere["firms"] == ("firms.xlsx", None)
    (held / "firms.xlsx").unlink()
    _, problems = locate(spark, str(held), contract)
    assert [p.message for p in problems] == ["missing table firms (firms.parquet or firms.csv)"]


@pytest.mark.parametrize(
    "written",
    [
        b"a,b,c\n1,2,3\n",
        "\ufeffa,b,c\r\n1,2,3\r\n".encode(),
        b' a ,"b ""x""",c \n1,2,3\n',
        "企业,年份\n甲,2\n".encode("gb18030"),
        b"a,b,c",
        b"a,A,c\n1,2,3\n",  # repeated and empty names are renamed by Spark itself
        b"a,,c\n1,2,3\n",
        b'"a\nb",c\n1,2\n',
    ],
)
def test_csv_header_read_from_the_sample_names_columns_as_spark_does(spark, tmp_path, written):
    from clusterpath.spark.extract import HadoopPath, csv_encoding, csv_reader, read_table

    path = tmp_path / "firms.csv"
    path.write_bytes(written)
    place = HadoopPath(spark, str(path))
    encoding = csv_encoding(place.head())
    inferred = csv_reader(spark, encoding).csv(str(path))  # Spark reads the header itself
    ours = read_table(spark, place, encoding)
    assert ours.columns == [c.lstrip("\ufeff") for c in inferred.columns]
    assert ours.collect() == inferred.collect()
