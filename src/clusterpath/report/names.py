"""File names of the site, derived from cluster ids that the report does not control.

An id comes from the extract; it may hold ``/``, ``..`` or markup. A page name keeps only
ASCII letters, digits, ``_`` and ``-``, so no id can leave the output folder or make a hidden
file; an id that had to be changed gets a short hash of the original, so two ids that clean
to the same text still get two pages.
"""

from __future__ import annotations

import hashlib
import re

UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
MAX_STEM = 60
CLUSTER_FOLDER = "clusters"


def page_stem(cluster_id: object, year: int) -> str:
    """``C0001``, 2021 -> ``C0001-2021``; ``../../x``, 2021 -> ``x-<hash>-2021``."""
    raw = str(cluster_id)
    clean = UNSAFE.sub("_", raw).strip("_-")[:MAX_STEM] or "cluster"
    if clean != raw:
        clean = f"{clean}-{hashlib.sha256(raw.encode('utf-8')).hexdigest()[:8]}"
    return f"{clean}-{int(year)}"


def cluster_page(cluster_id: object, year: int) -> str:
    """Path of a cluster-year's page, relative to the site's root."""
    return f"{CLUSTER_FOLDER}/{page_stem(cluster_id, year)}.html"
