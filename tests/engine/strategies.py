"""Hypothesis strategies for valid books, market rules and route cases (reusable by any test).

Prices sit on a tick grid around a mid, bids strictly descending and asks
strictly ascending, never crossed, sizes positive: every book passes
`OrderBook` validation. Cases put two or three books close enough together
that routes often (not always) pay.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from arbscope.models import BookKey, Level, Market, OrderBook, split_symbol

FEES = (0.0, 0.0005, 0.001, 0.0026, 0.005)
STEPS = (None, 0.1, 0.01, 0.001, 0.0001)


@st.composite
def sizes(draw: st.DrawFn, low: float = 0.001, high: float = 5.0) -> float:
    """A positive level size with at most 4 decimals."""
    return round(draw(st.floats(low, high, allow_nan=False, allow_infinity=False)), 4) or low


@st.composite
def book_sides(
    draw: st.DrawFn,
    best: float,
    tick: float,
    descending: bool,
    max_levels: int = 5,
    size_scale: float = 1.0,
) -> tuple[Level, ...]:
    """One side of a book starting at `best`, each level 1-4 ticks further away."""
    count = draw(st.integers(0, max_levels))
    levels: list[Level] = []
    price = best
    for _ in range(count):
        if price <= 0:
            break
        levels.append((round(price, 10), round(draw(sizes()) * size_scale, 4)))
        gap = draw(st.integers(1, 4)) * tick
        price = price - gap if descending else price + gap
    return tuple(levels)


@st.composite
def order_books(
    draw: st.DrawFn,
    venue: str = "alpha",
    symbol: str = "BTC/USDT",
    mid: float = 100.0,
    ts: float = 1_732_400_000.0,
    max_levels: int = 5,
    size_scale: float = 1.0,
) -> OrderBook:
    """A valid book around `mid`: spread of 1-20 ticks, tick = mid / 10_000; a side may be empty.

    Level sizes are 0.001-5 base times `size_scale`."""
    tick = mid / 10_000
    spread_ticks = draw(st.integers(1, 20))
    best_bid = mid - (spread_ticks // 2) * tick
    best_ask = best_bid + spread_ticks * tick
    return OrderBook(
        venue=venue,
        symbol=symbol,
        ts=ts,
        bids=draw(book_sides(best_bid, tick, True, max_levels, size_scale)),
        asks=draw(book_sides(best_ask, tick, False, max_levels, size_scale)),
    )


@st.composite
def markets(
    draw: st.DrawFn,
    venue: str = "alpha",
    symbol: str = "BTC/USDT",
    price: float = 100.0,
    minimums: bool = True,
    steps: tuple[float | None, ...] = STEPS,
) -> Market:
    """Rules for one market: a taker fee from real schedules, an optional step and minimums."""
    base, quote = split_symbol(symbol)
    step = draw(st.sampled_from(steps))
    min_amount = draw(st.sampled_from((0.0, step or 0.0, 0.05))) if minimums else 0.0
    min_cost = draw(st.sampled_from((0.0, 0.01 * price, 5.0 * price))) if minimums else 0.0
    return Market(
        venue=venue,
        symbol=symbol,
        base=base,
        quote=quote,
        taker_fee=draw(st.sampled_from(FEES)),
        amount_step=step,
        min_amount=min_amount,
        min_cost=min_cost,
    )


@dataclass(frozen=True)
class SpatialCase:
    buy_book: OrderBook
    sell_book: OrderBook
    buy_market: Market
    sell_market: Market
    target_size: float


@st.composite
def spatial_cases(draw: st.DrawFn, minimums: bool = True) -> SpatialCase:
    """One symbol on two venues whose mids differ by -0.2% .. +1% (so books often cross)."""
    symbol = "BTC/USDT"
    shift = draw(st.floats(-0.002, 0.01, allow_nan=False))
    sell_mid = round(100.0 * (1 + shift), 4)
    return SpatialCase(
        buy_book=draw(order_books("alpha", symbol, 100.0)),
        sell_book=draw(order_books("beta", symbol, sell_mid)),
        buy_market=draw(markets("alpha", symbol, 100.0, minimums)),
        sell_market=draw(markets("beta", symbol, sell_mid, minimums)),
        target_size=draw(st.sampled_from((0.05, 0.5, 2.0, 50.0))),
    )


@dataclass(frozen=True)
class VenueCase:
    """Markets and books of routes that may span venues, keyed by (venue, symbol)."""

    markets: dict[BookKey, Market]
    books: dict[BookKey, OrderBook]
    target: float

    def by_symbol(self, venue: str) -> tuple[dict[str, Market], dict[str, OrderBook]]:
        """One venue's markets and books keyed by symbol, as the triangular code takes them."""
        rules = {s: m for (v, s), m in self.markets.items() if v == venue}
        return rules, {s: b for (v, s), b in self.books.items() if v == venue}


@st.composite
def triangle_cases(draw: st.DrawFn, steps: tuple[float | None, ...] = STEPS) -> VenueCase:
    """USDT, BTC, ETH on venue "tri"; the cross market listed as ETH/BTC or BTC/ETH, mispriced
    by up to 2% so one direction of the cycle often pays."""
    misprice = draw(st.floats(-0.02, 0.02, allow_nan=False))
    cross = draw(st.sampled_from(("ETH/BTC", "BTC/ETH")))
    cross_mid = round(0.05 * (1 + misprice), 8)
    if cross == "BTC/ETH":
        cross_mid = round(1 / cross_mid, 6)
    mids = {"BTC/USDT": 100.0, "ETH/USDT": 5.0, cross: cross_mid}
    return _case(draw, "tri", mids, steps, target=draw(st.sampled_from((5.0, 50.0, 1000.0))))


_SIZE_SCALE = {"ETH": 20.0, "EUR": 100.0, "USD": 100.0}


def _case(
    draw: st.DrawFn,
    venue: str | dict[str, str],
    mids: dict[str, float],
    steps: tuple[float | None, ...],
    target: float,
) -> VenueCase:
    rules: dict[BookKey, Market] = {}
    books: dict[BookKey, OrderBook] = {}
    for symbol, mid in mids.items():
        where = venue if isinstance(venue, str) else venue[symbol]
        rules[(where, symbol)] = draw(markets(where, symbol, mid, minimums=False, steps=steps))
        # Level notional of about 1-500 USD whatever the market, so no leg is always the limit.
        scale = _SIZE_SCALE.get(split_symbol(symbol)[0], 1.0)
        books[(where, symbol)] = draw(order_books(where, symbol, mid, size_scale=scale))
    return VenueCase(rules, books, target)


@st.composite
def cross_cases(draw: st.DrawFn, steps: tuple[float | None, ...] = STEPS) -> VenueCase:
    """BTC/USD on "kraken", BTC/EUR on "bitstamp" (off by -1% .. +2%) and an EUR/USD or
    USD/EUR market on "kraken" (absent when `draw` says so: the static-rate case)."""
    misprice = draw(st.floats(-0.01, 0.02, allow_nan=False))
    mids = {"BTC/USD": 100.0, "BTC/EUR": round(100.0 / 1.08 * (1 + misprice), 4)}
    fx = draw(st.sampled_from(("EUR/USD", "USD/EUR", None)))
    if fx is not None:
        mids[fx] = 1.08 if fx == "EUR/USD" else round(1 / 1.08, 6)
    where = {"BTC/USD": "kraken", "BTC/EUR": "bitstamp", "EUR/USD": "kraken", "USD/EUR": "kraken"}
    return _case(draw, where, mids, steps, target=draw(st.sampled_from((0.05, 0.5, 5.0))))
