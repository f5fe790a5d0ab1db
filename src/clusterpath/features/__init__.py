"""features stage of clusterpath."""
