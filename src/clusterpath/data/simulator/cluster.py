"""``simulate_cluster``: all years of one cluster as contract-shaped DataFrames."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from clusterpath.data.contract import ENTITY_TYPES, OWNERSHIP_TYPES
from clusterpath.data.reference import Reference
from clusterpath.data.simulator import population as popm
from clusterpath.data.simulator.config import SimulationConfig
from clusterpath.data.simulator.divisions import make_divisions
from clusterpath.data.simulator.network import cluster_links
from clusterpath.data.simulator.population import ENT, FIN, INST, SERV, UNI
from clusterpath.data.simulator.traits import LINK_TYPES, ClusterPlan

FIRM_COLUMNS = (
    "firm_id",
    "year",
    "cluster_id",
    "entity_type",
    "industry_code",
    "founded_year",
    "employees",
    "revenue",
    "rd_expense",
    "invention_patents",
    "utility_patents",
    "ownership",
    "hq_outside",
    "listed",
    "vc_funding",
)
_VALUES = (
    "employees",
    "revenue",
    "rd_expense",
    "invention_patents",
    "utility_patents",
    "vc_funding",
)


Columns = dict[str, np.ndarray]


@dataclass(frozen=True)
class ClusterColumns:
    """One cluster's rows of the four extract tables as numpy columns, and the ids used up."""

    clusters: Columns
    firms: Columns
    links: Columns
    labels: Columns
    firm_ids_used: int
    partner_ids_used: int

    def frames(self) -> ClusterFrames:
        return ClusterFrames(
            *(pd.DataFrame(getattr(self, t)) for t in ("clusters", "firms", "links", "labels")),
            self.firm_ids_used,
            self.partner_ids_used,
        )


@dataclass(frozen=True)
class ClusterFrames:
    """One cluster's rows of the four extract tables, plus the ids it used up."""

    clusters: pd.DataFrame
    firms: pd.DataFrame
    links: pd.DataFrame
    labels: pd.DataFrame
    firm_ids_used: int
    partner_ids_used: int


def year_shocks(config: SimulationConfig) -> np.ndarray:
    """Growth shock common to all clusters in a year (the business cycle)."""
    return np.random.default_rng([config.seed, 1]).normal(0, 0.03, len(config.year_range))


def _initial(plan: ClusterPlan, config: SimulationConfig, div, rng) -> popm.Pop:
    tr, year = plan.traits[0], plan.years[0]
    if rng.random() < config.small_cluster_share:
        n = int(rng.integers(3, 10))
    else:
        world = plan.world
        median = config.median_cluster_size or world.median_enterprises
        sigma = (
            world.size_sigma if config.cluster_size_sigma is None else config.cluster_size_sigma
        )
        n = int(np.clip(rng.lognormal(np.log(median), sigma), 10, world.max_enterprises))
    pop = popm.new_enterprises(n, tr, year, div, rng, entrant=False)
    n_research = min(30, rng.poisson(tr["research"]))
    kinds = np.concatenate(
        [
            np.where(rng.random(n_research) < 0.4, UNI, INST),
            np.full(rng.poisson(2.5), SERV),
            np.full(rng.poisson(1.0 + 20 * tr["vc"]), FIN),
        ]
    ).astype(np.int8)
    pop = popm.concat(pop, popm.new_bodies(kinds, year, div, rng))
    return popm.place_anchors(pop, tr, year, div, rng, first=True)


def simulate_cluster(
    plan: ClusterPlan,
    reference: Reference,
    config: SimulationConfig,
    first_firm_number: int = 1,
    first_partner_number: int = 1,
) -> ClusterFrames:
    """Simulate every year of one cluster; deterministic given ``config.seed`` and the plan.

    Firm ids continue from ``first_firm_number`` ("F00000001"), outside partners from
    ``first_partner_number`` ("P0000001"); the caller advances them by the ids used.
    """
    return cluster_columns(
        plan, reference, config, first_firm_number, first_partner_number
    ).frames()


def cluster_columns(
    plan: ClusterPlan,
    reference: Reference,
    config: SimulationConfig,
    first_firm_number: int = 1,
    first_partner_number: int = 1,
) -> ClusterColumns:
    """``simulate_cluster`` without building DataFrames (what the Parquet writer streams)."""
    rng = np.random.default_rng([config.seed, plan.index, 1])
    div = make_divisions(plan.identity.domain, reference, rng)
    shocks = year_shocks(config)
    pop = _initial(plan, config, div, rng)
    n0 = int((pop["kind"] == ENT).sum())
    pool_size = int(np.ceil(max(t["partners"] for t in plan.traits) * n0 * 2.5)) + 3
    partners = popm.new_partners(pool_size, plan.traits[0], plan.years[0], div, rng)
    years = []
    for pos, (year, tr, mix) in enumerate(
        zip(plan.years, plan.traits, plan.link_mix, strict=True)
    ):
        if pos:
            pop = popm.step(pop, tr, shocks[pos], year, div, rng)
            partners["log_rev"] += 0.06 + rng.normal(0, 0.1, pool_size)
        rows = np.flatnonzero(pop["alive"])
        values = popm.observe(pop, rows, tr, year, rng, plan.world)
        links_per_row = config.links_per_firm_row or plan.world.links_per_firm
        years.append(
            _link_year(
                pop,
                rows,
                values,
                partners,
                tr,
                np.array(mix),
                year,
                links_per_row,
                rng,
                plan.world.link_coverage,
            )
        )
    return _columns(plan, pop, partners, years, div, first_firm_number, first_partner_number)


@dataclass(frozen=True)
class _Year:
    year: int
    rows: np.ndarray  # positions of the cluster's entities alive this year
    values: dict[str, np.ndarray]  # their yearly values
    linked: np.ndarray  # pool positions of the partners linked this year
    partner_values: dict[str, np.ndarray]  # yearly values over the whole pool
    links: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # source, target, type, weight


def _recorded_links(links, coverage: dict[str, float], rng) -> tuple:
    """The links a source records: each type kept at its coverage (all where not given)."""
    if not coverage:
        return links
    kept = np.array([coverage.get(t, 1.0) for t in LINK_TYPES])
    keep = rng.random(len(links[2])) < kept[links[2]]
    return tuple(part[keep] for part in links)


def _link_year(
    pop, rows, values, partners, tr, mix, year, links_per_row, rng, coverage=None
) -> _Year:
    """Pick this year's outside partners, size the link budget, draw the links."""
    pool_size = len(partners["kind"])
    n_active = min(pool_size, max(1, round(tr["partners"] * len(rows))))
    fit = partners["fitness"]
    active = np.sort(rng.choice(pool_size, size=n_active, replace=False, p=fit / fit.sum()))
    observed = popm.observe(partners, active, {**tr, "vc": 0.0}, year, rng, None)
    p_values = {k: np.zeros(pool_size, v.dtype) for k, v in observed.items()}
    for k, v in observed.items():
        p_values[k][active] = v
    total = max(1, round(links_per_row * (len(rows) + n_active)))
    n_ext = max(n_active, round(tr["external"] * total))
    own = pop["own"][rows]
    e = {k: pop[k][rows] for k in ("kind", "div", "doer", "fitness", "anchor")}
    e.update(values)
    e["age"] = year - pop["founded"][rows]
    e["outside"] = pop["hq_out"][rows] | (own == popm.FOREIGN) | (own == popm.HMT)
    star = min(0.75, 1.5 * tr["anchor"])
    links = cluster_links(
        e, partners, active, max(total - n_ext, 0), n_ext, mix, tr["homophily"], star, rng
    )
    links = _recorded_links(links, coverage, rng)
    src, tgt = links[0], links[1]
    n = len(rows)
    linked = np.unique(np.concatenate([src[src >= n], tgt[tgt >= n]])) - n
    return _Year(year, rows, values, linked, p_values, links)


def endpoint_ids(
    ends: np.ndarray, member_ids: np.ndarray, partner_ids: np.ndarray, partner_number: np.ndarray
) -> np.ndarray:
    """The ids of link ends: an end below ``len(member_ids)`` is that year's member, one at or
    above it the pool's partner ``end - len(member_ids)``, named by its ``partner_number``
    (-1 for pool members never linked). A source may record no partner link in any year."""
    n = len(member_ids)
    members = np.concatenate([member_ids, np.full(1, None, dtype=object)])
    partners = np.concatenate([partner_ids, np.full(1, None, dtype=object)])  # -1 picks None
    return np.where(
        ends < n, members[np.minimum(ends, n)], partners[partner_number[np.maximum(ends - n, 0)]]
    )


def _columns(plan, pop, partners, years, div, first_firm, first_partner) -> ClusterColumns:
    """Name every entity and stack the years into contract columns."""
    entity = np.array(ENTITY_TYPES, dtype=object)
    owner = np.array(OWNERSHIP_TYPES, dtype=object)
    used = np.unique(np.concatenate([y.linked for y in years]))
    partner_number = np.full(len(partners["kind"]), -1)
    partner_number[used] = np.arange(len(used))
    firm_ids = np.array([f"F{first_firm + i:08d}" for i in range(len(pop["kind"]))], dtype=object)
    partner_ids = np.array([f"P{first_partner + i:07d}" for i in range(len(used))], dtype=object)
    firm_parts, link_parts = [], []
    cid = plan.identity.cluster_id
    for y in years:
        year, rows, linked = y.year, y.rows, y.linked
        src, tgt, ty, w = y.links
        for source, idx, vals, ids, cluster in (
            (pop, rows, y.values, firm_ids[rows], cid),
            (
                partners,
                linked,
                {k: v[linked] for k, v in y.partner_values.items()},
                partner_ids[partner_number[linked]],
                None,
            ),
        ):
            frame = {
                "firm_id": ids,
                "year": np.full(len(idx), year, np.int64),
                "cluster_id": np.full(len(idx), cluster, dtype=object),
                "entity_type": entity[source["kind"][idx]],
                "industry_code": div.codes[popm.recorded_division(source, idx, div, plan.world)],
                "founded_year": np.minimum(source["founded"][idx], year).astype(np.int64),
                **vals,
                "ownership": owner[source["own"][idx]],
                "hq_outside": popm.recorded_hq_outside(source, idx, year, plan.world),
                "listed": source["listed"][idx].astype(bool),
            }
            firm_parts.append(frame)
        named = endpoint_ids(
            np.concatenate([src, tgt]), firm_ids[rows], partner_ids, partner_number
        )
        link_parts.append(
            {
                "source_id": named[: len(src)],
                "target_id": named[len(src) :],
                "year": np.full(len(src), year, np.int64),
                "link_type": np.array(LINK_TYPES, dtype=object)[ty],
                "weight": w.astype(np.float64),
            }
        )
    firms = {c: np.concatenate([p[c] for p in firm_parts]) for c in FIRM_COLUMNS}
    links = {c: np.concatenate([p[c] for p in link_parts]) for c in link_parts[0]}
    ident = plan.identity
    cluster = {
        k: np.array([getattr(ident, k)], dtype=object)
        for k in ("cluster_id", "name", "name_en", "province", "city", "domain")
    }
    cluster["world"] = np.array([plan.world.name], dtype=object)
    n_years = len(plan.years)
    labels = {
        "cluster_id": np.full(n_years, cid, dtype=object),
        "year": np.array(plan.years, np.int64),
        "path": np.array(plan.labels, dtype=object),
        "source": np.full(n_years, "simulated", dtype=object),
    }
    return ClusterColumns(cluster, firms, links, labels, len(firm_ids), len(partner_ids))
