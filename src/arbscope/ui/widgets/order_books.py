"""The selected route's books, side by side as ladders, with the levels its trade would take.

Asks on top (best ask lowest), bids below (best bid highest), a spread line
between; the best level of each side is marked and the levels the chosen
trade size walks through are tinted in the side's colour, with the leg's VWAP.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import RenderableType
from rich.text import Text
from textual.color import Color

from arbscope.models import Leg, MarketSnapshot, Opportunity, OrderBook, Side
from arbscope.ui.format import fmt_age, fmt_amount, fmt_price, route_label
from arbscope.ui.palette import Palette
from arbscope.ui.widgets.common import retitle
from arbscope.ui.widgets.line_pane import LinePane

HEADER_LINES = 3
"""Leg title, VWAP line, column header."""
PRICE_WIDTH = 12
SIZE_WIDTH = 9
LADDER_GAP = 3
TAKEN_MARK = " ◂"
"""After a level the trade takes from (besides the tint, for terminals with few colours)."""
LADDER_MIN_WIDTH = PRICE_WIDTH + 2 * SIZE_WIDTH + len(TAKEN_MARK)


@dataclass(frozen=True)
class LadderRow:
    price: float
    size: float
    cumulative: float
    best: bool
    consumed: bool


def ladder(levels: tuple[tuple[float, float], ...], depth: int, consumed: int) -> list[LadderRow]:
    """The first `depth` levels with running size; the first `consumed` are the trade's."""
    rows: list[LadderRow] = []
    cumulative = 0.0
    for index, (price, size) in enumerate(levels[:depth]):
        cumulative += size
        rows.append(LadderRow(price, size, cumulative, index == 0, index < consumed))
    return rows


def split_depth(rows_available: int, consumed: int) -> tuple[int, int]:
    """(levels on the hit side, on the other side): the hit side shows its consumed levels."""
    rows_available = max(2, rows_available)
    hit = max(rows_available // 2, min(consumed + 1, rows_available - 1))
    return hit, max(1, rows_available - hit)


class OrderBooksPane(LinePane, can_focus=True):
    """Ladders for each leg of the selected route."""

    DEFAULT_CSS = """
    OrderBooksPane {
        height: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Order books"
        self._snapshot: MarketSnapshot | None = None
        self._route: Opportunity | None = None
        self._open = False

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.redraw(full=True))

    def show(self, snapshot: MarketSnapshot, route: Opportunity | None, is_open: bool) -> None:
        """`route`: the selected opportunity as last seen; `is_open`: it is in `snapshot`."""
        self._snapshot = snapshot
        self._route = route
        self._open = is_open
        if route is None:
            retitle(self, "Order books")
        else:
            state = "" if is_open else " · closed"
            retitle(self, f"Order books · {route_label(route)}{state}")
        self.redraw()

    def render(self) -> RenderableType:
        palette = Palette.of(self.app)
        if self._route is None or self._snapshot is None:
            return Text("Select a route with Enter to see its books.",
                        style=palette.fg(palette.muted))
        legs = self._route.legs
        width = max(LADDER_MIN_WIDTH,
                    (self.content_size.width - LADDER_GAP * (len(legs) - 1)) // max(1, len(legs)))
        rows_available = self.content_size.height - HEADER_LINES - 1
        columns = [
            self._leg_lines(leg, self._snapshot.books.get((leg.venue, leg.symbol)),
                            rows_available, width, palette)
            for leg in legs
        ]
        height = max(len(lines) for lines in columns)
        gap = " " * LADDER_GAP
        out = Text(no_wrap=True, overflow="crop")
        for index in range(height):
            if index:
                out.append("\n")
            for number, lines in enumerate(columns):
                if number:
                    out.append(gap)
                out.append_text(lines[index] if index < len(lines) else Text(" " * width))
        return out

    def _leg_lines(
        self, leg: Leg, book: OrderBook | None, rows_available: int, width: int, palette: Palette
    ) -> list[Text]:
        """One ladder as lines of exactly `width` cells."""
        muted = palette.fg(palette.muted)
        side_colour = palette.bid if leg.side is Side.SELL else palette.ask
        title = Text(f"{leg.venue} {leg.symbol} ", style="bold")
        title.append(f"{leg.side.value.upper()} {fmt_amount(leg.amount)}",
                     style=palette.fg(side_colour, bold=True))
        if book is None:
            return [_fit(title, width), _fit(Text("no book", style=muted), width)]
        now = self._snapshot.ts if self._snapshot is not None else book.ts
        consumed = leg.levels_used if self._open else 0
        vwap = Text()
        if self._open and leg.amount > 0:
            vwap.append(f"VWAP {fmt_price(leg.vwap)}", style="bold")
            vwap.append(f" · {leg.levels_used} lvl · fee {leg.fee_rate * 1e4:g}bp", style=muted)
        else:
            vwap.append("route closed: no fills", style=muted)
        title.append(f" · {fmt_age(book.age(now))}", style=muted)
        header = Text(f"{'price':>{PRICE_WIDTH}}{'size':>{SIZE_WIDTH}}{'cum':>{SIZE_WIDTH}}",
                      style=muted)
        lines = [_fit(title, width), _fit(vwap, width), _fit(header, width)]
        buying = leg.side is Side.BUY
        hit, other = split_depth(rows_available, consumed)
        asks = ladder(book.asks, hit if buying else other, consumed if buying else 0)
        bids = ladder(book.bids, other if buying else hit, 0 if buying else consumed)
        lines += [_fit(self._level(row, palette.ask, palette), width) for row in reversed(asks)]
        lines.append(_fit(Text(f"{self._spread(book):>{PRICE_WIDTH + 2 * SIZE_WIDTH}}",
                               style=muted), width))
        lines += [_fit(self._level(row, palette.bid, palette), width) for row in bids]
        return lines

    @staticmethod
    def _level(row: LadderRow, colour: Color, palette: Palette) -> Text:
        marker = "▶" if row.best else " "
        line = Text(f"{marker + fmt_price(row.price):>{PRICE_WIDTH}}",
                    style=palette.fg(colour, bold=row.best))
        line.append(f"{fmt_amount(row.size):>{SIZE_WIDTH}}")
        line.append(f"{fmt_amount(row.cumulative):>{SIZE_WIDTH}}", style=palette.fg(palette.muted))
        if row.consumed:
            line.stylize(palette.highlight(colour))
            line.append(TAKEN_MARK, style=palette.fg(colour, bold=True))
        return line
    @staticmethod
    def _spread(book: OrderBook) -> str:
        if book.best_bid is None or book.best_ask is None or book.mid is None:
            return "one-sided"
        return f"spread {(book.best_ask - book.best_bid) / book.mid * 1e4:.1f} bps"


def _fit(text: Text, width: int) -> Text:
    """`text` cut or padded to exactly `width` cells, so ladders line up side by side."""
    text.truncate(width, overflow="ellipsis", pad=True)
    return text
