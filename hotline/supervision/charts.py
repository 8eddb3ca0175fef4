"""Small server-side SVG charts (bars and lines) for the report pages: no script, no outside host.

Every mark carries its data (`data-label`, `data-value`) so tests and screen readers can read
the chart; a missing value (None, e.g. a rate of an empty hour) draws no mark.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

Point = tuple[str, float | None]
Formatter = Callable[[float], str]

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 28, 36
GRID_LINES = 5


@dataclass(frozen=True)
class _Frame:
    """The plotting area and the value scale of one chart."""

    count: int
    top_value: float

    @property
    def inner_width(self) -> float:
        return WIDTH - LEFT - RIGHT

    @property
    def inner_height(self) -> float:
        return HEIGHT - TOP - BOTTOM

    def slot(self) -> float:
        return self.inner_width / max(self.count, 1)

    def x_center(self, index: int) -> float:
        return LEFT + self.slot() * (index + 0.5)

    def y(self, value: float) -> float:
        share = 0.0 if self.top_value <= 0 else min(value / self.top_value, 1.0)
        return TOP + self.inner_height * (1 - share)


def number(value: float) -> str:
    """A count or a number of seconds, without needless decimals."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def percent(value: float) -> str:
    """A rate in [0, 1] as a percentage."""
    return f"{value * 100:.1f}%"


def nice_ceiling(value: float) -> float:
    """A round number at or above value (1, 2, 2.5 or 5 × 10^n) for the top of an axis."""
    if value <= 0:
        return 1.0
    step = 1.0
    while step * 10 <= value:
        step *= 10
    while step > value:
        step /= 10
    for factor in (1, 2, 2.5, 5, 10):
        if step * factor >= value:
            return step * factor
    return step * 10  # pragma: no cover - the loop above always returns


def bar_chart(
    points: Sequence[Point],
    *,
    chart_id: str,
    title: str,
    fmt: Formatter = number,
    min_top: float = 0.0,
) -> Markup:
    """Vertical bars, one per point, on a zero-based axis reaching at least `min_top`."""
    values = [value for _, value in points if value is not None]
    frame = _Frame(len(points), max(nice_ceiling(max(values, default=0)), min_top))
    marks = []
    width = frame.slot() * 0.7
    for index, (label, value) in enumerate(points):
        if value is None:
            continue
        y = frame.y(value)
        marks.append(
            f'<rect class="bar" x="{frame.x_center(index) - width / 2:.1f}" y="{y:.1f}" '
            f'width="{width:.1f}" height="{TOP + frame.inner_height - y:.1f}" '
            f'data-label="{escape(label)}" data-value="{value:g}">'
            f"<title>{escape(label)}: {escape(fmt(value))}</title></rect>"
        )
    return _svg(points, frame, marks, chart_id, title, fmt, "bar")


def line_chart(
    points: Sequence[Point], *, chart_id: str, title: str, fmt: Formatter = percent,
    top_value: float | None = 1.0,
) -> Markup:  # fmt: skip
    """A line through the points (broken where a value is missing), with a dot on each."""
    values = [value for _, value in points if value is not None]
    top = top_value if top_value is not None else nice_ceiling(max(values, default=0))
    frame = _Frame(len(points), top)
    segments: list[list[str]] = [[]]
    dots = []
    for index, (label, value) in enumerate(points):
        if value is None:
            segments.append([])
            continue
        x, y = frame.x_center(index), frame.y(value)
        segments[-1].append(f"{x:.1f},{y:.1f}")
        dots.append(
            f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3" '
            f'data-label="{escape(label)}" data-value="{value:g}">'
            f"<title>{escape(label)}: {escape(fmt(value))}</title></circle>"
        )
    lines = [
        f'<polyline class="line" fill="none" points="{" ".join(segment)}"/>'
        for segment in segments
        if len(segment) > 1
    ]
    return _svg(points, frame, lines + dots, chart_id, title, fmt, "line")


def _svg(
    points: Sequence[Point],
    frame: _Frame,
    marks: list[str],
    chart_id: str,
    title: str,
    fmt: Formatter,
    kind: str,
) -> Markup:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" '
        f'id="{escape(chart_id)}" data-chart="{escape(chart_id)}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text class="chart-title" x="{LEFT}" y="16">{escape(title)}</text>',
    ]
    for step in range(GRID_LINES + 1):
        value = frame.top_value * step / GRID_LINES
        y = frame.y(value)
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="y-label" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(fmt(value))}</text>"
        )
    every = max(1, -(-len(points) // 12))  # at most about 12 axis labels
    for index, (label, _) in enumerate(points):
        if index % every == 0:
            parts.append(
                f'<text class="x-label" x="{frame.x_center(index):.1f}" '
                f'y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{escape(label)}</text>'
            )
    if not any(value is not None for _, value in points):
        parts.append(
            f'<text class="chart-empty" x="{WIDTH / 2}" y="{HEIGHT / 2}" '
            f'text-anchor="middle">暂无数据</text>'
        )
    parts.extend(marks)
    parts.append("</svg>")
    return Markup("".join(parts))
