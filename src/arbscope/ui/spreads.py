"""The numbers behind the two heatmap views, computed from a snapshot's books.

Pure functions (no Textual) so the arithmetic can be checked by hand in tests.
The calculator only reports routes with an edge; the heatmap shows every
venue pair, losing ones included, through the engine's own figure
(`engine.spatial.spatial_net_bps`): a cell and the table's row for the same
route and size are one number.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from arbscope.engine.spatial import spatial_net_bps
from arbscope.models import BookKey, Kind, Market, Opportunity, OrderBook, split_symbol

__all__ = ["Grid", "mid_deviation_grid", "spatial_grid", "spatial_net_bps", "trade_size_base"]


@dataclass(frozen=True, slots=True)
class Grid:
    """A labelled matrix of bps; None where there is nothing to compare."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: tuple[tuple[float | None, ...], ...]

    def value(self, row: str, column: str) -> float | None:
        return self.cells[self.rows.index(row)][self.columns.index(column)]

    def extreme(self) -> float:
        """Largest absolute value in the grid (0 when empty): the colour scale's half-width."""
        return max((abs(v) for line in self.cells for v in line if v is not None), default=0.0)


def spatial_grid(
    symbol: str,
    books: Mapping[BookKey, OrderBook],
    markets: Mapping[BookKey, Market],
    size: float,
    is_fresh: Callable[[OrderBook], bool] = lambda book: True,
) -> Grid:
    """Buy on the row venue, sell on the column venue, net bps at `size` base.

    Every venue with a book of `symbol` has its row and column (the grid keeps its
    shape as books age); a pair with a stale book is None.
    """
    venues = tuple(sorted(v for (v, s) in books if s == symbol))
    fresh = {v for v in venues if is_fresh(books[(v, symbol)])}
    cells: list[tuple[float | None, ...]] = []
    for buy_venue in venues:
        line: list[float | None] = []
        for sell_venue in venues:
            if buy_venue == sell_venue or not {buy_venue, sell_venue} <= fresh:
                line.append(None)
                continue
            line.append(
                spatial_net_bps(
                    books[(buy_venue, symbol)],
                    books[(sell_venue, symbol)],
                    _taker_fee(markets, (buy_venue, symbol)),
                    _taker_fee(markets, (sell_venue, symbol)),
                    size,
                )
            )
        cells.append(tuple(line))
    return Grid(venues, venues, tuple(cells))


def _taker_fee(markets: Mapping[BookKey, Market], key: BookKey) -> float:
    market = markets.get(key)
    return market.taker_fee if market is not None else 0.0


def mid_deviation_grid(
    books: Mapping[BookKey, OrderBook],
    is_fresh: Callable[[OrderBook], bool] = lambda book: True,
    symbols: Sequence[str] | None = None,
) -> Grid:
    """Symbols by venues: each venue's mid against the median mid of all venues, in bps.

    Only the same symbol is compared (same quote currency), so USDT is never
    taken for USD. A symbol listed on one venue only has nothing to deviate from.
    Every symbol and venue with a book has its row and column; stale books are None.
    """
    mids: dict[str, dict[str, float]] = {}
    listed: set[str] = set()
    venues_seen: set[str] = set()
    for (venue, symbol), book in books.items():
        listed.add(symbol)
        venues_seen.add(venue)
        mid = book.mid
        if mid is not None and is_fresh(book):
            mids.setdefault(symbol, {})[venue] = mid
    wanted = sorted(listed) if symbols is None else [s for s in symbols if s in listed]
    venues = tuple(sorted(venues_seen))
    cells: list[tuple[float | None, ...]] = []
    for symbol in wanted:
        by_venue = mids.get(symbol, {})
        median = statistics.median(by_venue.values()) if len(by_venue) > 1 else None
        cells.append(
            tuple(
                (by_venue[v] - median) / median * 1e4
                if median is not None and v in by_venue
                else None
                for v in venues
            )
        )
    return Grid(tuple(wanted), venues, tuple(cells))


def trade_size_base(
    symbol: str,
    opportunities: Sequence[Opportunity],
    valuation: Mapping[str, float],
    notional: float,
) -> float | None:
    """Base amount of `symbol` worth `notional` in the reference currency.

    Prefers the size the calculator chose for a spatial route on the same
    symbol (it already converted the notional); else the calculator's valuation
    of the base currency; None when neither knows the base.
    """
    for item in opportunities:
        if item.kind is Kind.SPATIAL and item.legs and item.legs[0].symbol == symbol:
            return item.size
    base = split_symbol(symbol)[0]
    value = valuation.get(base)
    if value is None or value <= 0:
        return None
    return notional / value
