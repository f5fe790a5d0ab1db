"""Compute the indicator catalogue for every cluster-year of an extract.

Pure with respect to its inputs: frames and catalogue in, one frame out. The engine only
decides where the SQL runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources

import numpy as np
import pandas as pd

from clusterpath.data.reference import Reference
from clusterpath.features.catalogue import Catalogue
from clusterpath.features.engines import SqlEngine

FIRM_COLUMNS = [
    "firm_id", "year", "cluster_id", "entity_type", "industry_code", "founded_year",
    "employees", "revenue", "rd_expense", "invention_patents", "utility_patents",
    "ownership", "hq_outside", "vc_funding",
]  # fmt: skip
LINK_COLUMNS = ["source_id", "target_id", "year", "link_type", "weight"]
STAGES = ("members", "cluster_links", "firm_stats", "size_stats", "link_stats", "division_stats")
KEY = ["cluster_id", "year"]
REASONS_COLUMN = "undefined_reasons"


def stage_sql() -> list[tuple[str, str]]:
    """The SQL files in execution order, as (stage name, query) pairs."""
    folder = resources.files("clusterpath.features") / "sql"
    files = sorted(p for p in folder.iterdir() if p.name.endswith(".sql"))
    names = [*STAGES, "indicators"]
    if len(files) != len(names):
        raise RuntimeError(f"expected {len(names)} SQL stages, found {len(files)}")
    return [(name, f.read_text(encoding="utf-8")) for name, f in zip(names, files, strict=True)]


def industries_frame(reference: Reference) -> pd.DataFrame:
    """The industry table as the SQL sees it."""
    return pd.DataFrame(
        {
            "code": [i.code for i in reference.industries],
            "sector_group": [i.group for i in reference.industries],
            "traditional": [i.traditional for i in reference.industries],
            "digital": [i.digital for i in reference.industries],
        }
    )


def prepare_firms(firms: pd.DataFrame) -> pd.DataFrame:
    """Keep the columns the indicators use; mark whether the optional vc_funding was given."""
    has_vc = "vc_funding" in firms.columns
    frame = firms[[c for c in FIRM_COLUMNS if c in firms.columns]]
    if not has_vc:
        frame = frame.assign(vc_funding=np.nan)
    return frame.assign(has_vc_column=int(has_vc))


def compute_indicators(
    firms: pd.DataFrame,
    links: pd.DataFrame,
    catalogue: Catalogue,
    reference: Reference,
    engine: SqlEngine,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Return one row per cluster-year with every indicator and the reasons for any NaN."""
    engine.register("firms", prepare_firms(firms))
    engine.register("links", links[LINK_COLUMNS])
    engine.register("industries", industries_frame(reference))
    *stages, (_, final_sql) = stage_sql()
    for name, sql in stages:
        engine.materialise(name, sql)
        if progress:
            progress(name)
    raw = engine.fetch(final_sql)
    if progress:
        progress("indicators")
    return attach_reasons(raw, catalogue)


def attach_reasons(raw: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """Keep the catalogue's columns and record, per row, why each missing value is missing."""
    out = raw[KEY + list(catalogue.ids)].copy()
    out[list(catalogue.ids)] = out[list(catalogue.ids)].astype("float64")
    out["year"] = out["year"].astype("int64")
    flags = {c: raw[f"cond_{c}"].to_numpy(dtype=bool) for c in catalogue.conditions}
    reasons: list[dict[str, str]] = [{} for _ in range(len(out))]
    for ind in catalogue.indicators:
        missing = np.flatnonzero(out[ind.id].isna().to_numpy())
        for row in missing:
            held = next((c for c in ind.undefined_when if flags[c][row]), None)
            reasons[row][ind.id] = catalogue.conditions[held] if held else "undefined"
    out[REASONS_COLUMN] = [json.dumps(r, ensure_ascii=False, sort_keys=True) for r in reasons]
    return out.sort_values(KEY, kind="stable").reset_index(drop=True)
