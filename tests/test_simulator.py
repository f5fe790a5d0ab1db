"""The simulator: contract shape, invariants, determinism, and path signals as distributions."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clusterpath.data.contract import build_contract
from clusterpath.data.reference import load_reference
from clusterpath.data.simulator import (
    SimulationConfig,
    iter_plans,
    parse_years,
    simulate_cluster,
    write_extract,
)

PATHS = ("giant_anchored", "upgrade", "convergence", "introduction", "indigenous")
TABLES = ("firms", "links", "clusters", "labels")
CONFIG = SimulationConfig(n_clusters=150, years=(2021, 2023), seed=7, world="reference")


@pytest.fixture(scope="session")
def reference():
    return load_reference()


@pytest.fixture(scope="session")
def extract(tmp_path_factory) -> dict[str, pd.DataFrame]:
    out = tmp_path_factory.mktemp("sim") / "extract"
    summary = write_extract(CONFIG, out)
    assert summary.n_clusters == CONFIG.n_clusters
    frames = {t: pd.read_parquet(out / f"{t}.parquet") for t in TABLES}
    assert summary.firm_rows == len(frames["firms"])
    assert summary.link_rows == len(frames["links"])
    return frames


def _share(part: pd.Series, whole: pd.Series) -> pd.Series:
    return part.reindex(whole.index, fill_value=0) / whole


@pytest.fixture(scope="session")
def signals(extract, reference) -> pd.DataFrame:
    """One row per cluster-year: the indicators each path is meant to move, and its label."""
    firms, links = extract["firms"], extract["links"]
    ent = firms[(firms.entity_type == "enterprise") & firms.cluster_id.notna()].copy()
    key = ["cluster_id", "year"]
    revenue = ent.groupby(key).revenue.sum()
    traditional = {i.code for i in reference.industries if i.traditional}
    ent["outside"] = ent.ownership.isin(["foreign", "hmt"]) | ent.hq_outside
    out = pd.DataFrame(
        {
            "top1": ent.groupby(key).revenue.max() / revenue,
            "rd": ent.groupby(key).rd_expense.sum() / revenue,
            "outside": _share(ent[ent.outside].groupby(key).revenue.sum(), revenue),
            "traditional": _share(
                ent[ent.industry_code.isin(traditional)].groupby(key).revenue.sum(), revenue
            ),
        }
    )
    side = firms[["firm_id", "year", "cluster_id", "industry_code"]]
    both = links.merge(
        side.rename(columns={"firm_id": "source_id", "industry_code": "s_code"}),
        on=["source_id", "year"],
    ).merge(
        side.rename(
            columns={"firm_id": "target_id", "industry_code": "t_code", "cluster_id": "t_cluster"}
        ),
        on=["target_id", "year"],
    )
    inside = both[both.cluster_id.notna() & (both.cluster_id == both.t_cluster)]
    cross = inside.weight.where(inside.s_code != inside.t_code, 0.0)
    out["cross"] = (
        cross.groupby([inside.cluster_id, inside.year]).sum() / inside.groupby(key).weight.sum()
    )
    present = ent[[*key, "firm_id"]].assign(year=ent.year + 1, seen=True)
    later = ent[ent.year > CONFIG.years[0]].merge(present, on=[*key, "firm_id"], how="left")
    counts = ent.groupby(key).size()
    prior = counts.rename(index=lambda y: y + 1, level="year")
    out["entry"] = later.seen.isna().groupby([later.cluster_id, later.year]).sum() / prior
    return out.join(extract["labels"].set_index(key).path)


# --- contract and invariants ------------------------------------------------------------


def test_tables_follow_the_contract(extract, reference) -> None:
    contract = build_contract(reference)
    kinds = {"string": "object", "int": "int64", "float": "float64", "bool": "bool"}
    for name in TABLES:
        spec, frame = contract.table(name), extract[name]
        written = tuple(frame.columns)
        # every required column, in the contract's order; optional ones (e.g. the labels'
        # second_path and clarity, which only an expert reading has) may be left out
        assert written == tuple(c for c in spec.column_names if c in written), name
        assert {c.name for c in spec.columns if c.required} <= set(written), name
        for col in (c for c in spec.columns if c.name in written):
            values = frame[col.name]
            assert str(values.dtype) == kinds[col.kind], (name, col.name)
            if not col.nullable:
                assert values.notna().all(), (name, col.name)
            if col.allowed is not None:
                assert set(values.dropna()) <= set(col.allowed), (name, col.name)
            if col.ge is not None:
                assert (values >= col.ge).all(), (name, col.name)
            if col.gt is not None:
                assert (values > col.gt).all(), (name, col.name)
            if col.le is not None:
                assert (values <= col.le).all(), (name, col.name)


def test_firm_rows_are_consistent(extract, reference) -> None:
    firms = extract["firms"]
    assert not firms.duplicated(["firm_id", "year"]).any()
    assert (firms.founded_year <= firms.year).all()
    assert (firms.revenue <= 1e10).all()
    assert set(firms.industry_code) <= set(reference.industry_by_code)
    inside = firms[firms.cluster_id.notna()]
    assert set(inside.cluster_id) == set(extract["clusters"].cluster_id)
    assert inside.firm_id.str.fullmatch(r"F\d{8}").all()
    assert firms[firms.cluster_id.isna()].firm_id.str.fullmatch(r"P\d{7}").all()
    bodies = firms.set_index("entity_type").industry_code
    assert set(bodies.loc[["university"]]) == {"83"}
    assert set(bodies.loc[["research_institute"]]) == {"73"}
    years_per_firm = inside.groupby("firm_id").year.nunique()
    assert (years_per_firm == len(CONFIG.year_range)).mean() > 0.5
    stable = inside.groupby("firm_id")[["cluster_id", "founded_year", "industry_code"]].nunique()
    assert (stable == 1).all().all()


def test_links_join_firms_of_the_same_year(extract) -> None:
    firms, links = extract["firms"], extract["links"]
    known = pd.MultiIndex.from_frame(firms[["firm_id", "year"]])
    for side in ("source_id", "target_id"):
        assert pd.MultiIndex.from_arrays([links[side], links.year]).isin(known).all()
    assert (links.source_id != links.target_id).all()
    assert not links.duplicated(["source_id", "target_id", "year", "link_type"]).any()
    partners = firms[firms.cluster_id.isna()]
    linked = pd.concat(
        [
            links[["source_id", "year"]].set_axis(["firm_id", "year"], axis=1),
            links[["target_id", "year"]].set_axis(["firm_id", "year"], axis=1),
        ]
    )
    assert (
        pd.MultiIndex.from_frame(partners[["firm_id", "year"]])
        .isin(pd.MultiIndex.from_frame(linked))
        .all()
    )
    # the world's 4-6 links per firm row, of which a source records 30-100 % of each kind
    # (20-100 % of co-operation links: definitions.link_coverage)
    ratio = len(links) / len(firms)
    assert 2.5 < ratio < 6.0


def test_degrees_are_heavy_tailed(extract) -> None:
    links = extract["links"]
    degree = pd.concat([links.source_id, links.target_id]).value_counts()
    assert degree.max() > 20 * degree.median()


def test_clusters_and_labels(extract, reference) -> None:
    clusters, labels = extract["clusters"], extract["labels"]
    assert clusters.cluster_id.is_unique and clusters.name.is_unique
    assert clusters.cluster_id.str.fullmatch(r"C\d{4}").all()
    assert clusters.name.str.contains("产业集群").all()
    assert set(clusters.domain) <= set(reference.domain_codes)
    assert clusters.city.value_counts().max() >= 4  # cities host several clusters
    full = pd.MultiIndex.from_product([clusters.cluster_id, CONFIG.year_range])
    assert (
        pd.MultiIndex.from_frame(labels[["cluster_id", "year"]])
        .sort_values()
        .equals(full.sort_values())
    )
    assert set(labels.path) == set(PATHS) == set(reference.path_codes)
    assert (labels.source == "simulated").all()
    changes = labels.groupby("cluster_id").path.nunique()
    assert 0.03 <= (changes > 1).mean() <= 0.25


def test_cluster_and_firm_sizes(extract) -> None:
    firms = extract["firms"]
    ent = firms[(firms.entity_type == "enterprise") & firms.cluster_id.notna()]
    per_cluster = ent.groupby(["cluster_id", "year"]).size()
    assert 80 <= per_cluster.median() <= 250
    assert per_cluster.max() >= 400
    large = (ent.employees >= 1000) & (ent.revenue >= 40_000)
    medium = (ent.employees >= 300) & (ent.revenue >= 2_000) & ~large
    assert 0.01 <= large.mean() <= 0.07
    assert 0.15 <= medium.mean() <= 0.40
    assert 0.55 <= 1 - large.mean() - medium.mean() <= 0.85
    assert (ent.rd_expense == 0).mean() > 0.3
    assert (ent.invention_patents == 0).mean() > 0.6


# --- path signals: compared as distributions -------------------------------------------


def _medians(signals: pd.DataFrame, column: str) -> pd.Series:
    return signals.groupby("path")[column].median()


@pytest.mark.parametrize(
    ("column", "path"),
    [
        ("top1", "giant_anchored"),
        ("cross", "convergence"),
        ("outside", "introduction"),
        ("traditional", "upgrade"),
    ],
)
def test_path_leads_its_signal(signals, column, path) -> None:
    medians = _medians(signals, column)
    assert (medians.drop(path) < medians[path]).all(), medians


def test_indigenous_out_innovates_and_out_enters_upgrading(signals) -> None:
    rd, entry = _medians(signals, "rd"), _medians(signals, "entry")
    assert rd["indigenous"] > 2 * rd["upgrade"]
    assert entry["indigenous"] > 2 * entry["upgrade"]


def test_paths_overlap(signals) -> None:
    leads = {
        "top1": "giant_anchored",
        "cross": "convergence",
        "outside": "introduction",
        "traditional": "upgrade",
        "rd": "indigenous",
    }
    overlapping = [
        column
        for column, path in leads.items()
        if (signals.loc[signals.path != path, column] > _medians(signals, column)[path]).any()
    ]
    assert len(overlapping) >= 2, overlapping


# --- determinism, sizes, the folder swap ----------------------------------------------


def test_same_seed_same_cluster(reference) -> None:
    config = SimulationConfig(n_clusters=3, years=(2020, 2022), seed=11)
    plans = [p for p, _ in zip(iter_plans(config, reference), range(3), strict=False)]
    first = simulate_cluster(plans[2], reference, config, 500, 40)
    again = simulate_cluster(plans[2], reference, config, 500, 40)
    for name in ("clusters", "firms", "links", "labels"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(again, name))
    assert first.firms.firm_id.min() == "F00000500"
    other = simulate_cluster(plans[2], reference, config.model_copy(update={"seed": 12}))
    assert not first.firms[["revenue"]].equals(other.firms[["revenue"]])


def test_extract_independent_of_chunking(tmp_path: Path) -> None:
    small = SimulationConfig(n_clusters=8, years=(2022, 2023), seed=3, row_group_rows=1_000)
    big = small.model_copy(update={"row_group_rows": 1_000_000})
    write_extract(small, tmp_path / "a")
    write_extract(big, tmp_path / "b")
    for name in TABLES:
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "a" / f"{name}.parquet"),
            pd.read_parquet(tmp_path / "b" / f"{name}.parquet"),
        )


def test_target_rows_and_folder_swap(tmp_path: Path) -> None:
    out = tmp_path / "extract"
    out.mkdir()
    (out / "stale.txt").write_text("old run")
    seen = []
    config = SimulationConfig(years=(2023, 2023), seed=1, target_firm_rows=3_000)
    summary = write_extract(config, out, progress=lambda done, total: seen.append((done, total)))
    assert summary.firm_rows >= 3_000
    assert summary.firm_rows - 3_000 < 3_000  # stops right after the target
    done = [d for d, _ in seen]
    assert done == list(range(1, summary.n_clusters + 1))
    assert seen[-1] == (summary.n_clusters, summary.n_clusters)
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.parquet" for t in TABLES)
    assert os.listdir(tmp_path) == ["extract"]  # no temporary folder left behind


def test_parse_years() -> None:
    assert parse_years("2019-2023") == (2019, 2023)
    assert parse_years("2021") == (2021, 2021)
    for bad in ("2023-2019", "19-23", "2019..2023"):
        with pytest.raises(ValueError):
            parse_years(bad)
    with pytest.raises(ValueError):
        SimulationConfig(years=(2023, 2019))


def test_link_ends_are_named_even_when_no_partner_link_was_recorded():
    from clusterpath.data.simulator.cluster import endpoint_ids

    members = np.array(["F1", "F2"], dtype=object)
    # a source that kept no link to any outside partner in any year: no partner is named
    unnamed_pool = np.full(3, -1)
    ends = np.array([0, 1, 1])
    no_partners = np.array([], dtype=object)
    assert endpoint_ids(ends, members, no_partners, unnamed_pool).tolist() == ["F1", "F2", "F2"]
    # pool member 1 is the one named partner
    named_pool = np.array([-1, 0, -1])
    got = endpoint_ids(np.array([0, 3, 1]), members, np.array(["P1"], dtype=object), named_pool)
    assert got.tolist() == ["F1", "P1", "F2"]
