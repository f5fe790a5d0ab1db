"""Fuzzing the readers, the contract checks and the feature engine with Hypothesis.

Random small extracts are written as CSV or Parquet files, valid ones with values at the
contract's edges and broken ones made from them by a few random mutations (junk in a cell,
a column dropped, a row repeated, a table emptied). Whatever the files hold, reading,
validating and computing the indicators (DuckDB, over frames or over the Parquet files)
either stop with a ContractError or give an indicator table; nothing else escapes.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from clusterpath.data.contract import (
    ENTITY_TYPES,
    FIRST_FOUNDED,
    FIRST_YEAR,
    LINK_TYPES,
    MAX_EMPLOYEES,
    MAX_MONEY,
    MAX_PATENTS,
    OWNERSHIP_TYPES,
    current_year,
)
from clusterpath.data.errors import ContractError
from clusterpath.data.readers import load_extract
from clusterpath.data.reference import load_reference
from clusterpath.features.catalogue import load_catalogue
from clusterpath.pipelines.features import build_features
from tests.robustness.mutations import (
    HOSTILE,
    drop_column,
    duplicate_row,
    empty_table,
    read_table,
    set_cell,
)

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
IDS = load_catalogue().ids
DOMAINS = (*load_reference().domain_codes, "新材料", "生物医药", "High-end equipment")
# "5" is read as 05, the others as the division they start with
DIVISIONS = ("01", "13", "39", "65", "73", "83", "97", "5", "C3911", "391", "P83")
YEARS = (FIRST_YEAR, 2020, 2021, current_year())
KEY = ["cluster_id", "year"]
TABLES = ("firms", "links", "clusters")

money = st.one_of(
    st.sampled_from([0.0, MAX_MONEY, 1e-9, 0.5]),
    st.floats(0, MAX_MONEY, allow_nan=False, allow_infinity=False),
)
weights = st.one_of(
    st.sampled_from([MAX_MONEY, 1e-9, 1.0]),
    st.floats(1e-9, MAX_MONEY, allow_nan=False, allow_infinity=False),
)
counts = st.one_of(st.sampled_from([0, MAX_PATENTS]), st.integers(0, 50))
names = st.one_of(
    st.sampled_from((*HOSTILE, "集群", "C,1", '"q"', "[/]", "NA", "nan", "0")),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=6),
).filter(lambda s: s.strip() == s and s != "")
JUNK = st.sampled_from(
    (
        "",
        " ",
        "abc",
        "inf",
        "-inf",
        "NaN",
        "-1",
        "1e400",
        "２０２１",
        "1,000",
        "true",
        None,
        float("nan"),
        float("inf"),
        -1.0,
        1e18,
        2.5,
    )
)


@st.composite
def valid_extract(draw) -> dict[str, pd.DataFrame]:
    """Tables that keep the contract, with values at its edges."""
    clusters = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    years = draw(st.lists(st.sampled_from(YEARS), min_size=1, max_size=2, unique=True))
    firms, links = [], []
    for year in years:
        ids = draw(st.lists(st.sampled_from([f"F{i}" for i in range(8)]), max_size=8, unique=True))
        if not ids:
            ids = ["F0"]
        for firm in ids:
            firms.append(
                {
                    "firm_id": firm,
                    "year": year,
                    "cluster_id": draw(st.sampled_from([*clusters, None])),
                    "entity_type": draw(st.sampled_from(ENTITY_TYPES + ("enterprise",) * 4)),
                    "industry_code": draw(st.sampled_from(DIVISIONS)),
                    "founded_year": draw(st.integers(FIRST_FOUNDED, year)),
                    "employees": draw(st.one_of(st.sampled_from([0, MAX_EMPLOYEES]), counts)),
                    "revenue": draw(money),
                    "rd_expense": draw(money),
                    "invention_patents": draw(counts),
                    "utility_patents": draw(counts),
                    "ownership": draw(st.sampled_from(OWNERSHIP_TYPES)),
                    "hq_outside": draw(st.booleans()),
                    "listed": draw(st.booleans()),
                    "vc_funding": draw(money),
                }
            )
        if len(ids) > 1:
            pairs = st.tuples(st.sampled_from(ids), st.sampled_from(ids)).filter(
                lambda p: p[0] != p[1]
            )
            for source, target in draw(st.lists(pairs, max_size=10)):
                links.append(
                    {
                        "source_id": source,
                        "target_id": target,
                        "year": year,
                        "link_type": draw(st.sampled_from(LINK_TYPES)),
                        "weight": draw(weights),
                    }
                )
    if not any(f["cluster_id"] for f in firms):
        firms[0]["cluster_id"] = clusters[0]
    if not links:  # links must not be empty: one between two partners of the first year
        year = years[0]
        for firm in ("P0", "P1"):
            firms.append({**firms[0], "firm_id": firm, "year": year, "cluster_id": None})
        links.append(
            {
                "source_id": "P0",
                "target_id": "P1",
                "year": year,
                "link_type": "supply",
                "weight": 1,
            }
        )
    cluster_rows = [
        {
            "cluster_id": c,
            "name": draw(names),
            "name_en": draw(st.one_of(st.none(), names)),
            "province": draw(names),
            "city": draw(names),
            "domain": draw(st.sampled_from(DOMAINS)),
        }
        for c in clusters
    ]
    return {
        "firms": pd.DataFrame(firms).astype({"revenue": float, "rd_expense": float}),
        "links": pd.DataFrame(links).astype({"weight": float}),
        "clusters": pd.DataFrame(cluster_rows),
    }


def write(tables: dict[str, pd.DataFrame], folder: Path, form: str) -> Path:
    folder.mkdir()
    for name, frame in tables.items():
        if form == "parquet":
            frame.to_parquet(folder / f"{name}.parquet", index=False)
        else:
            frame.to_csv(folder / f"{name}.csv", index=False, encoding="utf-8")
    return folder


@st.composite
def mutation(draw, folder: Path):
    """One random way to break the extract as it now is in ``folder``."""
    table = draw(st.sampled_from(sorted(TABLES)))
    frame = read_table(folder, table)
    column = draw(st.sampled_from(list(frame.columns)))
    kinds = ["junk", "junk", "junk", "drop", "duplicate", "empty"] if len(frame) else ["drop"]
    kind = draw(st.sampled_from(kinds))
    if kind == "junk":
        return set_cell(table, column, draw(JUNK), (draw(st.integers(0, len(frame) - 1)),))
    if kind == "drop":
        return drop_column(table, column)
    if kind == "duplicate":
        return duplicate_row(table)
    return empty_table(table)


def check_features(features: pd.DataFrame) -> None:
    """An indicator table: unique keys, every indicator, no infinity, a reason for each NaN."""
    assert not features.duplicated(KEY).any()
    values = features[list(IDS)].to_numpy(dtype=float)
    assert not np.isinf(values).any()
    for row, reasons in zip(values, features["undefined_reasons"], strict=True):
        undefined = {IDS[i] for i in np.flatnonzero(np.isnan(row))}
        assert undefined == set(json.loads(reasons)), reasons


def outcome(folder: Path) -> tuple[str, pd.DataFrame | None]:
    """('error', None) or ('ok', features): the only two ways out of reading an extract."""
    try:
        load_extract(folder)
    except ContractError as err:
        assert err.problems and all(p.line() for p in err.problems)
        validated = "error"
    else:
        validated = "ok"
    try:
        features = build_features(folder)
    except ContractError:
        assert validated == "error", "features refused an extract that validates"
        return "error", None
    assert validated == "ok", "features accepted an extract that does not validate"
    check_features(features)
    return "ok", features


@pytest.mark.slow
@FUZZ
@given(tables=valid_extract(), form=st.sampled_from(["csv", "parquet"]))
def test_valid_extracts_give_an_indicator_table(tables, form):
    with tempfile.TemporaryDirectory() as tmp:
        result, features = outcome(write(tables, Path(tmp) / "extract", form))
    assert result == "ok"
    members = tables["firms"].dropna(subset=["cluster_id"])
    assert len(features) == len(members[KEY].drop_duplicates())


@pytest.mark.slow
@FUZZ
@given(data=st.data(), form=st.sampled_from(["csv", "parquet"]))
def test_broken_extracts_give_a_contract_error_or_a_table(data, form):
    tables = data.draw(valid_extract())
    with tempfile.TemporaryDirectory() as tmp:
        folder = write(tables, Path(tmp) / "extract", form)
        for _ in range(data.draw(st.integers(1, 3))):
            data.draw(mutation(folder))(folder)
        event(outcome(folder)[0])
