"""The heatmap's numbers, worked by hand."""

from __future__ import annotations

import pytest

from arbscope.models import Kind, Leg, Market, Opportunity, OrderBook, Side
from arbscope.ui.spreads import mid_deviation_grid, spatial_grid, spatial_net_bps, trade_size_base

TS = 1_732_400_000.0


def book(venue: str, symbol: str, bids: list[tuple[float, float]],
         asks: list[tuple[float, float]], ts: float = TS) -> OrderBook:
    return OrderBook(venue=venue, symbol=symbol, ts=ts, bids=tuple(bids), asks=tuple(asks))


def market(venue: str, symbol: str, fee: float) -> Market:
    base, quote = symbol.split("/")
    return Market(venue=venue, symbol=symbol, base=base, quote=quote, taker_fee=fee)


def test_spatial_net_bps_walks_both_books_and_charges_both_fees() -> None:
    buy = book("a", "BTC/USD", [(99.0, 5)], [(100.0, 1.0), (101.0, 1.0)])
    sell = book("b", "BTC/USD", [(102.0, 1.5), (101.5, 5)], [(103.0, 5)])
    # 2 BTC: buy 1 @ 100 + 1 @ 101 = 201 paid, fee 0.1% -> 201.201
    # sell 1.5 @ 102 + 0.5 @ 101.5 = 153 + 50.75 = 203.75, fee 0.2% -> 203.3425
    # net = 2.1415 on the notional before fees, 201 (as the table's net_bps) -> 106.54 bps
    net = spatial_net_bps(buy, sell, buy_fee=0.001, sell_fee=0.002, size=2.0)
    assert net == pytest.approx((203.3425 - 201.201) / 201 * 1e4)
    assert net == pytest.approx(106.542, abs=1e-3)


def test_spatial_net_bps_stops_at_the_thinner_side() -> None:
    buy = book("a", "BTC/USD", [(99.0, 5)], [(100.0, 0.5)])
    sell = book("b", "BTC/USD", [(101.0, 5)], [(102.0, 5)])
    # only 0.5 can be bought: 50 paid, 50.5 received, no fees -> 100 bps
    assert spatial_net_bps(buy, sell, 0.0, 0.0, size=3.0) == pytest.approx(100.0)


def test_spatial_grid_has_every_ordered_pair_and_no_diagonal() -> None:
    books = {
        ("a", "ETH/USD"): book("a", "ETH/USD", [(99.0, 9)], [(100.0, 9)]),
        ("b", "ETH/USD"): book("b", "ETH/USD", [(101.0, 9)], [(102.0, 9)]),
        ("c", "BTC/USD"): book("c", "BTC/USD", [(1.0, 9)], [(2.0, 9)]),
    }
    markets = {("a", "ETH/USD"): market("a", "ETH/USD", 0.0),
               ("b", "ETH/USD"): market("b", "ETH/USD", 0.0)}
    grid = spatial_grid("ETH/USD", books, markets, size=1.0)
    assert grid.rows == grid.columns == ("a", "b")
    assert grid.value("a", "a") is None and grid.value("b", "b") is None
    assert grid.value("a", "b") == pytest.approx(100.0)  # buy 100 on a, sell 101 on b
    assert grid.value("b", "a") == pytest.approx((99 - 102) / 102 * 1e4)  # -294.1 bps
    assert grid.extreme() == pytest.approx(3 / 102 * 1e4)


def test_a_stale_book_blanks_its_cells_but_keeps_the_grid_shape() -> None:
    books = {
        ("a", "ETH/USD"): book("a", "ETH/USD", [(99.0, 9)], [(100.0, 9)]),
        ("b", "ETH/USD"): book("b", "ETH/USD", [(101.0, 9)], [(102.0, 9)], ts=TS - 60),
        ("c", "ETH/USD"): book("c", "ETH/USD", [(101.0, 9)], [(102.0, 9)]),
    }
    fresh = lambda b: b.ts >= TS - 5  # noqa: E731
    grid = spatial_grid("ETH/USD", books, {}, 1.0, is_fresh=fresh)
    assert grid.rows == ("a", "b", "c")
    assert grid.cells[1] == (None, None, None)
    assert [line[1] for line in grid.cells] == [None, None, None]
    assert grid.value("a", "c") == pytest.approx(100.0)
    deviation = mid_deviation_grid(books, is_fresh=fresh)
    assert deviation.columns == ("a", "b", "c") and deviation.value("ETH/USD", "b") is None


def test_mid_deviation_is_against_the_median_of_the_same_symbol() -> None:
    books = {
        # mids 100, 101, 104 -> median 101: -99.0, 0, +297.0 bps
        ("a", "BTC/USD"): book("a", "BTC/USD", [(99.5, 1)], [(100.5, 1)]),
        ("b", "BTC/USD"): book("b", "BTC/USD", [(100.5, 1)], [(101.5, 1)]),
        ("c", "BTC/USD"): book("c", "BTC/USD", [(103.5, 1)], [(104.5, 1)]),
        # one venue only: nothing to deviate from
        ("a", "BTC/USDT"): book("a", "BTC/USDT", [(50.0, 1)], [(51.0, 1)]),
    }
    grid = mid_deviation_grid(books)
    assert grid.rows == ("BTC/USD", "BTC/USDT")
    assert grid.columns == ("a", "b", "c")
    assert grid.value("BTC/USD", "a") == pytest.approx(-1 / 101 * 1e4)
    assert grid.value("BTC/USD", "b") == pytest.approx(0.0)
    assert grid.value("BTC/USD", "c") == pytest.approx(3 / 101 * 1e4)
    assert grid.cells[1] == (None, None, None)


def _spatial(symbol: str, size: float) -> Opportunity:
    legs = (Leg(venue="a", symbol=symbol, side=Side.BUY), Leg(venue="b", symbol=symbol,
                                                               side=Side.SELL))
    return Opportunity(kind=Kind.SPATIAL, route_id=f"spatial:{symbol}:a>b", legs=legs, size=size,
                       max_size=0, size_currency=symbol.split("/")[0], profit_currency="USD",
                       notional=1, gross_bps=0, fees=0, net_profit=0, net_bps=0, ts=TS)


def test_trade_size_prefers_the_calculators_size_then_the_valuation() -> None:
    opportunities = [_spatial("ETH/USD", 0.29)]
    assert trade_size_base("ETH/USD", opportunities, {}, 1000.0) == 0.29
    # 1000 USD of BTC valued at 50,000 USD -> 0.02 BTC
    assert trade_size_base("BTC/EUR", opportunities, {"BTC": 50_000.0}, 1000.0) == 0.02
    assert trade_size_base("SOL/EUR", opportunities, {"BTC": 50_000.0}, 1000.0) is None
