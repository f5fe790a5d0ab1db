"""Job: extract (or indicator table) and a registered model in; scores and explanations out.

Wiring only: read the inputs, load the model through MLflow, call ``explain.batch`` and
write every output into one folder that replaces the previous one in a single step, so a
failure or a kill at any point leaves the previous outputs whole.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress

from clusterpath.data.errors import ContractError, Problem
from clusterpath.data.policy import load_policy_corpus
from clusterpath.data.readers import load_extract
from clusterpath.data.reference import load_reference
from clusterpath.explain.batch import ScoredBatch, score_table
from clusterpath.explain.records import Vocabulary
from clusterpath.explain.settings import ScoringConfig, load_scoring_config
from clusterpath.features.catalogue import load_catalogue
from clusterpath.models.loading import check_catalogue, load_path_model
from clusterpath.models.path_model import ModelFacts
from clusterpath.pipelines.inputs import load_features
from clusterpath.pipelines.monitor import (
    DriftAlarm,
    log_monitoring_run,
    monitoring_document,
    monitoring_lines,
)
from clusterpath.spark.session import SparkOptions
from clusterpath.storage import atomic_dir

OUTPUTS = (
    "scores.parquet",
    "scores.csv",
    "explanations.parquet",
    "explanations.json",
    "monitoring.json",
)
MARKER = ".clusterpath-scores"
MONITORING_JSON = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_INDENT_2
DOCUMENT_FORMAT = "clusterpath-explanations/2"
CLUSTER_COLUMNS = {"firms": ["cluster_id"], "links": ["year"]}


def check_out_dir(out: Path) -> None:
    """The output folder is replaced whole: refuse one that holds anything else."""
    if not out.exists():
        return
    if not out.is_dir():
        raise ContractError([Problem(str(out), "exists and is not a folder")])
    foreign = sorted(p.name for p in out.iterdir() if p.name not in {*OUTPUTS, MARKER})
    if foreign:
        raise ContractError(
            [
                Problem(
                    str(out),
                    f"holds files that are not scoring outputs ({', '.join(foreign[:5])}); "
                    "give an empty folder or a previous scores folder",
                )
            ]
        )


def cluster_table(folder: Path) -> tuple[pd.DataFrame, str, pd.DataFrame | None]:
    """Cluster names, provinces and domains (for reports), the extract's fingerprint, and its
    labels if it has any (monitoring then gives the actual accuracy beside the estimate)."""
    extract = load_extract(
        folder,
        columns={**CLUSTER_COLUMNS, "clusters": ["cluster_id", "name", "province", "domain"]},
    )
    clusters = extract.clusters.rename(columns={"name": "cluster_name"})
    columns = ["cluster_id", "cluster_name", "province", "domain"]
    return clusters[columns], extract.fingerprint, extract.labels


def every_cluster_year(features: pd.DataFrame, clusters: pd.DataFrame) -> pd.DataFrame:
    """Add a row for each listed cluster without members in a year of the extract.

    The indicator table has rows only where a cluster has members; a cluster missing from a
    year would otherwise vanish from the scores. Its row has no indicators and 0 enterprises,
    so it is scored ``insufficient_data`` and says why.
    """
    if features.empty:
        raise ContractError([Problem("indicator table", "no cluster-year to score")])
    keys = ["cluster_id", "year"]
    grid = pd.MultiIndex.from_product(
        [clusters["cluster_id"].astype(object).unique(), sorted(features["year"].unique())],
        names=keys,
    ).to_frame(index=False)
    known = features[keys].astype({"cluster_id": object})
    grid = grid.merge(known, on=keys, how="left", indicator=True)
    missing = grid.loc[grid["_merge"] == "left_only", keys]
    if missing.empty:
        return features
    filler = missing.assign(n_enterprises=0.0)
    for column in ("extract_fingerprint", "catalogue_version"):
        if column in features:
            filler[column] = features[column].iat[0]
    return pd.concat([features, filler], ignore_index=True)


def stamp(batch: ScoredBatch, model: ModelFacts, fingerprint: str, version: str) -> None:
    """Provenance columns on every scores row; ``scored_at`` is the only varying one."""
    scored_at = datetime.now(UTC).isoformat(timespec="seconds")
    batch.scores["model_name"] = model.identity.name
    batch.scores["model_version"] = model.identity.version
    batch.scores["run_id"] = model.identity.run_id
    batch.scores["extract_fingerprint"] = fingerprint
    batch.scores["catalogue_version"] = version
    batch.scores["scored_at"] = scored_at


def explanations_document(batch: ScoredBatch, model: ModelFacts, vocab: Vocabulary) -> dict:
    """The explanations file: provenance, the paths, indicators and passages declared once,
    and one row per cluster-year referring to them by id (docs/explanations.schema.json)."""
    first = batch.scores.iloc[0] if len(batch.scores) else {}
    return {
        "format": DOCUMENT_FORMAT,
        "model": {
            "uri": model.identity.uri,
            "name": model.identity.name,
            "version": model.identity.version,
            "run_id": model.identity.run_id,
            "training_metrics": dict(model.identity.metrics),
        },
        "extract_fingerprint": first.get("extract_fingerprint", ""),
        "catalogue_version": vocab.catalogue.version,
        "scored_at": first.get("scored_at", ""),
        "paper": vocab.corpus.source.title,
        **vocab.declarations(model.classes),
        "cluster_years": batch.records,
    }


def explanations_json(document: dict) -> bytes:
    """The document as compact UTF-8 JSON, Chinese unescaped.

    orjson, because the standard encoder spent about a minute on 100,000 cluster-years
    (when every record still quoted its passages) against two seconds here.
    Records hold None, never NaN, for missing numbers; a NaN would still be written as null.
    """
    return orjson.dumps(document, option=orjson.OPT_SERIALIZE_NUMPY)


def write_outputs(batch: ScoredBatch, document: dict, monitoring: dict, out: Path) -> None:
    with atomic_dir(out) as tmp:
        batch.scores.to_parquet(tmp / "scores.parquet", index=False)
        batch.scores.to_csv(tmp / "scores.csv", index=False, encoding="utf-8-sig")
        batch.explanations.to_parquet(tmp / "explanations.parquet", index=False)
        (tmp / "explanations.json").write_bytes(explanations_json(document))
        (tmp / "monitoring.json").write_bytes(orjson.dumps(monitoring, option=MONITORING_JSON))
        (tmp / MARKER).write_text("outputs of clusterpath score\n", encoding="utf-8")


def summary_line(scores: pd.DataFrame) -> str:
    given = scores[scores["path"] != ""]
    per_path = ", ".join(f"{p} {n}" for p, n in given["path"].value_counts().sort_index().items())
    flagged = scores["flag"].value_counts()
    return (
        f"scored {len(scores):,} cluster-years ({scores['cluster_id'].nunique():,} clusters): "
        f"{per_path or 'none recommended'}; flagged low_trust {flagged.get('low_trust', 0)}, "
        f"insufficient_data {flagged.get('insufficient_data', 0)}"
    )


def run_score(
    folder: Path | str,
    model_uri: str,
    out: Path,
    features_file: Path | None = None,
    config: ScoringConfig | None = None,
    what_if: bool = True,
    console: Console | None = None,
    spark: SparkOptions | None = None,
    fail_on_drift: bool = False,
) -> ScoredBatch:
    """Score, explain, monitor and write; see ``clusterpath score --help``.

    With ``spark``, the extract is read, checked and turned into indicators on Spark and
    the rows are scored there too (``clusterpath.spark.scoring``); the outputs are the same.
    With ``fail_on_drift``, raises ``DriftAlarm`` once every output is written if the
    batch's monitoring has alerts.
    """
    console = console or Console(quiet=True)
    config = config or load_scoring_config()
    check_out_dir(out)
    catalogue = load_catalogue()
    vocab = Vocabulary(
        catalogue, load_policy_corpus(), load_reference(), config.holds_back_passages
    )
    session = spark.start() if spark else None
    try:
        labels = None
        if session is None:
            clusters, fingerprint, labels = cluster_table(Path(folder))
            computed = None
        else:
            with session.guard():
                clusters, fingerprint, computed = spark_inputs(
                    session.spark, str(folder), features_file is None
                )
        model = load_path_model(model_uri)
        check_catalogue(model, catalogue.ids, catalogue.version)
        if computed is None:
            computed = load_features(Path(folder), features_file, fingerprint)
        features = every_cluster_year(computed, clusters).merge(
            clusters, on="cluster_id", how="left"
        )
        if session is None:
            batch = _score_here(features, model, vocab, config, what_if, console)
        else:
            from clusterpath.spark.scoring import score_on_spark

            with session.guard():
                batch = score_on_spark(session.spark, features, model, vocab, config, what_if)
    finally:
        if session is not None:
            session.stop()
    said = ModelFacts(model.identity, model.classes, model.reference)
    stamp(batch, said, fingerprint, catalogue.version)
    monitoring = monitoring_document(batch, features, said, config, labels)
    write_outputs(batch, explanations_document(batch, said, vocab), monitoring, out)
    console.print(summary_line(batch.scores))
    for line in monitoring_lines(monitoring):
        console.print(line)
    console.print(
        f"wrote {escape(str(out))}/: {', '.join(OUTPUTS)} "
        f"(model {escape(said.identity.name)} v{said.identity.version})"
    )
    log_monitoring_run(monitoring, console)
    if fail_on_drift and monitoring["alerts"]:
        raise DriftAlarm("; ".join(monitoring["alerts"]))
    return batch


def _score_here(features, model, vocab, config, what_if, console) -> ScoredBatch:
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("scoring", total=4)
        return score_table(
            features, model, vocab, config, what_if, step=lambda _s: bar.advance(task)
        )


def spark_inputs(
    spark, location: str, compute: bool
) -> tuple[pd.DataFrame, str, pd.DataFrame | None]:
    """On Spark: the extract checked, its clusters (small: one row each), its fingerprint
    and, if ``compute``, its indicator table."""
    from clusterpath.data.contract import build_contract
    from clusterpath.data.readers import TEXT
    from clusterpath.pipelines.features import spark_features
    from clusterpath.spark.extract import open_extract

    if compute:
        computed = spark_features(spark, location)
        tables, fingerprint, features = computed.tables, computed.fingerprint, computed.features
    else:
        contract = build_contract(load_reference())
        tables, fingerprint = open_extract(spark, location, contract, CLUSTER_COLUMNS)
        features = None
    view = next(t for t in tables if t.name == "clusters").view
    clusters = spark.sql(
        f"SELECT cluster_id, name AS cluster_name, province, domain FROM {view}"
    ).toPandas()
    return clusters.astype(TEXT), fingerprint, features
