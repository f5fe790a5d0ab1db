"""Inputs shared by the jobs: an indicator table computed here or read from a file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from clusterpath.data.errors import ContractError, Problem


def load_features(folder: Path, features_file: Path | None, fingerprint: str) -> pd.DataFrame:
    """Compute the indicator table, or read the given one and check it came from this extract."""
    if features_file is None:
        from clusterpath.pipelines.features import build_features

        return build_features(folder)
    if not Path(features_file).is_file():
        raise ContractError([Problem(str(features_file), "no such indicator table")])
    features = (
        pd.read_csv(features_file)
        if features_file.suffix == ".csv"
        else pd.read_parquet(features_file)
    )
    stamped = set(features.get("extract_fingerprint", pd.Series(dtype=str)).astype(str))
    if stamped and stamped != {fingerprint}:
        raise ContractError(
            [
                Problem(
                    str(features_file),
                    f"computed from extract {sorted(stamped)}, not from {folder} ({fingerprint})",
                )
            ]
        )
    return features
