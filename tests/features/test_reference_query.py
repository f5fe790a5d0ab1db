"""The benchmark's plain SQL of all 42 indicators agrees with the engine to 1e-9 relative.

``benchmarks/reference_features.sql`` is the yardstick ``clusterpath features`` is timed
against; this keeps the two computing the same numbers, so the comparison stays like for like.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from clusterpath.data.errors import ContractError
from clusterpath.data.simulator import SimulationConfig, write_extract
from clusterpath.features.catalogue import load_catalogue
from clusterpath.pipelines.features import build_features

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "reference_features.py"


def _reference_features():
    spec = importlib.util.spec_from_file_location("reference_features", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.reference_features


@pytest.fixture(scope="module")
def extract(tmp_path_factory) -> Path:
    """Three years (growth needs a previous one), every world, many small clusters."""
    folder = tmp_path_factory.mktemp("reference") / "sim"
    config = SimulationConfig(n_clusters=14, years=(2020, 2022), seed=7, small_cluster_share=0.3)
    write_extract(config, folder)
    return folder


def test_reference_query_gives_the_engines_indicators(extract):
    ids = list(load_catalogue().ids)
    engine = build_features(extract)
    reference = _reference_features()(extract)
    assert len(ids) == 44 and set(ids) <= set(reference.columns)
    assert engine[["cluster_id", "year"]].equals(reference[["cluster_id", "year"]])
    a, b = engine[ids].to_numpy(float), reference[ids].to_numpy(float)
    assert np.isnan(a).mean() < 0.2  # most indicators are defined, so values are compared
    assert (np.isnan(a) == np.isnan(b)).all()
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True)


def test_reference_runs_the_contract_checks(extract, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    broken = tmp_path / "broken"
    broken.mkdir()
    for path in extract.iterdir():
        (broken / path.name).write_bytes(path.read_bytes())
    links = pq.read_table(broken / "links.parquet")
    ids = links.column("target_id").to_pylist()
    ids[3] = "no-such-firm"
    links = links.set_column(1, "target_id", pa.array(ids))
    pq.write_table(links, broken / "links.parquet")
    with pytest.raises(ContractError, match="target_id"):
        _reference_features()(broken)
