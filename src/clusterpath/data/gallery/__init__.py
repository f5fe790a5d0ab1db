"""The gallery: extracts of real clusters built from public sources.

Each cluster is declared in ``data/gallery/<slug>/cluster.yaml``: the named entities and
relations the public record documents (founding years, ownership, output, who brought whom
in) and the shape of the unnamed firms around them. ``build_gallery`` turns the specs into
one contract extract and a markdown note per cluster, deterministically (seeded).
"""
