"""data stage of clusterpath."""
