"""The contract document names every column the code checks, so the two cannot drift."""

from __future__ import annotations

from clusterpath.data.contract import build_contract
from clusterpath.data.reference import load_reference
from tests.conftest import REPO


def test_every_contract_column_is_documented() -> None:
    doc = (REPO / "docs" / "data-contract.md").read_text(encoding="utf-8")
    contract = build_contract(load_reference())
    for table in contract.tables:
        section = doc.split(f"## {table.name} ")[1].split("\n## ")[0]
        for column in table.columns:
            assert f"| {column.name} |" in section, (table.name, column.name)
            for value in column.allowed or ():
                if table.name != "clusters":
                    assert value in section, (table.name, column.name, value)
