"""Job: write a simulated extract and say what it holds."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from clusterpath.data.simulator import SimulationConfig, parse_years, write_extract


def run_simulate(
    out: Path,
    clusters: int,
    years: str,
    seed: int,
    target_firm_rows: int | None,
    console: Console,
    world: str = "random",
) -> None:
    """Simulate an extract into ``out`` (replaced whole, atomically) with a progress bar."""
    config = SimulationConfig(
        n_clusters=clusters,
        years=parse_years(years),
        seed=seed,
        target_firm_rows=target_firm_rows,
        world=world,
    )
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("simulating clusters", total=None)
        summary = write_extract(
            config, out, progress=lambda n, total: bar.update(task, completed=n, total=total)
        )
    paths = ", ".join(f"{code} {n}" for code, n in sorted(summary.path_counts.items()))
    console.print(
        f"[green]wrote[/green] {out}: {summary.n_clusters} clusters, years "
        f"{summary.years[0]}-{summary.years[1]}, {summary.firm_rows:,} firm-rows, "
        f"{summary.link_rows:,} links, {summary.label_rows:,} labels ({paths}) "
        f"in {summary.seconds:.1f} s"
    )
    worlds = ", ".join(f"{name} {n}" for name, n in summary.world_counts.items())
    console.print(f"clusters per world: {worlds}")
