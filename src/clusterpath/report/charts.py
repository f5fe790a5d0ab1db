"""Geometry of the report's charts, drawn as SVG by ``templates/charts.html``.

Every chart is a few bars or dots, so the SVG is written by hand rather than by a plotting
library: text stays text (the reader's browser picks a CJK font, nothing is embedded), the
output is the same bytes for the same inputs, and 1,000 pages render in seconds. This
module only computes positions in pixels; the templates escape every label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#e15759", "#76b7b2", "#9c755f")
UP, DOWN, TOTAL, NEUTRAL = "#3b8a5a", "#c8553d", "#44546a", "#9aa5b1"
ROW, GAP, TEXT_MARGIN = 22, 8, 72
LABEL_SHARE = 0.42


def path_colours(codes: Sequence[str]) -> dict[str, str]:
    """One colour per path, by the paths' order in the reference table."""
    return {code: PALETTE[i % len(PALETTE)] for i, code in enumerate(codes)}


@dataclass(frozen=True)
class Bar:
    """One row of a horizontal bar chart, in data units; ``text`` is printed beside it."""

    label: str
    start: float
    end: float
    colour: str
    text: str
    muted: bool = False


@dataclass(frozen=True)
class PlacedBar:
    bar: Bar
    label: str
    x: float
    y: float
    width: float
    text_x: float


@dataclass(frozen=True)
class BarChart:
    title: str
    width: int
    height: int
    label_width: int
    row: int
    zero_x: float
    rows: tuple[PlacedBar, ...]


def text_width(text: str, size: float = 12.0) -> float:
    """Rough width in pixels of a label: CJK characters are square, Latin about half that."""
    return sum(size if ord(ch) > 0x2E7F else 0.55 * size for ch in text)


def shorten(text: str, room: float) -> str:
    """``text``, or as much of it as fits in ``room`` pixels followed by an ellipsis."""
    if text_width(text) <= room:
        return text
    while text and text_width(text + "…") > room:
        text = text[:-1]
    return text.rstrip() + "…"


def bar_chart(title: str, bars: Sequence[Bar], width: int = 720) -> BarChart:
    """Place bars between the smallest and largest value shown (0 always included).

    The label column is as wide as the longest label (the SVG cannot measure text, so
    ``text_width`` estimates it), within ``LABEL_SHARE`` of the chart; a longer label is
    cut with an ellipsis on the chart (the template keeps it whole in a tooltip).
    """
    longest = max((text_width(b.label) for b in bars), default=0.0)
    label_width = int(min(max(longest + 16, 80), width * LABEL_SHARE))
    lo = min([0.0, *(min(b.start, b.end) for b in bars)])
    hi = max([0.0, *(max(b.start, b.end) for b in bars)])
    span = (hi - lo) or 1.0
    plot = width - label_width - TEXT_MARGIN

    def px(value: float) -> float:
        return round(label_width + (value - lo) / span * plot, 1)

    placed = tuple(
        PlacedBar(
            b,
            label=shorten(b.label, label_width - 16),
            x=px(min(b.start, b.end)),
            y=GAP + i * (ROW + GAP),
            width=max(round(abs(b.end - b.start) / span * plot, 1), 1.0),
            text_x=px(max(b.start, b.end)) + 4,
        )
        for i, b in enumerate(bars)
    )
    height = GAP + len(bars) * (ROW + GAP)
    return BarChart(title, width, height, label_width, ROW, px(0.0), placed)


def waterfall_bars(
    steps: Sequence[tuple[str, float]], base: str, total: str, base_value: float = 0.0
) -> list[Bar]:
    """The base value, each (label, contribution) from where the last ended, then the total."""
    bars = [Bar(base, 0.0, base_value, NEUTRAL, f"{base_value:+.2f}")]
    level = base_value
    for label, value in steps:
        bars.append(Bar(label, level, level + value, UP if value >= 0 else DOWN, f"{value:+.2f}"))
        level += value
    bars.append(Bar(total, 0.0, level, TOTAL, f"{level:+.2f}"))
    return bars


@dataclass(frozen=True)
class Lane:
    label: str
    y: float


@dataclass(frozen=True)
class Column:
    label: str
    x: float
    href: str
    current: bool


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    r: float
    colour: str
    title: str


@dataclass(frozen=True)
class Timeline:
    title: str
    width: int
    height: int
    label_width: int
    lanes: tuple[Lane, ...]
    columns: tuple[Column, ...]
    dots: tuple[Dot, ...]


@dataclass(frozen=True)
class YearPoint:
    """One scored year of a cluster: its page, and its path (lane) with that path's probability."""

    year: int
    href: str
    lane: int | None
    probability: float
    colour: str
    title: str
    current: bool


def timeline(
    title: str, lanes: Sequence[str], points: Sequence[YearPoint], label_width: int = 170
) -> Timeline:
    """A lane per path, a column per year, a dot (area ~ probability) on the year's path."""
    step = 64
    width = label_width + step * len(points) + GAP
    ys = [GAP + ROW / 2 + i * ROW for i in range(len(lanes))]
    xs = [label_width + step * (i + 0.5) for i in range(len(points))]
    dots = tuple(
        Dot(x, ys[p.lane], round(3 + 7 * p.probability**0.5, 1), p.colour, p.title)
        for x, p in zip(xs, points, strict=True)
        if p.lane is not None
    )
    columns = tuple(
        Column(str(p.year), x, p.href, p.current) for x, p in zip(xs, points, strict=True)
    )
    height = int(GAP + ROW * len(lanes) + 2 * ROW)
    return Timeline(
        title,
        width,
        height,
        label_width,
        tuple(Lane(label, y) for label, y in zip(lanes, ys, strict=True)),
        columns,
        dots,
    )
