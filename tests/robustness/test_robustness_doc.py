"""docs/robustness.md lists every corpus case with its outcome, so the two cannot drift."""

from __future__ import annotations

import re

from tests.conftest import REPO
from tests.robustness.mutations import CASES, render_table

DOC = REPO / "docs" / "robustness.md"


def test_doc_lists_every_case_with_its_outcome():
    doc = DOC.read_text(encoding="utf-8")
    missing = [line for line in render_table().splitlines() if line not in doc.splitlines()]
    assert not missing, "regenerate the table: python -m tests.robustness.mutations\n" + "\n".join(
        missing
    )


def test_doc_lists_no_case_that_is_gone():
    listed = re.findall(r"^\| `([a-z0-9_]+)` \|", DOC.read_text(encoding="utf-8"), re.MULTILINE)
    assert sorted(listed) == sorted(c.name for c in CASES)
