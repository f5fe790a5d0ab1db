"""Named enterprises of undocumented revenue take the largest draws of their cluster.

A page names a cluster's leading firms. When it gives no revenue for one, the firm is still
among the largest of its cluster, so it takes the place of one of the largest unnamed firms
drawn from the cluster's size distribution, rather than a fixed default size that would
make a phone maker in a 900-billion-yuan cluster a small supplier.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from clusterpath.data.gallery.generate import Entity, in_output
from clusterpath.data.gallery.resolve import ResolvedCluster, takes_top_draw


def hand_over_largest(
    cluster: ResolvedCluster,
    named: list[Entity],
    firms: list[Entity],
    rng: np.random.Generator,
) -> tuple[list[Entity], list[Entity]]:
    """Named and unnamed firms once each taker (``takes_top_draw``), in a random order, has
    taken the place of one of the largest unnamed firms of the first year, largest first.

    The taker keeps what its sources document; staff and patents it lacks follow the drawn
    revenue (staff from the unnamed firm, patents from its own R&D at the domain's cost and
    split). The unnamed firm it replaces is dropped."""
    first, shape = cluster.spec.years[0], cluster.firms
    takers = [i for i, e in enumerate(cluster.named) if takes_top_draw(e, first)]
    takers = [takers[i] for i in rng.permutation(len(takers))]
    largest = sorted((f for f in firms if first in f.years), key=lambda f: f.revenue, reverse=True)
    named = list(named)
    for i, drawn in zip(takers, largest, strict=False):
        documented = cluster.named[i].documented
        taker = replace(named[i], revenue=drawn.revenue)
        if "employees" not in documented:
            taker = replace(taker, employees=drawn.employees)
        if not {"invention_patents", "utility_patents"} & set(documented):
            patents = round(drawn.revenue * taker.rd_intensity / shape.patent_cost)
            inventions = round(patents * shape.invention_share)
            taker = replace(
                taker, invention_patents=inventions, utility_patents=patents - inventions
            )
        named[i] = taker
    replaced = {f.firm_id for f in largest[: len(takers)]}
    return named, [f for f in firms if f.firm_id not in replaced]


def anchor_keys(revenues: dict[str, float], total: float, share: float) -> tuple[str, ...]:
    """The anchors of a cluster's supply star: the named enterprises inside (``revenues``,
    first-year revenue by key) holding at least ``share`` of the first year's enterprise
    revenue ``total``. A firm that large buys from many of the cluster's suppliers, whether its
    size is documented or drawn among the largest."""
    return tuple(key for key, revenue in revenues.items() if revenue >= share * total)


def anchors_by_revenue(
    cluster: ResolvedCluster, named: list[Entity], firms: list[Entity]
) -> tuple[str, ...]:
    """``anchor_keys`` of the built entities (named after the hand-over, unnamed firms)."""
    first = cluster.spec.years[0]
    inside = {
        e.key: n.revenue for e, n in zip(cluster.named, named, strict=True) if in_output(n, first)
    }
    total = sum(inside.values()) + sum(f.revenue for f in firms if first in f.years)
    return anchor_keys(inside, total, cluster.pattern.anchor_revenue_share)
