"""Job: the gallery's agreement table, as markdown, from the champion's gallery scores.

Wiring only: read the readings (the gallery's labels), the champion's scores and the gallery
indicators; run the paper's rule baseline on the same indicators; print the table
``report.agreement`` computes. ``python -m clusterpath.pipelines.gallery_agreement``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from clusterpath.data.reference import load_reference
from clusterpath.models.baselines import RuleClassifier
from clusterpath.models.config import load_rules
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


def gallery_agreement(extract: Path, scores: Path, features: Path) -> tuple[Agreement, dict]:
    codes = load_reference().path_codes
    labels = pd.read_csv(extract / "labels.csv", dtype={"cluster_id": str}, keep_default_na=False)
    names = pd.read_csv(extract / "clusters.csv", dtype={"cluster_id": str})
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
    args = parser.parse_args(argv)
    result, names = gallery_agreement(args.extract, args.scores, args.features)
    print(summary_markdown(result, "champion", "rules"))
    print()
    print(rows_markdown(result, names))


if __name__ == "__main__":  # pragma: no cover
    main()
