"""Cross-currency routes that differ only in their FX venue read differently in the table."""

from __future__ import annotations

from arbscope.models import Kind, Leg, Opportunity, Side
from arbscope.ui.format import route_label
from arbscope.ui.widgets.opportunities import COLUMNS
from tests.ui.test_format_and_history import opportunity

ROUTE_WIDTH = COLUMNS[1].width


def cross(buy: str, sell: str, fx: str, start: str = "USDC", other: str = "USDT") -> Opportunity:
    route = f"cross:BTC:{buy} BTC/{start}>{sell} BTC/{other}>{fx} {start}/{other}"
    return opportunity(route, 1, kind=Kind.CROSS_CURRENCY, legs=(
        Leg(venue=buy, symbol=f"BTC/{start}", side=Side.BUY),
        Leg(venue=sell, symbol=f"BTC/{other}", side=Side.SELL),
        Leg(venue=fx, symbol=f"{start}/{other}", side=Side.BUY)))


def test_routes_differing_only_in_fx_venue_have_different_labels_in_the_table() -> None:
    at_okx, at_bybit = cross("bybit", "okx", "okx"), cross("bybit", "okx", "bybit")
    # 3 + 1 + 5+1+3+1+3 + 1 + 9 = 27 characters: fits the column as it is.
    assert route_label(at_okx, ROUTE_WIDTH) == "BTC bybit→okx→okx USDC/USDT"
    # 29 characters: every venue is cut to 4 so the label fits 27 and keeps the FX venue.
    assert route_label(at_bybit, ROUTE_WIDTH) == "BTC bybi→okx→bybi USDC/USDT"


def test_long_venue_names_are_cut_evenly_never_below_three_characters() -> None:
    wide = cross("coinbase", "bitstamp", "bitstamp")
    assert route_label(wide) == "BTC coinbase→bitstamp→bitstamp USDC/USDT"
    # 16 characters besides the venues leave 11 of 27: 3 each.
    assert route_label(wide, ROUTE_WIDTH) == "BTC coi→bit→bit USDC/USDT"
    kraken = cross("kraken", "bitstamp", "kraken", start="USD", other="EUR")
    # 14 characters besides the venues leave 13: a cap of 4 (4+4+4 = 12) is the widest that fits.
    assert route_label(kraken, ROUTE_WIDTH) == "BTC krak→bits→krak USD/EUR"
    assert len(route_label(kraken, ROUTE_WIDTH)) <= ROUTE_WIDTH


def test_a_cross_route_at_a_static_rate_names_two_venues() -> None:
    static = opportunity("cross:BTC:kraken BTC/USD>bitstamp BTC/EUR>static EUR/USD", 1,
                         kind=Kind.CROSS_CURRENCY, legs=(
                             Leg(venue="kraken", symbol="BTC/USD", side=Side.BUY),
                             Leg(venue="bitstamp", symbol="BTC/EUR", side=Side.SELL)))
    assert route_label(static) == "BTC kraken→bitstamp USD/EUR"
