"""The indicator catalogue for people and tools: a narrow table, one indicator whole, JSON or
Markdown. Pure formatting: the catalogue in, text or a Rich renderable out."""

from __future__ import annotations

import json
from typing import Literal

from rich.table import Table

from clusterpath.features.catalogue import Catalogue, Indicator

Format = Literal["table", "json", "markdown"]


def _name(ind: Indicator, lang: str) -> str:
    return ind.name_zh if lang == "zh" else ind.name_en


def catalogue_table(catalogue: Catalogue, lang: str = "zh") -> Table:
    """id, name, unit and passages: what fits a terminal of 80 columns in about two lines."""
    table = Table(title=f"clusterpath indicators {catalogue.version}", box=None, pad_edge=False)
    table.add_column("id", no_wrap=True)
    table.add_column("名称" if lang == "zh" else "name", overflow="fold", ratio=2)
    table.add_column("unit", overflow="fold", ratio=2)
    table.add_column("passages", overflow="fold", ratio=1)
    for ind in catalogue.indicators:
        table.add_row(ind.id, _name(ind, lang), ind.unit, " ".join(ind.passages))
    table.caption = "clusterpath features --show ID for one indicator whole"
    return table


def indicator_text(catalogue: Catalogue, indicator_id: str) -> str:
    """Every field of one indicator, one per line, with the reason behind each NaN condition."""
    ind = catalogue.get(indicator_id)
    lines = [
        f"id:          {ind.id}",
        f"名称:        {ind.name_zh}",
        f"name:        {ind.name_en}",
        f"unit:        {ind.unit} (shown as {ind.display})",
        f"formula:     {ind.formula}",
        *([f"note:        {ind.note}"] if ind.note else []),
        f"trait:       {ind.trait}",
        f"passages:    {', '.join(ind.passages)}",
        f"stronger:    {ind.stronger}",
        f"actionable:  {'yes' if ind.actionable else 'no'}",
        "undefined when:",
        *(f"  - {c}: {catalogue.conditions[c]}" for c in ind.undefined_when),
    ]
    if not ind.undefined_when:
        lines.append("  (always defined)")
    return "\n".join(lines)


def catalogue_json(catalogue: Catalogue) -> str:
    return json.dumps(
        {
            "version": catalogue.version,
            "conditions": dict(catalogue.conditions),
            "indicators": [ind.model_dump(mode="json") for ind in catalogue.indicators],
        },
        ensure_ascii=False,
        indent=2,
    )


def catalogue_markdown(catalogue: Catalogue) -> str:
    rows = [
        "| id | 名称 | name | unit | trait | passages | formula |",
        "|---|---|---|---|---|---|---|",
    ]
    for ind in catalogue.indicators:
        cells = (
            f"`{ind.id}`",
            ind.name_zh,
            ind.name_en,
            ind.unit,
            ind.trait,
            ", ".join(ind.passages),
            ind.formula.replace("|", "\\|"),
        )
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)
