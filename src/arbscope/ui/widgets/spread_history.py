"""The selected route's recent figures as a small braille line chart.

Net bps over the history window, with a zero line; for a statistical route
its z-score instead, with the entry bands (±entry, where a signal opens) and
exit bands (±exit, where it is expected to close). A route is only sampled
while it is open, so gaps in the line are times it was not.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby

from rich.console import RenderableType
from rich.style import Style
from rich.text import Text

from arbscope.models import Kind, Opportunity
from arbscope.ui.format import fmt_age, route_label
from arbscope.ui.history import Sample
from arbscope.ui.palette import Palette
from arbscope.ui.widgets.common import retitle
from arbscope.ui.widgets.line_pane import LinePane

AXIS_WIDTH = 7
DOT_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
"""Braille dot bit by (row 0-3, column 0-1) within one character cell."""


@dataclass(frozen=True)
class Bands:
    entry: float
    exit: float


def plot_points(
    points: Sequence[tuple[float, float]], start: float, end: float, width: int
) -> list[float | None]:
    """One value per horizontal dot: the last sample whose time falls in that dot's slice."""
    values: list[float | None] = [None] * width
    span = end - start
    if width <= 0 or span <= 0:
        return values
    for ts, value in points:
        # A non-finite figure has no place on the plot (and would crash int/round).
        if start <= ts <= end and math.isfinite(value):
            values[min(width - 1, int((ts - start) / span * width))] = value
    return values


def braille_rows(values: Sequence[float | None], low: float, high: float, height: int) -> list[str]:
    """Draw `values` (2 per character) between `low` and `high` on `height` character rows."""
    dots_high = height * 4
    cells = [[0] * ((len(values) + 1) // 2) for _ in range(height)]

    def y_of(value: float) -> int:
        share = (high - value) / (high - low) if high > low else 0.5
        return max(0, min(dots_high - 1, round(share * (dots_high - 1))))

    previous: int | None = None
    for x, value in enumerate(values):
        if value is None:
            previous = None
            continue
        y = y_of(value)
        top, bottom = (y, y) if previous is None else (min(y, previous), max(y, previous))
        for dot_y in range(top, bottom + 1):
            cells[dot_y // 4][x // 2] |= DOT_BITS[dot_y % 4][x % 2]
        previous = y
    return ["".join(chr(0x2800 + bits) if bits else " " for bits in row) for row in cells]


class SpreadHistory(LinePane, can_focus=True):
    """Net bps (or z-score with bands) of the selected route over the last minutes."""

    DEFAULT_CSS = """
    SpreadHistory {
        height: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Spread history"
        self._route: Opportunity | None = None
        self._samples: tuple[Sample, ...] = ()
        self._now = 0.0
        self._window_s = 300.0
        self._bands: Bands | None = None
        self._drawn: tuple[object, ...] = ()

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.redraw(full=True))

    def on_resize(self) -> None:
        self.refresh()

    def show(
        self,
        route: Opportunity | None,
        samples: tuple[Sample, ...],
        now: float,
        window_s: float,
        bands: Bands,
    ) -> None:
        self._route = route
        self._samples = samples
        self._now = now
        self._window_s = window_s
        statistical = route is not None and route.kind is Kind.STATISTICAL
        self._bands = bands if statistical else None
        what = "z-score" if statistical else "net bps"
        label = f" · {route_label(route)}" if route is not None else ""
        retitle(self, f"Spread history · {what}{label}")
        # The chart moves only when a sample arrives (or the window slides a column).
        drawn = (route.route_id if route else None, len(samples),
                 samples[-1].ts if samples else None, round(now / (window_s / 100)))
        if drawn != self._drawn:
            self._drawn = drawn
            self.redraw()

    @property
    def series(self) -> list[tuple[float, float]]:
        """(ts, value) the chart plots: z-scores for a statistical route, else net bps.

        Non-finite figures are left out: they have no height and would break the scale.
        """
        if self._bands is not None:
            return [
                (s.ts, s.z_score)
                for s in self._samples
                if s.z_score is not None and math.isfinite(s.z_score)
            ]
        return [(s.ts, s.net_bps) for s in self._samples if math.isfinite(s.net_bps)]

    def render(self) -> RenderableType:
        palette = Palette.of(self.app)
        muted = palette.fg(palette.muted)
        if self._route is None:
            return Text("Select a route to chart it.", style=muted)
        series = self.series
        if not series:
            return Text("No samples yet: the route has not been open in the window.", style=muted)
        height = max(1, self.content_size.height - 1)
        width = max(2, (self.content_size.width - AXIS_WIDTH) * 2)
        values = [v for _, v in series]
        guides = [0.0]
        if self._bands is not None:
            guides += [self._bands.entry, -self._bands.entry, self._bands.exit, -self._bands.exit]
        low, high = min(values + guides), max(values + guides)
        pad = (high - low) * 0.1 or 1.0
        low, high = low - pad, high + pad
        rows = braille_rows(plot_points(series, self._now - self._window_s, self._now, width),
                            low, high, height)
        guide_rows = self._guide_rows(low, high, height, palette)
        text = Text(no_wrap=True)
        line = palette.fg(palette.pass_ if values[-1] >= 0 else palette.fail)
        labelled = {0, height - 1, *(i for i, (c, _) in guide_rows.items() if c == "─")}
        for index, row in enumerate(rows):
            label = high - (high - low) * index / max(1, height - 1)
            axis = f"{label:>+6.1f} " if index in labelled else " " * AXIS_WIDTH
            text.append(axis, style=muted)
            guide_char, guide_style = guide_rows.get(index, (" ", muted))
            # Runs of guide and of line characters, one span each (not one per cell).
            for is_gap, run in groupby(row, key=lambda char: char == " "):
                chars = "".join(run)
                if is_gap:
                    text.append(guide_char * len(chars), style=guide_style)
                else:
                    text.append(chars, style=line)
            text.append("\n")
        inner = self.content_size.width - AXIS_WIDTH
        last = f"now {values[-1]:+.1f}"
        left = f"-{fmt_age(self._window_s)}"
        text.append(" " * AXIS_WIDTH + left.ljust(max(0, inner - len(last))), style=muted)
        text.append(last, style=line)
        return text

    def _guide_rows(
        self, low: float, high: float, height: int, palette: Palette
    ) -> dict[int, tuple[str, Style]]:
        """Character rows holding the zero line and, for z-scores, the bands."""

        def row_of(value: float) -> int:
            return round((high - value) / (high - low) * (height - 1)) if high > low else 0

        rows: dict[int, tuple[str, Style]] = {row_of(0.0): ("─", palette.fg(palette.muted))}
        if self._bands is not None:
            for value in (self._bands.exit, -self._bands.exit):
                rows[row_of(value)] = ("┈", palette.fg(palette.muted))
            for value in (self._bands.entry, -self._bands.entry):
                rows[row_of(value)] = ("┄", palette.fg(palette.warn))
        return rows
