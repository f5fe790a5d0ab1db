"""Allow ``python -m clusterpath``."""

from clusterpath.cli import app

app(prog_name="clusterpath")
