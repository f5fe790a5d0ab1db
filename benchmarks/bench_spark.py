"""Time a command and the peak memory of each of its processes, Spark's JVM included.

``/usr/bin/time -v`` reports one maximum resident set, of the largest process it waited
for; pyspark's JVM and Python workers are not among them. This samples the whole process
tree (every 0.5 s, from /proc) and reports the peak of the driver's Python, of the JVM (in
local mode the executors live there) and of the Python workers, and of their sum.

    .venv/bin/python benchmarks/bench_spark.py -- \\
        .venv/bin/clusterpath features DATA --engine spark --out /tmp/f.parquet
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
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


def measure(command: list[str]) -> dict:
    started = time.perf_counter()
    process = subprocess.Popen(command)
    peaks: dict[str, int] = {}
    while process.poll() is None:
        now: dict[str, int] = {}
        for pid in _tree(process.pid):
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
        "peak_gib": {k: round(v / 2**20, 2) for k, v in sorted(peaks.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    result = measure(command)
    print(json.dumps(result), file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
