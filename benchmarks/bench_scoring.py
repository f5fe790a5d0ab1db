"""Benchmark scoring plus SHAP against the bare LightGBM booster on the same rows.

Usage (from the repository root, after `make demo` has trained and registered a champion):

    .venv/bin/python benchmarks/bench_scoring.py --rows 100000

It makes an indicator table of ``--rows`` cluster-years by resampling the demo's indicator
rows (with a little multiplicative noise, new cluster ids), loads the model through MLflow,
and times on the same rows:

1. the bare booster: probabilities plus TreeSHAP contributions (``pred_contrib=True``),
   and the contributions alone;
2. ``score_table`` without the what-if search: paths, probabilities, prediction sets, trust
   flags, exact SHAP, drivers, the long SHAP table and one explanation record per row
   (``score_table`` takes the probabilities of explained rows from the contributions' sums,
   so the stricter yardstick, the contributions alone, is printed too);
3. writing the four output files;
4. the what-if search on ``--what-if-rows`` rows, and the previous search (kept for tests in
   ``tests/explain/reference_search.py``) on the first ``--reference-rows`` of them, side by
   side in ms per cluster-year, with how many answers agree;
5. the bytes per cluster-year of ``explanations.json``, as written (with and without
   what-if) and in the previous layout, every row carrying names, units and passages
   (rebuilt from the same rows; its numbers have six digits, so it is slightly smaller than
   the previous file was).

(1) and (2) are run in turn, ``--repeats`` rounds, since the machine may be shared: each
round's ratios are printed (wall and CPU seconds) and the medians; ``--ratio-only`` stops
there. Targets: (2) at most 1.2x (1); the what-if search at most 1 ms per cluster-year;
``explanations.json`` at most 1,500 bytes per cluster-year.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.explain.reference_search, the previous what-if search


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
    parser.add_argument("--what-if-rows", type=int, default=3_000)
    parser.add_argument("--reference-rows", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3, help="pairs of runs, in turn")
    parser.add_argument(
        "--ratio-only", action="store_true", help="stop after score_table / bare booster"
    )
    args = parser.parse_args()

    from clusterpath.data.policy import load_policy_corpus
    from clusterpath.data.reference import load_reference
    from clusterpath.explain.batch import score_table
    from clusterpath.explain.records import Vocabulary
    from clusterpath.explain.settings import load_scoring_config
    from clusterpath.features.catalogue import load_catalogue
    from clusterpath.models.loading import load_path_model
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
    (booster,) = model.booster_copies(1)  # the bare booster, as LightGBM serves it
    results: list[tuple[str, float]] = []

    def raw() -> None:
        booster.predict(X)
        booster.predict(X, pred_contrib=True)

    pairs, batch = side_by_side(
        {
            "bare": raw,
            "contributions": lambda: booster.predict(X, pred_contrib=True),
            "scored": lambda: score_table(features, model, vocab, config, what_if=False),
        },
        args.repeats,
    )
    results.append(("bare booster: probabilities + contributions", pairs.median("bare")))
    results.append(("score_table (no what-if)", pairs.median("scored")))
    print(pairs.table(args.rows))
    stamp(batch, model, "benchmark", vocab.catalogue.version)
    with tempfile.TemporaryDirectory() as store:
        uri = scratch_store(store)
        monitoring = timed(
            "monitoring.json and its MLflow run",
            lambda: monitored(batch, features, model, config, uri),
            results,
        )
    share = results[-1][1] / pairs.median("scored")
    print(f"monitoring: {results[-1][1]:.2f} s, {share:.1%} of score_table (target <= 5 %)")
    if args.ratio_only:
        return
    with tempfile.TemporaryDirectory() as tmp:
        document = explanations_document(batch, model, vocab)
        timed(
            "write outputs",
            lambda: write_outputs(batch, document, monitoring, Path(tmp) / "s"),
            results,
        )
    sample = features.head(args.what_if_rows)
    searched = timed(
        f"score_table with what-if on {len(sample):,} rows",
        lambda: score_table(sample, model, vocab, config, what_if=True),
        results,
    )
    stamp(searched, model, "benchmark", vocab.catalogue.version)
    what_if = what_if_side_by_side(model, vocab, config, sample, args.reference_rows)
    sizes = {
        "as written, no what-if": document_bytes(explanations_document(batch, model, vocab)),
        "as written, with what-if": document_bytes(explanations_document(searched, model, vocab)),
        "previous layout, with what-if": previous_layout_bytes(
            explanations_document(searched, model, vocab)
        ),
    }

    print(
        f"\n{args.rows:,} cluster-years, model {model.identity.name} v{model.identity.version}, "
        f"{booster.num_trees()} trees"
    )
    heading = f"step (first two: median of {args.repeats} runs)"
    print(f"{heading:52s} {'seconds':>9s}")
    for label, seconds in results:
        print(f"{label:52s} {seconds:9.2f}")
    print("\nwhat-if search, ms per cluster-year (target <= 1):")
    for label, (rows, ms, found) in what_if.items():
        print(f"  {label:40s} {rows:6,} rows {ms:8.2f} ms  {found:,} changes found")
    ratio = what_if["previous"][1] / what_if["batched (same rows)"][1]
    print(f"  previous / batched on the same rows: {ratio:.1f}x")
    print(f"  answers agreeing with the previous search: {what_if.agreement}")
    print("\nexplanations.json, bytes per cluster-year (target <= 1,500):")
    for label, (rows, size) in sizes.items():
        print(f"  {label:40s} {rows:7,} rows {size / rows:8,.0f}")


def monitored(batch, features, model, config, store: str) -> dict:
    """What ``score`` adds for monitoring: the document, and its run logged to the store
    ``store`` (the tracking URI is put back afterwards)."""
    import mlflow
    from rich.console import Console

    from clusterpath.pipelines.monitor import log_monitoring_run, monitoring_document

    document = monitoring_document(batch, features, model, config)
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(store)
    try:
        log_monitoring_run(document, Console(quiet=True))
    finally:
        mlflow.set_tracking_uri(previous)
    return document


def scratch_store(folder: str) -> str:
    """A SQLite store with its tables made (as a store that scoring logs to already is)."""
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{folder}/mlflow.db"
    MlflowClient(uri).search_experiments()
    return uri


class Pairs(list):
    """Runs of the bare booster and of ``score_table`` in turn: wall and CPU seconds each."""

    def median(self, which: str) -> float:
        return float(np.median([run[which][0] for run in self]))

    def table(self, rows: int) -> str:
        lines = [
            f"\nscore_table / bare booster at {rows:,} cluster-years, runs in turn "
            "(target <= 1.2):",
            f"{'pair':>4s} {'bare s':>8s} {'scored s':>9s} {'ratio':>6s} "
            f"{'bare cpu s':>11s} {'scored cpu s':>13s} {'cpu ratio':>10s} "
            f"{'contrib s':>10s} {'ratio':>6s}",
        ]
        for i, run in enumerate(self, 1):
            (bw, bc), (sw, sc), (cw, _) = run["bare"], run["scored"], run["contributions"]
            lines.append(
                f"{i:4d} {bw:8.2f} {sw:9.2f} {sw / bw:6.2f} {bc:11.2f} {sc:13.2f} "
                f"{sc / bc:10.2f} {cw:10.2f} {sw / cw:6.2f}"
            )
        lines.append(
            f"median ratio: wall {self.ratio('scored', 'bare', 0):.2f}, "
            f"cpu {self.ratio('scored', 'bare', 1):.2f}; "
            f"to the contributions alone: wall {self.ratio('scored', 'contributions', 0):.2f}, "
            f"cpu {self.ratio('scored', 'contributions', 1):.2f}"
        )
        return "\n".join(lines)

    def ratio(self, which: str, to: str, measure: int) -> float:
        """Median over the pairs of ``which`` ÷ ``to`` in wall (0) or CPU (1) seconds."""
        return float(np.median([r[which][measure] / r[to][measure] for r in self]))


def side_by_side(contenders: dict, repeats: int) -> tuple[Pairs, object]:
    """Run the ``contenders`` in turn ``repeats`` times, so that a drift of the shared
    machine's speed reaches all alike; each ratio is taken within its round. Returns the
    rounds and what the last contender returned."""
    pairs, out = Pairs(), None
    for _ in range(repeats):
        run = {}
        for name, fn in contenders.items():
            wall, cpu = time.perf_counter(), time.process_time()
            out = fn()
            run[name] = (time.perf_counter() - wall, time.process_time() - cpu)
        pairs.append(run)
    return pairs, out


class SideBySide(dict):
    agreement = ""


def what_if_side_by_side(model, vocab, config, sample, reference_rows) -> SideBySide:
    """ms per row of the batched search on all of ``sample``, and of it and the previous
    search on the first ``reference_rows``; how many of those answers agree (same distance,
    or nearer with the batched search)."""
    from tests.explain import reference_search

    from clusterpath.explain.batch import _what_ifs
    from clusterpath.models.uncertainty import uncertainty

    X = sample[list(model.feature_ids)].astype("float64").reset_index(drop=True)
    targets = list(uncertainty(model.answer(X))["runner_up"])
    out = SideBySide()

    with model.read(X.head(1), None) as reading:  # the search asks the reading, not the rows
        pass

    def run(rows: int, *search) -> tuple[list, float]:
        start = time.perf_counter()
        found = _what_ifs(reading, X.head(rows), targets[:rows], vocab, config, *search)
        return found, (time.perf_counter() - start) * 1e3 / max(rows, 1)

    found, ms = run(len(X))
    out["batched"] = (len(X), ms, sum(f is not None for f in found))
    n = min(reference_rows, len(X))
    ours, ms = run(n)
    out["batched (same rows)"] = (n, ms, sum(f is not None for f in ours))
    theirs, ms = run(n, reference_search.reference_search)
    out["previous"] = (n, ms, sum(f is not None for f in theirs))
    agree = sum(
        (a is None and b is None)
        or (a is not None and b is not None and a.distance <= b.distance * (1 + 1e-9))
        or (a is not None and b is None)
        for a, b in zip(ours, theirs, strict=True)
    )
    out.agreement = f"{agree:,} of {n:,}"
    return out


def document_bytes(document: dict) -> tuple[int, int]:
    from clusterpath.pipelines.score import explanations_json

    return len(document["cluster_years"]), len(explanations_json(document))


def previous_layout_bytes(document: dict) -> tuple[int, int]:
    """The document as it was: no declarations, every row with its references resolved
    (the passages of each driver by id, section and titles; policy and support quoted)."""
    from clusterpath.pipelines.score import explanations_json
    from clusterpath.report.inputs import Resolver

    resolve = Resolver(document)
    rows = [resolve.record(r) for r in document["cluster_years"]]
    cited = ("id", "section", "title_zh", "title_en")
    for row in rows:
        for driver in row["drivers"] + row["holds_back"]:
            driver["passages"] = [{k: p[k] for k in cited} for p in driver["passages"]]
    kept = {k: v for k, v in document.items() if k not in ("paths", "indicators", "passages")}
    return len(rows), len(explanations_json({**kept, "cluster_years": rows}))


if __name__ == "__main__":
    main()
