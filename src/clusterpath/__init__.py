"""clusterpath: recommend an innovation path for each strategic-emerging-industry cluster."""

import os

__version__ = "0.1.0"

# MLflow 3 sends usage telemetry over the network unless told not to. clusterpath makes no
# network call its user did not ask for (a tracking URI is asked for; telemetry is not). An
# explicit setting in the environment wins.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
