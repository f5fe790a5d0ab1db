"""Where the files clusterpath reads live, each named once here: moving one is one line.

The declarations sit at the top of the repository: ``features/`` (the indicator catalogue and
the SQL it compiles to), ``models/`` (training, rule and scoring settings, the model card) and
``data/`` (reference tables, policy corpus, simulator worlds, gallery, fixtures). A checkout
reads them where they lie. A wheel cannot reach the repository, so it carries a copy of the
ones the package needs inside itself (``clusterpath/_declared``, laid out the same way; see
``force-include`` in pyproject.toml).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

PACKAGED = "_declared"


class Declared(StrEnum):
    """A declaration file or folder, as a path from the repository root."""

    CATALOGUE = "features/indicators.yaml"
    INDICATOR_SQL = "features/sql"
    MODEL_CONFIG = "models/lightgbm.yaml"
    RULES = "models/rules.yaml"
    SCORING = "models/scoring.yaml"
    MODEL_CARD = "models/model_card.md.j2"
    REFERENCE = "data/reference"
    CHINA_MAP = "data/reference/china_map.json"
    POLICY = "data/policy/passages.yaml"
    WORLDS = "data/simulator/worlds.yaml"
    GALLERY = "data/gallery"
    FIXTURES = "data/fixtures"


# Read from the checkout only: the gallery specs rebuild committed files, fixtures feed tests.
CHECKOUT_ONLY = frozenset({Declared.GALLERY, Declared.FIXTURES})


def checkout_root() -> Path | None:
    """The repository this package runs from (an editable install), or None if installed."""
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and (root / Declared.CATALOGUE).is_file():
        return root
    return None


def declarations_root() -> Path:
    """The folder the ``Declared`` paths are relative to: the packaged copy, else the checkout."""
    packaged = Path(__file__).parent / PACKAGED
    if packaged.is_dir():
        return packaged
    root = checkout_root()
    if root is None:
        raise FileNotFoundError(
            f"clusterpath's declarations are missing: neither {packaged} nor a checkout "
            "around the package; reinstall the package"
        )
    return root


def locate(item: Declared) -> Path:
    """The path of one declaration file or folder."""
    return declarations_root() / item.value


def read_yaml(path: Path) -> Any:
    """A YAML file's document, read safely, with libyaml's parser when PyYAML has it.

    Every command reads several declaration files (the industry table twice, the indicator
    catalogue, the scoring settings); libyaml gives the same document in a tenth of the time.
    """
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with Path(path).open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=loader)
