"""Job: a scores folder in; a static site out, with PDFs of cluster pages on request.

Wiring only: check the output folder, read the scores, render into a temporary folder
beside the target and swap it in whole, so a failure leaves the previous report as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from clusterpath.data.errors import ContractError, Problem
from clusterpath.report.inputs import Key, read_scores_dir
from clusterpath.report.pdf import find_chromium, print_pages
from clusterpath.report.readings import load_readings
from clusterpath.report.site import MARKER, TOP_LEVEL, render_site
from clusterpath.storage import atomic_dir


def check_report_dir(out: Path) -> None:
    """The output folder is replaced whole: accept it only if empty or a previous report."""
    if not out.exists():
        return
    if not out.is_dir():
        raise ContractError([Problem(str(out), "exists and is not a folder")])
    names = {p.name for p in out.iterdir()}
    foreign = sorted(names - set(TOP_LEVEL))
    if foreign or (names and MARKER not in names):
        shown = ", ".join(foreign[:5]) or "files of no clusterpath report"
        raise ContractError(
            [Problem(str(out), f"holds {shown}; give an empty folder or a previous report")]
        )


def select_pages(keys: Sequence[Key], wanted: Sequence[str]) -> list[Key]:
    """All cluster-years, or those named as ``CLUSTER_ID`` or ``CLUSTER_ID:YEAR``."""
    if not wanted:
        return list(keys)
    named = {str(cid) for cid, _ in keys} | {f"{cid}:{year}" for cid, year in keys}
    unknown = [w for w in wanted if w not in named]
    if unknown:
        raise ContractError([Problem("--cluster", f"not in the scores: {', '.join(unknown)}")])
    return [(cid, year) for cid, year in keys if cid in wanted or f"{cid}:{year}" in wanted]


def run_report(
    scores_dir: Path,
    out: Path,
    lang: str = "zh",
    pdf: bool = False,
    clusters: Sequence[str] = (),
    console: Console | None = None,
    gallery: Path | None = None,
) -> Path:
    """Render the site (and PDFs); see ``clusterpath report --help``. Returns index.html."""
    console = console or Console(quiet=True)
    check_report_dir(out)
    outputs = read_scores_dir(scores_dir)
    to_print = select_pages(list(outputs.records), clusters) if pdf else []
    browser = find_chromium() if pdf else ""
    with atomic_dir(out) as tmp:
        readings = load_readings(gallery) if gallery else None
        pages = render_site(outputs, lang, tmp, readings, final=out)
        printed = print_pages(browser, [pages[k] for k in to_print], tmp / "pdf")
    console.print(
        f"wrote {escape(str(out))}/: index.html, method.html, {len(pages):,} cluster pages"
        + (f", {len(printed):,} PDFs in pdf/" if printed else "")
    )
    index = (out / "index.html").resolve()
    console.print(str(index), markup=False, highlight=False, soft_wrap=True)
    return index
