"""pipelines stage of clusterpath."""
