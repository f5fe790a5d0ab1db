"""Markdown notes for the gallery: one per cluster (beside its spec) and the gallery README.

The notes are rendered from the specs and the generated tables, so what they say is real,
assumed or synthetic cannot drift from what the extract holds.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from clusterpath.data.gallery.spec import ClusterSpec, NamedEntity
from clusterpath.data.reference import load_reference

VALUE_FIELDS = ("founded_year", "ownership", "revenue", "employees", "rd_intensity")
STATUS = (
    "**Real**: the named entities themselves and every value marked with a source key "
    "(founding year, ownership, output, head count); the documented relations; the "
    "documented firm count and output where cited. **Assumed**: the named entities' values "
    "without a source key (set to fit what the sources say in words). **Synthetic**: every "
    "unnamed firm (ids `-S`), research institute (`-R`) and outside partner (`-X`), and "
    "every tie not listed under documented relations; they are drawn from the shape above "
    "with a fixed seed and describe no real firm. The path label (`source: expert`) is this "
    "gallery's reading of the public record: the paper assigns no real cluster to a path."
)


def _value(e: NamedEntity, field: str) -> str:
    value = getattr(e, field)
    text = f"{value:,.0f}" if field in ("revenue", "employees") else str(value)
    if field == "rd_intensity":
        text = f"{value:.1%}"
    ref = e.documented.get(field)
    return f"{text} [{ref}]" if ref else f"{text} *(assumed)*"


def _entities_table(spec: ClusterSpec) -> list[str]:
    lines = [
        "| entity | type | division | founded | ownership | revenue (10k CNY) | employees "
        "| R&D / revenue | in cluster |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for e in spec.named:
        cells = [f"{e.name} ({e.name_en})", e.entity_type, e.industry_code]
        cells += [_value(e, f) for f in VALUE_FIELDS]
        cells.append("yes" if e.inside else "no (outside partner)")
        lines.append("| " + " | ".join(cells) + " |")
    notes = [f"- {e.name_en}: {e.note}" for e in spec.named if e.note]
    return lines + (["", *notes] if notes else [])


def _synthetic(spec: ClusterSpec, firms: pd.DataFrame, links: pd.DataFrame) -> list[str]:
    s, p = spec.firms, spec.pattern
    first = spec.years[0]
    inside = firms[(firms["cluster_id"] == spec.cluster_id) & (firms["year"] == first)]
    total = inside.loc[inside["entity_type"] == "enterprise", "revenue"].sum()
    documented = (
        f" (documented: {spec.total_revenue:,.0f} [{spec.total_revenue_ref}])"
        if spec.total_revenue
        else " (no documented total: unscaled)"
    )
    count = f"documented [{s.count_ref}]" if s.count_ref else "assumed"
    ownership = ", ".join(f"{k} {v:.0%}" for k, v in s.ownership.items())
    divisions = ", ".join(f"{k} {v:.0%}" for k, v in s.divisions.items())
    year_links = links[links["year"] == first]
    return [
        f"- {s.count:,} unnamed firms in {first} (count {count}), entry {s.entry_rate:.0%} and "
        f"exit {s.exit_rate:.0%} a year, unnamed research institutes: {s.research_bodies}.",
        f"- Divisions: {divisions}. Ownership: {ownership}; "
        f"{s.hq_outside_share:.0%} branches of outside parents.",
        f"- Mean age {s.mean_age:g} years; median revenue {s.revenue_median:,.0f} "
        f"(σ log {s.revenue_sigma:g}); {s.rd_active_share:.0%} do R&D at a median "
        f"{s.rd_intensity_median:.1%} of revenue; invention share {s.invention_share:.0%}.",
        f"- Ties: {p.anchor_share:.0%} supply the anchors ({', '.join(p.anchors) or 'none'}); "
        f"each research body tied to {p.research_reach} firms; {p.peer_per_firm:g} peer ties "
        f"per firm, {p.cross_industry:.0%} across divisions; {p.parent_share:.0%} of branches "
        f"tied to an outside parent; {p.external_per_firm:g} outside ties per firm.",
        f"- Result in {first}: {len(inside):,} entities in the cluster, "
        f"{len(year_links):,} links ({len(year_links) / max(len(inside), 1):.2f} per entity), "
        f"enterprise revenue {total:,.0f}{documented}.",
    ]


def _dating(spec: ClusterSpec) -> str:
    if spec.figures_year is None or spec.figures_year == spec.years[0]:
        return ""
    return (
        f" The documented firm count and output refer to {spec.figures_year}; the extract "
        f"places them in {spec.years[0]}, the gallery's common first year, so its scale is "
        f"that of {spec.figures_year}."
    )


def cluster_note(spec: ClusterSpec, tables: dict[str, pd.DataFrame]) -> str:
    """The note beside a cluster's spec: path, evidence, what is real, sources."""
    ref = load_reference()
    path, domain = ref.path(spec.path), ref.domain(spec.domain)
    firms = tables["firms"]
    ids = set(firms.loc[firms["firm_id"].str.startswith(f"{spec.cluster_id}-"), "firm_id"])
    links = tables["links"][tables["links"]["source_id"].isin(ids)]
    documented = [
        f"- {d.source} → {d.target}: {d.link_type}, weight {d.weight:,.10g} [{d.ref}]: {d.note}"
        for d in spec.links
    ]
    lines = [
        f"# {spec.name} — {spec.name_en}",
        "",
        f"Cluster `{spec.cluster_id}`, {spec.city} ({spec.province}); domain `{spec.domain}` "
        f"({domain.name_zh}); years {', '.join(map(str, spec.years))}.{_dating(spec)}",
        "",
        f"**Documented path: `{spec.path}` ({path.name_zh}, {path.name_en}).**",
        "",
        "## Evidence",
        "",
        spec.evidence.strip(),
        "",
        "## Reading",
        "",
        spec.reading.strip(),
        "",
        "## Named entities",
        "",
        *_entities_table(spec),
        "",
        "## Documented relations",
        "",
        *(documented or ["- none recorded beyond the pattern below"]),
        "",
        "## Synthetic part",
        "",
        *_synthetic(spec, firms, links),
        "",
        "## Real, assumed, synthetic",
        "",
        STATUS,
        "",
        "## Sources",
        "",
        *[f"- [{key}] {url}" for key, url in spec.sources.items()],
        "",
    ]
    return "\n".join(lines)


def gallery_readme(specs: tuple[ClusterSpec, ...], folder: Path) -> str:
    """``intro.md`` followed by the table of clusters."""
    intro = (folder / "intro.md").read_text(encoding="utf-8").rstrip()
    ref = load_reference()
    rows = [
        "| id | cluster | city | domain | documented path | evidence | sources |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in specs:
        first_sentence = s.evidence.strip().split(". ")[0].rstrip(".") + "."
        sources = ", ".join(f"[{k}]({u})" for k, u in s.sources.items())
        rows.append(
            f"| {s.cluster_id} | [{s.name}]({s.slug}/README.md) {s.name_en} | {s.city} "
            f"| {ref.domain(s.domain).name_zh} | `{s.path}` {ref.path(s.path).name_zh} "
            f"| {first_sentence} | {sources} |"
        )
    return intro + "\n\n## Clusters\n\n" + "\n".join(rows) + "\n"
