"""clusterpath: recommend an innovation path for each strategic-emerging-industry cluster."""

__version__ = "0.1.0"
