"""The package keeps MLflow's usage telemetry off (no network call the user did not ask for),
unless the environment says otherwise."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = (
    "import os, clusterpath\n"
    "from mlflow.telemetry.utils import is_telemetry_disabled\n"
    "print(is_telemetry_disabled(), os.environ['MLFLOW_DISABLE_TELEMETRY'])\n"
)


def _probe(**env: str) -> str:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MLFLOW_DISABLE_TELEMETRY", "DO_NOT_TRACK", "PYTEST_CURRENT_TEST", "CI")
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env={**clean, **env}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_importing_the_package_turns_mlflow_telemetry_off() -> None:
    assert _probe() == "True true"


def test_an_explicit_setting_is_kept() -> None:
    assert _probe(MLFLOW_DISABLE_TELEMETRY="false").endswith(" false")
