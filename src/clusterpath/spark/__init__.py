"""Apache Spark: a guarded session, extracts read where they lie, scoring on the cluster."""
