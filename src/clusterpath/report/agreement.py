"""How far a recommender agrees with the documented readings of the gallery, in one table.

Pure: labels (the readings: path, second path, clarity) and predictions (recommendation and
prediction set per cluster-year) in, plain frames out. A cluster-year agrees when the
recommendation is the documented path; with a second path it also agrees "either" when the
recommendation is that one. A missing recommendation (the model abstained) disagrees.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

KEY = ["cluster_id", "year"]
SET_SEPARATOR = "|"


@dataclass(frozen=True)
class Agreement:
    """``rows``: one per labelled cluster-year; ``summary``: one per measure."""

    rows: pd.DataFrame
    summary: pd.DataFrame


def _as_set(value) -> tuple[str, ...]:
    if value is None or (isinstance(value, float) and value != value):
        return ()
    if isinstance(value, str):
        return tuple(p for p in value.split(SET_SEPARATOR) if p)
    return tuple(str(p) for p in value)


def _blank(value) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def agreement_rows(
    labels: pd.DataFrame, predictions: pd.DataFrame, baseline: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per labelled cluster-year: reading, recommendation, prediction set and the hits.

    ``predictions``: cluster_id, year, path (empty = no recommendation), prediction_set
    (``a|b`` or a sequence). ``baseline``: cluster_id, year, path of a second recommender.
    """
    labels = labels.reindex(columns=[*KEY, "path", "second_path", "clarity"], fill_value="")
    frame = labels.merge(
        predictions[[*KEY, "path", "prediction_set"]].rename(columns={"path": "recommended"}),
        on=KEY,
        how="left",
        validate="one_to_one",
    )
    frame["second_path"] = frame["second_path"].map(_blank)
    frame["clarity"] = frame["clarity"].map(_blank)
    frame["recommended"] = frame["recommended"].map(_blank)
    frame["prediction_set"] = frame["prediction_set"].map(_as_set)
    frame["agrees"] = frame["recommended"] == frame["path"]
    frame["agrees_either"] = frame["agrees"] | (
        (frame["second_path"] != "") & (frame["recommended"] == frame["second_path"])
    )
    frame["in_set"] = [p in s for p, s in zip(frame["path"], frame["prediction_set"], strict=True)]
    if baseline is not None:
        rules = baseline[[*KEY, "path"]].rename(columns={"path": "baseline"})
        frame = frame.merge(rules, on=KEY, how="left", validate="one_to_one")
        frame["baseline"] = frame["baseline"].map(_blank)
        frame["baseline_agrees"] = frame["baseline"] == frame["path"]
        frame["baseline_agrees_either"] = frame["baseline_agrees"] | (
            (frame["second_path"] != "") & (frame["baseline"] == frame["second_path"])
        )
    return frame.sort_values(KEY, ignore_index=True)


def _rate(hits: pd.Series) -> tuple[int, int]:
    return int(hits.sum()), len(hits)


def summarise(rows: pd.DataFrame, path_codes: Sequence[str]) -> pd.DataFrame:
    """Agreement overall, on clear and on mixed readings, per documented path (recall), either
    path, and how often the documented path is in the prediction set: hits and n per measure,
    for the model and (if present) the baseline."""
    measures = [("overall", rows.index == rows.index)]
    measures += [(f"clarity: {c}", rows["clarity"] == c) for c in ("clear", "mixed")]
    measures += [(f"path: {p}", rows["path"] == p) for p in path_codes]
    out = []
    for name, mask in measures:
        chosen = rows[mask]
        hits, n = _rate(chosen["agrees"])
        entry = {"measure": name, "n": n, "model_hits": hits}
        if "baseline_agrees" in rows:
            entry["baseline_hits"] = _rate(chosen["baseline_agrees"])[0]
        out.append(entry)
    extra = [
        ("either path", "agrees_either", "baseline_agrees_either"),
        ("in set", "in_set", None),
    ]
    for name, column, base in extra:
        hits, n = _rate(rows[column])
        entry = {"measure": name, "n": n, "model_hits": hits}
        if "baseline_agrees" in rows:
            entry["baseline_hits"] = _rate(rows[base])[0] if base else None
        out.append(entry)
    return pd.DataFrame(out)


def agreement(
    labels: pd.DataFrame,
    predictions: pd.DataFrame,
    path_codes: Sequence[str],
    baseline: pd.DataFrame | None = None,
) -> Agreement:
    rows = agreement_rows(labels, predictions, baseline)
    return Agreement(rows, summarise(rows, path_codes))


def _share(hits, n) -> str:
    if hits is None or pd.isna(hits):
        return "—"
    return f"{int(hits)}/{n} ({hits / n:.0%})" if n else "—"


def summary_markdown(result: Agreement, model: str = "model", baseline: str = "rules") -> str:
    has_baseline = "baseline_hits" in result.summary
    head = f"| measure | {model} |" + (f" {baseline} |" if has_baseline else "")
    lines = [head, "|---|---|" + ("---|" if has_baseline else "")]
    for r in result.summary.itertuples():
        cells = [r.measure, _share(r.model_hits, r.n)]
        if has_baseline:
            cells.append(_share(r.baseline_hits, r.n))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def rows_markdown(result: Agreement, names: dict[str, str] | None = None) -> str:
    """One line per cluster-year: reading, recommendation, set, baseline."""
    names = names or {}
    has_baseline = "baseline" in result.rows
    lines = [
        "| cluster | year | reading | clarity | recommended | prediction set |"
        + (" rules |" if has_baseline else ""),
        "|---|---|---|---|---|---|" + ("---|" if has_baseline else ""),
    ]
    for r in result.rows.itertuples():
        reading = r.path + (f" / {r.second_path}" if r.second_path else "")
        mark = "✓" if r.agrees else ("~" if r.agrees_either else "✗")
        cells = [
            f"{r.cluster_id} {names.get(r.cluster_id, '')}".strip(),
            str(r.year),
            reading,
            r.clarity,
            f"{r.recommended or '—'} {mark}",
            ", ".join(r.prediction_set) or "—",
        ]
        if has_baseline:
            b_mark = "✓" if r.baseline_agrees else ("~" if r.baseline_agrees_either else "✗")
            cells.append(f"{r.baseline or '—'} {b_mark}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
