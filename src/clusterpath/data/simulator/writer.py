"""``write_extract``: stream simulated clusters to Parquet, swapping the folder in at the end."""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from clusterpath.data.reference import Reference, load_reference
from clusterpath.data.simulator.cluster import ClusterColumns, cluster_columns
from clusterpath.data.simulator.config import ExtractSummary, SimulationConfig
from clusterpath.data.simulator.geography import iter_identities, load_geography
from clusterpath.data.simulator.traits import ClusterPlan, check_paths, plan_cluster
from clusterpath.storage import atomic_dir

SCHEMAS = {
    "firms": pa.schema(
        [
            ("firm_id", pa.string()),
            ("year", pa.int64()),
            ("cluster_id", pa.string()),
            ("entity_type", pa.string()),
            ("industry_code", pa.string()),
            ("founded_year", pa.int64()),
            ("employees", pa.int64()),
            ("revenue", pa.float64()),
            ("rd_expense", pa.float64()),
            ("invention_patents", pa.int64()),
            ("utility_patents", pa.int64()),
            ("ownership", pa.string()),
            ("hq_outside", pa.bool_()),
            ("listed", pa.bool_()),
            ("vc_funding", pa.float64()),
        ]
    ),
    "links": pa.schema(
        [
            ("source_id", pa.string()),
            ("target_id", pa.string()),
            ("year", pa.int64()),
            ("link_type", pa.string()),
            ("weight", pa.float64()),
        ]
    ),
    "clusters": pa.schema(
        [
            ("cluster_id", pa.string()),
            ("name", pa.string()),
            ("name_en", pa.string()),
            ("province", pa.string()),
            ("city", pa.string()),
            ("domain", pa.string()),
            ("world", pa.string()),
        ]
    ),
    "labels": pa.schema(
        [
            ("cluster_id", pa.string()),
            ("year", pa.int64()),
            ("path", pa.string()),
            ("source", pa.string()),
        ]
    ),
}


def iter_plans(config: SimulationConfig, reference: Reference) -> Iterator[ClusterPlan]:
    """Cluster plans in order, without end; the caller decides when to stop."""
    check_paths(reference)
    identities = iter_identities(load_geography(reference), config.seed)
    for index, identity in enumerate(identities):
        yield plan_cluster(index, identity, config)


def iter_clusters(
    config: SimulationConfig, reference: Reference | None = None
) -> Iterator[ClusterColumns]:
    """Simulate clusters one by one, as many as ``config`` asks for."""
    reference = reference or load_reference()
    firm_no, partner_no, rows = 1, 1, 0
    for plan in iter_plans(config, reference):
        if config.target_firm_rows is None and plan.index >= config.n_clusters:
            return
        if config.target_firm_rows is not None and rows >= config.target_firm_rows:
            return
        frames = cluster_columns(plan, reference, config, firm_no, partner_no)
        firm_no += frames.firm_ids_used
        partner_no += frames.partner_ids_used
        rows += len(frames.firms["year"])
        yield frames


class _Buffered:
    """A Parquet writer that gathers small tables into row groups of ``rows`` rows."""

    def __init__(self, path: Path, schema: pa.Schema, rows: int) -> None:
        self.writer = pq.ParquetWriter(path, schema, compression="zstd")
        self.schema, self.rows, self.parts, self.pending = schema, rows, [], 0

    def add(self, columns: dict) -> int:
        table = pa.table(columns, schema=self.schema)
        self.parts.append(table)
        self.pending += table.num_rows
        if self.pending >= self.rows:
            self.flush()
        return table.num_rows

    def flush(self) -> None:
        if self.parts:
            self.writer.write_table(pa.concat_tables(self.parts))
        self.parts, self.pending = [], 0

    def close(self) -> None:
        self.flush()
        self.writer.close()


def _expected_clusters(config: SimulationConfig, counts: Counter) -> int:
    if config.target_firm_rows is None:
        return config.n_clusters
    done = counts["clusters"]
    per_cluster = counts["firms"] / done
    return max(done, done + math.ceil((config.target_firm_rows - counts["firms"]) / per_cluster))


def write_extract(
    config: SimulationConfig,
    out_dir: Path,
    progress: Callable[[int, int], None] | None = None,
) -> ExtractSummary:
    """Simulate an extract into ``out_dir`` (firms, links, clusters, labels as Parquet).

    Clusters are generated and written one at a time, so memory stays bounded whatever the
    size. The tables are written into a temporary folder beside ``out_dir`` that replaces it
    only once complete; an existing ``out_dir`` is kept until then. ``progress(done, total)``
    is called after each cluster; when running to ``target_firm_rows``, ``total`` is the
    number of clusters expected from the rows per cluster so far.
    """
    started = time.perf_counter()
    out_dir = Path(out_dir)
    counts = Counter()
    paths: Counter[str] = Counter()
    worlds: Counter[str] = Counter()
    with atomic_dir(out_dir) as tmp:
        writers = {
            name: _Buffered(
                tmp / f"{name}.parquet",
                schema,
                config.row_group_rows * (5 if name == "links" else 1),
            )
            for name, schema in SCHEMAS.items()
        }
        try:
            for frames in iter_clusters(config):
                for name in SCHEMAS:
                    counts[name] += writers[name].add(getattr(frames, name))
                paths.update(frames.labels["path"].tolist())
                worlds.update(frames.clusters["world"].tolist())
                if progress is not None:
                    progress(counts["clusters"], _expected_clusters(config, counts))
        finally:
            for writer in writers.values():
                writer.close()
    return ExtractSummary(
        out_dir=out_dir,
        n_clusters=counts["clusters"],
        years=config.years,
        firm_rows=counts["firms"],
        link_rows=counts["links"],
        label_rows=counts["labels"],
        path_counts=dict(sorted(paths.items())),
        world_counts=dict(sorted(worlds.items())),
        seconds=round(time.perf_counter() - started, 3),
    )
