"""Print pages to PDF with headless Chromium, the same engine the browser tests use.

Chromium lays out the page exactly as an analyst's browser would (CJK fonts, inline SVG,
the print stylesheet), so the PDF matches the site. One process per page keeps a crash
to one file; each is given a time limit so a hung browser cannot stall a batch job.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
TIMEOUT_SECONDS = 120


class BrowserMissing(RuntimeError):
    """No headless Chromium on the PATH (``make browser`` installs Debian's)."""


def find_chromium() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserMissing(
        "no Chromium found on the PATH (tried " + ", ".join(BROWSERS) + "); "
        "install it with `make browser` or `apt-get install chromium`"
    )


def print_pdf(browser: str, page: Path, target: Path) -> None:
    """Print one HTML file to ``target``; raise if Chromium fails or writes nothing."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="clusterpath-chromium-") as profile:
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-pdf-header-footer",
                f"--user-data-dir={profile}",
                f"--print-to-pdf={target}",
                page.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
        )
    if not target.is_file() or target.stat().st_size == 0:
        raise RuntimeError(f"Chromium wrote no PDF for {page}")


def print_pages(browser: str, pages: Iterable[Path], folder: Path) -> list[Path]:
    """Print each page to ``folder/<page name>.pdf``."""
    written = []
    for page in pages:
        target = folder / f"{page.stem}.pdf"
        print_pdf(browser, page, target)
        written.append(target)
    return written
