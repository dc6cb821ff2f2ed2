"""Spread heatmap: venue pairs of the selected symbol, or every symbol's deviation by venue.

Two views (the `h` key flips them):

* routes: buy on the row venue, sell on the column venue; each cell is the
  net bps after both taker fees at the chosen trade size.
* deviation: symbols by venues; each cell is the venue's mid against the
  median mid of all venues, so a lagging venue stands out.

Colours come from the theme's diverging scale (`heat-neg`, `heat-zero`,
`heat-pos`), with a legend giving the scale's range.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from enum import StrEnum

from rich.console import RenderableType
from rich.text import Text
from textual.reactive import var

from arbscope.models import MarketSnapshot, OrderBook, split_symbol
from arbscope.ui.format import fmt_amount, truncate
from arbscope.ui.palette import Palette
from arbscope.ui.spreads import Grid, mid_deviation_grid, spatial_grid
from arbscope.ui.widgets.common import retitle
from arbscope.ui.widgets.line_pane import LinePane

CELL_WIDTH = 6
LABEL_WIDTH = 10
LEGEND_STEPS = 11
HEADER_AND_LEGEND = 2


class HeatmapView(StrEnum):
    ROUTES = "routes"
    DEVIATION = "deviation"


def nice_scale(extreme: float) -> float:
    """Round the largest |bps| up to 1, 2 or 5 times a power of ten (at least 1 bps)."""
    if not extreme > 1:
        return 1.0
    power = 10 ** math.floor(math.log10(extreme))
    for step in (1, 2, 5, 10):
        if extreme <= step * power:
            return float(step * power)
    return float(10 * power)


class SpreadHeatmap(LinePane, can_focus=True):
    """A grid of bps on a diverging colour scale, with a legend."""

    DEFAULT_CSS = """
    SpreadHeatmap {
        height: auto;
        min-height: 6;
    }
    """

    view: var[HeatmapView] = var(HeatmapView.ROUTES)
    """Which of the two grids is shown."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Spread heatmap"
        self._snapshot: MarketSnapshot | None = None
        self._symbol: str | None = None
        self._trade_size: float | None = None
        self._max_age: Callable[[str], float] = lambda venue: math.inf
        self._height = 0
        self.grid: Grid | None = None
        """The grid on screen (tests read its numbers)."""

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.redraw(full=True))

    def show(
        self,
        snapshot: MarketSnapshot,
        symbol: str | None,
        size: float | None,
        max_book_age: Callable[[str], float],
    ) -> None:
        """`size` is the trade size in `symbol`'s base currency; `max_book_age` per venue."""
        self._snapshot = snapshot
        self._symbol = symbol
        self._trade_size = size
        self._max_age = max_book_age
        self._compute()

    def toggle_view(self) -> None:
        self.view = HeatmapView.DEVIATION if self.view is HeatmapView.ROUTES else HeatmapView.ROUTES

    def watch_view(self) -> None:
        self._compute()

    def _is_fresh(self, book: OrderBook) -> bool:
        snapshot = self._snapshot
        return snapshot is not None and book.age(snapshot.ts) <= self._max_age(book.venue)

    def _compute(self) -> None:
        snapshot = self._snapshot
        if snapshot is None:
            self.grid = None
        elif self.view is HeatmapView.DEVIATION:
            self.grid = mid_deviation_grid(snapshot.books, self._is_fresh)
            retitle(self, "Mid deviation from median (bps) · symbol × venue")
        elif self._symbol is not None and self._trade_size:
            self.grid = spatial_grid(
                self._symbol, snapshot.books, snapshot.markets, self._trade_size, self._is_fresh
            )
            size = f"{fmt_amount(self._trade_size)} {split_symbol(self._symbol)[0]}"
            retitle(self, f"Net bps {self._symbol} · buy row → sell col · {size}")
        else:
            self.grid = None
            retitle(self, "Spread heatmap")
        # Height for the largest grid this view can show (every venue, or every symbol),
        # so following another route never changes the layout of the screen.
        if snapshot is not None:
            universe = (len(snapshot.health) if self.view is HeatmapView.ROUTES
                        else len({symbol for _, symbol in snapshot.books}))
            height = max(universe, 1) + HEADER_AND_LEGEND + 2  # + the border
            if height != self._height:
                self._height = height
                self.styles.height = height
        self.redraw()

    def render(self) -> RenderableType:
        palette = Palette.of(self.app)
        grid = self.grid
        muted = palette.fg(palette.muted)
        if grid is None or not grid.rows:
            message = (
                "No books yet." if self.view is HeatmapView.DEVIATION
                else "Select a route to compare its symbol across venues."
            )
            return Text(message, style=muted)
        scale = nice_scale(grid.extreme())
        corner = "buy\\sell" if self.view is HeatmapView.ROUTES else ""
        out = Text(f"{corner:<{LABEL_WIDTH}}", style=muted, no_wrap=True, overflow="crop")
        for column in grid.columns:
            out.append(f"{truncate(column, CELL_WIDTH - 1):>{CELL_WIDTH}}", style=muted)
        for row, values in zip(grid.rows, grid.cells, strict=True):
            out.append(f"\n{truncate(row, LABEL_WIDTH - 1):<{LABEL_WIDTH}}", style=muted)
            for value in values:
                if value is None:
                    out.append(f"{'·':>{CELL_WIDTH}}", style=muted)
                else:
                    # One space apart always: 4 significant characters at most.
                    cell = f"{value:+.1f}" if abs(value) < 100 else f"{value:+.0f}"
                    out.append(f" {cell:>{CELL_WIDTH - 1}}", style=palette.heat_style(value, scale))
        out.append("\n")
        out.append_text(self._legend(scale, palette))
        return out

    def _legend(self, scale: float, palette: Palette) -> Text:
        legend = Text(no_wrap=True)
        legend.append(f"{-scale:+g} ", style=palette.fg(palette.muted))
        half = LEGEND_STEPS // 2
        for step in range(-half, half + 1):
            value = scale * step / half
            legend.append("  ", style=palette.heat_style(value, scale))
        legend.append(f" {scale:+g} bps", style=palette.fg(palette.muted))
        return legend
