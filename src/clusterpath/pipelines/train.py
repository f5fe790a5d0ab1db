"""Job: extract (or indicator table) and labels in; trained, graded, logged model out.

Wiring only: read inputs, call the pure modelling steps, record everything in one MLflow run,
optionally register the model and decide its alias.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from clusterpath.data.errors import ContractError, Problem
from clusterpath.data.readers import Extract, load_extract
from clusterpath.data.reference import load_reference
from clusterpath.features.catalogue import load_catalogue
from clusterpath.models.card import CARD_FILE, card_facts, metric_cell, model_card
from clusterpath.models.config import (
    ModelConfig,
    default_model_config_path,
    default_rules_path,
    load_model_config,
    load_rules,
)
from clusterpath.models.dataset import (
    LabelledData,
    cluster_worlds,
    join_labels,
    label_counts,
)
from clusterpath.models.evaluation import Evaluation
from clusterpath.models.expert import ExpertRows, clarity_of
from clusterpath.models.invariance import invariance_report
from clusterpath.models.monitoring import covered_with_error
from clusterpath.models.training import LIGHTGBM, TrainingResult, split_holdout, train_and_evaluate
from clusterpath.pipelines.inputs import load_features

LABEL_COLUMNS = {
    "firms": ["cluster_id"],
    "links": ["year"],
    "clusters": ["cluster_id", "domain", "world"],
}


@dataclass(frozen=True)
class TrainOutcome:
    """What a training run produced (returned for tests and callers)."""

    run_id: str
    model_uri: str
    result: TrainingResult
    label_counts: pd.DataFrame
    promotion: object | None


def load_labels(folder: Path) -> tuple[pd.DataFrame, Extract]:
    """The extract's labels (validated), reading only the key columns of the other tables."""
    extract = load_extract(folder, columns=LABEL_COLUMNS)
    if extract.labels is None or extract.labels.empty:
        raise ContractError(
            [Problem(str(folder), "no labels table (or it is empty): nothing to learn")]
        )
    return extract.labels, extract


def prepare(
    folder: Path, features_file: Path | None, config: ModelConfig
) -> tuple[LabelledData, pd.DataFrame, pd.DataFrame, str]:
    """Labelled rows, label counts per source, the feature table and the extract fingerprint."""
    labels, extract = load_labels(folder)
    features = load_features(folder, features_file, extract.fingerprint)
    ids = load_catalogue().ids
    missing = [c for c in ("cluster_id", "year", *ids) if c not in features.columns]
    if missing:
        raise ContractError([Problem("features", f"indicator table lacks columns {missing}")])
    worlds = cluster_worlds(extract.clusters)
    data = join_labels(features, labels, ids, config.label_weights, worlds)
    if data.y.nunique() < 2:
        raise ContractError([Problem(str(folder), "labels name fewer than two paths")])
    return data, label_counts(labels, data), features, extract.fingerprint


def prepare_expert(
    folder: Path, features_file: Path | None, config: ModelConfig
) -> tuple[ExpertRows, pd.DataFrame, str]:
    """The expert-labelled rows of a gallery extract (other label sources are left out), their
    label counts and the extract's fingerprint."""
    labels, extract = load_labels(folder)
    labels = labels[labels["source"] == "expert"]
    if labels.empty:
        raise ContractError([Problem(str(folder), "the labels table holds no expert labels")])
    features = load_features(folder, features_file, extract.fingerprint)
    ids = load_catalogue().ids
    missing = [c for c in ("cluster_id", "year", *ids) if c not in features.columns]
    if missing:
        raise ContractError([Problem("features", f"indicator table lacks columns {missing}")])
    data = join_labels(
        features, labels, ids, config.label_weights, cluster_worlds(extract.clusters)
    )
    return (
        ExpertRows(data, clarity_of(labels, data)),
        label_counts(labels, data),
        extract.fingerprint,
    )


def _params(config: ModelConfig, result: TrainingResult, tuned: Mapping[str, float]) -> dict:
    lgb = config.lightgbm.model_dump()
    return {
        **{f"lgbm_{k}": v for k, v in lgb.items()},
        "lgbm_n_estimators_used": result.n_estimators,
        "random_state": config.random_state,
        "cv_folds": config.evaluation.cv_folds,
        "holdout_share": config.evaluation.holdout_share,
        "evaluation_sources": ",".join(config.evaluation.evaluation_sources),
        "calibration_method": config.calibration.method,
        "ece_threshold": config.calibration.ece_threshold,
        "calibrated": result.calibrated,
        "conformal_method": config.conformal.method,
        "conformal_coverage": config.conformal.coverage,
        "conformal_calibration_share": config.conformal.calibration_share,
        "label_weights": ",".join(f"{k}={v:g}" for k, v in config.label_weights.items()),
        "tuned_trials": len(tuned) > 0,
        "excluded_indicators": ",".join(config.excluded_indicators),
    }


def log_run(
    result: TrainingResult,
    config: ModelConfig,
    config_path: Path,
    counts: pd.DataFrame,
    provenance: Mapping[str, str],
    tuned: Mapping[str, float],
    invariance: pd.DataFrame | None = None,
):
    """Record params, metrics, tables, plots and the served model in the active run."""
    import mlflow

    from clusterpath.models import tracking
    from clusterpath.models.path_model import PathModel
    from clusterpath.models.plots import (
        confusion_figure,
        reliability_figure,
        shap_summary_figure,
    )
    from clusterpath.serving.pyfunc import log_path_model, save_bundle

    mlflow.log_params(_params(config, result, tuned))
    mlflow.set_tags(dict(provenance))
    metrics: dict[str, float] = {}
    for name, stages in result.evaluations.items():
        prefix = "" if name == LIGHTGBM else f"baseline_{name}_"
        for stage, evaluation in stages.items():
            metrics |= tracking.evaluation_metrics(evaluation, f"{prefix}{stage}_")
    metrics |= {f"holdout_conformal_{k}": v for k, v in result.holdout_coverage.items()}
    metrics |= {
        "ece_uncalibrated_calibration_split": result.ece_uncalibrated,
        "ece_calibrated_calibration_split": result.ece_calibrated,
        "conformal_threshold": min(result.conformal.threshold, 1e9),
        "n_estimators_used": float(result.n_estimators),
    }
    metrics |= {f"labels_used_{r.source}": float(r.used) for r in counts.itertuples()}
    metrics |= {f"holdout_{k}": v for k, v in result.holdout_flags.items()}
    metrics["temperature"] = result.temperature
    if result.shift is not None:
        metrics |= {f"shift_{k}": v for k, v in result.shift.flags.items()}
        metrics["shift_worlds"] = float(len(result.shift.per_world))
        metrics |= estimate_metrics(result.shift.per_world)
        tracking.log_frame(result.shift.per_world, "evaluation/shift_per_world.csv", index=True)
        shift_eval = result.evaluations[LIGHTGBM]["shift"]
        tracking.log_frame(shift_eval.per_class, "evaluation/shift_per_class.csv")
    if result.gallery:
        tracking.log_frame(gallery_frame(result), "evaluation/gallery.csv")
    if invariance is not None and "max" in invariance.columns:
        metrics |= {f"ks_world_max_{i}": float(v) for i, v in invariance["max"].items()}
        tracking.log_frame(invariance, "evaluation/invariance.csv", index=True)
    mlflow.log_metrics({k: v for k, v in metrics.items() if v == v})
    tracking.log_files([config_path, default_rules_path()], "config")
    tracking.log_frame(result.comparison, "evaluation/comparison.csv", index=True)
    tracking.log_frame(counts, "evaluation/label_counts.csv")
    holdout = result.evaluations[LIGHTGBM]["holdout"]
    tracking.log_frame(holdout.per_class, "evaluation/holdout_per_class.csv")
    tracking.log_frame(holdout.confusion, "evaluation/holdout_confusion.csv", index=True)
    tracking.log_json(list(result.holdout_clusters), "evaluation/holdout_clusters.json")
    tracking.log_figure(confusion_figure(holdout.confusion), "confusion_matrix")
    curves = {
        "lightgbm, cross-validated": result.evaluations[LIGHTGBM]["cv"].reliability,
        "lightgbm served, held-out": holdout.reliability,
    }
    tracking.log_figure(reliability_figure(curves), "calibration_curve")
    bundle = result.bundle(provenance.get("catalogue_version", ""))
    model = PathModel(bundle)
    shap = model.contributions(result.split.train.X)
    tracking.log_frame(shap.mean_abs(), "evaluation/shap_mean_abs.csv", index=True)
    tracking.log_figure(shap_summary_figure(shap.mean_abs()), "shap_summary")
    tracking.log_json(bundle["ranges"], "model_support/training_ranges.json")
    with tracking.scratch_dir() as scratch:
        bundle_path = save_bundle(bundle, Path(scratch) / "bundle.joblib")
        return log_path_model(bundle, bundle_path, result.split.train.X), model


SUMMARY_ROWS = (
    ("cv", "macro_f1", "CV F1"),
    ("cv", "ece", "CV ECE"),
    ("holdout", "macro_f1", "held-out F1"),
    ("holdout", "log_loss", "held-out log-loss"),
    ("holdout", "ece", "held-out ECE"),
    ("shift", "macro_f1", "shift F1"),
    ("shift", "ece", "shift ECE"),
)
# The real clusters beside the simulated grades (a second table keeps both narrow).
GALLERY_COLUMNS = (
    ("holdout", "macro_f1", "held-out F1"),
    ("shift", "macro_f1", "shift F1"),
    ("gallery", "agreement_clear", "gallery clear"),
    ("gallery", "agreement_all", "gallery all"),
    ("gallery", "in_set", "gallery in set"),
)


def _table(title: str, result: TrainingResult, columns) -> Table:
    table = Table(title=title)
    table.add_column("model")
    for *_, heading in columns:
        table.add_column(heading, justify="right")
    for name, stages in result.evaluations.items():
        table.add_row(name, *(metric_cell(stages, st, key) for st, key, _ in columns))
    return table


def invariance_line(invariance: pd.DataFrame, config: ModelConfig, n: int = 6) -> str:
    """The indicators whose level moves most between worlds (label-free KS statistic)."""
    if "max" not in invariance.columns:
        return "invariance: fewer than two worlds with enough rows; not measured"
    top = invariance["max"].sort_values(ascending=False).head(n)
    shown = ", ".join(
        f"{i} {v:.2f}{' (not read)' if i in config.excluded_indicators else ''}"
        for i, v in top.items()
    )
    return f"indicators moving most between worlds (largest KS, world against the rest): {shown}"


def gallery_frame(result: TrainingResult) -> pd.DataFrame:
    """LightGBM's leave-one-cluster-out answers per expert row, each baseline's path beside."""
    table = result.gallery[LIGHTGBM].copy()
    for name, other in result.gallery.items():
        if name != LIGHTGBM:
            table[f"predicted_{name}"] = other["predicted"].to_numpy()
    return table


def gallery_lines(result: TrainingResult) -> list[str]:
    """Per-path agreement of LightGBM and logistic regression on the expert rows, and flags."""
    if not result.gallery:
        return ["gallery: no expert-labelled extract given (--gallery)"]
    lines = []
    for name in (LIGHTGBM, "logistic"):
        m = result.evaluations[name]["gallery"].metrics
        recall = ", ".join(f"{c} {m[f'recall_{c}']:.2f}" for c in result.classes)
        lines.append(
            f"gallery, each cluster left out ({name}): agreement clear {m['agreement_clear']:.1%}"
            f", all {m['agreement_all']:.1%}, in set {m['in_set']:.1%}; recall {recall}"
        )
    m = result.evaluations[LIGHTGBM]["gallery"].metrics
    lines.append(f"gallery: {_flags_text(m, 'low_trust or low confidence')}")
    if "alone_agreement_all" in m:
        lines.append(
            "gallery alone (logistic regression on the other gallery clusters, no simulated "
            f"rows): agreement clear {m['alone_agreement_clear']:.1%}, "
            f"all {m['alone_agreement_all']:.1%}"
        )
    if "source_auc" in m:
        lines.append(
            f"gallery against the simulated rows: source AUC {m['source_auc']:.3f} "
            "(0.5: inside the simulated spread; 1: outside it)"
        )
    if "estimated_accuracy" in m:
        lines.append(
            f"gallery: estimated accuracy {m['estimated_accuracy']:.3f} "
            f"({m['estimated_accuracy_low']:.3f}-{m['estimated_accuracy_high']:.3f}; "
            f"{m['estimated_accuracy_uncorrected']:.3f} without the real-source correction) "
            f"against actual {m['agreement_all']:.3f}"
        )
    return lines


def comparison_table(evaluations: Mapping[str, Mapping[str, Evaluation]]) -> Table:
    """One column per model, one row per grade: model names stay whole in 80 columns."""
    table = Table(title="CV: training clusters | held-out: clusters | shift: worlds")
    table.add_column("metric", no_wrap=True)
    for name in evaluations:
        table.add_column(name, justify="right", no_wrap=True)
    for stage, key, title in SUMMARY_ROWS:
        table.add_row(title, *(metric_cell(s, stage, key) for s in evaluations.values()))
    return table


def print_summary(console: Console, result: TrainingResult, counts: pd.DataFrame) -> None:
    """The comparison tables and the lines that explain them (every ECE is the table's)."""
    console.print(comparison_table(result.evaluations))
    if result.gallery:
        console.print(
            _table(
                "real clusters, each left out of the fit, beside the simulated grades",
                result,
                GALLERY_COLUMNS,
            )
        )
    used = ", ".join(f"{r.source} {r.used}/{r.given}" for r in counts.itertuples())
    cov = result.holdout_coverage
    console.print(
        f"labels used/given: {used}; {len(result.holdout_clusters)} held-out clusters; "
        f"conformal {result.conformal.method} at {result.conformal.coverage:.0%}: held-out "
        f"coverage {cov['coverage']:.3f}, mean set size {cov['mean_set_size']:.2f}"
    )
    for line in (*shift_lines(result), *gallery_lines(result)):
        console.print(line)


def _flags_text(flags: Mapping[str, float], flag: str = "low_trust") -> str:
    def pct(v: float) -> str:
        return "–" if v != v else f"{v:.1%}"

    return (
        f"{pct(flags['flag_rate'])} flagged {flag}; accuracy flagged "
        f"{pct(flags['accuracy_flagged'])}, unflagged {pct(flags['accuracy_unflagged'])}"
    )


def shift_lines(result: TrainingResult) -> list[str]:
    """What the shift test found, the temperature it set and what the trust flag does."""
    lines = [f"held-out clusters: {_flags_text(result.holdout_flags)}"]
    shift = result.shift
    if shift is None:
        return [*lines, "shift test: skipped (fewer than 3 worlds with enough clusters)"]
    lgbm = result.evaluations[LIGHTGBM]["shift"]
    recall = ", ".join(f"{r.path} {r.recall:.2f}" for r in lgbm.per_class.itertuples())
    return [
        *lines,
        f"held-out worlds ({len(shift.per_world)}: {', '.join(shift.per_world.index)}): "
        f"{_flags_text(shift.flags)}",
        f"shift recall: {recall}",
        estimate_line(shift.per_world),
        f"temperature {result.temperature:.3f} fitted on held-out worlds: shift ECE "
        f"{result.ece_uncalibrated:.3f} untempered, {lgbm.metrics['ece']:.3f} tempered "
        "(the table's shift ECE; each world's temperature fitted on the others)",
    ]


def estimate_metrics(per_world: pd.DataFrame) -> dict[str, float]:
    """Estimated (CBPE) against actual accuracy on each held-out world, and how close."""
    gap = (per_world["estimated_accuracy"] - per_world["actual_accuracy"]).abs()
    metrics = {
        "shift_estimate_mean_abs_error": float(gap.mean()),
        "shift_estimate_covered_worlds": float(per_world["estimate_covers_actual"].sum()),
        "shift_estimate_covered_worlds_with_error": float(covered_with_error(per_world).sum()),
    }
    for world, row in per_world.iterrows():
        metrics[f"shift_estimated_accuracy_{world}"] = float(row["estimated_accuracy"])
        metrics[f"shift_actual_accuracy_{world}"] = float(row["actual_accuracy"])
    return metrics


def estimate_line(per_world: pd.DataFrame) -> str:
    metrics = estimate_metrics(per_world)
    pairs = ", ".join(
        f"{world} {row.estimated_accuracy:.2f}/{row.actual_accuracy:.2f}"
        for world, row in per_world.iterrows()
    )
    return (
        f"estimated/actual accuracy per held-out world: {pairs}; mean gap "
        f"{metrics['shift_estimate_mean_abs_error']:.3f}; interval covers "
        f"{metrics['shift_estimate_covered_worlds']:.0f} of {len(per_world)} (sampling alone), "
        f"{metrics['shift_estimate_covered_worlds_with_error']:.0f} with the other worlds' "
        "error"
    )


def generalisation_warnings(result: TrainingResult, config: ModelConfig) -> list[str]:
    """Why this training set may be too small or too narrow to carry to other sources."""
    train = result.split.train
    n_clusters = train.groups.nunique()
    n_worlds = 0 if train.world is None else train.world.nunique()
    out = []
    if n_clusters < config.evaluation.min_training_clusters:
        out.append(
            f"only {n_clusters} training clusters (at least "
            f"{config.evaluation.min_training_clusters} advised): expect a weaker model on "
            "data from other sources"
        )
    if n_worlds < config.evaluation.min_worlds:
        out.append(
            f"only {n_worlds} world(s) in the training clusters (at least "
            f"{config.evaluation.min_worlds} advised): the model has seen few sources"
        )
    stages = result.evaluations[LIGHTGBM]
    if "shift" in stages:
        gap = stages["holdout"].metrics["macro_f1"] - stages["shift"].metrics["macro_f1"]
        if gap > 0.1:
            out.append(
                f"macro-F1 falls by {gap:.3f} on held-out worlds "
                f"({stages['shift'].metrics['macro_f1']:.3f}): it may not carry to other sources"
            )
    return out


def _shift_macro_f1(result: TrainingResult) -> float | None:
    stages = result.evaluations[LIGHTGBM]
    return stages["shift"].metrics["macro_f1"] if "shift" in stages else None


def _gallery_agreement(result: TrainingResult) -> dict[str, float] | None:
    stages = result.evaluations[LIGHTGBM]
    if "gallery" not in stages:
        return None
    m = stages["gallery"].metrics
    return {f"gallery_{k}": m[k] for k in ("agreement_clear", "agreement_all")}


def run_train(
    folder: Path,
    config_path: Path | None = None,
    features_file: Path | None = None,
    register: bool = False,
    model_name: str = "clusterpath",
    experiment: str = "clusterpath",
    tune: int = 0,
    label_weights: Mapping[str, float] | None = None,
    console: Console | None = None,
    tracking_uri: str | None = None,
    gallery: Path | None = None,
    gallery_features: Path | None = None,
) -> TrainOutcome:
    """Train, grade, log and (optionally) register; see ``clusterpath train --help``.

    ``gallery`` is an extract of real clusters with expert labels: trained on beside
    ``folder``'s labels and graded cluster by cluster, each by a refit without it.
    """
    import mlflow

    from clusterpath.models import tracking

    console = console or Console(quiet=True)
    tracking.check_project_run(experiment, tracking_uri)
    config_path = Path(config_path or default_model_config_path())
    config = load_model_config(config_path)
    if label_weights:
        config = config.with_label_weights(label_weights)
    reference, catalogue = load_reference(), load_catalogue()
    rules = load_rules(path_codes=reference.path_codes, indicator_ids=catalogue.ids)
    feature_ids = catalogue.ids  # inputs; the excluded ones are never split on
    try:
        config.model_features(feature_ids)
    except ValueError as exc:
        raise ContractError([Problem(str(config_path), str(exc))]) from None
    data, counts, _features, fingerprint = prepare(folder, features_file, config)
    expert, gallery_fingerprint = None, ""
    if gallery is not None:
        expert, expert_counts, gallery_fingerprint = prepare_expert(
            Path(gallery), gallery_features, config
        )
        counts = pd.concat(
            [counts[counts["source"] != "expert"], expert_counts], ignore_index=True
        )
    split = split_holdout(data, config)
    tracking.use_tracking(experiment, tracking_uri)
    provenance = {
        "catalogue_version": catalogue.version,
        "extract_fingerprint": fingerprint,
        "git_commit": tracking.git_commit(),
        "extract_folder": str(folder),
        "gallery_folder": "" if gallery is None else str(gallery),
        tracking.GALLERY_FINGERPRINT: gallery_fingerprint,
    }
    tuned: dict[str, float] = {}
    with mlflow.start_run(run_name="train") as run:
        if tune > 0:
            from clusterpath.models.tuning import tune_lightgbm

            def on_trial(number: int, params: dict, metrics: dict) -> None:
                with mlflow.start_run(run_name=f"trial-{number}", nested=True):
                    mlflow.log_params(params)
                    mlflow.log_metrics({f"cv_{k}": v for k, v in metrics.items()})

            config, tuned = tune_lightgbm(
                split.train, config, feature_ids, reference.path_codes, tune, on_trial
            )
            mlflow.log_params({f"tuned_{k}": v for k, v in tuned.items()})
        result = train_and_evaluate(
            split, config, rules, feature_ids, reference.path_codes, expert
        )
        invariance = invariance_report(
            split.train.X,
            split.train.world,
            catalogue.ids,
            None if expert is None else expert.data.X,
        )
        info, model = log_run(result, config, config_path, counts, provenance, tuned, invariance)
        print_summary(console, result, counts)
        console.print(invariance_line(invariance, config))
        warnings = generalisation_warnings(result, config)
        for warning in warnings:
            console.print(f"[yellow]warning[/yellow]: {warning}")
        facts = card_facts(result, counts, provenance, warnings, model_name, run.info.run_id)
        mlflow.log_text(model_card(facts), CARD_FILE)
        promotion = None
        if register:
            rows = result.split.holdout.take(
                result.split.holdout.scored(config.evaluation.evaluation_sources)
            )
            X_holdout = rows.X[list(result.feature_ids)]
            predicted = model.answer(X_holdout)["path"].to_numpy()
            from clusterpath.models.evaluation import macro_f1

            score = macro_f1(rows.y.to_numpy(object), predicted, result.classes)
            promotion = tracking.register_and_promote(
                info.model_uri,
                model_name,
                X_holdout,
                rows.y.tolist(),
                score,
                result.classes,
                tags={"run_id": run.info.run_id, **provenance},
                shift_score=_shift_macro_f1(result),
                gallery_scores=_gallery_agreement(result),
                gallery_fingerprint=gallery_fingerprint or None,
            )
            mlflow.set_tags({"registered_version": promotion.version, "alias": promotion.alias})
            colour = "green" if promotion.alias == tracking.CHAMPION else "yellow"
            console.print(
                f"registered [bold]{model_name}[/bold] v{promotion.version} as "
                f"[{colour}]{promotion.alias}[/{colour}]: {promotion.reason}"
            )
    console.print(f"run {run.info.run_id}; model {info.model_uri}")
    return TrainOutcome(run.info.run_id, info.model_uri, result, counts, promotion)
