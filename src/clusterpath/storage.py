"""Atomic writes: an output either appears whole under its final name or not at all.

Batch jobs are killed, disks fill up; a reader must never see half a file. Everything is
written to a temporary name in the target's own folder (so the rename stays on one file
system), flushed to disk, then renamed over the target in one step.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it to ``target`` if the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(target)
    fd, tmp_name = tempfile.mkstemp(prefix=_scratch(target), suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        _fsync_file(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_dir(target: Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``target``; swap it in for ``target`` on success.

    An existing ``target`` is moved aside first and deleted only once the new folder is in
    place, so a failure at any point leaves the previous output whole.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(target)
    tmp = Path(tempfile.mkdtemp(prefix=_scratch(target), suffix=".tmp", dir=target.parent))
    try:
        yield tmp
        old = None
        if target.exists():
            old = Path(
                tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent)
            )
            os.replace(target, old / target.name)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _scratch(target: Path) -> str:
    """``.<name>.<pid>.``: the process id lets a later run clear what a killed one left."""
    return f".{target.name}.{os.getpid()}."


def sweep_stale(target: Path) -> None:
    """Delete the scratch copies beside ``target`` whose process no longer runs (a job killed
    with SIGKILL cannot clean up). ``.old`` folders are left alone: a kill between the two
    renames of ``atomic_dir`` leaves the previous outputs there, and only there."""
    stem = f".{target.name}."
    scratch = re.compile(r"(\d+)\.[^.]+\.tmp")
    for sibling in target.parent.glob(glob.escape(stem) + "*.tmp"):
        found = scratch.fullmatch(sibling.name[len(stem) :])
        if found is None or _running(int(found.group(1))):
            continue
        if sibling.is_dir():
            shutil.rmtree(sibling, ignore_errors=True)
        else:
            sibling.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):  # another user's process; not a process id
        return True
    return True


def _fsync_file(path: Path) -> None:
    with path.open("rb") as fh:
        os.fsync(fh.fileno())


def write_parquet(
    frame: pd.DataFrame, target: Path, metadata: dict[str, str] | None = None
) -> None:
    """Write ``frame`` to Parquet atomically, with optional key/value metadata in the footer."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    if metadata:
        merged = {
            **(table.schema.metadata or {}),
            **{k.encode(): v.encode() for k, v in metadata.items()},
        }
        table = table.replace_schema_metadata(merged)
    with atomic_path(target) as tmp:
        pq.write_table(table, tmp)


def write_csv(frame: pd.DataFrame, target: Path, excel_bom: bool = False) -> None:
    """Write UTF-8 CSV atomically; ``excel_bom`` adds the BOM that Excel needs for Chinese."""
    with atomic_path(target) as tmp:
        frame.to_csv(tmp, index=False, encoding="utf-8-sig" if excel_bom else "utf-8")


def write_text(text: str, target: Path) -> None:
    """Write UTF-8 text atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
