"""Page names that ids cannot subvert, and chart geometry worked out by hand."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clusterpath.report.charts import (
    DOWN,
    TOTAL,
    UP,
    Bar,
    bar_chart,
    text_width,
    waterfall_bars,
)
from clusterpath.report.names import cluster_page, page_stem

SAFE_STEM = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*-\d{4}$")


def test_plain_ids_keep_their_name():
    assert page_stem("C0001", 2021) == "C0001-2021"
    assert cluster_page("C0001", 2021) == "clusters/C0001-2021.html"


@pytest.mark.parametrize("raw", ["../../x", "x/..", "<script>x", ".hidden", "/etc/passwd", "集群"])
def test_unsafe_ids_are_cleaned_and_marked(raw):
    stem = page_stem(raw, 2021)
    assert SAFE_STEM.match(stem), stem
    assert ".." not in stem and "/" not in stem
    assert re.search(r"-[0-9a-f]{8}-2021$", stem)


def test_ids_that_clean_alike_get_different_pages():
    assert page_stem("../x", 2021) != page_stem("x/", 2021)
    assert page_stem("a b", 2021) != page_stem("a_b", 2021)


@given(st.text(max_size=200), st.integers(1950, 2100))
def test_any_id_gives_a_tame_file_name(raw, year):
    stem = page_stem(raw, year)
    assert SAFE_STEM.match(stem)
    assert len(stem) <= 60 + 9 + 5


def test_bar_chart_places_bars_around_zero():
    chart = bar_chart("t", [Bar("up", 0, 1, "#000", "1"), Bar("down", 0, -1, "#000", "-1")])
    # short labels get the 80 px minimum; 720 - 80 - 72 for value texts = 568 px for a span of 2
    assert chart.label_width == 80 and chart.zero_x == 364.0
    up, down = chart.rows
    assert (up.x, up.width) == (364.0, 284.0)
    assert (down.x, down.width) == (80.0, 284.0)
    assert up.text_x == 652.0 and down.text_x == 368.0
    assert up.y < down.y and chart.height == 8 + 2 * 30


def test_label_column_fits_the_longest_label_within_a_third():
    assert text_width("研发强度") == 48.0 and text_width("R&D") == pytest.approx(19.8)
    wide = bar_chart("t", [Bar("研发强度" * 3, 0, 1, "#000", "1")])
    assert wide.label_width == 12 * 12 + 16
    cut = bar_chart("t", [Bar("x" * 200, 0, 1, "#000", "1")])
    assert cut.label_width == int(720 * 0.42)
    assert cut.rows[0].label.endswith("…") and cut.rows[0].bar.label == "x" * 200
    assert text_width(cut.rows[0].label) <= cut.label_width - 16


def test_waterfall_starts_at_base_and_ends_at_the_sum():
    bars = waterfall_bars([("a", 1.0), ("b", -0.25)], "base", "score")
    assert [(b.label, b.start, b.end) for b in bars] == [
        ("base", 0.0, 0.0),
        ("a", 0.0, 1.0),
        ("b", 1.0, 0.75),
        ("score", 0.0, 0.75),
    ]
    assert [b.colour for b in bars[1:]] == [UP, DOWN, TOTAL]
    assert [b.text for b in bars[1:]] == ["+1.00", "-0.25", "+0.75"]


def test_waterfall_from_a_base_value_ends_at_base_plus_contributions():
    bars = waterfall_bars([("a", 0.5), ("b", -2.0)], "base", "score", base_value=-1.5)
    assert [(b.label, b.start, b.end) for b in bars] == [
        ("base", 0.0, -1.5),
        ("a", -1.5, -1.0),
        ("b", -1.0, -3.0),
        ("score", 0.0, -3.0),
    ]
    assert bars[0].text == "-1.50" and bars[-1].text == "-3.00"
