"""Benchmark the embedded feature engine against two plain alternatives on a large extract.

Usage (from the repository root):

    .venv/bin/python benchmarks/bench_features.py --firm-rows 10000000

It simulates an extract of about ``--firm-rows`` firm-rows (about five links per firm-row)
into benchmarks/data/ unless one is there, then measures, each in a fresh process so peak
memory is its own:

1. ``clusterpath features`` on the embedded engine (contract validation included);
2. a plain DuckDB SQL query over the same Parquet files computing the R&D, size-distribution
   and linkage indicators only (no validation);
3. pandas: read the files, then ``groupby(...).apply`` a per-cluster function computing the
   same subset (on a sample of clusters when ``--pandas-clusters`` is set, scaled up).

Targets on a 2-core, 24 GiB machine: (1) under 60 s and 8 GiB; (1) no slower than (2);
(1) at least 10x faster than (3).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
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
SELECT COUNT(*) FROM size LEFT JOIN link USING (cluster_id, year)
"""


def _measure(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; return wall seconds and its peak RSS in GiB."""
    report = (
        "\nimport resource\nprint('PEAK_KIB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code + report], cwd=ROOT, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    lines = done.stdout.strip().splitlines()
    peak_kib = int(lines[-1].split()[1])
    return {"seconds": seconds, "peak_gib": peak_kib / 2**20, "out": "\n".join(lines[:-1])[-300:]}


def ensure_extract(folder: Path, firm_rows: int) -> None:
    if (folder / "firms.parquet").exists():
        return
    subprocess.run(
        [sys.executable, "-m", "clusterpath", "simulate", "--out", str(folder),
         "--target-firm-rows", str(firm_rows), "--seed", "1"],
        cwd=ROOT, check=True,
    )  # fmt: skip


def pandas_code(folder: Path, sample: int | None) -> str:
    return f"""
import numpy as np, pandas as pd
firms = pd.read_parquet('{folder}/firms.parquet')
links = pd.read_parquet('{folder}/links.parquet')
ids = firms['cluster_id'].dropna().unique()
sample = {sample!r}
if sample:
    ids = np.sort(ids)[:sample]
def per_cluster(g):
    e = g[g.entity_type == 'enterprise']
    rev = np.sort(e.revenue.to_numpy()); n = len(rev); t = rev.sum()
    members = set(g.firm_id)
    yl = links[links.year == g.name[1]]
    touch = yl[yl.source_id.isin(members) | yl.target_id.isin(members)]
    return pd.Series({{
        'rd_intensity': e.rd_expense.sum() / t if t else np.nan,
        'gini': (2 * (np.arange(1, n + 1) * rev).sum() / (n * t) - (n + 1) / n)
        if n > 1 and t else np.nan,
        'hhi': ((rev / t) ** 2).sum() if t else np.nan,
        'top1': rev[-1] / t if t else np.nan,
        'links': len(touch),
    }})
sub = firms[firms.cluster_id.isin(ids)]
out = sub.groupby(['cluster_id', 'year']).apply(per_cluster)
print(len(out), len(ids), firms['cluster_id'].nunique())
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firm-rows", type=int, default=10_000_000)
    parser.add_argument("--pandas-clusters", type=int, default=200)
    args = parser.parse_args()
    folder = ROOT / "benchmarks" / "data" / f"extract_{args.firm_rows}"
    ensure_extract(folder, args.firm_rows)
    out = ROOT / "benchmarks" / "results" / "features.parquet"
    rows = {}
    rows["clusterpath features (duckdb)"] = _measure(
        "from pathlib import Path; from clusterpath.pipelines.features import build_features, "
        f"write_features; f = build_features(Path('{folder}')); "
        f"write_features(f, Path('{out}')); print(len(f))"
    )
    rows["plain DuckDB SQL (subset, no validation)"] = _measure(
        "import duckdb; print(duckdb.sql('''"
        + DUCKDB_QUERY.format(firms=folder / "firms.parquet", links=folder / "links.parquet")
        + "''').fetchall())"
    )
    pandas_run = _measure(pandas_code(folder, args.pandas_clusters))
    sampled, total = (int(x) for x in pandas_run["out"].split()[-2:])
    pandas_run["seconds_scaled"] = pandas_run["seconds"] * total / max(sampled, 1)
    rows["pandas groupby-apply (subset)"] = pandas_run
    ours = rows["clusterpath features (duckdb)"]["seconds"]
    print(f"\nextract: {folder.name}")
    print(f"{'step':45s} {'seconds':>9s} {'peak GiB':>9s}")
    for name, r in rows.items():
        print(f"{name:45s} {r['seconds']:9.1f} {r['peak_gib']:9.2f}")
    print(f"pandas groupby-apply scaled to all clusters: {pandas_run['seconds_scaled']:.1f} s")
    plain = rows["plain DuckDB SQL (subset, no validation)"]["seconds"]
    print(f"ratio clusterpath / plain DuckDB: {ours / plain:.2f}")
    print(f"speed-up over pandas groupby-apply: {pandas_run['seconds_scaled'] / ours:.1f}x")
    (ROOT / "benchmarks" / "results").mkdir(parents=True, exist_ok=True)
    (ROOT / "benchmarks" / "results" / "features.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
