"""Grade a path model on the same clusters as recorded by narrower sources.

Usage (from the repository root, after `make demo` has registered a champion):

    .venv/bin/python benchmarks/definition_shift.py --clusters 400 --seed 7

It simulates a fresh extract (worlds drawn at random, a seed the demo does not use), then
re-records it three ways (``clusterpath.data.recording``):

- ``half_links``: every link kept with probability 0.5, as a source that sees half the
  network (listed firms disclose their top five customers and suppliers, not all of them);
- ``above_size``: enterprises under 20 million CNY of revenue dropped with their links, as
  above-size statistics count them;
- ``both``.

Each version goes through the feature engine and the model, and the script prints macro-F1
and per-path recall over the cluster-years the model gives a path (those with too few
enterprises get none), against the simulated labels. The clusters and labels are the same
in every version, so any fall from ``as_recorded`` is what the model owes to one source's
definitions. This is a robustness measurement, not a timing: it has no target of its own.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import pandas as pd
from sklearn.metrics import f1_score, recall_score


def recorded_versions(extract: Path, out: Path, seed: int) -> dict[str, Path]:
    """The extract itself, and its three re-recorded copies as folders under ``out``."""
    from clusterpath.data.recording import above_size_only, keep_link_share

    firms = pd.read_parquet(extract / "firms.parquet")
    links = pd.read_parquet(extract / "links.parquet")
    half = keep_link_share(links, 0.5, seed)
    tables = {
        "half_links": (firms, half),
        "above_size": above_size_only(firms, links),
        "both": above_size_only(firms, half),
    }
    folders = {"as_recorded": extract}
    for name, (version_firms, version_links) in tables.items():
        folder = out / name
        folder.mkdir(parents=True)
        for table in ("clusters", "labels"):
            shutil.copy(extract / f"{table}.parquet", folder / f"{table}.parquet")
        version_firms.to_parquet(folder / "firms.parquet")
        version_links.to_parquet(folder / "links.parquet")
        folders[name] = folder
    return folders


def graded(served, features: pd.DataFrame, labels: pd.DataFrame) -> dict[str, float]:
    """Macro-F1, per-path recall and the share of rows given no path, for one version.

    ``served`` is the MLflow pyfunc, so rows are read as a scoring request reads them (a
    cluster-year with too few enterprises gets no path).
    """
    model = served.unwrap_python_model().model
    answers = served.predict(features[["cluster_id", "year", *model.feature_ids]])
    rows = features[["cluster_id", "year"]].assign(predicted=answers["path"].to_numpy())
    rows = rows.merge(labels[["cluster_id", "year", "path"]], on=["cluster_id", "year"])
    answered = rows[rows["predicted"].fillna("") != ""]
    recall = recall_score(
        answered["path"], answered["predicted"], labels=list(model.classes), average=None
    )
    return {
        "macro_f1": f1_score(answered["path"], answered["predicted"], average="macro"),
        **{f"recall_{path}": value for path, value in zip(model.classes, recall, strict=True)},
        "no_path": 1.0 - len(answered) / len(rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models:/clusterpath@champion")
    parser.add_argument("--clusters", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="keep the extracts in this folder")
    args = parser.parse_args()

    import mlflow

    from clusterpath.data.simulator import SimulationConfig, write_extract
    from clusterpath.models.tracking import use_tracking_uri
    from clusterpath.pipelines.features import build_features

    use_tracking_uri()  # MLFLOW_TRACKING_URI, else the project's store (mlruns/)
    served = mlflow.pyfunc.load_model(args.model)
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(args.keep or scratch)
        extract = base / "simulated"
        write_extract(
            SimulationConfig(n_clusters=args.clusters, years=(2021, 2023), seed=args.seed),
            extract,
        )
        labels = pd.read_parquet(extract / "labels.parquet")
        versions = recorded_versions(extract, base / "versions", args.seed)
        table = pd.DataFrame(
            {
                name: graded(served, build_features(folder), labels)
                for name, folder in versions.items()
            }
        )
    print(f"{args.model}: {args.clusters} simulated clusters, 2021-2023, seed {args.seed}")
    print(table.round(3).to_string())


if __name__ == "__main__":
    main()
