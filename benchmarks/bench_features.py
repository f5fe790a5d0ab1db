"""Benchmark the embedded feature engine against two plain alternatives on a large extract.

Usage (from the repository root):

    .venv/bin/python benchmarks/bench_features.py --firm-rows 10000000

It simulates an extract of about ``--firm-rows`` firm-rows (about five links per firm-row)
into benchmarks/data/ unless one is there, then measures, each in a fresh process so that
wall time and peak memory (the process's maximum resident set) are its own:

1. ``clusterpath features DATA --out FILE``: the whole catalogue, contract checks included;
1b. the reference, ``reference_features.py DATA``: the same contract checks, then all 39
   indicators in one plain DuckDB query written the straightforward way
   (``reference_features.sql``, held to the engine's values by a test). With ``--repeats``
   (1) and (1b) run in turn that many times and the median of the pairs' ratios is printed;
2. a plain DuckDB SQL query over the same Parquet files computing the R&D, size-distribution
   and linkage indicators only (no checks), its rows fetched into pandas;
3. pandas: read the files, join links to their ends, then ``groupby(...).apply`` a function
   computing the same subset per cluster-year. The apply runs on ``--pandas-clusters``
   clusters (0: all) and its time is scaled up to all clusters; reading and joining are
   counted in full.

Targets on a 2-core, 24 GiB machine: (1) under 60 s and 8 GiB; (1) no slower than (1b);
(1) no slower than (2); (1) at least 10x faster than (3). ``--extract DIR`` measures an
extract already simulated elsewhere. The machine may be shared: timings vary from run to run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

DUCKDB_QUERY = """
WITH f AS (SELECT * FROM read_parquet('{firms}') WHERE cluster_id IS NOT NULL
           AND entity_type = 'enterprise'),
r AS (
  SELECT cluster_id, year, revenue,
         ROW_NUMBER() OVER (PARTITION BY cluster_id, year ORDER BY revenue) AS i,
         ROW_NUMBER() OVER (PARTITION BY cluster_id, year ORDER BY revenue DESC) AS d,
         COUNT(*) OVER (PARTITION BY cluster_id, year) AS n,
         SUM(revenue) OVER (PARTITION BY cluster_id, year) AS t,
         rd_expense
  FROM f),
size AS (
  SELECT cluster_id, year,
         SUM(rd_expense) / NULLIF(SUM(revenue), 0) AS rd_intensity,
         2 * SUM(i * revenue) / (MAX(n) * NULLIF(MAX(t), 0)) - (MAX(n) + 1.0) / MAX(n) AS gini,
         SUM(POWER(revenue / NULLIF(t, 0), 2)) AS hhi,
         MAX(revenue) / NULLIF(MAX(t), 0) AS top1,
         SUM(CASE WHEN d <= 5 THEN revenue ELSE 0 END) / NULLIF(MAX(t), 0) AS top5
  FROM r GROUP BY cluster_id, year),
all_f AS (SELECT firm_id, year, cluster_id, industry_code FROM read_parquet('{firms}')),
l AS (
  SELECT s.cluster_id AS sc, t.cluster_id AS tc, l.year,
         s.industry_code <> t.industry_code AS cross_div
  FROM read_parquet('{links}') l
  JOIN all_f s ON l.source_id = s.firm_id AND l.year = s.year
  JOIN all_f t ON l.target_id = t.firm_id AND l.year = t.year),
lk AS (
  SELECT sc AS cluster_id, year, cross_div, (tc IS NULL OR tc <> sc) AS ext FROM l
  WHERE sc IS NOT NULL
  UNION ALL
  SELECT tc, year, cross_div, TRUE FROM l
  WHERE tc IS NOT NULL AND (sc IS NULL OR sc <> tc)),
link AS (
  SELECT cluster_id, year, AVG(CAST(cross_div AS DOUBLE)) AS cross_share,
         AVG(CAST(ext AS DOUBLE)) AS external_share
  FROM lk GROUP BY cluster_id, year)
SELECT * FROM size LEFT JOIN link USING (cluster_id, year)
"""

PANDAS_CODE = """
import time
import numpy as np, pandas as pd
start = time.perf_counter()
firms = pd.read_parquet('{folder}/firms.parquet', dtype_backend='pyarrow', columns=[
    'firm_id', 'year', 'cluster_id', 'entity_type', 'industry_code', 'revenue', 'rd_expense'])
links = pd.read_parquet('{folder}/links.parquet', dtype_backend='pyarrow',
                        columns=['source_id', 'target_id', 'year'])
ids = np.sort(firms['cluster_id'].dropna().unique())
if {sample}:
    ids = ids[:{sample}]
members = firms[firms['cluster_id'].isin(ids)]
ends = firms.set_index(['firm_id', 'year'])[['cluster_id', 'industry_code']]
touch = links[links['source_id'].isin(members['firm_id'])
              | links['target_id'].isin(members['firm_id'])]
touch = touch.join(ends, on=['source_id', 'year']).join(
    ends, on=['target_id', 'year'], lsuffix='_s', rsuffix='_t')
cross = touch['industry_code_s'] != touch['industry_code_t']
seen = pd.concat([
    pd.DataFrame({{'cluster_id': touch['cluster_id_s'], 'year': touch['year'], 'cross': cross,
                  'external': touch['cluster_id_t'].isna()
                  | (touch['cluster_id_t'] != touch['cluster_id_s'])}}),
    pd.DataFrame({{'cluster_id': touch['cluster_id_t'], 'year': touch['year'], 'cross': cross,
                  'external': True}})[touch['cluster_id_s'].isna()
                                      | (touch['cluster_id_s'] != touch['cluster_id_t'])],
])
seen = seen[seen['cluster_id'].isin(ids)]
by_cluster = dict(list(seen.groupby(['cluster_id', 'year'])))
prepared = time.perf_counter()

def per_cluster(g):
    e = g[g['entity_type'] == 'enterprise']
    rev = np.sort(e['revenue'].to_numpy(dtype=float)); n = len(rev); t = rev.sum()
    lk = by_cluster.get(g.name)
    return pd.Series({{
        'rd_intensity': e['rd_expense'].sum() / t if t else np.nan,
        'gini': 2 * (np.arange(1, n + 1) * rev).sum() / (n * t) - (n + 1) / n
        if n > 1 and t else np.nan,
        'hhi': ((rev / t) ** 2).sum() if t else np.nan,
        'top1': rev[-1] / t if t else np.nan,
        'top5': rev[-5:].sum() / t if t else np.nan,
        'cross_share': lk['cross'].mean() if lk is not None else np.nan,
        'external_share': lk['external'].mean() if lk is not None else np.nan,
    }})

out = members.groupby(['cluster_id', 'year']).apply(per_cluster)
applied = time.perf_counter()
print(prepared - start, applied - prepared, len(ids), firms['cluster_id'].nunique(), len(out))
"""


def measure(command: list[str]) -> dict:
    """Run ``command`` in a fresh process; return its wall seconds, its own peak resident
    memory (from wait4, so earlier children do not count) and the end of its output."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status):
            raise RuntimeError(f"{' '.join(command[:4])} failed:\n{err.read()[-2000:]}")
        return {"seconds": seconds, "peak_gib": usage.ru_maxrss / 2**20, "out": out.read()[-500:]}


def python(code: str) -> list[str]:
    """A command running ``code`` in a fresh interpreter of this environment."""
    return [sys.executable, "-c", code]


def ensure_extract(folder: Path, firm_rows: int) -> None:
    """Simulate the extract once; later runs reuse it."""
    if (folder / "firms.parquet").exists():
        return
    subprocess.run(
        [sys.executable, "-m", "clusterpath", "simulate", "--out", str(folder),
         "--target-firm-rows", str(firm_rows), "--seed", "1"],
        cwd=ROOT, check=True,
    )  # fmt: skip


ENGINE = "clusterpath features (duckdb)"
REFERENCE = "reference: checks + plain SQL, all 39"


def run_all(folder: Path, args) -> dict[str, dict]:
    """Measure the approaches, each in its own process; the engine and the reference in
    turn ``args.repeats`` times (their medians reported, each pair's ratio kept)."""
    out = ROOT / "benchmarks" / "results" / "features.parquet"
    engine = [sys.executable, "-m", "clusterpath", "features", str(folder), "--out", str(out)]
    reference = [sys.executable, str(ROOT / "benchmarks" / "reference_features.py"), str(folder)]
    pairs = [(measure(engine), measure(reference)) for _ in range(args.repeats)]
    runs = {ENGINE: _median(p[0] for p in pairs), REFERENCE: _median(p[1] for p in pairs)}
    runs[REFERENCE]["pair_ratios"] = [a["seconds"] / b["seconds"] for a, b in pairs]
    if not args.skip_subset:
        query = DUCKDB_QUERY.format(firms=folder / "firms.parquet", links=folder / "links.parquet")
        runs["plain DuckDB SQL (subset)"] = measure(
            python(f"import duckdb\nprint(len(duckdb.sql('''{query}''').df()))")
        )
    if not args.skip_pandas:
        code = PANDAS_CODE.format(folder=folder, sample=args.pandas_clusters)
        runs["pandas groupby-apply (subset)"] = measure(python(code))
    return runs


def _median(runs) -> dict:
    """The run of median wall time, with the median peak memory of all."""
    runs = sorted(runs, key=lambda r: r["seconds"])
    middle = dict(runs[len(runs) // 2])
    middle["peak_gib"] = sorted(r["peak_gib"] for r in runs)[len(runs) // 2]
    middle["all_seconds"] = [r["seconds"] for r in runs]
    return middle


def scale_pandas(run: dict) -> None:
    """Whole-extract time: reading and joining as measured, the apply scaled to all clusters."""
    _, apply, sampled, total, _ = (float(x) for x in run["out"].split()[-5:])
    run["seconds_measured"] = run["seconds"]
    run["seconds"] = run["seconds"] - apply + apply * total / max(sampled, 1)
    run["clusters_applied"] = f"{int(sampled)} of {int(total)}"


def report(folder: Path, runs: dict[str, dict]) -> None:
    """Print the table: wall time, peak memory and each approach's time against ours."""
    ours = runs[ENGINE]["seconds"]
    print(f"\nextract: {folder.name}  (date {time.strftime('%Y-%m-%d %H:%M')})")
    print(f"{'approach':40s} {'wall s':>8s} {'peak GiB':>9s} {'÷ ours':>8s}")
    for name, run in runs.items():
        print(
            f"{name:40s} {run['seconds']:8.1f} {run['peak_gib']:9.2f} {run['seconds'] / ours:8.2f}"
        )
    ratios = runs[REFERENCE]["pair_ratios"]
    print(
        f"engine / reference, pair by pair: {', '.join(f'{r:.2f}' for r in ratios)}; "
        f"median {sorted(ratios)[len(ratios) // 2]:.2f} (target <= 1.0)"
    )
    pandas = runs.get("pandas groupby-apply (subset)")
    if pandas:
        print(
            f"pandas: apply on {pandas['clusters_applied']} clusters, scaled to all; "
            f"measured {pandas['seconds_measured']:.1f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firm-rows", type=int, default=10_000_000)
    parser.add_argument(
        "--pandas-clusters", type=int, default=400, help="clusters for the apply (0: all)"
    )
    parser.add_argument("--skip-pandas", action="store_true", help="do not measure (3)")
    parser.add_argument("--skip-subset", action="store_true", help="do not measure (2)")
    parser.add_argument("--repeats", type=int, default=1, help="(1) and (1b) in turn")
    parser.add_argument("--extract", type=Path, help="an extract folder to use as it is")
    args = parser.parse_args()
    folder = args.extract or ROOT / "benchmarks" / "data" / f"extract_{args.firm_rows}"
    if args.extract is None:
        ensure_extract(folder, args.firm_rows)
    runs = run_all(folder, args)
    if "pandas groupby-apply (subset)" in runs:
        scale_pandas(runs["pandas groupby-apply (subset)"])
    report(folder, runs)
    results = ROOT / "benchmarks" / "results" / f"features_{folder.name}.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(runs, indent=2))


if __name__ == "__main__":
    main()
