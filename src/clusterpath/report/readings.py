"""The documented readings of gallery clusters, for the pages that show them beside the
recommendation: path, second path, clarity, and where the note and the sources are.

Read from the gallery's specs (``data/gallery/<slug>/cluster.yaml``), never from the
scores: the recommendation and the reading it is compared with stay two separate records.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from clusterpath.data.gallery.spec import load_specs


@dataclass(frozen=True)
class Reading:
    cluster_id: str
    path: str
    second_path: str | None
    clarity: str
    note: Path  # the cluster's note (README.md beside its spec)
    sources: tuple[tuple[str, str], ...]  # (key, address); sources without one are in the note


def load_readings(gallery: Path) -> dict[str, Reading]:
    """Readings of every built gallery cluster, by cluster id."""
    return {
        s.cluster_id: Reading(
            s.cluster_id,
            s.labels.path,
            s.labels.second_path,
            s.labels.clarity,
            (gallery / s.slug / "README.md").resolve(),
            tuple((k, u) for k, u in s.sources.items() if u.startswith("http")),
        )
        for s in load_specs(gallery)
        if s.built
    }


def note_href(reading: Reading, page_folder: Path) -> str:
    """The note's address relative to the folder a page is finally written to."""
    return Path(os.path.relpath(reading.note, page_folder.resolve())).as_posix()
