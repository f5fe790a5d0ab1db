"""PySpark is an optional extra: without it, --engine spark says how to install it and exits 2.

The commands run in a fresh interpreter where importing pyspark fails exactly as it does when
the package is not installed (``sys.modules["pyspark"] = None``), so the test holds whether or
not this environment has the extra.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from clusterpath.cli import EXIT_BAD_INPUT
from clusterpath.spark.session import SparkMissing, require_pyspark
from tests.conftest import REPO, TINY

WITHOUT_PYSPARK = """
import sys
sys.modules["pyspark"] = None
from clusterpath.cli import app
app(sys.argv[1:], prog_name="clusterpath")
"""


def run_without_pyspark(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_PYSPARK, *args],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path}/m.db"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("command", ["features", "score"])
def test_the_spark_engine_without_pyspark_says_how_to_install_it(command, tmp_path):
    out = tmp_path / "out"
    ran = run_without_pyspark(
        [command, str(TINY), "--out", str(out), "--engine", "spark"], tmp_path
    )
    assert ran.returncode == EXIT_BAD_INPUT, ran.stderr
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1, ran.stderr
    assert "PySpark, which is not installed" in lines[0]
    assert "pip install 'clusterpath[spark]'" in lines[0]
    assert "uv sync --extra spark" in lines[0]
    assert "Traceback" not in ran.stderr + ran.stdout
    assert not out.exists()


def test_the_embedded_engine_needs_no_pyspark(tmp_path):
    out = tmp_path / "features.parquet"
    ran = run_without_pyspark(["features", str(TINY), "--out", str(out)], tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert out.stat().st_size > 0


def test_require_pyspark_names_the_extra_when_pyspark_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)
    with pytest.raises(SparkMissing, match="uv sync --extra spark"):
        require_pyspark()


def test_pyspark_is_the_spark_extra_not_a_base_dependency():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert not any(d.startswith("pyspark") for d in project["dependencies"])
    assert [d for d in project["optional-dependencies"]["spark"] if d.startswith("pyspark")]
