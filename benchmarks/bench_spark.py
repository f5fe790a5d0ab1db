"""Time a command and the peak memory of each of its processes, Spark's JVM included.

``/usr/bin/time -v`` reports one maximum resident set, of the largest process it waited
for; pyspark's JVM and Python workers are not among them. This samples the whole process
tree (every 0.5 s, from /proc) and reports the peak of the driver's Python, of the JVM (in
local mode the executors live there) and of the Python workers, and of their sum.

    .venv/bin/python benchmarks/bench_spark.py -- \\
        .venv/bin/clusterpath features DATA --engine spark --out /tmp/f.parquet

``--extract DATA`` instead runs ``clusterpath features DATA`` on DuckDB and then on Spark
(``--spark-master``, default ``local[2]``) in one go, and prints both, Spark's time as a
multiple of DuckDB's, the load average around each run (the machine may be shared) and the
largest relative difference between the two indicator tables.
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

PAGE_KIB = 4  # resident pages are counted in /proc/PID/statm; 4 KiB on this machine


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _tree(pid: int) -> list[int]:
    pids, queue = [], [pid]
    while queue:
        current = queue.pop()
        pids.append(current)
        queue += _children(current)
    return pids


def _kind(pid: int) -> str | None:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    text = b" ".join(cmd).decode(errors="replace")
    if "java" in Path(cmd[0].decode(errors="replace")).name:
        return "jvm"
    if "pyspark.daemon" in text or "pyspark.worker" in text or "pyspark/daemon" in text:
        return "python_workers"
    if "python" in text or "clusterpath" in text:
        return "driver_python"
    return None


def _rss_kib(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KIB
    except (OSError, IndexError, ValueError):
        return 0


def _cpu_s(pid: int) -> float:
    """User and system CPU seconds the process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(command: list[str]) -> dict:
    """Wall time, CPU seconds of the process tree (as last sampled: a busy machine slows
    the wall clock far more than the CPU time) and peak memory by kind of process."""
    started = time.perf_counter()
    process = subprocess.Popen(command)
    peaks: dict[str, int] = {}
    cpu: dict[int, float] = {}
    while process.poll() is None:
        now: dict[str, int] = {}
        for pid in _tree(process.pid):
            cpu[pid] = max(cpu.get(pid, 0.0), _cpu_s(pid))
            kind = _kind(pid)
            if kind:
                now[kind] = now.get(kind, 0) + _rss_kib(pid)
        now["total"] = sum(now.values())
        for kind, kib in now.items():
            peaks[kind] = max(peaks.get(kind, 0), kib)
        time.sleep(0.5)
    return {
        "command": " ".join(command),
        "exit_code": process.returncode,
        "wall_s": round(time.perf_counter() - started, 1),
        "cpu_s": round(sum(cpu.values()), 1),
        "peak_gib": {k: round(v / 2**20, 2) for k, v in sorted(peaks.items())},
    }


def _loaded(command: list[str]) -> dict:
    before = os.getloadavg()[0]
    result = measure(command)
    result["load_1min"] = [round(before, 1), round(os.getloadavg()[0], 1)]
    return result


def largest_difference(duckdb: Path, spark: Path) -> float:
    """The largest relative difference between the two tables' indicators (inf if their
    rows, missing values or columns differ)."""
    import numpy as np
    import pandas as pd

    from clusterpath.features.catalogue import load_catalogue

    left, right = pd.read_parquet(duckdb), pd.read_parquet(spark)
    ids = list(load_catalogue().ids)
    if list(left.columns) != list(right.columns) or not left[["cluster_id", "year"]].equals(
        right[["cluster_id", "year"]]
    ):
        return float("inf")
    a, b = left[ids].to_numpy(float), right[ids].to_numpy(float)
    if (np.isnan(a) != np.isnan(b)).any():
        return float("inf")
    both = ~np.isnan(a)
    scale = np.maximum(np.abs(a[both]), 1e-300)
    return float((np.abs(a[both] - b[both]) / scale).max(initial=0.0))


def beside_duckdb(extract: str, master: str) -> dict:
    cli = str(Path(sys.executable).with_name("clusterpath"))
    out = Path(tempfile.mkdtemp(prefix="bench-spark-"))
    duckdb = _loaded([cli, "features", extract, "--out", str(out / "duckdb.parquet")])
    spark = _loaded(
        [cli, "features", extract, "--engine", "spark", "--spark-master", master,
         "--out", str(out / "spark.parquet")]
    )  # fmt: skip
    return {
        "duckdb": duckdb,
        "spark": spark,
        "spark_over_duckdb": round(spark["wall_s"] / duckdb["wall_s"], 1),
        "largest_relative_difference": largest_difference(
            out / "duckdb.parquet", out / "spark.parquet"
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extract", help="run features on DuckDB and on Spark over DATA")
    parser.add_argument("--spark-master", default="local[2]")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.extract:
        result = beside_duckdb(args.extract, args.spark_master)
    else:
        command = args.command[1:] if args.command[:1] == ["--"] else args.command
        result = measure(command)
    print(json.dumps(result), file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
