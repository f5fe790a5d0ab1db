"""Which GB/T 4754 divisions a cluster's entities are drawn from.

A cluster concentrates in its domain's core divisions (one primary division first), keeps a
legacy base of two traditional divisions, and may recombine with complementary sectors:
manufacturing for a digital domain, digital divisions for any other. Which division is
traditional or digital is read from ``industries.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clusterpath.data.contract import ENTITY_TYPES
from clusterpath.data.reference import Reference

# divisions of the non-enterprise entities
BODY_CODES = {
    "university": ("83",),
    "research_institute": ("73",),
    "service_org": ("72", "74", "75"),
    "financial_org": ("67", "66"),
}


@dataclass(frozen=True)
class Divisions:
    """Where a cluster's firms sit: domain core, its legacy base and complementary sectors."""

    codes: np.ndarray  # every division code of industries.yaml (object array)
    traditional: np.ndarray  # bool per code
    core: np.ndarray  # code indices, the cluster's primary division first
    legacy: np.ndarray  # two traditional divisions the local base grew from
    complement: np.ndarray  # divisions a convergence cluster recombines with
    body_codes: dict[int, np.ndarray]
    neighbour: np.ndarray  # per code: the division a finer source may code its firms to

    def sample(self, n: int, tr: dict[str, float], rng: np.random.Generator) -> np.ndarray:
        core_p = np.full(len(self.core), (1 - tr["primary"]) / max(len(self.core) - 1, 1))
        core_p[0] = tr["primary"] if len(self.core) > 1 else 1.0
        legacy, comp = tr["traditional"], tr["complement"]
        if legacy + comp > 0.9:
            legacy, comp = 0.9 * legacy / (legacy + comp), 0.9 * comp / (legacy + comp)
        u = rng.random(n)
        out = self.core[rng.choice(len(self.core), size=n, p=core_p / core_p.sum())]
        is_legacy = u < legacy
        out[is_legacy] = self.legacy[(rng.random(is_legacy.sum()) > 0.7).astype(int)]
        is_comp = (u >= legacy) & (u < legacy + comp)
        out[is_comp] = self.complement[rng.integers(len(self.complement), size=is_comp.sum())]
        return out


def make_divisions(domain: str, reference: Reference, rng: np.random.Generator) -> Divisions:
    inds = reference.industries
    codes = np.array([i.code for i in inds], dtype=object)
    where = {c: k for k, c in enumerate(codes)}
    core_codes = list(reference.domain(domain).core_divisions)
    first = rng.choice(len(core_codes), p=_decaying(len(core_codes)))
    core = np.array(
        [where[c] for c in [core_codes[first], *core_codes[:first], *core_codes[first + 1 :]]]
    )
    trad_idx = np.array([k for k, i in enumerate(inds) if i.traditional])
    w = np.array(
        [
            4.0 if codes[k] in core_codes else 2.0 if inds[k].legacy_related else 1.0
            for k in trad_idx
        ]
    )
    legacy = trad_idx[rng.choice(len(trad_idx), size=2, replace=False, p=w / w.sum())]
    digital_core = sum(reference.industry_by_code[c].digital for c in core_codes) * 2 >= len(
        core_codes
    )
    if digital_core:
        comp = [
            k
            for k, i in enumerate(inds)
            if i.group in ("equipment", "life_sciences") and not i.traditional
        ]
    else:
        comp = [k for k, i in enumerate(inds) if i.digital]
    comp = [k for k in comp if codes[k] not in core_codes] or comp
    bodies = {
        ENTITY_TYPES.index(kind): np.array([where[c] for c in cs])
        for kind, cs in BODY_CODES.items()
    }
    return Divisions(
        codes,
        np.array([i.traditional for i in inds]),
        core,
        legacy,
        np.array(comp),
        bodies,
        _neighbours(reference, rng),
    )


def _neighbours(reference: Reference, rng: np.random.Generator) -> np.ndarray:
    """For each division, one other division of the same GB/T section, traditional or not
    alike (itself where there is none), drawn once per cluster."""
    inds = reference.industries
    spans = reference.section_spans

    def section(code: str) -> str:
        return next((s for s, lo, hi in spans if lo <= int(code) <= hi), "")

    keys = [(section(i.code), i.traditional) for i in inds]
    out = np.arange(len(inds))
    for k, key in enumerate(keys):
        others = [j for j, other in enumerate(keys) if other == key and j != k]
        if others:
            out[k] = others[rng.integers(len(others))]
    return out


def _decaying(n: int) -> np.ndarray:
    p = 0.5 ** np.arange(n)
    return p / p.sum()
