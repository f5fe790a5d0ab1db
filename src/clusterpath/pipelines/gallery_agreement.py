"""Job: the gallery's agreement table, as markdown, for the champion.

Wiring only: read the readings (the gallery's labels), the champion's answers and the gallery
indicators; run the paper's rule baseline on the same indicators; print the table
``report.agreement`` computes. ``python -m clusterpath.pipelines.gallery_agreement``.

A champion trained with the gallery's readings has seen every gallery cluster, so its scores
of the gallery are no grade: its training run's leave-one-cluster-out answers
(``evaluation/gallery.csv``, each cluster predicted by a refit without it) are used instead,
and its scores only when the run logged none.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from clusterpath.data.reference import load_reference
from clusterpath.models.baselines import RuleClassifier
from clusterpath.models.config import load_rules
from clusterpath.models.loading import run_artifact_frame
from clusterpath.models.tracking import use_tracking_uri
from clusterpath.report.agreement import (
    KEY,
    Agreement,
    agreement,
    rows_markdown,
    summary_markdown,
)


def rule_predictions(features: pd.DataFrame, path_codes: tuple[str, ...]) -> pd.DataFrame:
    """The paper's rules (models/rules.yaml) on the gallery's indicators."""
    rules = load_rules(path_codes=path_codes)
    model = RuleClassifier(rules=rules, path_codes=path_codes).fit(features)
    return features[KEY].assign(path=model.predict(features))


def left_out_predictions(loco: pd.DataFrame) -> pd.DataFrame:
    """The training run's leave-one-cluster-out answers as predictions (path, set)."""
    frame = loco.rename(columns={"predicted": "path"})
    return frame[[*KEY, "path", "prediction_set"]].astype({"cluster_id": str, "year": int})


def gallery_agreement(
    extract: Path, scores: Path, features: Path, loco: pd.DataFrame | None = None
) -> tuple[Agreement, dict]:
    codes = load_reference().path_codes
    labels = pd.read_csv(extract / "labels.csv", dtype={"cluster_id": str}, keep_default_na=False)
    names = pd.read_csv(extract / "clusters.csv", dtype={"cluster_id": str})
    if loco is not None and "prediction_set" in loco:
        scored = left_out_predictions(loco)
    else:
        scored = pd.read_parquet(scores / "scores.parquet")
        scored = scored.astype({"cluster_id": str, "year": int})
    table = pd.read_parquet(features).astype({"cluster_id": str, "year": int})
    rules = rule_predictions(table, codes)
    result = agreement(labels, scored, codes, rules)
    column = "name_en" if "name_en" in names else "name"
    return result, dict(zip(names["cluster_id"], names[column], strict=True))


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - a command
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extract", type=Path, default=Path("data/gallery/extract"))
    parser.add_argument("--scores", type=Path, default=Path("data/demo/gallery/scores"))
    parser.add_argument(
        "--features", type=Path, default=Path("data/demo/gallery/features.parquet")
    )
    parser.add_argument("--model", default="models:/clusterpath@champion")
    args = parser.parse_args(argv)
    use_tracking_uri()
    loco = run_artifact_frame(args.model, "evaluation/gallery.csv")
    result, names = gallery_agreement(args.extract, args.scores, args.features, loco)
    source = "each cluster left out of the fit" if loco is not None else "the champion's scores"
    print(f"<!-- recommendations: {source} -->")
    print(summary_markdown(result, "champion", "rules"))
    print()
    print(rows_markdown(result, names))


if __name__ == "__main__":  # pragma: no cover
    main()
