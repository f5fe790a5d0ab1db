"""Simulator worlds: declared ranges are respected, worlds move every path alike, and the
sources they stand for show in the extract (link coverage, R&D reporting, cluster size)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from clusterpath.cli import app
from clusterpath.data.simulator import SimulationConfig, iter_clusters
from clusterpath.data.simulator.traits import PATH_ORDER, TRAITS, world_centres
from clusterpath.data.simulator.worlds import DRAWN_FIELDS, RANDOM, draw_world, load_worlds

WORLDS = load_worlds()


def test_catalogue_declares_several_distinct_worlds() -> None:
    assert len(WORLDS.worlds) >= 6
    coverage = [w.links_per_firm for w in WORLDS.worlds.values()]
    assert min(r.low for r in coverage) < 1.0 < 8.0 < max(r.high for r in coverage)
    assert max(w.max_enterprises for w in WORLDS.worlds.values()) >= 20_000


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), name=st.sampled_from([RANDOM, *WORLDS.names]))
def test_draws_stay_inside_the_declared_ranges(seed: int, name: str) -> None:
    world = draw_world(name, WORLDS, set(TRAITS), np.random.default_rng(seed))
    spec = WORLDS.worlds[world.name]
    assert name in (RANDOM, world.name)
    for field in DRAWN_FIELDS:
        r = getattr(spec, field)
        assert r.low - 1e-9 <= getattr(world, field) <= r.high + 1e-9
    for trait, shift in world.trait_shifts.items():
        ranges = [spec.trait_shifts.get(trait), WORLDS.free_shifts.get(trait)]
        low = sum(r.low for r in ranges if r is not None)
        high = sum(r.high for r in ranges if r is not None)
        assert low - 1e-9 <= shift <= high + 1e-9
    d = WORLDS.definitions
    for value, r in (
        (world.coding_spread, d.coding_spread),
        (world.group_attribution, d.group_attribution),
        *((world.link_coverage[t], r) for t, r in d.link_coverage.items()),
    ):
        assert r.low - 1e-9 <= value <= r.high + 1e-9


def test_path_traits_name_every_path_with_a_passage_of_the_paper() -> None:
    from clusterpath.data.policy import load_policy_corpus

    passages = {p.id for p in load_policy_corpus().passages}
    assert set(WORLDS.path_traits) == set(PATH_ORDER)
    for declared in WORLDS.path_traits.values():
        assert declared.passage in passages
        assert declared.traits and set(declared.traits) <= set(TRAITS)


def test_traits_no_path_claims_do_not_tell_paths_apart() -> None:
    world = draw_world("reference", WORLDS, set(TRAITS), np.random.default_rng(1))
    centres = world_centres(world, WORLDS.defining_traits)
    free = [k for k, name in enumerate(TRAITS) if name not in WORLDS.defining_traits]
    assert free  # sizes, growth, ownership ... vary, but not with the path
    for k in free:
        assert np.allclose(centres[k], centres[k, 0])
    for name in WORLDS.defining_traits:
        assert np.ptp(centres[list(TRAITS).index(name)]) > 0.1


@pytest.mark.parametrize("name", WORLDS.names)
def test_worlds_move_every_path_alike(name: str) -> None:
    """Differences between paths are the reference's, except the giant's own share."""
    world = draw_world(name, WORLDS, set(TRAITS), np.random.default_rng(0))
    centres = world_centres(world, WORLDS.defining_traits)
    reference = world_centres(
        replace(world, trait_shifts={}, rd_scale=1.0), WORLDS.defining_traits
    )
    names = list(TRAITS)
    for k, trait in enumerate(names):
        moved = centres[k] - reference[k]
        if trait == "anchor":
            others = [i for i, p in enumerate(PATH_ORDER) if p != "giant_anchored"]
            assert np.allclose(moved[others], 0.0)
            share = 1 / (1 + np.exp(-centres[k, PATH_ORDER.index("giant_anchored")]))
            assert share == pytest.approx(world.giant_anchor_share)
        else:
            assert np.allclose(moved, moved[0])


def _extract(world: str, n: int = 12) -> dict[str, pd.DataFrame]:
    config = SimulationConfig(n_clusters=n, years=(2023, 2023), seed=5, world=world)
    parts = [columns.frames() for columns in iter_clusters(config)]
    return {t: pd.concat([getattr(p, t) for p in parts]) for t in ("firms", "links", "clusters")}


def test_sources_show_in_the_extract() -> None:
    sparse, dense = _extract("disclosure_sparse"), _extract("registry_dense")
    for frames, name in ((sparse, "disclosure_sparse"), (dense, "registry_dense")):
        assert set(frames["clusters"]["world"]) == {name}
    links_per_row = {
        name: len(f["links"]) / len(f["firms"])
        for name, f in (("sparse", sparse), ("dense", dense))
    }
    # every source also records only part of some link types (definitions.link_coverage)
    assert links_per_row["sparse"] < 1.5 < 4.0 < links_per_row["dense"]

    def rd_share(frames) -> float:
        ent = frames["firms"]
        ent = ent[(ent.entity_type == "enterprise") & ent.cluster_id.notna()]
        return float((ent.rd_expense > 0).mean())

    assert rd_share(sparse) < 0.8 * rd_share(dense)


def test_frontier_firms_spend_a_fifth_or_more_of_revenue() -> None:
    firms = _extract("frontier_research", n=6)["firms"]
    ent = firms[(firms.entity_type == "enterprise") & (firms.revenue > 0)]
    intensity = ent.rd_expense / ent.revenue
    assert (intensity >= 0.2).sum() > 0
    assert intensity.max() <= 0.6 + 1e-9


def test_random_mixes_worlds_deterministically() -> None:
    config = SimulationConfig(n_clusters=40, years=(2023, 2023), seed=9)
    first = [p.world for p in _plans(config)]
    again = [p.world for p in _plans(config)]
    assert first == again
    assert len({w.name for w in first}) >= 4


def _plans(config):
    from itertools import islice

    from clusterpath.data.reference import load_reference
    from clusterpath.data.simulator import iter_plans

    return list(islice(iter_plans(config, load_reference()), config.n_clusters))


def test_unknown_world_is_bad_input(tmp_path) -> None:
    result = CliRunner().invoke(app, ["simulate", "--out", str(tmp_path / "x"), "--world", "mars"])
    assert result.exit_code == 2
    assert "unknown world 'mars'" in result.output
    assert not (tmp_path / "x").exists()


def test_sources_define_headquarters_and_industries_their_own_way() -> None:
    """Finer coding spreads firms over more divisions; group attribution marks established
    local firms as headquartered outside; neither moves with the path."""
    from clusterpath.data.reference import load_reference
    from clusterpath.data.simulator.divisions import make_divisions
    from clusterpath.data.simulator.population import (
        ENT,
        STATE,
        recorded_division,
        recorded_hq_outside,
    )

    reference = load_reference()
    div = make_divisions("high_end_equipment", reference, np.random.default_rng(0))
    n = 2000
    pop = {
        "kind": np.full(n, ENT),
        "div": np.full(n, div.core[0]),
        "code_u": np.linspace(0, 1, n, endpoint=False),
        "group_u": np.linspace(0, 1, n, endpoint=False)[::-1].copy(),
        "hq_out": np.zeros(n, bool),
        "founded": np.where(np.arange(n) % 2 == 0, 2000, 2020),
        "own": np.where(np.arange(n) % 4 == 0, STATE, 1),
    }
    rows = np.arange(n)
    world = replace(
        draw_world("reference", WORLDS, set(TRAITS), np.random.default_rng(0)),
        coding_spread=0.3,
        group_attribution=0.2,
    )
    coded = recorded_division(pop, rows, div, world)
    assert (coded != div.core[0]).mean() == pytest.approx(0.3, abs=0.01)
    assert set(coded) == {div.core[0], div.neighbour[div.core[0]]}
    hq = recorded_hq_outside(pop, rows, 2023, world)
    young = pop["founded"] == 2020
    assert not hq[young].any()  # a firm founded three years ago is nobody's old branch
    state = (pop["own"] == STATE) & ~young
    assert hq[state].mean() > 2 * hq[~young & ~state].mean()
    assert (
        recorded_division(pop, rows, div, replace(world, coding_spread=0.0)).tolist()
        == [div.core[0]] * n
    )
