"""Explanations: exact TreeSHAP contributions and what they say about a cluster."""
