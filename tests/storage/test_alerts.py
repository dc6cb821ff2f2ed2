"""Watchlist alerts: a route is reported when it crosses its threshold, once per crossing."""

from __future__ import annotations

from arbscope.models import Kind, Opportunity
from arbscope.storage.alerts import AlertWatcher, check_alerts, threshold_for

BTC_ROUTE = "spatial:BTC/USDT:binance>okx"
ETH_ROUTE = "spatial:ETH/USDT:kraken>okx"


def opp(route_id: str, net_bps: float) -> Opportunity:
    # net_bps = net_profit / notional * 1e4: 1000 USDT notional, so profit = net_bps / 10.
    return Opportunity(
        kind=Kind.SPATIAL,
        route_id=route_id,
        legs=(),
        size=0.01,
        max_size=0.01,
        size_currency="BTC",
        profit_currency="USDT",
        notional=1000.0,
        gross_bps=net_bps + 20.0,
        fees=2.0,
        net_profit=net_bps / 10,
        net_bps=net_bps,
        ts=1_732_400_000.0,
    )


def test_exact_route_beats_glob_and_longest_glob_wins() -> None:
    thresholds = {"*": 50.0, "spatial:BTC/USDT:*": 10.0, BTC_ROUTE: 5.0}
    assert threshold_for(BTC_ROUTE, thresholds) == (BTC_ROUTE, 5.0)
    assert threshold_for("spatial:BTC/USDT:kraken>okx", thresholds) == ("spatial:BTC/USDT:*", 10.0)
    assert threshold_for(ETH_ROUTE, thresholds) == ("*", 50.0)
    assert threshold_for(ETH_ROUTE, {"spatial:BTC/USDT:*": 10.0}) is None


def test_only_routes_that_newly_cross_are_reported() -> None:
    thresholds = {"spatial:*": 10.0}
    first = check_alerts(thresholds, [opp(BTC_ROUTE, 12.0), opp(ETH_ROUTE, 8.0)])
    assert [hit.route_id for hit in first.crossed] == [BTC_ROUTE]
    assert first.crossed[0].threshold_bps == 10.0 and first.crossed[0].net_bps == 12.0
    assert "reached the alert at 10 bps" in first.crossed[0].message

    # BTC stays above (silent); ETH now crosses.
    second = check_alerts(thresholds, [opp(BTC_ROUTE, 15.0), opp(ETH_ROUTE, 10.0)], first.above)
    assert [hit.route_id for hit in second.crossed] == [ETH_ROUTE]
    assert second.above == {BTC_ROUTE, ETH_ROUTE}

    # BTC falls below, then crosses again: reported again.
    third = check_alerts(thresholds, [opp(BTC_ROUTE, 9.0), opp(ETH_ROUTE, 11.0)], second.above)
    assert third.crossed == () and third.above == {ETH_ROUTE}
    fourth = check_alerts(thresholds, [opp(BTC_ROUTE, 10.5)], third.above)
    assert [hit.route_id for hit in fourth.crossed] == [BTC_ROUTE]
    # ETH closed (no longer an opportunity): it re-arms.
    assert fourth.above == {BTC_ROUTE}


def test_rearm_band_keeps_a_hovering_route_quiet() -> None:
    thresholds = {BTC_ROUTE: 10.0}
    first = check_alerts(thresholds, [opp(BTC_ROUTE, 10.2)], rearm_bps=1.0)
    assert len(first.crossed) == 1
    # 9.5 is below 10 but inside the 1 bps band (>= 9.0): stays armed off, no new alert at 10.1.
    dip = check_alerts(thresholds, [opp(BTC_ROUTE, 9.5)], first.above, rearm_bps=1.0)
    back = check_alerts(thresholds, [opp(BTC_ROUTE, 10.1)], dip.above, rearm_bps=1.0)
    assert dip.crossed == () and back.crossed == ()
    # 8.9 leaves the band: the next crossing is news again.
    out = check_alerts(thresholds, [opp(BTC_ROUTE, 8.9)], back.above, rearm_bps=1.0)
    again = check_alerts(thresholds, [opp(BTC_ROUTE, 10.0)], out.above, rearm_bps=1.0)
    assert len(again.crossed) == 1


def test_several_crossings_come_best_first() -> None:
    result = check_alerts({"*": 0.0}, [opp(ETH_ROUTE, 3.0), opp(BTC_ROUTE, 7.0)])
    assert [hit.net_bps for hit in result.crossed] == [7.0, 3.0]


def test_watcher_keeps_state_and_starts_afresh_for_other_thresholds() -> None:
    watcher = AlertWatcher()
    assert len(watcher.check({"*": 5.0}, [opp(BTC_ROUTE, 6.0)])) == 1
    assert watcher.check({"*": 5.0}, [opp(BTC_ROUTE, 6.0)]) == ()
    # Another watchlist became active: its thresholds are checked from scratch.
    assert len(watcher.check({BTC_ROUTE: 5.5}, [opp(BTC_ROUTE, 6.0)])) == 1
    assert watcher.check({}, [opp(BTC_ROUTE, 60.0)]) == ()
