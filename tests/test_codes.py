"""Codes written in more than one way are read as one code: industry codes as divisions,
domains by any of their names; a value that reads as nothing is left for the contract."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from clusterpath.data.codes import DivisionCodes, NamedCodes, name_key, rewrites
from clusterpath.data.contract import build_contract
from clusterpath.data.reference import load_reference
from clusterpath.resources import Declared, locate

REFERENCE = load_reference()
CONTRACT = build_contract(REFERENCE)
DIVISIONS = CONTRACT.table("firms").column("industry_code").reader
DOMAINS = CONTRACT.table("clusters").column("domain").reader


@pytest.mark.parametrize(
    ("written", "division"),
    [
        ("39", "39"),
        ("C39", "39"),
        ("c3911", "39"),
        ("3911", "39"),
        ("391", "39"),
        ("5", "05"),
        ("0511", "05"),
        ("A0511", "05"),
        ("P83", "83"),
        ("K70", "70"),
        ("T97", "97"),
        ("A39", None),  # manufacturing is section C
        ("C05", None),
        ("A9", None),
        ("9911", None),  # no division 99
        ("00", None),
        ("C", None),
        ("39.0", None),
        (" 39", None),  # blanks are taken off CSV and Excel cells before, not here
        ("391101", None),
    ],
)
def test_industry_codes_read_as_divisions(written: str, division: str | None) -> None:
    assert DIVISIONS.read(written) == division


@given(st.integers(1, 97), st.sampled_from(["", "1", "12", "01"]), st.booleans())
def test_every_division_reads_back_from_its_group_and_class_codes(division, tail, letter):
    code = f"{division:02d}"
    section = next(s for s, first, last in REFERENCE.section_spans if first <= division <= last)
    assert DIVISIONS.read((section if letter else "") + code + tail) == code


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("新材料", "new_materials"),
        ("新材料产业", "new_materials"),
        ("生物医药", "biotech"),
        ("生物", "biotech"),
        ("高端装备", "high_end_equipment"),
        ("高端装备制造业", "high_end_equipment"),
        ("新一代信息技术产业", "next_gen_it"),
        ("Next-Generation IT", "next_gen_it"),
        ("next_gen_it", "next_gen_it"),
        ("NEXT GEN IT", "next_gen_it"),
        ("ＮＥＶ", "new_energy_vehicles"),  # full-width letters
        ("新 材 料", "new_materials"),
        ("New-energy vehicles", "new_energy_vehicles"),
        ("new energy", "new_energy"),
        ("xyz", None),
        ("新材料x", None),
    ],
)
def test_domains_read_by_any_name(written: str, code: str | None) -> None:
    assert DOMAINS.read(written) == code


def test_closest_names_of_an_unknown_domain() -> None:
    assert DOMAINS.closest("生物制药")[0] == "生物医药"
    assert DOMAINS.closest("new material")[0] == "new materials"
    assert len(DOMAINS.closest("xyz")) == 3


def test_rewrites_only_what_reads_as_another_code() -> None:
    found = rewrites(DOMAINS, ["新材料", "biotech", "xyz", "生物医药"])
    assert found == {"新材料": "new_materials", "生物医药": "biotech"}


def test_name_key_ignores_case_blanks_and_width() -> None:
    assert (
        name_key("High-end equipment")
        == name_key("high_end ＥＱＵＩＰＭＥＮＴ")
        == ("highendequipment")
    )


def test_a_name_of_two_domains_is_refused(tmp_path: Path) -> None:
    folder = shutil.copytree(locate(Declared.REFERENCE), tmp_path / "reference")
    path = folder / "domains.yaml"
    table = yaml.safe_load(path.read_text(encoding="utf-8"))
    table["domains"][1]["aliases"].append("Electronic Information")  # one name, two domains
    table["domains"][0]["aliases"].append("electronic-information")
    path.write_text(yaml.safe_dump(table, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match="stands for"):
        load_reference(folder)


def test_sections_must_cover_every_division(tmp_path: Path) -> None:
    folder = shutil.copytree(locate(Declared.REFERENCE), tmp_path / "reference")
    path = folder / "industries.yaml"
    table = yaml.safe_load(path.read_text(encoding="utf-8"))
    table["sections"][2]["last"] = "42"  # manufacturing ends at 43
    path.write_text(yaml.safe_dump(table, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match="sections must cover"):
        load_reference(folder)


def test_readers_are_the_reference_tables() -> None:
    assert isinstance(DIVISIONS, DivisionCodes) and isinstance(DOMAINS, NamedCodes)
    assert DOMAINS.source == "data/reference/domains.yaml"
    assert {code for _, code in DOMAINS.names} == set(REFERENCE.domain_codes)
