"""Text from an extract is data: it never becomes a file path, a shell word or markup.

One extract has cluster ids and names such as ``../../x``, ``<script>alert(1)</script>``
and ``$(rm -rf /)``; it goes through features, score and report (with PDFs, Chromium
replaced by a recorder). Every file written stays in its output folder under a safe name,
every process started gets a plain argument list without that text, and the pages show it
escaped. The source holds no ``eval``, no pickle loading and no shell.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from clusterpath.pipelines.score import MARKER, OUTPUTS
from tests.conftest import REPO
from tests.robustness.mutations import HOSTILE, Case, build_case, compose, rename_clusters

pytestmark = pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy")

SAFE_PAGE = re.compile(r"^[A-Za-z0-9_-]+\.(html|pdf)$")
RISKY = re.compile(r"\beval\(|\bexec\(|pickle\.loads?\(|shell=True|os\.system\(|os\.popen\(")
# joblib unpickles the model bundle, only inside the MLflow model the user named (--model).
ALLOWED_LOADS = {"src/clusterpath/serving/pyfunc.py": "joblib.load(context.artifacts[BUNDLE])"}


@pytest.fixture(scope="module")
def hostile_run(corpus_bases, commands, tmp_path_factory):
    """(root, started processes) after features, score and report --pdf on hostile text."""
    root = tmp_path_factory.mktemp("hostile")
    hostile = Case(
        "hostile_ids_and_names",
        "hostile cluster ids and names at once",
        compose(rename_clusters(), rename_clusters(names=True)),
        "accepted",
    )
    folder = build_case(hostile, corpus_bases, root / "extract")
    started: list[tuple[tuple, dict]] = []

    def record(args, *rest, **kwargs):
        started.append((tuple(args), kwargs))
        target = next(a for a in args if str(a).startswith("--print-to-pdf="))
        Path(str(target).split("=", 1)[1]).write_bytes(b"%PDF-1.4 recorded\n")
        return subprocess.CompletedProcess(args, 0, b"", b"")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(shutil, "which", lambda name, *a, **k: f"/opt/fake/{name}")
        patch.setattr(subprocess, "run", record)
        patch.setattr(subprocess, "Popen", _refuse)
        for args in (
            ["features", folder, "--out", root / "features.parquet"],
            ["score", folder, "--out", root / "scores", "--model", commands.model.registered_uri],
            ["report", root / "scores", "--out", root / "site", "--pdf"],
        ):
            result = commands.invoke(args)
            assert result.exit_code == 0, (args[0], result.output)
    return root, started


def _refuse(*args, **kwargs):
    raise AssertionError(f"unexpected process: {args}")


@pytest.mark.slow
def test_every_file_stays_in_its_output_folder(hostile_run):
    root, _ = hostile_run
    written = {p.relative_to(root) for p in root.rglob("*") if p.is_file()}
    extract = {p for p in written if p.parts[0] == "extract"}
    site = {p for p in written if p.parts[0] == "site"}
    assert {p.name for p in written if p.parts[0] == "scores"} == {*OUTPUTS, MARKER}
    assert written - extract - site == {Path("features.parquet")} | {
        Path("scores") / n for n in (*OUTPUTS, MARKER)
    }
    pages = [p for p in site if p.parts[1] in ("clusters", "pdf")]
    assert len(pages) == 2 * 24
    assert all(SAFE_PAGE.match(p.name) for p in pages), sorted(p.name for p in pages)
    for escaped in ("x", "pwned"):
        assert not (root.parent / escaped).exists() and not (REPO / escaped).exists()


@pytest.mark.slow
def test_no_process_gets_extract_text_or_a_shell(hostile_run):
    _, started = hostile_run
    assert len(started) == 24  # one Chromium run per cluster page
    for args, kwargs in started:
        assert not kwargs.get("shell")
        assert isinstance(args[0], str) and args[0].startswith("/opt/fake/")
        for text in HOSTILE:
            assert all(text not in str(a) for a in args), (text, args)


@pytest.mark.slow
def test_pages_show_hostile_text_escaped(hostile_run):
    root, _ = hostile_run
    html = "\n".join(p.read_text(encoding="utf-8") for p in (root / "site").rglob("*.html"))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count("<script") == html.count("</script>")


@pytest.mark.slow
def test_paths_and_uris_with_markup_print_plainly(corpus_bases, commands, tmp_path):
    """Rich markup in a folder, a file or a model URI is printed as written, not parsed."""
    folder = tmp_path / "ex [/] [bold]it's $(x)"
    shutil.copytree(corpus_bases["parquet"], folder)
    valid = commands.invoke(["validate", folder])
    assert valid.exit_code == 0, valid.output
    assert str(folder) in valid.output.replace("\n", "")
    out = tmp_path / "[/]features.parquet"
    features = commands.invoke(["features", folder, "--out", out])
    assert features.exit_code == 0, features.output
    assert out.is_file()
    uri = "models:/[/]no-such@[red]x"
    score = commands.invoke(["score", folder, "--out", tmp_path / "scores", "--model", uri])
    assert score.exit_code == 3, score.output
    assert uri in score.output.replace("\n", "")
    assert "Traceback" not in score.output


def test_source_has_no_eval_pickle_or_shell():
    """The same as ``grep -rn "eval(\\|pickle.load\\|shell=True" src``, with exec and os.system;
    the one load of a pickle is joblib's, of the bundle inside the MLflow model."""
    found = []
    for path in sorted((REPO / "src").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if RISKY.search(line):
                found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
            if "joblib.load" in line:
                rel = str(path.relative_to(REPO))
                assert ALLOWED_LOADS.get(rel, "\0") in line, f"{rel}:{number}: {line.strip()}"
    assert found == []
