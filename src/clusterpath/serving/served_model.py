"""MLflow "models from code" entry point for the served path model.

MLflow executes this file when it loads a logged model; clusterpath itself never imports it.
The fitted state is not here but in the model's ``bundle`` artifact (see ``pyfunc.py`` beside it).
"""

from mlflow.models import set_model

from clusterpath.serving.pyfunc import ServedPathModel

set_model(ServedPathModel())
