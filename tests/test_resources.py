"""Every declaration is found where resources.py says, in a checkout and in an installed wheel.

The wheel test builds the package with the project's own uv, unpacks it, and imports
clusterpath from the unpacked copy in a fresh interpreter, as a non-editable install would:
the package must then read the copies it carries, not the repository.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from clusterpath.resources import (
    CHECKOUT_ONLY,
    PACKAGED,
    Declared,
    checkout_root,
    declarations_root,
    locate,
)

REPO = Path(__file__).resolve().parents[1]

# Reads every packaged declaration through the package's own loaders, then says where from.
READ_ALL = """
from clusterpath import resources
from clusterpath.data.policy import load_policy_corpus
from clusterpath.data.reference import load_reference
from clusterpath.data.simulator.geography import load_geography
from clusterpath.data.simulator.worlds import load_worlds
from clusterpath.explain.settings import load_scoring_config
from clusterpath.features.catalogue import load_catalogue
from clusterpath.features.compute import stage_sql
from clusterpath.models.config import load_model_config, load_rules

reference, catalogue = load_reference(), load_catalogue()
load_rules(path_codes=reference.path_codes, indicator_ids=catalogue.ids)
load_geography(reference)
parts = (load_policy_corpus(), load_worlds(), load_scoring_config(), load_model_config())
sql = stage_sql()
card = resources.locate(resources.Declared.MODEL_CARD).read_text(encoding="utf-8")
print(resources.declarations_root(), resources.checkout_root(), len(sql), len(catalogue.ids))
"""


def test_every_declaration_is_in_the_checkout():
    assert checkout_root() == REPO
    assert declarations_root() == REPO
    for item in Declared:
        assert locate(item).exists(), item.value
        assert locate(item) == REPO / item.value


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    uv = REPO / ".tools" / "bin" / "uv"
    uv = str(uv) if uv.is_file() else shutil.which("uv")
    assert uv, "uv not found: `make env` installs the pinned one under .tools/"
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [uv, "build", "--wheel", "--quiet", "--out-dir", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (found,) = out.glob("clusterpath-*.whl")
    return found


def test_the_wheel_carries_every_declaration_the_package_reads(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for item in Declared:
        inside = f"clusterpath/{PACKAGED}/{item.value}"
        carried = inside in names or any(n.startswith(f"{inside}/") for n in names)
        assert carried == (item not in CHECKOUT_ONLY), item.value
    assert not any(n.startswith("clusterpath/features/sql/") for n in names)


def test_an_installed_wheel_reads_its_own_copies(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = f"import sys; sys.path.insert(0, {str(site)!r})\n{READ_ALL}"
    ran = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    root, checkout, stages, indicators = ran.stdout.split()
    assert root == str(site / "clusterpath" / PACKAGED)
    assert checkout == "None"
    assert int(stages) == len(list(locate(Declared.INDICATOR_SQL).glob("*.sql")))
    assert int(indicators) > 0
