"""Benchmark scoring plus SHAP against the bare LightGBM booster on the same rows.

Usage (from the repository root, after `make demo` has trained and registered a champion):

    .venv/bin/python benchmarks/bench_scoring.py --rows 100000

It makes an indicator table of ``--rows`` cluster-years by resampling the demo's indicator
rows (with a little multiplicative noise, new cluster ids), loads the model through MLflow,
and times on the same rows:

1. the bare booster: probabilities plus TreeSHAP contributions (``pred_contrib=True``);
2. ``score_table`` without the what-if search: paths, probabilities, prediction sets, trust
   flags, exact SHAP, drivers, the long SHAP table and one explanation record per row;
3. writing the four output files;
4. the what-if search on a sample of rows (reported per row; it evaluates the model many
   times per row, so it is optional in the scoring command).

(1) and (2) are each run ``--repeats`` times and their medians compared, since the
machine may be shared. Target: (2) at most 1.3x (1).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def resampled_features(source: Path, rows: int, seed: int = 0) -> pd.DataFrame:
    """``rows`` cluster-years drawn from ``source`` with 5 % multiplicative noise."""
    from clusterpath.features.catalogue import load_catalogue

    base = pd.read_parquet(source)
    rng = np.random.default_rng(seed)
    picked = base.iloc[rng.integers(0, len(base), rows)].reset_index(drop=True)
    ids = list(load_catalogue().ids)
    picked[ids] = picked[ids] * rng.lognormal(0.0, 0.05, size=(rows, len(ids)))
    picked["cluster_id"] = [f"B{i // 5:06d}" for i in range(rows)]
    picked["year"] = 2019 + np.arange(rows) % 5
    for column, value in {"cluster_name": "基准集群", "province": "省", "domain": "x"}.items():
        picked[column] = value
    return picked


def timed(label: str, fn, results: list, repeats: int = 1) -> object:
    """Run ``fn`` ``repeats`` times and record the median time (the machine is shared)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    results.append((label, float(np.median(times))))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--features", type=Path, default=ROOT / "data/demo/features.parquet")
    parser.add_argument("--model", default="models:/clusterpath@champion")
    parser.add_argument("--what-if-rows", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=3, help="median of this many runs")
    args = parser.parse_args()

    from clusterpath.data.policy import load_policy_corpus
    from clusterpath.data.reference import load_reference
    from clusterpath.explain.batch import score_table
    from clusterpath.explain.records import Vocabulary
    from clusterpath.explain.settings import load_scoring_config
    from clusterpath.features.catalogue import load_catalogue
    from clusterpath.models.loading import load_path_model
    from clusterpath.models.pipeline import lightgbm_step
    from clusterpath.models.tracking import use_tracking_uri
    from clusterpath.pipelines.score import explanations_document, stamp, write_outputs

    use_tracking_uri()
    model = load_path_model(args.model)
    config = load_scoring_config()
    vocab = Vocabulary(
        load_catalogue(), load_policy_corpus(), load_reference(), config.holds_back_passages
    )
    features = resampled_features(args.features, args.rows)
    X = features[list(model.feature_ids)].astype("float64")
    booster = lightgbm_step(model.bundle["estimator"]).booster_
    results: list[tuple[str, float]] = []

    def raw() -> None:
        booster.predict(X)
        booster.predict(X, pred_contrib=True)

    timed("bare booster: probabilities + contributions", raw, results, args.repeats)
    batch = timed(
        "score_table (no what-if)",
        lambda: score_table(features, model, vocab, config, what_if=False),
        results,
        args.repeats,
    )
    stamp(batch, model, "benchmark", vocab.catalogue.version)
    with tempfile.TemporaryDirectory() as tmp:
        document = explanations_document(batch, model, vocab)
        timed("write outputs", lambda: write_outputs(batch, document, Path(tmp) / "s"), results)
    sample = features.head(args.what_if_rows)
    timed(
        f"score_table with what-if on {len(sample):,} rows",
        lambda: score_table(sample, model, vocab, config, what_if=True),
        results,
    )

    print(
        f"\n{args.rows:,} cluster-years, model {model.name} v{model.version}, "
        f"{booster.num_trees()} trees"
    )
    heading = f"step (first two: median of {args.repeats} runs)"
    print(f"{heading:52s} {'seconds':>9s}")
    for label, seconds in results:
        print(f"{label:52s} {seconds:9.2f}")
    bare, scored = results[0][1], results[1][1]
    print(f"ratio score_table / bare booster: {scored / bare:.2f} (target <= 1.3)")


if __name__ == "__main__":
    main()
