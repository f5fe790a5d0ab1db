"""Analyst reports: a static site (and PDFs) from the outputs of ``clusterpath score``.

``inputs`` reads a scores folder; ``profiles`` places each cluster among its peers;
``context``, ``overview`` and ``cluster_page`` turn both into what each page prints, in the
language of ``strings.yaml``; ``charts`` lays out the SVG; ``site`` renders the Jinja2
templates; ``pdf`` prints pages with headless Chromium. ``pipelines.report`` wires them.
"""
