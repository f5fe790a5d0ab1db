"""explain stage of clusterpath."""
