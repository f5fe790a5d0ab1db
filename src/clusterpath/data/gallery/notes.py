"""Markdown notes for the gallery: one per cluster (beside its spec) and the gallery README.

The notes are rendered from the specs, the resolved values and the generated tables, so what
they say is documented, defaulted or synthetic cannot drift from what the extract holds.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd

from clusterpath.data.gallery.leaders import anchor_keys
from clusterpath.data.gallery.resolve import (
    ResolvedCluster,
    ResolvedEntity,
    resolve,
    takes_top_draw,
)
from clusterpath.data.gallery.spec import ClusterSpec
from clusterpath.data.reference import load_reference

DRAWN_FIELDS = ("revenue", "employees")  # taken from a top draw when undocumented
VALUE_FIELDS = ("founded_year", "ownership", "hq_outside", "revenue", "employees", "rd_intensity")
STATUS = (
    "**Documented**: the named entities themselves and every value marked with a source key "
    "(its sentence is quoted under Sources); the documented relations; the documented firm "
    "count, output and shares. **Default**: every value marked *(default)* and the whole "
    "shape of the unnamed firms unless a documented figure is named beside it: they come "
    "from the domain's table in `data/gallery/defaults.yaml`, which knows no path. "
    "**Synthetic**: every unnamed firm (ids `-S`), research institute (`-R`) and outside "
    "partner (`-X`), and every tie not listed under documented relations, drawn from that "
    "shape with a fixed seed; they describe no real firm. The reading (`source: expert`) is "
    "this gallery's reading of the public record and shapes no value of the extract."
)


def _value(e: ResolvedEntity, field: str, drawn: pd.Series | None = None) -> str:
    value = getattr(e, field)
    if drawn is not None and field in DRAWN_FIELDS and field not in e.documented:
        return f"{drawn[field]:,.0f} *(drawn among the largest)*"
    text = f"{value:,.0f}" if field in ("revenue", "employees") else str(value)
    if field == "rd_intensity":
        text = f"{value:.1%}"
    if field == "hq_outside":
        text = "outside" if value else "local"
    ref = e.documented.get(field)
    return f"{text} [{ref}]" if ref else f"{text} *(default)*"


def _entities_table(cluster: ResolvedCluster, firms: pd.DataFrame) -> list[str]:
    """The named entities and their values; an enterprise that took one of the largest draws
    (``takes_top_draw``) shows its first-year revenue and staff as built."""
    first = cluster.spec.years[0]
    built = firms[firms["year"] == first].set_index("firm_id")
    lines = [
        "| entity | type | division | founded | ownership | seat | revenue (10k CNY) "
        "| employees | R&D / revenue | in cluster |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for e in cluster.named:
        drawn = None
        if takes_top_draw(e, first):
            drawn = built.loc[f"{cluster.spec.cluster_id}-{e.key}"]
            # a taker left without a draw (its cluster ran out of firms) keeps its default
            drawn = drawn if drawn["revenue"] != e.revenue else None
        cells = [f"{e.name} ({e.name_en})", e.entity_type, e.industry_code]
        cells += [_value(e, f, drawn) for f in VALUE_FIELDS]
        cells.append("yes" if e.inside else "no (outside partner)")
        lines.append("| " + " | ".join(cells) + " |")
    notes = [f"- {e.name_en}: {e.note}" for e in cluster.named if e.note]
    return lines + (["", *notes] if notes else [])


def _origin(cluster: ResolvedCluster, field: str) -> str:
    ref = cluster.documented.get(field)
    return f"documented [{ref}]" if ref else "default"


def _division_mix(mix: dict[str, float]) -> str:
    """The lead divisions by name, the evenly shared rest as one sum."""
    floor = min(mix.values())
    spread = [k for k, v in mix.items() if abs(v - floor) < 1e-12]
    spread = spread if len(spread) >= 3 else []
    text = ", ".join(f"{k} {v:.0%}" for k, v in mix.items() if k not in spread)
    if spread:
        text += f"; {floor * len(spread):.0%} evenly over {len(spread)} other divisions"
    return text


def _synthetic(cluster: ResolvedCluster, firms: pd.DataFrame, links: pd.DataFrame) -> list[str]:
    spec, s, p = cluster.spec, cluster.firms, cluster.pattern
    first = spec.years[0]
    inside = firms[(firms["cluster_id"] == spec.cluster_id) & (firms["year"] == first)]
    revenue = inside[inside["entity_type"] == "enterprise"].set_index("firm_id")["revenue"]
    total = revenue.sum()
    documented = (
        f" (documented: {spec.total_revenue:,.0f} [{spec.total_revenue_ref}])"
        if spec.total_revenue
        else " (no documented total: unscaled)"
    )
    ownership = ", ".join(f"{k} {v:.0%}" for k, v in s.ownership.items())
    divisions = _division_mix(s.divisions)
    year_links = links[links["year"] == first]
    ids = {e.key: f"{spec.cluster_id}-{e.key}" for e in cluster.named}
    named = {key: revenue[firm_id] for key, firm_id in ids.items() if firm_id in revenue}
    keys = anchor_keys(named, total, p.anchor_revenue_share)
    anchors = ", ".join(keys) or (
        f"none (no named firm of {p.anchor_revenue_share:.0%} of the total or more)"
    )
    return [
        f"- {s.firm_count:,} unnamed firms in {first} ({_origin(cluster, 'firm_count')}), "
        f"entry {s.entry_rate:.0%} and exit {s.exit_rate:.0%} a year; unnamed research "
        f"bodies: {s.research_bodies}.",
        f"- Divisions: {divisions} ({_origin(cluster, 'divisions')}). Ownership: {ownership} "
        f"({_origin(cluster, 'ownership')}); {s.hq_outside_share:.0%} branches of outside "
        f"parents ({_origin(cluster, 'hq_outside_share')}).",
        f"- Mean age {s.mean_age:g} years, none founded before {s.oldest} "
        f"({_origin(cluster, 'oldest')}); median revenue {s.revenue_median:,.0f} "
        f"({_origin(cluster, 'revenue_median')}, σ log {s.revenue_sigma:g}, the largest "
        f"{s.revenue_tail_share:.0%} in a Pareto tail of exponent {s.revenue_tail_alpha:g}, "
        "named enterprises of undocumented revenue among them; firms five years old or "
        f"younger at {s.young_revenue_factor:g} of their draw); "
        f"{s.rd_active_share:.0%} do R&D ({_origin(cluster, 'rd_active_share')}) at a median "
        f"{s.rd_intensity_median:.1%} of revenue ({_origin(cluster, 'rd_intensity_median')}); "
        f"invention share {s.invention_share:.0%}.",
        f"- Anchors (named firms inside with at least {p.anchor_revenue_share:.0%} of the "
        f"first year's enterprise revenue, documented or drawn): {anchors}; "
        f"{p.anchor_share:.0%} of the unnamed firms supply them when there are any. Each "
        f"research body tied to "
        f"{p.research_reach} firms; {p.peer_per_firm:g} peer ties per firm, "
        f"{p.cross_industry:.0%} across divisions; {p.parent_share:.0%} of branches tied to an "
        f"outside parent; {p.external_per_firm:g} outside ties per firm, as often across "
        "divisions (all default).",
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


def reading_line(spec: ClusterSpec) -> str:
    """``path`` (name), second path, clarity: the reading in one line."""
    ref = load_reference()
    labels = spec.labels
    text = f"`{labels.path}` {ref.path(labels.path).name_zh}"
    if labels.second_path:
        text += f", second `{labels.second_path}` {ref.path(labels.second_path).name_zh}"
    return f"{text}; {labels.clarity}"


def _lists(spec: ClusterSpec) -> str:
    return ", ".join(f"{e.list} [{e.ref}]" for e in spec.lists) or "none"


def _sources(spec: ClusterSpec) -> list[str]:
    lines = []
    for key, url in spec.sources.items():
        lines.append(f"- [{key}] {url}")
        quote = " ".join(spec.quotes.get(key, "").split())
        if quote:
            lines.append(f"  > {quote}")
    return lines


def _documented_links(cluster: ResolvedCluster) -> list[str]:
    lines = []
    for d, weight in zip(cluster.spec.links, cluster.link_weights, strict=True):
        origin = f"[{d.weight_ref}]" if d.weight_ref else "*(default)*"
        lines.append(
            f"- {d.source} → {d.target}: {d.link_type} [{d.ref}], weight {weight:,.10g} "
            f"{origin}: {d.note}"
        )
    return lines or ["- none recorded beyond the pattern below"]


def cluster_note(spec: ClusterSpec, tables: dict[str, pd.DataFrame]) -> str:
    """The note beside a cluster's spec: reading, evidence, values and where from, quotes."""
    domain = load_reference().domain(spec.domain)
    head = [
        f"# {spec.name} — {spec.name_en}",
        "",
        f"Cluster `{spec.cluster_id}`, {spec.city} ({spec.province}); domain `{spec.domain}` "
        f"({domain.name_zh}); years {', '.join(map(str, spec.years))}.{_dating(spec)}",
        "",
        f"**Documented reading: {reading_line(spec)}.** Lists: {_lists(spec)}.",
        "",
    ]
    if not spec.built:
        why = spec.why.strip() or f"The same cluster as `{spec.same_as}`."
        head += ["**Not built.** " + why, ""]
    body = [
        "## Evidence",
        "",
        spec.evidence.strip(),
        "",
        "## Reading",
        "",
        spec.reading.strip(),
        "",
        "## What argues for another path",
        "",
        spec.against.strip() or "Nothing recorded.",
        "",
    ]
    if spec.built:
        cluster = resolve(spec)
        firms = tables["firms"]
        ids = set(firms.loc[firms["firm_id"].str.startswith(f"{spec.cluster_id}-"), "firm_id"])
        links = tables["links"][tables["links"]["source_id"].isin(ids)]
        body += [
            "## Named entities",
            "",
            *_entities_table(cluster, firms),
            "",
            "## Documented relations",
            "",
            *_documented_links(cluster),
            "",
            "## Unnamed firms and ties",
            "",
            *_synthetic(cluster, firms, links),
            *_shares_unused(spec),
            "",
            "## Documented, default, synthetic",
            "",
            STATUS,
            "",
        ]
    return "\n".join([*head, *body, "## Sources and quotes", "", *_sources(spec), ""])


def _shares_unused(spec: ClusterSpec) -> list[str]:
    kept = {k: v for k, v in spec.shares.items() if k == "high_tech_share"}
    return [
        f"- Documented, not used by the extract: {k} {v.value:.0%} [{v.ref}]."
        for k, v in kept.items()
    ]


def _source_link(key: str, address: str) -> str:
    return f"[{key}]({address})" if address.startswith("http") else f"{key} ({address})"


def gallery_readme(specs: tuple[ClusterSpec, ...], folder: Path) -> str:
    """``intro.md``, counts per path and clarity, the table of clusters, the ones not built."""
    intro = (folder / "intro.md").read_text(encoding="utf-8").rstrip()
    ref = load_reference()
    built = [s for s in specs if s.built]
    counts = Counter((s.labels.path, s.labels.clarity) for s in built)
    tally = [
        "| path | clear | mixed | all |",
        "|---|---|---|---|",
        *(
            f"| `{code}` {ref.path(code).name_zh} | {counts[code, 'clear']} "
            f"| {counts[code, 'mixed']} | {counts[code, 'clear'] + counts[code, 'mixed']} |"
            for code in ref.path_codes
        ),
        f"| all | {sum(v for (_, c), v in counts.items() if c == 'clear')} "
        f"| {sum(v for (_, c), v in counts.items() if c == 'mixed')} | {len(built)} |",
    ]
    rows = [
        "| id | cluster | city | domain | reading | lists | sources |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in built:
        sources = ", ".join(_source_link(k, u) for k, u in s.sources.items())
        rows.append(
            f"| {s.cluster_id} | [{s.name}]({s.slug}/README.md) {s.name_en} | {s.city} "
            f"| {ref.domain(s.domain).name_zh} | {reading_line(s)} | {_lists(s)} | {sources} |"
        )
    missing = [
        f"| {s.cluster_id} | [{s.name}]({s.slug}/README.md) {s.name_en} | {s.city} "
        f"| {' '.join((s.why.strip() or f'The same cluster as `{s.same_as}`.').split())} |"
        for s in specs
        if not s.built
    ]
    out = [
        intro,
        "",
        f"## Readings: {len(built)} clusters built",
        "",
        *tally,
        "",
        "## Clusters",
        "",
        *rows,
    ]
    if missing:
        out += [
            "",
            "## Not built",
            "",
            "| id | cluster | city | why |",
            "|---|---|---|---|",
            *missing,
        ]
    return "\n".join(out) + "\n"
