"""report stage of clusterpath."""
