"""The portfolio pages: the index (every cluster-year, filterable) and the method page."""

from __future__ import annotations

import re

from clusterpath.explain.units import UNIT_ZH
from clusterpath.features.catalogue import TRAITS, Indicator
from clusterpath.report.charts import NEUTRAL, Bar, BarChart, bar_chart
from clusterpath.report.china_map import map_context
from clusterpath.report.context import CONFIDENCE_LEVELS, SiteData, percent
from clusterpath.report.health import health_context

BASELINE = re.compile(r"^baseline_(.+)_holdout_macro_f1$")


def index_context(site: SiteData) -> dict:
    """The map, counts per path, the filter choices and one table row per cluster-year."""
    rows = [table_row(site, key, row) for key, row in sorted(site.rows.items(), key=_order)]
    years = sorted({key[1] for key in site.rows})
    return {
        "root": "",
        "n_clusters": len({key[0] for key in site.rows}),
        "n_rows": len(rows),
        "latest": years[-1] if years else None,
        "map": map_context(site, years[-1]) if years else None,
        "chart": counts_chart(site, years[-1]) if years else None,
        "by_year": counts_by_year(site, years) if len(years) > 1 else None,
        "health": health_context(site),
        "filters": filters(site, rows, years),
        "rows": rows,
    }


def _order(item) -> tuple:
    (cluster_id, year), row = item
    return (str(row["cluster_name"]), str(cluster_id), year)


def table_row(site: SiteData, key, row: dict) -> dict:
    code = row["path"]
    chosen = [c for c in str(row["prediction_set"]).split("|") if c]
    return {
        "href": site.page(key),
        "name": row["cluster_name"] or key[0],
        "id": key[0],
        "year": key[1],
        "province": row["province"],
        "domain_code": row["domain"],
        "domain": site.domain_name(row["domain"]),
        "path_code": code,
        "path": site.path_name(code),
        "colour": site.colour(code),
        "probability": row.get(f"p_{code}") if code else None,
        "probability_text": percent(row.get(f"p_{code}")) if code else "—",
        "set": site.t.list_separator.join(site.path_name(c) for c in chosen),
        "confidence_code": row["confidence"],
        "confidence": site.t[f"confidence_{row['confidence']}"],
        "confidence_rank": len(CONFIDENCE_LEVELS) - CONFIDENCE_LEVELS.index(row["confidence"]),
        "flag": site.t[f"flag_{row['flag']}"] if row["flag"] else "",
    }


def _counts(site: SiteData, year: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for (_, y), row in site.rows.items():
        if y == year:
            counts[row["path"]] = counts.get(row["path"], 0) + 1
    return counts


def counts_chart(site: SiteData, year: int) -> BarChart:
    """How many clusters each path has in the latest year (and how many got none)."""
    counts = _counts(site, year)
    bars = [
        Bar(site.path_name(c), 0, counts.get(c, 0), site.colour(c), str(counts.get(c, 0)))
        for c in site.reference.path_codes
    ]
    if counts.get(""):
        bars.append(Bar(site.t.no_path, 0, counts[""], NEUTRAL, str(counts[""])))
    return bar_chart(site.t.fmt("chart_counts", year=year), bars)


def counts_by_year(site: SiteData, years: list[int]) -> dict:
    per_year = {y: _counts(site, y) for y in years}
    codes = [*site.reference.path_codes, ""]
    return {
        "years": years,
        "rows": [
            {"path": site.path_name(c), "counts": [per_year[y].get(c, 0) for y in years]}
            for c in codes
            if any(per_year[y].get(c) for y in years)
        ],
    }


def filters(site: SiteData, rows: list[dict], years: list[int]) -> list[dict]:
    """The index's drop-downs: (field, label, [(value, text)]) over values that occur."""

    def present(field: str) -> set:
        return {r[field] for r in rows}

    domains = [d.code for d in site.reference.domains if d.code in present("domain_code")]
    domains += sorted(present("domain_code") - set(domains))
    paths = [c for c in (*site.reference.path_codes, "") if c in present("path_code")]
    t = site.t
    return [
        {
            "field": "province",
            "label": t.col_province,
            "options": [(p, p) for p in sorted(present("province"))],
        },
        {
            "field": "domain",
            "label": t.col_domain,
            "options": [(d, site.domain_name(d)) for d in domains],
        },
        {
            "field": "path",
            "label": t.col_path,
            "options": [(c or "none", site.path_name(c)) for c in paths],
        },
        {
            "field": "confidence",
            "label": t.col_confidence,
            "options": [
                (c, t[f"confidence_{c}"])
                for c in CONFIDENCE_LEVELS
                if c in present("confidence_code")
            ],
        },
        {"field": "year", "label": t.col_year, "options": [(str(y), str(y)) for y in years]},
    ]


def method_context(site: SiteData) -> dict:
    """Indicators by trait, the five paths and the model's evaluation in words."""
    metrics = site.outputs.model.get("training_metrics", {}) or {}
    return {
        "root": "",
        "traits": [trait_group(site, trait) for trait in TRAITS],
        "paths": [path_entry(site, p) for p in site.reference.paths],
        "evaluation": evaluation(site, metrics),
        "per_path": per_path(site, metrics),
    }


def trait_group(site: SiteData, trait: str) -> dict:
    return {
        "passage": site.quote(trait),
        "indicators": [
            indicator_entry(site, i) for i in site.catalogue.indicators if i.trait == trait
        ],
    }


def unit_label(indicator: Indicator, lang: str) -> str:
    if indicator.display == "percent":
        return "%"
    unit = UNIT_ZH.get(indicator.unit, indicator.unit) if lang == "zh" else indicator.unit
    return unit or "—"


def indicator_entry(site: SiteData, ind: Indicator) -> dict:
    t = site.t
    return {
        "id": ind.id,
        "name": site.name(ind),
        "unit": unit_label(ind, site.lang),
        "formula": ind.formula,
        "stronger": t[f"stronger_{ind.stronger}"],
        "actionable": t.word_yes if ind.actionable else t.word_no,
        "passages": [
            {"id": p, "title": site.passage_title(site.corpus.get(p))} for p in ind.passages
        ],
    }


def path_entry(site: SiteData, path) -> dict:
    return {
        "name": site.name(path),
        "other_name": path.name_en if site.lang == "zh" else path.name_zh,
        "colour": site.colour(path.code),
        "source": path.innovation_source,
        "diffusion": path.diffusion,
        "uncertainty": path.uncertainty,
        "policy": site.quote(path.policy_passage),
    }


def evaluation(site: SiteData, metrics: dict) -> list[str]:
    """The held-out grades as sentences; a sentence whose metric is missing is left out."""
    t, said = site.t, []
    if "holdout_n" in metrics:
        said.append(t.fmt("eval_holdout", n=int(metrics["holdout_n"])))
    if "holdout_macro_f1" in metrics:
        said.append(t.fmt("eval_macro_f1", f1=f"{metrics['holdout_macro_f1']:.2f}"))
    baselines = [
        t.fmt("eval_baseline", name=_baseline_name(site, m.group(1)), f1=f"{value:.2f}")
        for key, value in sorted(metrics.items())
        if (m := BASELINE.match(key))
    ]
    if baselines:
        said.append(t.fmt("eval_baselines", list=t.list_separator.join(baselines)))
    for key, sentence in (
        ("holdout_balanced_accuracy", "eval_balanced_accuracy"),
        ("holdout_ece", "eval_ece"),
        ("holdout_conformal_coverage", "eval_coverage"),
        ("holdout_conformal_singleton_share", "eval_singletons"),
    ):
        if key in metrics:
            said.append(
                t.fmt(sentence, value=percent(metrics[key], 0), points=f"{metrics[key] * 100:.1f}")
            )
    return said or [t.eval_missing]


def _baseline_name(site: SiteData, name: str) -> str:
    key = f"baseline_{name}"
    return site.t[key] if key in site.t.table else name


def per_path(site: SiteData, metrics: dict) -> list[dict]:
    """Held-out precision and recall of each path (only when the run recorded them)."""
    out = []
    for code in site.reference.path_codes:
        precision = metrics.get(f"holdout_precision_{code}")
        recall = metrics.get(f"holdout_recall_{code}")
        if precision is not None or recall is not None:
            out.append(
                {
                    "path": site.path_name(code),
                    "colour": site.colour(code),
                    "precision": percent(precision, 0),
                    "recall": percent(recall, 0),
                }
            )
    return out
