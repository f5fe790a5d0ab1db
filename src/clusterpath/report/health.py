"""The overview's data-health panel: how right the batch is likely to be, and what moved.

Re-presents ``monitoring.json`` as ``clusterpath score`` wrote it: the estimated accuracy
and macro-F1 with their intervals, the flag shares beside training's, and the indicators
whose values moved furthest from training as a small chart (drift statistic over its limit;
above 1, drifted).
"""

from __future__ import annotations

from clusterpath.report.charts import DOWN, NEUTRAL, Bar, bar_chart
from clusterpath.report.context import SiteData, percent

SHOWN = 8  # indicators on the chart, furthest moved first


def health_context(site: SiteData) -> dict | None:
    """The panel's figures and chart, or None for a folder scored without monitoring."""
    doc = site.outputs.monitoring
    if not doc or doc.get("estimated_accuracy") is None:
        return None
    t = site.t
    low, high = doc["estimated_accuracy_interval"]
    f_low, f_high = doc["estimated_macro_f1_interval"]
    out = {
        "accuracy": t.fmt(
            "health_accuracy",
            value=percent(doc["estimated_accuracy"]),
            level=percent(doc["interval_level"], 0),
            low=percent(low),
            high=percent(high),
        ),
        "macro_f1": t.fmt(
            "health_macro_f1",
            value=f"{doc['estimated_macro_f1']:.2f}",
            low=f"{f_low:.2f}",
            high=f"{f_high:.2f}",
        ),
        "flags": [
            t.fmt(
                f"health_flag_{flag}",
                share=percent(shares["share"]),
                training=percent(shares["training_share"]),
            )
            for flag, shares in doc["flags"].items()
            if shares["training_share"] is not None
        ],
        "actual": _actual(site, doc.get("actual")),
        "drift": None,
        "chart": None,
    }
    indicators = doc["drift"]["indicators"]
    if indicators is not None:
        drifted = [site.name(site.catalogue.get(fid)) for fid in doc["drift"]["drifted"]]
        out["drift"] = t.fmt("health_drifted", n=len(drifted), total=len(indicators)) + (
            t.list_separator.join(drifted) if drifted else t.health_none_drifted
        )
        out["chart"] = _drift_chart(site, indicators)
    return out


def _actual(site: SiteData, actual: dict | None) -> str | None:
    if actual and not actual.get("rows") and actual.get("trained_rows_left_out"):
        return site.t.fmt("health_actual_trained", rows=actual["trained_rows_left_out"])
    if not actual or not actual.get("rows"):
        return None
    return site.t.fmt(
        "health_actual",
        rows=actual["rows"],
        actual=percent(actual["actual_accuracy"]),
        estimated=percent(actual["estimated_accuracy"]),
    )


def _drift_chart(site: SiteData, indicators: list[dict]):
    ranked = sorted(
        (r for r in indicators if r["statistic"] is not None),
        key=lambda r: -r["statistic"] / r["limit"],
    )[:SHOWN]
    bars = [
        Bar(
            site.name(site.catalogue.get(r["indicator"])),
            0,
            round(r["statistic"] / r["limit"], 3),
            DOWN if r["drifted"] else NEUTRAL,
            f"{r['statistic'] / r['limit']:.2f}",
        )
        for r in ranked
    ]
    return bar_chart(site.t.health_chart, bars) if bars else None
