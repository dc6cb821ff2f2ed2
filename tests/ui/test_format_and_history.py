"""Number formats and the route history the chart draws from."""

from __future__ import annotations

from arbscope.models import Kind, Leg, MarketSnapshot, Opportunity, Side
from arbscope.ui.format import fmt_age, fmt_amount, fmt_bps, fmt_money, fmt_price, route_label
from arbscope.ui.history import RouteHistory

TS = 1_732_400_000.0


def opportunity(route_id: str, net_bps: float, kind: Kind = Kind.SPATIAL,
                legs: tuple[Leg, ...] = ()) -> Opportunity:
    return Opportunity(kind=kind, route_id=route_id, legs=legs, size=1, max_size=1,
                       size_currency="BTC", profit_currency="USD", notional=100,
                       gross_bps=net_bps, fees=0, net_profit=net_bps / 100, net_bps=net_bps, ts=TS)


def snapshot(ts: float, *opportunities: Opportunity) -> MarketSnapshot:
    return MarketSnapshot(ts=ts, source="SIM", opportunities=opportunities, books={}, markets={},
                          health={})


def test_formats_keep_small_numbers_readable() -> None:
    assert fmt_bps(12.345) == "+12.3" and fmt_bps(-0.04) == "-0.0" and fmt_bps(None) == "—"
    assert fmt_price(97_001.23) == "97,001.2" and fmt_price(3402.5) == "3,402.50"
    assert fmt_price(0.9998) == "0.999800"
    assert fmt_amount(0.0103) == "0.0103" and fmt_amount(1234.5) == "1,234.5"
    assert fmt_money(-0.0000123) == "-1.2e-05"  # a BTC profit still shows its digits
    assert fmt_money(1.234) == "+1.23"
    assert fmt_age(0.34) == "0.3s" and fmt_age(75) == "1m15" and fmt_age(7300) == "2h01"


def test_route_labels_read_as_a_trader_would() -> None:
    spatial = opportunity("spatial:BTC/USDT:binance>okx", 1, legs=(
        Leg(venue="binance", symbol="BTC/USDT", side=Side.BUY),
        Leg(venue="okx", symbol="BTC/USDT", side=Side.SELL)))
    assert route_label(spatial) == "BTC/USDT binance→okx"
    triangle = opportunity("triangular:kraken:USD>BTC>ETH>USD", 1, kind=Kind.TRIANGULAR)
    assert route_label(triangle) == "kraken USD→BTC→ETH→USD"
    cross = opportunity("cross:BTC:kraken BTC/USD>bitstamp BTC/EUR>kraken EUR/USD", 1,
                        kind=Kind.CROSS_CURRENCY, legs=(
                            Leg(venue="kraken", symbol="BTC/USD", side=Side.BUY),
                            Leg(venue="bitstamp", symbol="BTC/EUR", side=Side.SELL),
                            Leg(venue="kraken", symbol="EUR/USD", side=Side.SELL)))
    assert route_label(cross) == "BTC kraken→bitstamp→kraken USD/EUR"


def test_history_samples_each_open_route_at_most_every_interval() -> None:
    history = RouteHistory(window_s=10.0, min_interval_s=0.5)
    for step in range(10):  # every 0.1 s for 1 s: samples at 0.0 and 0.5 only
        history.record(snapshot(TS + step / 10, opportunity("r", float(step))))
    assert [(s.ts - TS, s.net_bps) for s in history.samples("r")] == [(0.0, 0.0), (0.5, 5.0)]


def test_history_forgets_what_left_the_window_and_routes_with_nothing_left() -> None:
    history = RouteHistory(window_s=10.0, min_interval_s=0.5)
    history.record(snapshot(TS, opportunity("old", 1.0), opportunity("kept", 2.0)))
    history.record(snapshot(TS + 8, opportunity("kept", 3.0)))
    history.record(snapshot(TS + 12, opportunity("kept", 4.0)))  # horizon TS + 2
    assert history.samples("old") == ()
    assert [s.net_bps for s in history.samples("kept")] == [3.0, 4.0]
    assert len(history) == 1
