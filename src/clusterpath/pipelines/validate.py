"""Job: validate an extract and summarise what it holds."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape

from clusterpath.data.readers import load_extract


def run_validate(folder: Path, console: Console) -> None:
    """Load the extract through the contract and print a one-line summary per table, the
    files read and in what form (CSV encodings as detected), and values read as codes."""
    extract = load_extract(folder)
    firms = extract.firms
    in_clusters = firms["cluster_id"].notna()
    console.print(
        f"[green]valid extract[/green] {escape(str(folder))} (fingerprint {extract.fingerprint})"
    )
    console.print(
        f"  firms: {len(firms):,} rows, {firms.loc[in_clusters, 'firm_id'].nunique():,} "
        f"entities in clusters, {(~in_clusters).sum():,} partner rows outside, "
        f"years {firms['year'].min()}-{firms['year'].max()}"
    )
    console.print(f"  links: {len(extract.links):,} rows")
    console.print(f"  clusters: {len(extract.clusters):,}")
    if extract.labels is not None:
        counts = extract.labels["path"].value_counts().to_dict()
        console.print(f"  labels: {len(extract.labels):,} ({counts})")
    read = ", ".join(f"{r.source.label} ({r.form})" for r in extract.readings.values())
    console.print(f"  read from: {escape(read)}")
    for reading in extract.readings.values():
        for note in reading.notes:
            console.print(f"  {escape(note)}")
