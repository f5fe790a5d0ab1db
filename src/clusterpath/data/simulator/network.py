"""Links of one cluster-year: supply, investment, co-patents, technology transfer, co-operation.

Endpoints are drawn by preferential attachment (weight grows with size and a lognormal
fitness, so degrees are heavy-tailed); supply and co-operation partners are taken from the
same industry division with the cluster's homophily; a giant pulls a share of supply links
into a star; outside partners supply, buy, invest and transfer technology into the cluster.
"""

from __future__ import annotations

import numpy as np

from clusterpath.data.simulator.population import ENT, FIN, INST, SERV, UNI
from clusterpath.data.simulator.traits import LINK_TYPES

SUPPLY, INVEST, COPAT, TRANSFER, COOP = range(len(LINK_TYPES))
# which link types an outside partner of each entity kind can have
_COMPAT = np.array(
    [
        [1, 1, 1, 1, 1],  # enterprise
        [0, 0, 1, 1, 1],  # university
        [0, 0, 1, 1, 1],  # research institute
        [0, 0, 0, 0, 1],  # service organisation
        [0, 1, 0, 0, 0],  # financial organisation
    ],
    dtype=float,
)
_EXTERNAL_BOOST = np.array([1.0, 1.0, 1.0, 2.0, 1.0])  # technology arrives from outside


def _pick(w: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray | None:
    cum = np.cumsum(w)
    if n == 0 or cum.size == 0 or cum[-1] <= 0:
        return None
    return np.minimum(np.searchsorted(cum, rng.random(n) * cum[-1], side="right"), len(w) - 1)


def _pick_same_division(
    src: np.ndarray, div: np.ndarray, w: np.ndarray, h: float, rng: np.random.Generator
) -> np.ndarray:
    """Partner of each ``src``: same division with probability ``h``, else anyone, by ``w``."""
    out = _pick(w, len(src), rng)
    same = rng.random(len(src)) < h
    if not same.any():
        return out
    order = np.argsort(div, kind="stable")
    d_sorted, cum = div[order], np.cumsum(w[order])
    d = div[src[same]]
    start = np.searchsorted(d_sorted, d, side="left")
    end = np.searchsorted(d_sorted, d, side="right")
    lo = np.where(start > 0, cum[np.maximum(start - 1, 0)], 0.0)
    hi = cum[end - 1]
    ok = hi > lo
    pos = np.searchsorted(cum, lo + rng.random(len(d)) * (hi - lo), side="right")
    pos = np.clip(pos, start, end - 1)
    picked = out[same]
    picked[ok] = order[pos[ok]]
    out[same] = picked
    return out


def _supply_weight(rev_seller: np.ndarray, rev_buyer: np.ndarray, rng) -> np.ndarray:
    share = np.minimum(rng.lognormal(np.log(0.03), 0.8, len(rev_seller)), 0.5)
    return np.minimum(rev_seller * share, 0.8 * rev_buyer)


def _count_weight(t: int, n: int, rng) -> np.ndarray:
    mean = {COPAT: 1.5, TRANSFER: 0.5, COOP: 1.0}[t]
    return 1.0 + rng.poisson(mean, n)


def cluster_links(
    e: dict[str, np.ndarray],
    partners: dict[str, np.ndarray],
    active: np.ndarray,
    n_internal: int,
    n_external: int,
    mix: np.ndarray,
    homophily: float,
    star: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Draw one year's links; returns (source, target, type, weight) after merging repeats.

    ``e`` holds the yearly values of the cluster's entities (indices 0..n-1); partner ``k`` of
    the pool is index ``n + k``. ``active`` are the pool members linked this year.
    """
    n = len(e["kind"])
    kind, rev, fit = e["kind"], e["revenue"], e["fitness"]
    ent = kind == ENT
    research = (kind == UNI) | (kind == INST)
    outside = e["outside"]
    pats = e["invention_patents"] + e["utility_patents"]
    w_trade = ent * rev**0.6 * fit
    w_young = ent * (np.exp(-e["age"] / 6) + 0.2) * (e["anchor"] == 0)
    w_copat = (ent & e["doer"]) * np.sqrt(1 + pats) * fit + research * 4 * np.sqrt(1 + pats)
    w_coop = fit * (1 + rev) ** 0.3 * np.where(kind == SERV, 2.0, 1.0) * (kind != FIN)
    srcs, tgts, types, weights = [], [], [], []

    def add(s, t, ty, w):
        srcs.append(s)
        tgts.append(t)
        types.append(np.full(len(s), ty))
        weights.append(w)

    # internal links, drawn with 40 % to spare for merged repeats and dropped self links
    counts = rng.multinomial(int(np.ceil(n_internal * 1.4)), mix)
    n_sup = counts[SUPPLY]
    anchors = np.flatnonzero(e["anchor"] > 0)
    if anchors.size and n_sup:
        n_star = min(rng.binomial(n_sup, star), 2 * (ent.sum() - anchors.size))
        n_sup -= n_star
        w_sup = ent * (e["anchor"] == 0) * rev**0.3 * fit
        k = min(n_star, int((w_sup > 0).sum()))
        if k > 0:
            firms = rng.choice(n, size=k, replace=False, p=w_sup / w_sup.sum())
            hub = anchors[_pick(e["anchor"][anchors], k, rng)]
            into = rng.random(k) < 0.75  # most star links: supplier sells to the giant
            s, t = np.where(into, firms, hub), np.where(into, hub, firms)
            w = np.where(
                into, rev[firms] * rng.uniform(0.1, 0.6, k), rev[firms] * rng.uniform(0.05, 0.3, k)
            )
            add(s, t, SUPPLY, w)
    w_local = w_trade * (e["anchor"] == 0)  # giants trade through the star above
    s = _pick(w_local, n_sup, rng)
    if s is not None:
        t = _pick_same_division(s, e["div"], w_local, homophily, rng)
        add(s, t, SUPPLY, _supply_weight(rev[s], rev[t], rng))
    fin = np.flatnonzero(kind == FIN)
    w_inv_t = w_young * (1 + 20 * (e["vc_funding"] > 0))
    t = _pick(w_inv_t, counts[INVEST], rng)
    if t is not None:
        s = _pick(ent * rev**0.7, len(t), rng)
        if fin.size:
            use_fin = rng.random(len(t)) < 0.5
            s[use_fin] = fin[rng.integers(fin.size, size=use_fin.sum())]
        vc = e["vc_funding"][t]
        add(
            s,
            t,
            INVEST,
            np.where(
                vc > 0, vc * rng.uniform(0.2, 1.0, len(t)), rng.lognormal(np.log(800), 1.2, len(t))
            ),
        )
    s = _pick(w_copat, counts[COPAT], rng)
    if s is not None:
        add(s, _pick(w_copat, len(s), rng), COPAT, _count_weight(COPAT, len(s), rng))
    w_tt_src = research * (1 + e["invention_patents"]) * 3 + (ent & e["doer"]) * np.sqrt(
        e["rd_expense"] / 100
    ) * (1 + 5 * (e["anchor"] > 0))
    s = _pick(w_tt_src, counts[TRANSFER], rng)
    if s is not None:
        t = _pick(w_young, len(s), rng)
        if t is not None:
            add(s, t, TRANSFER, _count_weight(TRANSFER, len(s), rng))
    s = _pick(w_coop, counts[COOP], rng)
    if s is not None:
        t = _pick_same_division(s, e["div"], w_coop, 0.6 * homophily, rng)
        add(s, t, COOP, _count_weight(COOP, len(s), rng))

    # external links: every active partner gets one, the rest go to popular partners
    if active.size and n_external:
        pw = partners["fitness"][active]
        extra = rng.multinomial(max(n_external - active.size, 0), pw / pw.sum())
        who = np.repeat(active, 1 + extra)
        p_type = _COMPAT[partners["kind"][who]] * mix * _EXTERNAL_BOOST
        cum = np.cumsum(p_type / p_type.sum(axis=1, keepdims=True), axis=1)
        ty = np.minimum((rng.random(len(who))[:, None] > cum).sum(axis=1), len(LINK_TYPES) - 1)
        w_out = ent * rev**0.5 * fit * (1 + 2 * outside)
        side_w = {
            SUPPLY: w_out,
            INVEST: w_out * w_young,
            COPAT: w_copat,
            TRANSFER: w_young * (1 + 2 * outside),
            COOP: w_coop,
        }
        inward = {SUPPLY: 0.5, INVEST: 1.0, COPAT: 0.5, TRANSFER: 0.85, COOP: 0.5}
        for t_code in range(len(LINK_TYPES)):
            m = ty == t_code
            firm = _pick(side_w[t_code], int(m.sum()), rng)
            if firm is None:
                firm = _pick(w_coop, int(m.sum()), rng)
                if firm is None:
                    continue
            p = n + who[m]
            into = rng.random(len(p)) < inward[t_code]
            if t_code == SUPPLY:
                w = rev[firm] * np.minimum(rng.lognormal(np.log(0.05), 0.8, len(p)), 0.6)
            elif t_code == INVEST:
                w = rng.lognormal(np.log(3000), 1.2, len(p))
            else:
                w = _count_weight(t_code, len(p), rng)
            add(np.where(into, p, firm), np.where(into, firm, p), t_code, w)

    if not srcs:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty, np.zeros(0)
    return _merge(
        np.concatenate(srcs),
        np.concatenate(tgts),
        np.concatenate(types),
        np.concatenate(weights),
        n,
        n_internal,
        rng,
    )


def _merge(src, tgt, ty, w, n, n_internal, rng):
    """Drop self links, merge repeated (source, target, type) and trim internal links."""
    keep = src != tgt
    src, tgt, ty, w = src[keep], tgt[keep], ty[keep], w[keep]
    size = int(max(src.max(initial=0), tgt.max(initial=0))) + 1
    key = (src.astype(np.int64) * size + tgt) * len(LINK_TYPES) + ty
    uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    w = np.bincount(inverse, weights=w, minlength=len(uniq))
    src, tgt, ty = src[first], tgt[first], ty[first]
    internal = np.flatnonzero((src < n) & (tgt < n))
    if internal.size > n_internal:
        drop = rng.choice(internal, size=internal.size - n_internal, replace=False)
        keep = np.ones(len(src), bool)
        keep[drop] = False
        src, tgt, ty, w = src[keep], tgt[keep], ty[keep], w[keep]
    w = np.minimum(np.maximum(np.round(w, 2), 0.01), 1e9)
    return src, tgt, ty, w
