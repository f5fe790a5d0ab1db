"""Render a site into a folder: index, method page, one page per cluster-year, one stylesheet.

Jinja2 escapes every value (``autoescape=True``, for HTML and the inline SVG alike), and
undefined names fail the build instead of printing blanks. Files are written into the folder
given, which the caller makes a temporary one and swaps in whole.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from clusterpath.report.cluster_page import cluster_context, documented_reading
from clusterpath.report.context import SiteData, site_data
from clusterpath.report.inputs import Key, ScoreOutputs
from clusterpath.report.names import CLUSTER_FOLDER
from clusterpath.report.overview import index_context, method_context
from clusterpath.report.readings import Reading, note_href
from clusterpath.report.text import load_text

STATIC = Path(__file__).parent / "static"
MARKER = ".clusterpath-report"
TOP_LEVEL = ("index.html", "method.html", CLUSTER_FOLDER, "assets", "pdf", MARKER)


def environment() -> Environment:
    return Environment(
        loader=PackageLoader("clusterpath.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _common(site: SiteData) -> dict:
    model = site.outputs.model
    return {
        "t": site.t,
        "lang": site.lang,
        "paper": site.outputs.document.get("paper", ""),
        "model": {"name": model.get("name", ""), "version": model.get("version", "")},
        "fingerprint": site.outputs.document.get("extract_fingerprint", ""),
    }


def render_site(
    outputs: ScoreOutputs,
    lang: str,
    folder: Path,
    readings: dict[str, Reading] | None = None,
    final: Path | None = None,
) -> dict[Key, Path]:
    """Write the whole site for ``lang`` into ``folder``; return each cluster-year's page.

    ``readings``: documented readings shown beside the recommendation of those clusters;
    ``final``: the folder the site ends up in (links to the notes are relative to it)."""
    readings = readings or {}
    site = site_data(outputs, load_text(lang))
    env, common = environment(), _common(site)
    (folder / CLUSTER_FOLDER).mkdir(parents=True, exist_ok=True)
    shutil.copytree(STATIC, folder / "assets", dirs_exist_ok=True)
    _write(
        folder / "index.html",
        env.get_template("index.html").render(**common, **index_context(site)),
    )
    _write(
        folder / "method.html",
        env.get_template("method.html").render(**common, **method_context(site)),
    )
    page = env.get_template("cluster.html")
    written = {}
    for key in site.rows:
        written[key] = folder / site.page(key)
        reading = readings.get(str(key[0]))
        shown = None
        if reading is not None:
            target = (final or folder) / site.page(key)
            note = note_href(reading, target.parent)
            shown = documented_reading(site, site.rows[key], reading, note)
        _write(written[key], page.render(**common, **cluster_context(site, key, shown)))
    (folder / MARKER).write_text("site written by clusterpath report\n", encoding="utf-8")
    return written


def _write(target: Path, html: str) -> None:
    target.write_text(html, encoding="utf-8")
