"""The page of one cluster-year: what is recommended, why, how sure, what would change it.

Each function builds one section from the scoring outputs and returns plain values for the
template. Every number shown comes from the scores folder; every name from declared data.
"""

from __future__ import annotations

import pandas as pd

from clusterpath.report.charts import (
    Bar,
    BarChart,
    Timeline,
    YearPoint,
    bar_chart,
    timeline,
    waterfall_bars,
)
from clusterpath.report.context import SiteData, percent
from clusterpath.report.inputs import Key
from clusterpath.report.readings import Reading


def cluster_context(site: SiteData, key: Key, reading: dict | None = None) -> dict:
    """Everything ``cluster.html`` prints for ``key``; ``reading``: the documented reading of a
    gallery cluster (see ``documented_reading``), shown beside the recommendation."""
    row, record = site.rows[key], site.outputs.records[key]
    drivers = [driver_row(site, key, d) for d in record["drivers"]]
    holds_back = [driver_row(site, key, d) for d in record["holds_back"]]
    return {
        "root": "../",
        "cluster": {
            "id": key[0],
            "year": key[1],
            "name": row["cluster_name"] or key[0],
            "province": row["province"],
            "domain": site.domain_name(row["domain"]),
        },
        "path": {"name": site.path_name(row["path"]), "colour": site.colour(row["path"])}
        if row["path"]
        else None,
        "certainty": certainty(site, row, record),
        "prediction_set": [site.path_name(c) for c in record["prediction_set"]],
        "probabilities": probability_chart(site, record),
        "waterfall": waterfall_chart(site, key, record),
        "drivers": drivers,
        "holds_back": holds_back,
        "policy": site.quote(record["policy"]["id"]) if record["policy"] else None,
        "what_if": what_if(site, record),
        "history": history_chart(site, key),
        "peers": peers(site, key),
        "cited": cited(site, record),
        "provenance": provenance(site, row),
        "reading": reading,
    }


def documented_reading(site: SiteData, row: dict, reading: Reading, note: str) -> dict:
    """The reading's paths by name and colour, whether the recommendation meets it, links."""
    recommended = row["path"] or None
    if recommended == reading.path:
        verdict = site.t.reading_agrees
    elif recommended and recommended == reading.second_path:
        verdict = site.t.reading_second
    else:
        verdict = site.t.reading_differs
    return {
        "path": {"name": site.path_name(reading.path), "colour": site.colour(reading.path)},
        "second": {
            "name": site.path_name(reading.second_path),
            "colour": site.colour(reading.second_path),
        }
        if reading.second_path
        else None,
        "clarity": site.t[f"clarity_{reading.clarity}"],
        "verdict": verdict,
        "note": note,
        "sources": [{"key": k, "href": u} for k, u in reading.sources],
    }


def probability_chart(site: SiteData, record: dict) -> BarChart | None:
    """The five probabilities; paths outside the prediction set are drawn muted."""
    if record["recommendation"] is None:
        return None
    bars = [
        Bar(
            site.path_name(code),
            0.0,
            p,
            site.colour(code),
            percent(p),
            code not in record["prediction_set"],
        )
        for code, p in record["probabilities"].items()
    ]
    return bar_chart(site.t.chart_probabilities, bars)


def waterfall_chart(site: SiteData, key: Key, record: dict) -> BarChart | None:
    """SHAP of the recommended path: base, drivers, what holds back, the rest, the score."""
    if record["recommendation"] is None or key not in site.outputs.recommended.index:
        return None
    shap = site.outputs.recommended.loc[key].set_index("feature")["shap"]
    shown = [d["feature"] for d in record["drivers"] + record["holds_back"]]
    steps = [(site.name(site.catalogue.get(f)), float(shap[f])) for f in shown]
    rest = shap.drop(index=shown)
    steps.append((site.t.fmt("waterfall_rest", n=len(rest)), float(rest.sum())))
    base = record.get("shap_base") or 0.0  # explanations written before the base was stored
    bars = waterfall_bars(steps, site.t.waterfall_base, site.t.waterfall_total, base)
    return bar_chart(site.t.chart_waterfall, bars)


def driver_row(site: SiteData, key: Key, driver: dict) -> dict:
    """An indicator for or against the path: value, percentile, SHAP and passages."""
    feature = driver["feature"]
    share = _percentile(site, key, feature)
    return {
        "feature": feature,
        "name": site.name(driver),
        "value": driver[f"value_{site.lang}"],
        "percentile": site.t.fmt("percentile", share=percent(share, 0), year=key[1])
        if share is not None
        else site.t.no_percentile,
        "shap": f"{driver['shap']:+.2f}",
        "passages": [site.passage_link(p["id"]) for p in driver["passages"]],
        "support": [site.passage_link(p["id"]) for p in driver.get("support_passages", [])],
    }


def _percentile(site: SiteData, key: Key, feature: str) -> float | None:
    table = site.percentile
    if key not in table.index or feature not in table.columns:
        return None
    value = table.at[key, feature]
    return None if pd.isna(value) else float(value)


def certainty(site: SiteData, row: dict, record: dict) -> list[str]:
    """How sure the model is, in plain words, from confidence, prediction set and flag."""
    t = site.t
    if record["recommendation"] is None:
        return [t.fmt("certainty_none", reason=row["flag_reason"])]
    code = record["recommendation"]["code"]
    top = percent(record["probabilities"].get(code))
    said = [t.fmt(f"certainty_{row['confidence']}", path=site.path_name(code), p=top)]
    chosen = record["prediction_set"]
    if len(chosen) == 1:
        said.append(t.fmt("set_one", path=site.path_name(chosen[0])))
    else:
        names = t.list_separator.join(site.path_name(c) for c in chosen)
        said.append(t.fmt("set_many", n=len(chosen), paths=names))
    coverage = site.outputs.model.get("training_metrics", {}).get("holdout_conformal_coverage")
    if coverage is not None:
        said.append(t.fmt("set_coverage", coverage=percent(coverage, 0)))
    if row["flag"] == "low_trust":
        said.append(t.fmt("certainty_low_trust", reason=row["flag_reason"]))
    return said


def what_if(site: SiteData, record: dict) -> dict | None:
    """The nearest change that makes the runner-up the recommendation, or why there is none."""
    if record["recommendation"] is None:
        return None
    t, found, runner = site.t, record["what_would_change"], record["runner_up"]
    if found:
        target = site.name(found["target"])
        return {
            "sentence": t.fmt(
                "what_if_found", target=target, p=percent(found["target_probability"])
            ),
            "changes": [c[f"text_{site.lang}"] for c in found["changes"]],
        }
    if not site.what_if_searched:
        return {"sentence": t.what_if_not_searched, "changes": []}
    target = site.name(runner) if runner else t.what_if_any_other
    return {"sentence": t.fmt("what_if_none", target=target), "changes": []}


def history_chart(site: SiteData, key: Key) -> Timeline | None:
    """The cluster's path over its scored years (only when more than one year was scored)."""
    keys = site.years_of[key[0]]
    if len(keys) < 2:
        return None
    lanes = list(site.reference.path_codes)
    points = []
    for other in keys:
        code = site.rows[other]["path"]
        p = site.rows[other].get(f"p_{code}", 0.0) if code else 0.0
        points.append(
            YearPoint(
                other[1],
                "../" + site.page(other),
                lanes.index(code) if code else None,
                float(p),
                site.colour(code),
                f"{other[1]}: {site.path_name(code)} {percent(p) if code else ''}".strip(),
                other == key,
            )
        )
    return timeline(site.t.chart_history, [site.path_name(c) for c in lanes], points)


def peers(site: SiteData, key: Key) -> list[dict]:
    """The most similar other clusters of the same year, with their paths and pages."""
    out = []
    for peer_id in site.peers.get(key, []):
        other = site.rows[(peer_id, key[1])]
        out.append(
            {
                "href": "../" + site.page((peer_id, key[1])),
                "name": other["cluster_name"] or peer_id,
                "id": peer_id,
                "province": other["province"],
                "domain": site.domain_name(other["domain"]),
                "path": site.path_name(other["path"]),
                "colour": site.colour(other["path"]),
            }
        )
    return out


def cited(site: SiteData, record: dict) -> list[dict]:
    """Passages the drivers point to, quoted once each in the paper's order."""
    ids = {p["id"] for d in record["drivers"] + record["holds_back"] for p in d["passages"]}
    ids |= {p["id"] for d in record["holds_back"] for p in d.get("support_passages", [])}
    if record["policy"]:
        ids.discard(record["policy"]["id"])
    return [site.quote(pid) for pid in site.corpus.ids if pid in ids]


def provenance(site: SiteData, row: dict) -> list[tuple[str, str]]:
    """Which model and data gave this page: label, value pairs."""
    t, model = site.t, site.outputs.model
    return [
        (
            t.prov_model,
            f"{model.get('name', '')} v{model.get('version', '')} ({model.get('uri', '')})",
        ),
        (t.prov_run, str(model.get("run_id", ""))),
        (t.prov_fingerprint, str(row["extract_fingerprint"])),
        (t.prov_catalogue, str(row["catalogue_version"])),
        (t.prov_scored_at, str(row["scored_at"])),
        (t.prov_paper, f"《{site.outputs.document.get('paper', '')}》"),
    ]
