"""The served model: MLflow's pyfunc answering each row as ``clusterpath score`` does."""
