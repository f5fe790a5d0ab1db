"""Monitoring of one scored batch: the document written beside the scores, the lines the
command prints, and the MLflow run that lines successive batches up.

Wiring only: the estimate and the drift are computed in ``models/monitoring.py``.
"""

from __future__ import annotations

import orjson
import pandas as pd
from rich.console import Console
from rich.markup import escape

from clusterpath.explain.batch import KEYS, ScoredBatch
from clusterpath.explain.settings import ScoringConfig
from clusterpath.explain.trust import ENTERPRISE_COUNT, INSUFFICIENT, LOW_TRUST
from clusterpath.models.monitoring import FlagNames, batch_health
from clusterpath.models.path_model import ModelFacts

FORMAT = "clusterpath-monitoring/1"


class DriftAlarm(Exception):
    """The batch's estimate or drift crossed a limit of ``models/scoring.yaml``."""


def monitoring_document(
    batch: ScoredBatch,
    features: pd.DataFrame,
    model: ModelFacts,
    config: ScoringConfig,
    labels: pd.DataFrame | None = None,
) -> dict:
    """``monitoring.json``: provenance, then what ``models.monitoring.batch_health`` says of
    the batch; with ``labels``, the actual accuracy of the labelled rows beside the estimate."""
    scores = batch.scores
    X = features.sort_values(KEYS, kind="stable").reset_index(drop=True)  # the scores' order
    flags = FlagNames(LOW_TRUST, INSUFFICIENT, ENTERPRISE_COUNT, config.min_enterprises)
    first = scores.iloc[0] if len(scores) else {}
    return {
        "format": FORMAT,
        "model": {
            "name": model.identity.name,
            "version": model.identity.version,
            "run_id": model.identity.run_id,
        },
        "extract_fingerprint": first.get("extract_fingerprint", ""),
        "scored_at": first.get("scored_at", ""),
        **batch_health(
            scores, X, model.classes, model.reference, flags, config.monitoring, labels
        ),
    }


def monitoring_lines(doc: dict) -> list[str]:
    """The estimate and the drifted indicators in a few lines."""
    if doc["estimated_accuracy"] is None:
        return ["monitoring: no row was given a recommendation"]
    lo, hi = doc["estimated_accuracy_interval"]
    f_lo, f_hi = doc["estimated_macro_f1_interval"]
    level = f"{doc['interval_level']:.0%}"
    lines = [
        f"estimated accuracy {doc['estimated_accuracy']:.3f} ({level}: {lo:.3f}-{hi:.3f}), "
        f"macro-F1 {doc['estimated_macro_f1']:.3f} ({f_lo:.3f}-{f_hi:.3f}) "
        "from the calibrated probabilities"
    ]
    if "actual" in doc and doc["actual"].get("rows"):
        actual = doc["actual"]
        lines.append(
            f"labelled rows {actual['rows']}: actual accuracy {actual['actual_accuracy']:.3f}, "
            f"estimated {actual['estimated_accuracy']:.3f}"
        )
    drift = doc["drift"]
    if drift["indicators"] is None:
        lines.append("drift: the model carries no training reference")
    else:
        named = ", ".join(
            f"{r['indicator']} {r['statistic']:.2f}"
            if r["statistic"] is not None
            else r["indicator"]
            for r in drift["indicators"]
            if r["drifted"]
        )
        lines.append(
            f"drifted indicators {len(drift['drifted'])}/{len(drift['indicators'])}"
            + (f": {named}" if named else "")
        )
    lines += [f"alert: {reason}" for reason in doc["alerts"]]
    return lines


def log_monitoring_run(doc: dict, console: Console) -> None:
    """Log the batch to the monitoring experiment; say so, or say why it was not logged.

    Scoring has succeeded by then: a tracking failure only costs the run.
    """
    from clusterpath.models.plots import drift_figure
    from clusterpath.models.tracking import MONITORING_EXPERIMENT, log_monitoring

    tags = {
        "model_name": doc["model"]["name"],
        "model_version": doc["model"]["version"],
        "extract_fingerprint": doc["extract_fingerprint"],
    }
    indicators = doc["drift"]["indicators"]
    figure = drift_figure(indicators, title="drift against training") if indicators else None
    plain = orjson.loads(orjson.dumps(doc, option=orjson.OPT_SERIALIZE_NUMPY))  # JSON types
    try:
        run_id = log_monitoring(plain, figure, tags)
    except Exception as exc:  # any tracking failure leaves the outputs whole
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        console.print(f"monitoring run not logged (tracking unreachable): {escape(first)}")
        return
    console.print(f"monitoring logged to experiment {MONITORING_EXPERIMENT}, run {run_id}")
