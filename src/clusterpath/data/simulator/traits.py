"""Latent cluster traits: what a path makes likely, drawn with overlap, mixing and drift.

Each path has a centre for every trait (natural units, table ``TRAITS``). A cluster draws its
traits around the centre of its path in a transformed scale (logit for shares, log for
positive quantities), so paths overlap; some clusters mix in a second path's centre, and
transitional clusters drift from one path's centre to another's while their label switches.
The label is the dominant path, never a function of the generated indicators.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clusterpath.data.reference import Reference
from clusterpath.data.simulator.config import SimulationConfig
from clusterpath.data.simulator.geography import ClusterIdentity
from clusterpath.data.simulator.worlds import World, draw_world, load_worlds

PATH_ORDER = ("giant_anchored", "upgrade", "convergence", "introduction", "indigenous")

# name: (scale, centres in PATH_ORDER, noise sd in the transformed scale)
TRAITS: dict[str, tuple[str, tuple[float, ...], float]] = {
    "anchor": ("logit", (0.40, 0.05, 0.04, 0.07, 0.03), 0.55),  # top firm's revenue share
    "traditional": ("logit", (0.15, 0.50, 0.10, 0.12, 0.05), 0.6),  # firms in legacy divisions
    "complement": ("logit", (0.08, 0.08, 0.35, 0.10, 0.12), 0.5),  # firms in other sectors
    "homophily": ("logit", (0.60, 0.65, 0.20, 0.55, 0.50), 0.6),  # same-division partners
    "primary": ("logit", (0.60, 0.50, 0.35, 0.55, 0.45), 0.4),  # core firms in main division
    "foreign": ("logit", (0.10, 0.05, 0.07, 0.33, 0.04), 0.5),  # foreign + HK/Macao/Taiwan
    "branch": ("logit", (0.12, 0.05, 0.10, 0.33, 0.04), 0.5),  # domestic branch plants
    "state": ("logit", (0.10, 0.15, 0.06, 0.06, 0.05), 0.4),  # state-owned
    "external": ("logit", (0.15, 0.12, 0.18, 0.40, 0.20), 0.4),  # links leaving the cluster
    "partners": ("log", (0.10, 0.08, 0.12, 0.25, 0.12), 0.3),  # outside partners per entity
    "age": ("log", (12.0, 19.0, 10.0, 11.0, 6.0), 0.25),  # mean firm age, years
    "entry": ("log", (0.06, 0.03, 0.08, 0.07, 0.14), 0.35),  # entrants per incumbent a year
    "exit": ("log", (0.05, 0.04, 0.055, 0.05, 0.07), 0.3),  # exit hazard a year
    "growth": ("linear", (0.07, 0.045, 0.09, 0.07, 0.13), 0.03),  # mean log revenue growth
    "rd_share": ("logit", (0.40, 0.28, 0.50, 0.35, 0.72), 0.5),  # firms doing R&D
    "rd_level": ("log", (0.022, 0.017, 0.028, 0.018, 0.055), 0.3),  # median R&D / revenue
    "invention": ("logit", (0.30, 0.15, 0.30, 0.25, 0.50), 0.4),  # invention share of patents
    "research": ("log", (3.0, 2.0, 4.0, 2.0, 12.0), 0.45),  # universities and institutes
    "vc": ("logit", (0.02, 0.01, 0.05, 0.02, 0.10), 0.4),  # yearly VC odds, young firms
    "size": ("linear", (-0.3, 0.15, -0.1, 0.25, -0.45), 0.3),  # log revenue shift
    "size_sigma": ("log", (1.1, 1.0, 1.05, 1.1, 0.85), 0.1),  # log revenue dispersion
}

LINK_TYPES = ("supply", "investment", "co_patent", "tech_transfer", "cooperation")
LINK_MIX = np.array(  # expected share of each link type, rows in PATH_ORDER
    [
        [0.72, 0.05, 0.08, 0.07, 0.08],
        [0.72, 0.04, 0.08, 0.04, 0.12],
        [0.45, 0.05, 0.12, 0.05, 0.33],
        [0.65, 0.07, 0.06, 0.10, 0.12],
        [0.40, 0.10, 0.22, 0.10, 0.18],
    ]
)

# How much more (or less) likely each path is in a domain, columns in PATH_ORDER.
DOMAIN_TILT = {
    "next_gen_it": (1.2, 0.6, 1.2, 1.2, 1.2),
    "high_end_equipment": (1.2, 1.5, 0.8, 1.0, 0.7),
    "new_materials": (0.8, 1.6, 0.7, 0.9, 0.9),
    "biotech": (0.8, 0.7, 0.8, 1.2, 1.6),
    "new_energy_vehicles": (1.6, 0.9, 1.0, 1.1, 0.8),
    "new_energy": (1.2, 1.1, 0.9, 0.9, 1.0),
    "energy_saving": (0.7, 1.4, 1.1, 0.8, 1.0),
    "digital_creative": (0.7, 0.5, 1.8, 0.8, 1.2),
    "related_services": (0.6, 0.7, 1.6, 0.8, 1.4),
}

# Path changes seen in practice, with relative frequency.
TRANSITIONS = (
    ("upgrade", "convergence", 0.25),
    ("introduction", "indigenous", 0.20),
    ("giant_anchored", "upgrade", 0.15),
    ("introduction", "giant_anchored", 0.10),
    ("upgrade", "indigenous", 0.10),
    ("convergence", "indigenous", 0.10),
    ("indigenous", "convergence", 0.10),
)


@dataclass(frozen=True)
class ClusterPlan:
    """Everything decided about a cluster before its firms are drawn."""

    index: int
    identity: ClusterIdentity
    years: tuple[int, ...]
    labels: tuple[str, ...]  # true path per year
    traits: tuple[dict[str, float], ...]  # natural-unit traits per year
    link_mix: tuple[tuple[float, ...], ...]  # link-type shares per year
    world: World  # the monitoring source and setting the cluster was drawn in


def check_paths(reference: Reference) -> None:
    """The simulator's path table must name exactly the paths of ``paths.yaml``."""
    if set(PATH_ORDER) != set(reference.path_codes):
        raise ValueError(f"simulator paths {PATH_ORDER} differ from paths.yaml")
    if set(DOMAIN_TILT) != set(reference.domain_codes):
        raise ValueError("simulator DOMAIN_TILT domains differ from domains.yaml")
    declared = set(load_worlds().path_traits)
    if declared and declared != set(PATH_ORDER):
        raise ValueError(f"worlds.yaml path_traits names {sorted(declared)}, not the paths")


def _to_z(scale: str, x: np.ndarray) -> np.ndarray:
    if scale == "logit":
        return np.log(x / (1 - x))
    return np.log(x) if scale == "log" else x


def _from_z(scale: str, z: float) -> float:
    if scale == "logit":
        return float(1 / (1 + np.exp(-z)))
    return float(np.exp(z)) if scale == "log" else float(z)


_CENTRES = {name: _to_z(s, np.array(c)) for name, (s, c, _) in TRAITS.items()}


def _draw_paths(domain: str, config: SimulationConfig, rng: np.random.Generator):
    """Return (from, to, switch position or None, secondary or None, secondary weight)."""
    n_years = len(config.year_range)
    if n_years > 1 and rng.random() < config.transition_share:
        weights = np.array([w for *_, w in TRANSITIONS])
        src, dst, _ = TRANSITIONS[rng.choice(len(TRANSITIONS), p=weights / weights.sum())]
        return src, dst, int(rng.integers(1, n_years)), None, 0.0
    p = np.array(DOMAIN_TILT[domain])
    path = PATH_ORDER[rng.choice(len(PATH_ORDER), p=p / p.sum())]
    if rng.random() < config.mixture_share:
        others = [q for q in PATH_ORDER if q != path]
        return path, path, None, others[rng.integers(len(others))], float(rng.uniform(0.15, 0.45))
    return path, path, None, None, 0.0


def world_centres(world: World, defining: frozenset[str] | None = None) -> np.ndarray:
    """Trait centres (traits x paths, transformed scale) as the world moves them.

    Shifts and the R&D scale move every path alike, so what separates the paths stays
    relative; only the giant's revenue share is the world's own for giant-anchored clusters.
    A trait outside ``defining`` (the traits worlds.yaml says define a path; all when None)
    takes the mean of the paths' centres for every path: it varies, but not with the path.
    """
    names = list(TRAITS)
    centres = np.array([_CENTRES[n] for n in names])
    if defining is not None:
        for k, name in enumerate(names):
            if name not in defining:
                centres[k] = centres[k].mean()
    for trait, shift in world.trait_shifts.items():
        centres[names.index(trait)] += shift
    centres[names.index("rd_level")] += np.log(world.rd_scale)
    share = world.giant_anchor_share
    centres[names.index("anchor"), PATH_ORDER.index("giant_anchored")] = np.log(
        share / (1 - share)
    )
    return centres


def plan_cluster(index: int, identity: ClusterIdentity, config: SimulationConfig) -> ClusterPlan:
    """Draw a cluster's world, path schedule and yearly traits from its own seeded generators."""
    rng = np.random.default_rng([config.seed, index, 0])
    catalogue = load_worlds()
    world = draw_world(
        config.world, catalogue, set(TRAITS), np.random.default_rng([config.seed, index, 2])
    )
    src, dst, switch, secondary, w = _draw_paths(identity.domain, config, rng)
    i_src, i_dst = PATH_ORDER.index(src), PATH_ORDER.index(dst)
    years = tuple(config.year_range)
    names = list(TRAITS)
    centres = world_centres(world, catalogue.defining_traits or None)  # traits x paths
    sd = np.array([TRAITS[n][2] for n in names])
    eps = rng.normal(0, sd * config.trait_noise)
    mix_noise = rng.lognormal(0, 0.25 * config.trait_noise, size=len(LINK_TYPES))
    pos = np.arange(len(years))
    lam = np.zeros(len(years)) if switch is None else 1 / (1 + np.exp(-(pos - switch + 0.5) / 0.8))
    weights = np.zeros((len(years), len(PATH_ORDER)))
    weights[:, i_src] += 1 - lam
    weights[:, i_dst] += lam
    if secondary is not None:
        weights *= 1 - w
        weights[:, PATH_ORDER.index(secondary)] += w
    z = weights @ centres.T + eps + rng.normal(0, 0.15 * sd, (len(years), len(names)))
    traits = tuple(
        {n: _from_z(TRAITS[n][0], z[y, k]) for k, n in enumerate(names)} for y in range(len(years))
    )
    mixes = weights @ LINK_MIX * mix_noise
    mixes = tuple(tuple(m.tolist()) for m in mixes / mixes.sum(axis=1, keepdims=True))
    labels = tuple(dst if switch is not None and p >= switch else src for p in range(len(years)))
    return ClusterPlan(index, identity, years, labels, traits, mixes, world)
