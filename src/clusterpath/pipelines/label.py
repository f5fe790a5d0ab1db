"""Jobs: weak labels from the rule baseline, and cluster-years worth an expert's look."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from clusterpath.data.readers import load_extract
from clusterpath.data.reference import load_reference
from clusterpath.features.catalogue import load_catalogue
from clusterpath.models.config import load_rules
from clusterpath.models.conformal import SET_SEPARATOR
from clusterpath.models.dataset import KEY, unlabelled_rows
from clusterpath.pipelines.train import LABEL_COLUMNS, load_features
from clusterpath.storage import write_csv, write_parquet


def _inputs(folder: Path, features_file: Path | None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    extract = load_extract(folder, columns=LABEL_COLUMNS)
    return load_features(folder, features_file, extract.fingerprint), extract.labels


def _write(frame: pd.DataFrame, out: Path) -> None:
    if out.suffix == ".parquet":
        write_parquet(frame, out)
    else:
        write_csv(frame, out)


def rule_labels(features: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Labels (source ``rules``) for every cluster-year with some evidence; rows skipped."""
    from clusterpath.models.baselines import RuleClassifier

    reference = load_reference()
    rules = load_rules(path_codes=reference.path_codes, indicator_ids=load_catalogue().ids)
    X = features[list(rules.indicators())]
    classifier = RuleClassifier(rules=rules, path_codes=reference.path_codes).fit(X)
    judged = classifier.evidence(X) > 0
    labels = pd.DataFrame(
        {
            "cluster_id": features["cluster_id"].astype(str),
            "year": features["year"].astype("int64"),
            "path": classifier.predict(X),
            "source": "rules",
        }
    )[judged]
    return labels.sort_values(KEY).reset_index(drop=True), int((~judged).sum())


def run_rule_labels(
    folder: Path, out: Path, features_file: Path | None, console: Console
) -> pd.DataFrame:
    """Write weak labels for every cluster-year the rules can judge."""
    features, _ = _inputs(folder, features_file)
    labels, skipped = rule_labels(features)
    _write(labels, out)
    counts = ", ".join(f"{k} {v}" for k, v in labels["path"].value_counts().sort_index().items())
    console.print(
        f"[green]wrote[/green] {out}: {len(labels):,} weak labels (source rules; {counts})"
        + (f"; {skipped} cluster-years without any rule indicator skipped" if skipped else "")
    )
    return labels


def run_suggest(
    folder: Path,
    n: int,
    model_uri: str,
    features_file: Path | None,
    out: Path | None,
    console: Console,
) -> pd.DataFrame:
    """Rank cluster-years without an expert label by how unsure the model is about them."""
    import mlflow

    from clusterpath.models.tracking import resolve_tracking_uri
    from clusterpath.models.uncertainty import least_certain

    features, labels = _inputs(folder, features_file)
    candidates = unlabelled_rows(features, labels)
    if candidates.empty:
        console.print("every cluster-year already has an expert label")
        return candidates
    mlflow.set_tracking_uri(resolve_tracking_uri())
    model = mlflow.pyfunc.load_model(model_uri)
    ids = list(load_catalogue().ids)
    predictions = model.predict(candidates[ids].astype("float64"), params={"explain": False})
    ranked = least_certain(pd.concat([candidates[KEY], predictions], axis=1), n)
    if out is not None:
        _write(ranked, out)
    console.print(least_certain_table(ranked, len(candidates)))
    return ranked


def least_certain_table(ranked: pd.DataFrame, n_candidates: int) -> Table:
    """The rows worth an expert's look, fitting 80 columns: codes stay whole and the set,
    the one cell of several paths, wraps between its codes."""
    table = Table(title=f"{len(ranked)} least certain of {n_candidates:,} unlabelled", box=None)
    for col in ("cluster", "year", "path", "runner-up", "margin", "bits"):
        table.add_column(
            col, justify="right" if col in ("margin", "bits") else "left", no_wrap=True
        )
    table.add_column("set", overflow="fold", min_width=14)
    for row in ranked.itertuples():
        table.add_row(
            str(row.cluster_id),
            str(row.year),
            row.path,
            row.runner_up,
            f"{row.margin:.3f}",
            f"{row.entropy:.2f}",
            row.prediction_set.replace(SET_SEPARATOR, ", "),  # wraps between codes
        )
    return table
