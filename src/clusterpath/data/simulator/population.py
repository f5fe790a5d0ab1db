"""Entities of one cluster and their yearly dynamics: size, entry, exit, R&D, patents, funding.

A population is a dict of equal-length numpy arrays, one element per entity ever created
(append-only, so an entity's position is its identity). Only ``simulate_cluster`` mutates one.
"""

from __future__ import annotations

import numpy as np

from clusterpath.data.contract import ENTITY_TYPES, OWNERSHIP_TYPES
from clusterpath.data.firm_sizes import spliced_log_size
from clusterpath.data.simulator.divisions import Divisions

Pop = dict[str, np.ndarray]

ENT, UNI, INST, SERV, FIN = (
    ENTITY_TYPES.index(k)
    for k in ("enterprise", "university", "research_institute", "service_org", "financial_org")
)
STATE, PRIVATE, FOREIGN, HMT, MIXED = (
    OWNERSHIP_TYPES.index(k) for k in ("state", "private", "foreign", "hmt", "mixed")
)

LOG_MEDIAN_REVENUE = np.log(12_000.0)  # 10k CNY: a 120-million-yuan firm at the median
LOG_MEDIAN_EMPLOYEES = np.log(170.0)
TAIL_Z, TAIL_ALPHA = 1.645, 1.25  # Pareto upper tail above the 95th percentile
MAX_REVENUE = 1e8  # 10k CNY (one trillion yuan), far below the contract's 1e10 cap
ANCHOR_THRESHOLD = 0.12  # anchor trait above which a cluster has a giant

# entity kind -> (log median revenue, sd, revenue per employee, R&D share range, own probs)
_BODIES = {
    UNI: (np.log(150_000), 0.7, 60.0, (0.15, 0.40), (1.0, 0, 0, 0, 0)),
    INST: (np.log(15_000), 0.9, 40.0, (0.30, 0.70), (0.6, 0.15, 0, 0, 0.25)),
    SERV: (np.log(800), 1.0, 30.0, (0.0, 0.03), (0.3, 0.6, 0, 0, 0.1)),
    FIN: (np.log(3_000), 1.2, 80.0, (0.0, 0.0), (0.4, 0.4, 0, 0, 0.2)),
}
_BODY_HQ_OUT = {UNI: 0.1, INST: 0.3, SERV: 0.1, FIN: 0.5}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def _doer_prob(tr: dict[str, float], trad, age, log_rev) -> np.ndarray:
    """Chance of doing R&D: the cluster's share, lower in legacy divisions, higher when large."""
    share = tr["rd_share"] * np.where(trad, 0.7, 1.0) * np.where(age < 8, 1.25, 1.0)
    base = np.clip(share, 0.01, 0.97)
    return _sigmoid(np.log(base / (1 - base)) + 0.5 * (log_rev - LOG_MEDIAN_REVENUE))


def new_enterprises(
    n: int,
    tr: dict[str, float],
    year: int,
    div: Divisions,
    rng: np.random.Generator,
    entrant: bool,
) -> Pop:
    """Draw ``n`` enterprises from the cluster's current traits (entrants are young and small)."""
    d = div.sample(n, tr, rng)
    foreign = rng.random(n) < tr["foreign"]
    u = rng.random(n)
    own = np.where(u < tr["state"], STATE, np.where(u < tr["state"] + 0.08, MIXED, PRIVATE))
    own = np.where(foreign, np.where(rng.random(n) < 0.6, FOREIGN, HMT), own)
    hq_out = np.where(foreign, rng.random(n) < 0.8, rng.random(n) < tr["branch"])
    if entrant:
        age = rng.integers(0, 3, n)
    else:
        age = np.minimum(rng.gamma(2.0, tr["age"] / 2, n).astype(np.int64), year - 1950)
    outside = foreign | hq_out
    mu = LOG_MEDIAN_REVENUE + tr["size"] + 0.35 * (np.log1p(age) - np.log(11)) + 0.6 * outside
    if entrant:
        mu = mu - 1.2 + 0.8 * outside
    log_rev = spliced_log_size(n, mu, tr["size_sigma"], rng, tail_z=TAIL_Z, alpha=TAIL_ALPHA)
    trad = div.traditional[d]
    listed = rng.random(n) < _sigmoid(-4.5 + 1.2 * (log_rev - LOG_MEDIAN_REVENUE)) * (not entrant)
    return {
        "kind": np.full(n, ENT, np.int8),
        "div": d,
        "founded": year - age,
        "own": own,
        "hq_out": hq_out,
        "listed": listed,
        "log_rev": log_rev,
        "prod": rng.normal(0, 0.35, n),
        "doer": rng.random(n) < _doer_prob(tr, trad, age, log_rev),
        "rd_log": np.log(tr["rd_level"])
        + rng.normal(0, 0.5, n)
        + 0.7 * np.exp(-age / 5)
        - 0.2 * trad,
        "pat_fit": rng.lognormal(-0.3, 0.8, n),
        "inv_z": rng.normal(0, 0.5, n),
        "fitness": rng.lognormal(0, 0.8, n),
        "anchor": np.zeros(n),
        "alive": np.ones(n, bool),
        "report_u": rng.random(n),
        "code_u": rng.random(n),
        "group_u": rng.random(n),
    }


def new_bodies(kinds: np.ndarray, year: int, div: Divisions, rng: np.random.Generator) -> Pop:
    """Universities, research institutes, service and financial organisations."""
    n = len(kinds)
    cols = {k: np.zeros(n) for k in ("log_rev", "rd_log", "founded", "own", "hq_out", "div")}
    for kind, (mu, sd, _, (lo, hi), own_p) in _BODIES.items():
        m = kinds == kind
        k = int(m.sum())
        if not k:
            continue
        cols["log_rev"][m] = rng.normal(mu, sd, k)
        cols["rd_log"][m] = np.log(rng.uniform(lo, hi, k) + 1e-9)
        cols["own"][m] = rng.choice(len(own_p), size=k, p=np.array(own_p) / sum(own_p))
        cols["hq_out"][m] = rng.random(k) < _BODY_HQ_OUT[kind]
        oldest = 70 if kind == UNI else 60 if kind == INST else 25
        cols["founded"][m] = year - np.minimum(rng.integers(1, oldest, k), year - 1950)
        cols["div"][m] = div.body_codes[kind][rng.integers(len(div.body_codes[kind]), size=k)]
    research = (kinds == UNI) | (kinds == INST)
    return {
        "kind": kinds.astype(np.int8),
        "div": cols["div"].astype(np.int64),
        "founded": cols["founded"].astype(np.int64),
        "own": cols["own"].astype(np.int64),
        "hq_out": cols["hq_out"].astype(bool),
        "listed": np.zeros(n, bool),
        "log_rev": cols["log_rev"],
        "prod": rng.normal(0, 0.3, n),
        "doer": research | ((kinds == SERV) & (rng.random(n) < 0.3)),
        "rd_log": cols["rd_log"],
        "pat_fit": rng.lognormal(0, 0.8, n),
        "inv_z": np.where(research, 1.5, 0.0),
        "fitness": rng.lognormal(0, 0.5, n),
        "anchor": np.zeros(n),
        "alive": np.ones(n, bool),
        "report_u": rng.random(n),
        "code_u": rng.random(n),
        "group_u": rng.random(n),
    }


def concat(a: Pop, b: Pop) -> Pop:
    return {k: np.concatenate([a[k], b[k].astype(a[k].dtype)]) for k in a}


def place_anchors(
    pop: Pop, tr: dict[str, float], year: int, div: Divisions, rng, first: bool
) -> Pop:
    """Bring in (or grow) one giant, sometimes two, when the anchor trait calls for it."""
    if tr["anchor"] < ANCHOR_THRESHOLD or pop["anchor"].any():
        return pop
    n = 2 if rng.random() < 0.25 else 1
    giants = new_enterprises(
        n, {**tr, "complement": 0.0, "traditional": 0.0}, year, div, rng, False
    )
    brought_in = rng.random(n) < (0.4 if first else 0.9)
    giants["div"][:] = div.core[0]
    giants["hq_out"] = brought_in
    giants["own"] = np.where(
        brought_in, rng.choice([PRIVATE, STATE, FOREIGN], n), rng.choice([STATE, PRIVATE], n)
    )
    age = np.where(brought_in, rng.integers(0 if not first else 1, 15, n), rng.integers(10, 40, n))
    giants["founded"] = np.maximum(year - age, 1950)
    giants["listed"] = rng.random(n) < 0.7
    giants["doer"][:] = True
    giants["rd_log"] = np.log(rng.uniform(0.03, 0.07, n))
    giants["inv_z"] = giants["inv_z"] + 0.5
    giants["fitness"] = giants["fitness"] * 3
    giants["anchor"] = np.array([1.0, rng.uniform(0.3, 0.7)])[:n]
    giants["report_u"] = np.zeros(n)  # a giant's R&D and patents always reach the extract
    return concat(pop, giants)


def step(pop: Pop, tr: dict[str, float], shock: float, year: int, div: Divisions, rng) -> Pop:
    """Advance one year: exits, growth of survivors, R&D switching, listings, entrants."""
    alive = pop["alive"]
    ent = alive & (pop["kind"] == ENT)
    age = year - pop["founded"]
    small = pop["log_rev"] < np.quantile(pop["log_rev"][ent], 0.3) if ent.any() else alive
    big = pop["log_rev"] > np.quantile(pop["log_rev"][ent], 0.8) if ent.any() else alive
    hazard = tr["exit"] * np.where(small, 1.6, np.where(big, 0.5, 1.0)) * np.where(age < 3, 1.3, 1)
    exits = ent & (pop["anchor"] == 0) & (rng.random(len(alive)) < hazard)
    pop["alive"] = alive & ~exits
    n = len(alive)
    g = np.where(
        pop["kind"] == ENT,
        tr["growth"]
        + shock
        + 0.12 * np.exp(-age / 4)
        + rng.normal(0, 1, n) * (0.1 + 0.2 * np.exp(-age / 5)),
        0.05 + rng.normal(0, 0.08, n),
    )
    pop["log_rev"] = np.where(pop["alive"], pop["log_rev"] + g, pop["log_rev"])
    redraw = (pop["kind"] == ENT) & (pop["anchor"] == 0) & (rng.random(n) < 0.08)
    p = _doer_prob(tr, div.traditional[pop["div"]], age, pop["log_rev"])
    pop["doer"] = np.where(redraw, rng.random(n) < p, pop["doer"])
    ipo = 0.1 * _sigmoid(-4.5 + 1.2 * (pop["log_rev"] - LOG_MEDIAN_REVENUE))
    pop["listed"] |= (pop["kind"] == ENT) & (rng.random(n) < ipo)
    n_new = rng.poisson(tr["entry"] * ent.sum())
    if n_new:
        pop = concat(pop, new_enterprises(n_new, tr, year, div, rng, entrant=True))
    return place_anchors(pop, tr, year, div, rng, first=False)


def observe(
    pop: Pop, rows: np.ndarray, tr: dict[str, float], year: int, rng, world=None
) -> dict[str, np.ndarray]:
    """Yearly values of the entities at ``rows``; sets anchors' revenue from their share.

    ``world`` (None for outside partners) decides which enterprises' R&D and patents reach
    the extract (``rd_reporting``) and how many young R&D firms spend at the frontier.
    """
    kind, log_rev = pop["kind"][rows], pop["log_rev"][rows]
    anchor = pop["anchor"][rows]
    is_anchor = anchor > 0
    if is_anchor.any():
        rest = np.exp(log_rev[(kind == ENT) & ~is_anchor]).sum()
        s1 = max(tr["anchor"], 0.02) * np.exp(rng.normal(0, 0.08))
        shares = s1 * anchor[is_anchor]
        shares *= min(1.0, 0.85 / shares.sum())
        log_rev[is_anchor] = np.log(shares / (1 - shares.sum()) * max(rest, 1.0))
        pop["log_rev"][rows[is_anchor]] = log_rev[is_anchor]
    revenue = np.clip(np.exp(log_rev), 1.0, MAX_REVENUE)
    ent = kind == ENT
    per_emp = np.array([_BODIES[k][2] if k in _BODIES else 0.0 for k in range(len(ENTITY_TYPES))])[
        kind
    ]
    log_emp = (
        np.where(
            ent,
            LOG_MEDIAN_EMPLOYEES + 0.72 * (log_rev - LOG_MEDIAN_REVENUE),
            log_rev - np.log(np.maximum(per_emp, 1.0)),
        )
        + pop["prod"][rows]
    )
    employees = np.clip(np.rint(np.exp(log_emp)), 1, 500_000).astype(np.int64)
    n = len(rows)
    doer = pop["doer"][rows]
    cap = np.where(ent, 0.6, 0.9)
    intensity = np.minimum(np.exp(pop["rd_log"][rows] + rng.normal(0, 0.15, n)), cap)
    age = year - pop["founded"][rows]
    if world is not None:
        u = pop["report_u"][rows]  # low values: reported first, and the frontier firms
        frontier = ent & doer & ~is_anchor & (age < 10) & (u < world.frontier_share)
        intensity = np.where(frontier, 0.2 + 0.2 * u / max(world.frontier_share, 1e-9), intensity)
        # the same firms report (or not) every year: a source covers a firm or it does not
        doer = doer & ((pop["report_u"][rows] < world.rd_reporting) | ~ent)
    rd = np.where(doer, np.round(revenue * intensity, 2), 0.0)
    reported = ent if world is None else ent & (pop["report_u"][rows] < world.rd_reporting)
    lam = np.where(
        doer,
        2.5 * (rd / 400) ** 0.75 * pop["pat_fit"][rows] * rng.gamma(0.7, 1 / 0.7, n),
        0.15 * pop["pat_fit"][rows] * reported,
    )
    q = _sigmoid(_logit(tr["invention"]) + pop["inv_z"][rows]) * doer
    inventions = rng.poisson(np.minimum(lam * q, 1e5))
    utility = rng.poisson(np.minimum(lam * (1 - q), 1e5))
    p_vc = tr["vc"] * np.where(doer, 1.6, 0.4) * 1.5 * np.exp(-age / 6) * ent * (age <= 10)
    got_vc = rng.random(n) < np.clip(p_vc, 0, 0.9)
    amount = np.minimum(rng.lognormal(np.log(1500) + 0.3 * age, 0.9), 2e6)
    return {
        "revenue": np.round(revenue, 2),
        "employees": employees,
        "rd_expense": rd,
        "invention_patents": inventions.astype(np.int64),
        "utility_patents": utility.astype(np.int64),
        "vc_funding": np.where(got_vc, np.round(amount, 2), 0.0),
    }


def new_partners(
    m: int, tr: dict[str, float], year: int, div: Divisions, rng: np.random.Generator
) -> Pop:
    """A pool of outside partners (customers, suppliers, parents, universities, investors)."""
    kinds = rng.choice(len(ENTITY_TYPES), size=m, p=[0.78, 0.08, 0.06, 0.03, 0.05])
    ptr = {
        **tr,
        "traditional": 0.25,
        "complement": 0.25,
        "primary": 0.4,
        "size": 1.6,
        "size_sigma": 1.4,
        "age": 20.0,
        "foreign": 0.1 + 0.8 * tr["foreign"],
        "branch": 0.0,
    }
    pop = new_enterprises(m, ptr, year, div, rng, entrant=False)
    bodies = new_bodies(kinds, year, div, rng)
    is_body = kinds != ENT
    for key in pop:
        pop[key] = np.where(is_body, bodies[key].astype(pop[key].dtype), pop[key])
    pop["hq_out"][:] = False
    pop["fitness"] = 1.0 / rng.permutation(np.arange(1, m + 1))  # Zipf popularity
    return pop


def recorded_division(pop: Pop, rows: np.ndarray, div: Divisions, world) -> np.ndarray:
    """The division a source records: with finer coding (``world.coding_spread``) some
    enterprises are coded to a neighbouring division of the same kind (the same firms
    every year)."""
    d = pop["div"][rows]
    if world is None or world.coding_spread <= 0:
        return d
    moved = (pop["kind"][rows] == ENT) & (pop["code_u"][rows] < world.coding_spread)
    return np.where(moved, div.neighbour[d], d)


def recorded_hq_outside(pop: Pop, rows: np.ndarray, year: int, world) -> np.ndarray:
    """Headquarters outside as a source records them: besides branches and foreign firms,
    a share of established local enterprises (``world.group_attribution``, thrice for
    state-owned ones) that belong to a group seated elsewhere."""
    hq = pop["hq_out"][rows].astype(bool)
    if world is None or world.group_attribution <= 0:
        return hq
    established = (pop["kind"][rows] == ENT) & (year - pop["founded"][rows] >= 10)
    share = world.group_attribution * np.where(pop["own"][rows] == STATE, 3.0, 1.0)
    return hq | (established & (pop["group_u"][rows] < np.minimum(share, 1.0)))
