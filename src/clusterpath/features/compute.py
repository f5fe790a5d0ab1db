"""Compute the indicator catalogue for every cluster-year of an extract.

Pure with respect to its inputs: frames and catalogue in, one frame out. The engine only
decides where the SQL runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pandas as pd

from clusterpath.data.contract import LINK_TYPES
from clusterpath.data.reference import Reference
from clusterpath.features.catalogue import Catalogue
from clusterpath.features.engines import SqlEngine
from clusterpath.resources import Declared, locate

FIRM_COLUMNS = [
    "firm_id", "year", "cluster_id", "entity_type", "industry_code", "founded_year",
    "employees", "revenue", "rd_expense", "invention_patents", "utility_patents",
    "ownership", "hq_outside", "vc_funding",
]  # fmt: skip
LINK_COLUMNS = ["source_id", "target_id", "year", "link_type", "weight"]
STAGES = (
    "members", "firm_stats", "cluster_years", "firm_ends", "link_ends", "cluster_links",
    "link_groups", "link_stats", "size_stats", "division_stats",
)  # fmt: skip
# A projection that each reader may recompute more cheaply than an engine can store it.
VIEW_STAGES = frozenset({"cluster_links"})
KEY = ["cluster_id", "year"]
REASONS_COLUMN = "undefined_reasons"
OVERFLOW = "too large to represent (check the units of its inputs)"
# DuckDB and Spark add up a group's doubles in the order their threads reach them, so the
# last bits of a weighted share vary from run to run (up to 1e-14 on the gallery's extract),
# and a value equal to another in one run differs from it in the next: enough to move
# LightGBM's bins and give another model. No source is precise to ten digits.
SIGNIFICANT_DIGITS = 10


def stage_sql() -> list[tuple[str, str]]:
    """The SQL files in execution order, as (stage name, query) pairs."""
    folder = locate(Declared.INDICATOR_SQL)
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


def link_types_frame() -> pd.DataFrame:
    """The contract's link types with a small integer key, so link stages store no text."""
    return pd.DataFrame({"link_type": LINK_TYPES, "type_key": range(1, len(LINK_TYPES) + 1)})


def prepare_firms(firms: pd.DataFrame) -> pd.DataFrame:
    """Keep the columns the indicators use; mark whether the optional vc_funding was given.

    ``firm_row`` numbers the rows: with (firm_id, year) unique it names a firm-year, and the
    link stages group by it instead of by the id text.
    """
    has_vc = "vc_funding" in firms.columns
    frame = firms[[c for c in FIRM_COLUMNS if c in firms.columns]]
    if not has_vc:
        frame = frame.assign(vc_funding=np.nan)
    return frame.assign(has_vc_column=int(has_vc), firm_row=np.arange(len(frame)))


def prepared_firms_sql(source: str, columns: list[str], row: str) -> str:
    """``prepare_firms`` as SQL, for firms the engine already holds (a view over a file)."""
    has_vc = "vc_funding" in columns
    picked = [c if c in columns else f"CAST(NULL AS DOUBLE) AS {c}" for c in FIRM_COLUMNS]
    return (
        f"SELECT {', '.join(picked)}, {int(has_vc)} AS has_vc_column, "
        f"{row} AS firm_row FROM {source}"
    )


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
    return compute_registered(catalogue, reference, engine, progress)


def compute_registered(
    catalogue: Catalogue,
    reference: Reference,
    engine: SqlEngine,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """``compute_indicators`` once the engine holds ``firms`` and ``links`` as prepared here.

    A large Parquet extract reaches this point as views over its files, never as frames.
    """
    engine.register("industries", industries_frame(reference))
    engine.register("link_types", link_types_frame())
    *stages, (_, final_sql) = stage_sql()
    for name, sql in stages:
        engine.materialise(name, sql, view=name in VIEW_STAGES)
        if progress:
            progress(name)
    raw = engine.fetch(final_sql)
    if progress:
        progress("indicators")
    return attach_reasons(raw, catalogue)


def round_significant(values: pd.DataFrame, digits: int) -> pd.DataFrame:
    """Every value rounded to ``digits`` significant digits (zero, NaN and magnitudes beyond
    1e±200 as they are), so that sums taken in another order give the same indicator."""
    x = values.to_numpy(dtype="float64", copy=True)
    magnitude = np.abs(x)
    # beyond 1e±200 the scale would overflow; no indicator comes near
    rounded = np.isfinite(x) & (magnitude > 1e-200) & (magnitude < 1e200)
    scale = 10.0 ** (digits - 1 - np.floor(np.log10(magnitude[rounded])))
    x[rounded] = np.round(x[rounded] * scale) / scale
    return pd.DataFrame(x, index=values.index, columns=values.columns)


def attach_reasons(raw: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """Keep the catalogue's columns and record, per row, why each missing value is missing."""
    out = raw[KEY + list(catalogue.ids)].copy()
    values = out[list(catalogue.ids)].astype("float64")
    # A ratio over a vanishingly small denominator (revenue of 1e-300) overflows to infinity;
    # it is kept as NaN with its reason, never as inf.
    overflowed = np.isinf(values)
    out[list(catalogue.ids)] = round_significant(values.mask(overflowed), SIGNIFICANT_DIGITS)
    out["year"] = out["year"].astype("int64")
    flags = {c: raw[f"cond_{c}"].to_numpy(dtype=bool) for c in catalogue.conditions}
    reasons: list[dict[str, str]] = [{} for _ in range(len(out))]
    for ind in catalogue.indicators:
        missing = np.flatnonzero(out[ind.id].isna().to_numpy())
        for row in missing:
            held = next((c for c in ind.undefined_when if flags[c][row]), None)
            reasons[row][ind.id] = catalogue.conditions[held] if held else "undefined"
            if overflowed[ind.id].iat[row]:
                reasons[row][ind.id] = OVERFLOW
    out[REASONS_COLUMN] = [json.dumps(r, ensure_ascii=False, sort_keys=True) for r in reasons]
    return out.sort_values(KEY, kind="stable").reset_index(drop=True)
