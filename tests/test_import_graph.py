"""The package's imports follow the data flow and never form a circle.

Read from the source with ``ast`` (every import, also those inside functions): each module
sits on a layer, data -> features -> models -> explain -> report, with Spark, the served
model, the jobs and the command on top; a module imports only from its own layer or below.
"""

from __future__ import annotations

import ast
import re
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "clusterpath"
LAYERS = (
    ("resources", "storage"),
    ("data",),
    ("features",),
    ("models",),
    ("explain",),
    ("report",),
    ("spark", "serving"),
    ("pipelines",),
    ("cli", "__main__"),
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    top = module.split(".")[1] if "." in module else ""
    for rank, names in enumerate(LAYERS):
        if top in names:
            return rank
    raise AssertionError(f"{module} is on no layer: add its folder to LAYERS")


def imports(path: Path, modules: set[str]) -> set[str]:
    """The package's modules that ``path`` imports (``from package import submodule`` counts
    as the submodule alone)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            subs = [f"{node.module}.{alias.name}" for alias in node.names]
            names = [n for n in subs if n in modules] or [node.module]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != "clusterpath":
                found.add(name)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports."""
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {m: imports(p, set(files)) - {m} for m, p in files.items() if m != "clusterpath"}


def test_the_graph_is_read(graph):
    assert "clusterpath.models.path_model" in graph["clusterpath.explain.batch"]
    assert sum(len(t) for t in graph.values()) > 100


def test_no_import_circle(graph):
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as circle:
        pytest.fail(f"import circle: {' -> '.join(circle.args[1])}")


def test_no_import_against_the_data_flow(graph):
    upward = [(a, b) for a, targets in graph.items() for b in targets if layer(b) > layer(a)]
    assert not upward, upward


def test_a_circle_and_an_upward_import_would_be_seen():
    with pytest.raises(CycleError):
        TopologicalSorter({"a": {"b"}, "b": {"a"}}).prepare()
    assert layer("clusterpath.models.pyfunc") < layer("clusterpath.explain.served")


def test_nothing_outside_models_takes_the_estimator_apart():
    taking_apart = re.compile(r"lightgbm_step|\.booster_(?!\w)|\[\"estimator\"\]")
    for path in PACKAGE.rglob("*.py"):
        if "models" in path.relative_to(PACKAGE).parts:
            continue
        found = taking_apart.search(path.read_text(encoding="utf-8"))
        assert found is None, f"{path.relative_to(PACKAGE)} uses {found.group()}"
