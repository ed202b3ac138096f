"""Charts drawn on the server as SVG: they need no JavaScript, print well and scale.

Every chart has a title and a description for screen readers (role="img"), and the pages put
the same numbers in a table beside it. Functions return markup that is safe to insert (every
text is escaped here).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from html import escape

import h3

WIDTH, HEIGHT = 720, 240
PAD_LEFT, PAD_BOTTOM, PAD_TOP, PAD_RIGHT = 48, 28, 12, 12
# GOV.UK colours: blue for intake, dark grey for the comparison.
BLUE, GREY, LIGHT = "#1d70b8", "#505a5f", "#b1b4b6"
# Sequential scale for the hex map, light to dark (GOV.UK palette, 5 steps).
SCALE = ("#d2e2f1", "#a5c5e3", "#5694ca", "#1d70b8", "#003078")


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _frame(
    chart_id: str,
    title: str,
    description: str,
    body: list[str],
    width: int = WIDTH,
    height: int = HEIGHT,
) -> str:
    return (
        f'<svg class="ts-chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>' + "".join(body) + "</svg>"
    )


def _axes(top: float, label_every: Sequence[tuple[float, str]]) -> list[str]:
    body = []
    bottom = HEIGHT - PAD_BOTTOM
    for i in range(5):
        value = top * i / 4
        y = bottom - (bottom - PAD_TOP) * i / 4
        body.append(
            f'<line x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{LIGHT}" stroke-width="1"/>'
        )
        body.append(
            f'<text x="{PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" '
            f'font-size="12" fill="#0b0c0c">{value:,.0f}</text>'
        )
    for x, text in label_every:
        body.append(
            f'<text x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle" font-size="12" '
            f'fill="#0b0c0c">{escape(text)}</text>'
        )
    return body


def _month_labels(days: Sequence[dt.date], x_of) -> list[tuple[float, str]]:
    """A label where each month starts (every second or third month over long periods)."""
    starts = [i for i, day in enumerate(days) if i == 0 or day.month != days[i - 1].month]
    step = 1 if len(starts) <= 7 else 2 if len(starts) <= 14 else 3
    labels = []
    for n, i in enumerate(starts):
        if n % step == 0:
            day = days[i]
            labels.append((x_of(i), day.strftime("%b %Y" if day.month == 1 or n == 0 else "%b")))
    return labels


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    points: Sequence[tuple[dt.date, int]],
    *,
    colour: str = BLUE,
) -> str:
    if not points:
        return _frame(chart_id, title, description, [])
    top = _nice_max(max(v for _, v in points))
    inner = WIDTH - PAD_LEFT - PAD_RIGHT
    height = HEIGHT - PAD_BOTTOM - PAD_TOP
    slot = inner / len(points)
    bar = max(slot * 0.8, 0.6)
    body = _axes(top, _month_labels([d for d, _ in points], lambda i: PAD_LEFT + slot * (i + 0.5)))
    for i, (day, value) in enumerate(points):
        h = height * value / top
        body.append(
            f'<rect x="{PAD_LEFT + slot * i + (slot - bar) / 2:.2f}" '
            f'y="{HEIGHT - PAD_BOTTOM - h:.2f}" width="{bar:.2f}" height="{h:.2f}" '
            f'fill="{colour}"><title>{day:%d %b %Y}: {value:,}</title></rect>'
        )
    return _frame(chart_id, title, description, body)


def line_chart(
    chart_id: str,
    title: str,
    description: str,
    series: Sequence[tuple[str, str, Sequence[tuple[dt.date, int]]]],
) -> str:
    """`series`: (label, colour, points); all series share the first one's dates."""
    if not series or not series[0][2]:
        return _frame(chart_id, title, description, [])
    days = [d for d, _ in series[0][2]]
    top = _nice_max(max(v for _, _, points in series for _, v in points))
    inner = WIDTH - PAD_LEFT - PAD_RIGHT
    height = HEIGHT - PAD_BOTTOM - PAD_TOP

    def x_of(i: float) -> float:
        return PAD_LEFT + inner * i / max(1, len(days) - 1)

    body = _axes(top, _month_labels(days, x_of))
    for label, colour, points in series:
        path = " ".join(
            f"{x_of(i):.1f},{HEIGHT - PAD_BOTTOM - height * v / top:.1f}"
            for i, (_, v) in enumerate(points)
        )
        body.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" '
            f'stroke-width="2"><title>{escape(label)}</title></polyline>'
        )
    return _frame(chart_id, title, description, body)


def hex_map(
    chart_id: str,
    title: str,
    description: str,
    cells: Sequence[tuple[str, int]],
    *,
    size: int = 420,
) -> str:
    """H3 cells shaded by count (five classes by share of the largest), north up."""
    if not cells:
        return _frame(chart_id, title, description, [], size, size)
    outlines = {cell: h3.cell_to_boundary(cell) for cell, _ in cells}
    lats = [lat for ring in outlines.values() for lat, _ in ring]
    lngs = [lng for ring in outlines.values() for _, lng in ring]
    west, east, south, north = min(lngs), max(lngs), min(lats), max(lats)
    shrink = math.cos(math.radians((south + north) / 2))
    span = max((east - west) * shrink, north - south) or 1
    scale = (size - 20) / span

    def xy(lat: float, lng: float) -> str:
        return f"{10 + (lng - west) * shrink * scale:.1f},{10 + (north - lat) * scale:.1f}"

    top = max(n for _, n in cells)
    body = []
    for cell, count in cells:
        shade = SCALE[min(len(SCALE) - 1, int(len(SCALE) * count / (top + 1)))]
        points = " ".join(xy(lat, lng) for lat, lng in outlines[cell])
        body.append(
            f'<polygon points="{points}" fill="{shade}" stroke="#ffffff" '
            f'stroke-width="0.8"><title>{count:,} reports</title></polygon>'
        )
    return _frame(chart_id, title, description, body, size, size)


def legend_classes(cells: Sequence[tuple[str, int]]) -> list[tuple[str, str]]:
    """(colour, range text) for the hex map's legend."""
    if not cells:
        return []
    top = max(n for _, n in cells) + 1
    classes = []
    for i, colour in enumerate(SCALE):
        low, high = math.ceil(top * i / len(SCALE)), math.ceil(top * (i + 1) / len(SCALE)) - 1
        classes.append((colour, f"{max(low, 1):,} to {high:,}"))
    return classes
