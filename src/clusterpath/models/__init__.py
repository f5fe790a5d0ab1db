"""models stage of clusterpath."""
