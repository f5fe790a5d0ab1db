"""Where clusterpath's declared data (policy corpus, reference tables, configs) lives."""

from __future__ import annotations

from pathlib import Path


def data_dir() -> Path:
    """Return the folder holding the committed data files.

    Installed wheels carry them inside the package (``clusterpath/_data``); an editable
    install reads the repository's ``data/`` folder directly.
    """
    packaged = Path(__file__).parent / "_data"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "data"
