"""Horizontal bar charts, laid out here and drawn as inline SVG by a template.

Server-side and script-free: the page works without JavaScript, prints,
and carries the same numbers in a table beside each chart for screen
readers. Geometry is integer pixels in a fixed view box, so a chart's
bytes depend only on its data.
"""

from __future__ import annotations

from collections.abc import Sequence

from dualrandom.publish.shape.contexts import BarChart, ChartBar

__all__ = ["bar_chart"]

WIDTH = 640
BAR_HEIGHT = 22
GAP = 10
VALUE_WIDTH = 150
CHAR_WIDTH = 14  # a CJK character at the chart's 13 px font, rounded up
MAX_LABEL = 300


def _fit(label: str, chars: int) -> str:
    """Cut a long label to its column (the table beside the chart has it whole)."""
    return label if len(label) <= chars else label[: chars - 1] + "…"


def bar_chart(
    chart_id: str, title: str, description: str, bars: Sequence[tuple[str, int, str]]
) -> BarChart:
    """Bars of (label, value, value text); lengths proportional to the largest value."""
    label_width = min(
        MAX_LABEL, 8 + CHAR_WIDTH * max((len(label) for label, _, _ in bars), default=4)
    )
    area = WIDTH - label_width - VALUE_WIDTH
    top = max((value for _, value, _ in bars), default=0) or 1
    laid_out = tuple(
        ChartBar(
            _fit(label, (label_width - 8) // CHAR_WIDTH),
            text,
            GAP + i * (BAR_HEIGHT + GAP),
            max(1, round(area * value / top)) if value else 0,
        )
        for i, (label, value, text) in enumerate(bars)
    )
    height = GAP + len(bars) * (BAR_HEIGHT + GAP)
    return BarChart(
        chart_id, title, description, laid_out, label_width, area, WIDTH, height, BAR_HEIGHT
    )
