"""A Spark failure ends the command with one line and a non-zero exit, never a hang.

Each case runs the real command in its own process: a JVM's heap is fixed when it starts,
so a deliberately tiny heap needs a JVM of its own.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.processes import free_port

CLI = [sys.executable, "-m", "clusterpath"]
BOUND_S = 60


def _run(args: list[str], tmp_path: Path) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    done = subprocess.run(
        [*CLI, "features", *args, "--engine", "spark", "--out", str(tmp_path / "f.parquet")],
        capture_output=True,
        text=True,
        timeout=BOUND_S + 60,  # a hang fails the test rather than the whole run
    )
    return done, time.monotonic() - started


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.spark
@pytest.mark.slow
def test_out_of_memory_ends_the_command_within_a_minute(simulated_parquet, tmp_path):
    # 48 MiB of heap; Spark's own start-up check of 450 MiB is told the machine has more
    tiny = ["spark.driver.memory=48m", "spark.testing.memory=536870912"]
    args = [str(simulated_parquet), *(a for c in tiny for a in ("--spark-conf", c))]
    done, seconds = _run(args, tmp_path)
    assert done.returncode != 0
    assert seconds < BOUND_S
    line = _one_line(done.stderr)
    assert "OutOfMemoryError" in line and "spark.driver.memory" in line
    assert not (tmp_path / "f.parquet").exists()


@pytest.mark.spark
def test_unreachable_master_is_named_in_seconds(simulated_parquet, tmp_path):
    master = f"spark://127.0.0.1:{free_port()}"
    done, seconds = _run([str(simulated_parquet), "--spark-master", master], tmp_path)
    assert done.returncode == 1
    assert seconds < BOUND_S
    assert f"Spark master {master} is unreachable" in _one_line(done.stderr)


def test_malformed_spark_setting_is_bad_input(tmp_path):
    done, _ = _run([str(tmp_path), "--spark-conf", "driver.memory"], tmp_path)
    assert done.returncode == 2
    assert "expected spark.KEY=VALUE" in _one_line(done.stderr)
