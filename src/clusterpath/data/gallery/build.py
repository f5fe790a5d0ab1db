"""Assemble the gallery extract (four contract tables) and write it with its notes.

``build_tables`` is pure: specs in, frames out. ``write_gallery`` writes CSV with fixed
formatting (so regenerating gives byte-identical files) into a temporary folder swapped in
whole, and renders each cluster's note and the gallery README beside the specs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from clusterpath.data.gallery.generate import (
    VALUE_LINKS,
    Entity,
    Tie,
    named_entities,
    pattern_ties,
    research_bodies,
    revenue_scale,
    synthetic_firms,
)
from clusterpath.data.gallery.leaders import anchors_by_revenue, hand_over_largest
from clusterpath.data.gallery.notes import cluster_note, gallery_readme
from clusterpath.data.gallery.resolve import CONTRACT_LINK, ResolvedCluster, resolve
from clusterpath.data.gallery.spec import ClusterSpec, gallery_dir, load_specs
from clusterpath.data.reference import load_reference
from clusterpath.data.simulator.geography import load_geography
from clusterpath.storage import atomic_dir, atomic_path

FIRM_COLUMNS = [
    "firm_id", "year", "cluster_id", "entity_type", "industry_code", "founded_year",
    "employees", "revenue", "rd_expense", "invention_patents", "utility_patents",
    "ownership", "hq_outside", "listed", "vc_funding",
]  # fmt: skip
WORLD = "gallery"


def _firm_rows(entity: Entity, spec: ClusterSpec, rng: np.random.Generator) -> list[dict]:
    """One row per observed year; later years grow revenue and redraw patents."""
    rows = []
    revenue, employees = entity.revenue, entity.employees
    for year in spec.years:
        if year not in entity.years:
            continue
        if year != spec.years[0]:
            step = entity.growth + rng.normal(0, 0.08)
            revenue *= float(np.exp(step))
            employees *= float(np.exp(0.6 * step))
        patents = (entity.invention_patents, entity.utility_patents)
        if year != spec.years[0]:
            patents = tuple(int(rng.poisson(k * np.exp(entity.growth))) for k in patents)
        rows.append(
            {
                "firm_id": entity.firm_id,
                "year": year,
                "cluster_id": entity.cluster_id or "",
                "entity_type": entity.entity_type,
                "industry_code": entity.industry_code,
                "founded_year": entity.founded_year,
                "employees": round(employees),
                "revenue": round(revenue, 1),
                "rd_expense": round(revenue * entity.rd_intensity, 1),
                "invention_patents": patents[0],
                "utility_patents": patents[1],
                "ownership": entity.ownership,
                "hq_outside": entity.hq_outside,
                "listed": entity.listed,
                "vc_funding": round(entity.vc_funding if year == entity.years[0] else 0.0, 1),
            }
        )
    return rows


def _link_rows(ties: list[Tie], alive: dict[str, set[int]], spec, rng) -> list[dict]:
    """A tie is recorded in every year both ends are observed; 92 % survive a year."""
    rows = []
    for tie in ties:
        years = sorted(alive[tie.source_id] & alive[tie.target_id])
        for k, year in enumerate(years):
            if k and rng.random() > 0.92:
                break
            weight = tie.weight
            if k and tie.link_type in VALUE_LINKS:
                weight *= float(rng.lognormal(0.05, 0.15))
            rows.append(
                {
                    "source_id": tie.source_id,
                    "target_id": tie.target_id,
                    "year": year,
                    "link_type": tie.link_type,
                    "weight": round(max(weight, 1.0), 1),
                }
            )
    return rows


def cluster_tables(cluster: ResolvedCluster) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Firms and links of one cluster, from its own seeded generator."""
    spec = cluster.spec
    named = named_entities(cluster)
    scale = revenue_scale(cluster, named, spec.seed)
    rng = np.random.default_rng(spec.seed)
    firms = synthetic_firms(cluster, rng, scale)
    named, firms = hand_over_largest(cluster, named, firms, rng)
    research = research_bodies(cluster, rng)
    by_key = {e.key: n for e, n in zip(spec.named, named, strict=True)}
    anchors = anchors_by_revenue(cluster, named, firms)
    ties, partners = pattern_ties(cluster, rng, by_key, firms, research, anchors)
    ties += [
        Tie(
            by_key[d.source].firm_id,
            by_key[d.target].firm_id,
            CONTRACT_LINK.get(d.link_type, d.link_type),
            weight,
        )
        for d, weight in zip(spec.links, cluster.link_weights, strict=True)
    ]
    entities = named + firms + research + partners
    rows = [row for e in entities for row in _firm_rows(e, spec, rng)]
    alive = {e.firm_id: set(e.years) for e in entities}
    return pd.DataFrame(rows, columns=FIRM_COLUMNS), pd.DataFrame(
        _link_rows(ties, alive, spec, rng)
    )


def city_provinces(specs: tuple[ClusterSpec, ...]) -> dict[str, str]:
    """Each cluster's province as ``cities.yaml`` writes it (one spelling for the map and the
    province table); a city missing there is bad input."""
    known = {c.city: c.province for c in load_geography(load_reference()).cities}
    missing = sorted({f"{s.slug}: {s.city}" for s in specs if s.city not in known})
    if missing:
        raise ValueError(f"cities not in data/reference/cities.yaml: {', '.join(missing)}")
    return known


def build_tables(specs: tuple[ClusterSpec, ...]) -> dict[str, pd.DataFrame]:
    """The four contract tables holding every buildable gallery cluster."""
    specs = tuple(s for s in specs if s.built)
    province = city_provinces(specs)
    firms, links = zip(*(cluster_tables(resolve(s)) for s in specs), strict=True)
    clusters = pd.DataFrame(
        [
            {
                "cluster_id": s.cluster_id,
                "name": s.name,
                "name_en": s.name_en,
                "province": province[s.city],
                "city": s.city,
                "domain": s.domain,
                "world": WORLD,
            }
            for s in specs
        ]
    )
    labels = pd.DataFrame(
        [
            {
                "cluster_id": s.cluster_id,
                "year": y,
                "path": s.labels.path,
                "second_path": s.labels.second_path or "",
                "clarity": s.labels.clarity,
                "source": "expert",
            }
            for s in specs
            for y in s.years
        ]
    )
    return {
        "firms": pd.concat(firms, ignore_index=True),
        "links": pd.concat(links, ignore_index=True),
        "clusters": clusters,
        "labels": labels,
    }


def _csv(frame: pd.DataFrame) -> str:
    text = frame.copy()
    for column in text.columns:
        if text[column].dtype == bool:
            text[column] = text[column].map({True: "true", False: "false"})
    return text.to_csv(index=False, lineterminator="\n", float_format="%.1f")


def write_gallery(folder: Path | None = None) -> dict[str, int]:
    """Regenerate ``extract/``, each ``<slug>/README.md`` and the gallery README."""
    folder = folder or gallery_dir()
    specs = load_specs(folder)
    tables = build_tables(specs)
    with atomic_dir(folder / "extract") as tmp:
        for name, frame in tables.items():
            (tmp / f"{name}.csv").write_text(_csv(frame), encoding="utf-8")
    for spec in specs:
        _write_text(folder / spec.slug / "README.md", cluster_note(spec, tables))
    _write_text(folder / "README.md", gallery_readme(specs, folder))
    return {name: len(frame) for name, frame in tables.items()}


def _write_text(target: Path, text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def main() -> None:  # pragma: no cover - `python -m clusterpath.data.gallery.build`
    try:
        counts = write_gallery()
    except ValueError as err:  # a spec that does not validate: one line, exit 2
        print(f"bad input: {' '.join(str(err).split())}", file=sys.stderr)
        raise SystemExit(2) from None
    print("wrote data/gallery/extract: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))


if __name__ == "__main__":  # pragma: no cover
    main()
