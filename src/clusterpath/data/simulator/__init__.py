"""Simulator of enterprise big-data monitoring extracts for SEI clusters.

Each cluster follows a true innovation path (``labels``) that shapes how its firms, research
bodies, outside partners and links are drawn; see ``docs/simulator.md`` for the assumptions.
"""

from clusterpath.data.simulator.cluster import ClusterFrames, simulate_cluster
from clusterpath.data.simulator.config import (
    ExtractSummary,
    SimulationConfig,
    parse_years,
)
from clusterpath.data.simulator.traits import ClusterPlan, plan_cluster
from clusterpath.data.simulator.writer import iter_clusters, iter_plans, write_extract

__all__ = [
    "ClusterFrames",
    "ClusterPlan",
    "ExtractSummary",
    "SimulationConfig",
    "iter_clusters",
    "iter_plans",
    "parse_years",
    "plan_cluster",
    "simulate_cluster",
    "write_extract",
]
