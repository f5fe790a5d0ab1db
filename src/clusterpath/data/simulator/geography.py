"""Cluster identities: city, province, SEI domain and a unique name, from ``cities.yaml``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from clusterpath.data.reference import Reference
from clusterpath.resources import Declared, locate, read_yaml

_NUMERALS = "一二三四五六七八九十"


@dataclass(frozen=True)
class City:
    city: str
    province: str
    name_en: str
    weight: float
    clusters: tuple[tuple[str, str], ...]  # (domain code, field name_zh)
    lon: float  # city centre, degrees east (the report's map places clusters there)
    lat: float


@dataclass(frozen=True)
class Geography:
    """The cities table with the name fields of each domain."""

    cities: tuple[City, ...]
    fields: dict[str, tuple[tuple[str, str], ...]]  # domain -> ((zh, en), ...)
    domain_weights: dict[str, float]


@dataclass(frozen=True)
class ClusterIdentity:
    cluster_id: str
    name: str
    name_en: str
    province: str
    city: str
    domain: str


def load_geography(reference: Reference, path: Path | None = None) -> Geography:
    """Read ``cities.yaml`` and check its domains and fields against ``domains.yaml``."""
    path = path or locate(Declared.REFERENCE) / "cities.yaml"
    raw = read_yaml(path)
    fields = {d: tuple((zh, en) for zh, en in rows) for d, rows in raw["fields"].items()}
    cities = tuple(
        City(
            c["city"],
            c["province"],
            c["name_en"],
            float(c["weight"]),
            tuple((d, f) for d, f in c["clusters"]),
            float(c["lon"]),
            float(c["lat"]),
        )
        for c in raw["cities"]
    )
    geo = Geography(cities, fields, {k: float(v) for k, v in raw["domain_weights"].items()})
    known = set(reference.domain_codes)
    for domain in set(geo.fields) | set(geo.domain_weights):
        if domain not in known:
            raise ValueError(f"cities.yaml: domain {domain!r} not in domains.yaml")
    for city in geo.cities:
        for domain, field in city.clusters:
            if field not in {zh for zh, _ in geo.fields.get(domain, ())}:
                raise ValueError(f"cities.yaml: {city.city} {field!r} is not a {domain} field")
    return geo


def _suffix(k: int) -> tuple[str, str]:
    zh = _NUMERALS[k - 1] if k <= len(_NUMERALS) else str(k)
    return f"({zh})", f" {k}"


def iter_identities(geo: Geography, seed: int) -> Iterator[ClusterIdentity]:
    """Yield cluster identities without end, deterministic given ``seed``.

    The listed first-batch-like clusters come first in a seed-shuffled order; after them a
    city is drawn by weight and a domain by ``domain_weights``. Repeated names get "(二)" etc.
    """
    rng = np.random.default_rng([seed, 7_919])
    listed = [(c, d, f) for c in geo.cities for d, f in c.clusters]
    order = rng.permutation(len(listed))
    city_p = np.array([c.weight for c in geo.cities])
    city_p /= city_p.sum()
    domains = list(geo.domain_weights)
    dom_p = np.array([geo.domain_weights[d] for d in domains])
    dom_p /= dom_p.sum()
    english = {d: dict(rows) for d, rows in geo.fields.items()}
    seen: dict[str, int] = {}
    index = 0
    while True:
        if index < len(listed):
            city, domain, field = listed[order[index]]
        else:
            city = geo.cities[rng.choice(len(geo.cities), p=city_p)]
            domain = domains[rng.choice(len(domains), p=dom_p)]
            field = geo.fields[domain][rng.integers(len(geo.fields[domain]))][0]
        base = f"{city.city}{field}产业集群"
        seen[base] = seen.get(base, 0) + 1
        zh_sfx, en_sfx = _suffix(seen[base]) if seen[base] > 1 else ("", "")
        index += 1
        yield ClusterIdentity(
            cluster_id=f"C{index:04d}",
            name=base + zh_sfx,
            name_en=f"{city.name_en} {english[domain][field]} Cluster{en_sfx}",
            province=city.province,
            city=city.city,
            domain=domain,
        )
