"""A real scoring run to build reports from: simulated extract, small model, run_score.

Reports re-present what ``clusterpath score`` wrote, so the tests start from its real
outputs rather than hand-made JSON that could drift from the scoring format.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before LightGBM: see cli._run_tracked

import shutil
from pathlib import Path

import pytest

from clusterpath.data.readers import load_extract
from clusterpath.data.reference import load_reference
from clusterpath.data.simulator import SimulationConfig, write_extract
from clusterpath.features.catalogue import load_catalogue
from clusterpath.models.config import load_model_config
from clusterpath.pipelines.features import build_features
from clusterpath.pipelines.score import run_score
from clusterpath.report.inputs import ScoreOutputs, read_scores_dir
from clusterpath.report.site import render_site
from tests.model_store import log_to_sqlite_store, small_bundle, tracking_to

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "report"
# Small clusters (3-9 firms) get no recommendation: the report must show those rows too.
SIMULATION = SimulationConfig(n_clusters=24, years=(2021, 2023), seed=5, small_cluster_share=0.1)


@pytest.fixture(scope="session")
def scores_dir(tmp_path_factory) -> Path:
    """Outputs of ``run_score`` for 24 clusters over three years, with what-if search."""
    root = tmp_path_factory.mktemp("report-scoring")
    extract = root / "extract"
    write_extract(SIMULATION, extract)
    features = build_features(extract)
    ids = load_catalogue().ids
    bundle = small_bundle(
        features,
        load_extract(extract).labels,
        load_model_config(),
        ids,
        load_reference().path_codes,
        n_estimators=30,
    )
    stored = log_to_sqlite_store(bundle, root, features[list(ids)].head(3), "clusterpath")
    out = root / "scores"
    with tracking_to(stored.tracking_uri):
        run_score(extract, stored.registered_uri, out)
    return out


@pytest.fixture(scope="session")
def outputs(scores_dir) -> ScoreOutputs:
    return read_scores_dir(scores_dir)


@pytest.fixture(scope="session")
def sites(outputs, tmp_path_factory) -> dict[str, Path]:
    """The site rendered once in each language (tests must not change these folders)."""
    root = tmp_path_factory.mktemp("sites")
    for lang in ("zh", "en"):
        render_site(outputs, lang, root / lang)
    return {"zh": root / "zh", "en": root / "en"}


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium, installed by ``make browser`` (a prerequisite of ``make test``)."""
    found = shutil.which("chromium")
    if found is None:
        pytest.fail("chromium is not installed: run `make browser` (apt-get install chromium)")
    return found


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Screenshots for a person to look at after the run (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
