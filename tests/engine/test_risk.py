"""The risk checklist: every item can pass, warn or fail, with a reason that says why."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from arbscope.engine.cross_currency import evaluate_cross, find_cross_routes
from arbscope.engine.risk import (
    Check,
    RiskContext,
    RiskReport,
    RiskThresholds,
    TransferInfo,
    evaluate_risk,
    expected_slippage,
    funding_sources,
    rebalancing_cost,
    required_funds,
)
from arbscope.engine.spatial import evaluate_spatial
from arbscope.engine.triangular import evaluate_triangle, find_triangles
from arbscope.models import (
    BookKey,
    Kind,
    Level,
    Market,
    Opportunity,
    OrderBook,
    VenueHealth,
    VenueState,
    split_symbol,
)

T0 = 1_732_400_000.0
BUY, SELL = ("alpha", "BTC/USDT"), ("beta", "BTC/USDT")


def rules(key: BookKey, fee: float = 0.001, **extra: float) -> Market:
    base, quote = split_symbol(key[1])
    return Market(venue=key[0], symbol=key[1], base=base, quote=quote, taker_fee=fee, **extra)


def book(
    key: BookKey, bids: tuple[Level, ...], asks: tuple[Level, ...], ts: float = T0
) -> OrderBook:
    return OrderBook(venue=key[0], symbol=key[1], ts=ts, bids=bids, asks=asks)


BOOKS = {
    BUY: book(BUY, ((99.0, 2.0),), ((100.0, 1.0), (101.0, 1.0))),
    SELL: book(SELL, ((103.0, 1.0), (102.0, 1.0)), ((104.0, 2.0),)),
}
MARKETS = {BUY: rules(BUY), SELL: rules(SELL)}


def spatial(size: float = 0.5, books: dict[BookKey, OrderBook] = BOOKS) -> Opportunity:
    # At 0.5: buy 0.5 @ 100 = 50 (+0.05 fee), sell 0.5 @ 103 = 51.5 (-0.0515 fee);
    # net = 51.4485 - 50.05 = 1.3985 USDT = 279.7 bps of the 50 notional.
    opp = evaluate_spatial(books[BUY], books[SELL], MARKETS[BUY], MARKETS[SELL], size, T0)
    assert opp is not None
    return opp


def context(**changes: object) -> RiskContext:
    base = RiskContext(
        now=T0 + 0.5,
        books=BOOKS,
        markets=MARKETS,
        health={v: VenueHealth(venue=v, state=VenueState.LIVE) for v in ("alpha", "beta")},
        balance=lambda venue, currency: 10_000.0 if currency == "USDT" else 2.0,
        max_book_age=lambda venue: 5.0,
        latency_s=lambda venue: 0.15,
        volatility={BUY: 1.0, SELL: 1.0},
        withdrawal_fees={"BTC": 0.0001},
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def item(
    opp: Opportunity, name: str, ctx: RiskContext | None = None, **th: float
) -> tuple[Check, str]:
    report = evaluate_risk(opp, ctx or context(), RiskThresholds(**th))
    found = report.item(name)
    return found.status, found.reason


def test_a_sound_route_passes_every_item() -> None:
    report = evaluate_risk(spatial(), context())
    assert [i.name for i in report.items] == [
        "freshness",
        "depth",
        "profit",
        "suspect",
        "balances",
        "health",
        "market_rules",
        "fx",
        "volatility",
        "inventory",
    ]
    assert [i.status for i in report.items] == [Check.PASS] * 10, report.items
    assert report.verdict is Check.PASS and not report.blocked and not report.needs_confirmation
    assert report.summary == "all checks pass"


def test_freshness_warns_past_half_the_limit_and_fails_past_it() -> None:
    assert item(spatial(), "freshness", context(now=T0 + 3.0)) == (
        Check.WARN,
        "oldest BTC/USDT@alpha 3.00s (60% of limit)",
    )
    assert item(spatial(), "freshness", context(now=T0 + 6.0)) == (
        Check.FAIL,
        "BTC/USDT@alpha is 6.0s old (limit 5s)",
    )
    assert item(spatial(), "freshness", context(books={BUY: BOOKS[BUY]}))[0] is Check.FAIL


def test_depth_warns_on_a_large_share_and_fails_when_the_book_is_short() -> None:
    # 1.5 of alpha's 2.0 visible BTC is 75% > 50%.
    assert item(spatial(1.5), "depth") == (
        Check.WARN,
        "takes 75% of BTC/USDT@alpha's visible depth",
    )
    thin = {**BOOKS, BUY: book(BUY, ((99.0, 2.0),), ((100.0, 0.4),))}
    status, reason = item(spatial(1.5), "depth", context(books=thin))
    assert status is Check.FAIL
    assert reason == "BTC/USDT@alpha shows 0.4 of the 1.5 buy needs"
    assert item(spatial(0.5), "depth")[0] is Check.PASS


def test_profit_fails_at_or_below_the_threshold_and_warns_when_thin() -> None:
    status, reason = item(spatial(), "profit", min_net_profit=5.0)
    assert status is Check.FAIL
    assert reason == "net +1.398 USDT (+279.7 bps) is not above the threshold 5 USDT"
    assert item(spatial(), "profit", thin_edge_bps=300.0)[0] is Check.WARN
    stat = spatial().model_copy(update={"kind": Kind.STATISTICAL})
    status, reason = item(stat, "profit")
    assert status is Check.WARN and "not locked in" in reason


def test_balances_fail_when_short_and_warn_when_nearly_all_is_needed() -> None:
    # The buy needs 50 * 1.001 = 50.05 USDT on alpha, the sell 0.5 BTC on beta.
    assert required_funds(spatial().legs) == {
        ("alpha", "USDT"): pytest.approx(50.05),
        ("beta", "BTC"): 0.5,
    }
    short = context(balance=lambda venue, currency: 20.0 if currency == "USDT" else 2.0)
    assert item(spatial(), "balances", short) == (Check.FAIL, "alpha needs 50.05 USDT, holds 20")
    tight = context(balance=lambda venue, currency: 52.0 if currency == "USDT" else 2.0)
    status, reason = item(spatial(), "balances", tight)
    assert status is Check.WARN and reason.startswith("alpha uses 96% of its USDT")


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (VenueState.LIVE, Check.PASS),
        (VenueState.CONNECTING, Check.WARN),
        (VenueState.STALE, Check.FAIL),
        (VenueState.DOWN, Check.FAIL),
    ],
)
def test_venue_health_follows_the_feed_state(state: VenueState, expected: Check) -> None:
    health = {
        "alpha": VenueHealth(venue="alpha", state=state, last_error="timeout"),
        "beta": VenueHealth(venue="beta", state=VenueState.LIVE),
    }
    status, reason = item(spatial(), "health", context(health=health))
    assert status is expected
    if expected is Check.FAIL:
        assert reason == f"alpha is {state.value}: timeout"


def test_unknown_health_warns() -> None:
    assert item(spatial(), "health", context(health={}))[0] is Check.WARN


def test_market_rules_fail_below_minimums_and_warn_on_rounding() -> None:
    small = {**MARKETS, BUY: rules(BUY, min_amount=1.0)}
    assert item(spatial(), "market_rules", context(markets=small)) == (
        Check.FAIL,
        "BTC/USDT@alpha amount 0.5 below minimum 1",
    )
    cheap = {**MARKETS, SELL: rules(SELL, min_cost=100.0)}
    assert item(spatial(), "market_rules", context(markets=cheap))[0] is Check.FAIL
    coarse = {**MARKETS, BUY: rules(BUY, amount_step=0.3)}
    assert item(spatial(), "market_rules", context(markets=coarse)) == (
        Check.WARN,
        "BTC/USDT@alpha rounds down to 0.3",
    )
    assert item(spatial(), "market_rules", context(markets={}))[0] is Check.WARN


CROSS_MARKETS = {
    ("kraken", "BTC/USD"): rules(("kraken", "BTC/USD"), 0.002),
    ("bitstamp", "BTC/EUR"): rules(("bitstamp", "BTC/EUR")),
    ("kraken", "EUR/USD"): rules(("kraken", "EUR/USD"), 0.002),
}
CROSS_BOOKS = {
    ("kraken", "BTC/USD"): book(("kraken", "BTC/USD"), ((99.0, 1.0),), ((100.0, 1.0),)),
    ("bitstamp", "BTC/EUR"): book(("bitstamp", "BTC/EUR"), ((95.0, 1.0),), ((96.0, 1.0),)),
    ("kraken", "EUR/USD"): book(("kraken", "EUR/USD"), ((1.08, 1000.0),), ((1.0801, 1000.0),)),
}


def cross(static: bool) -> Opportunity:
    markets = {k: m for k, m in CROSS_MARKETS.items() if not (static and k[1] == "EUR/USD")}
    rates = {"EUR/USD": 1.08} if static else {}
    route = next(r for r in find_cross_routes(markets.values(), rates) if r.start == "USD")
    opp = evaluate_cross(route, CROSS_BOOKS, markets, 0.5, T0, rates)
    assert opp is not None
    return opp


def test_fx_source_passes_a_real_market_and_warns_on_a_static_rate() -> None:
    ctx = context(books=CROSS_BOOKS, markets=CROSS_MARKETS, volatility=None)
    assert item(cross(static=False), "fx", ctx) == (
        Check.PASS,
        "real market EUR/USD, its spread and fee counted",
    )
    status, reason = item(cross(static=True), "fx", ctx)
    assert status is Check.WARN
    assert reason.startswith("static EUR/USD rate 1.08") and reason.endswith("not a market")
    assert item(spatial(), "fx") == (Check.PASS, "no currency conversion")


def test_volatility_warns_when_unknown_or_when_moves_rival_the_edge() -> None:
    assert item(spatial(), "volatility", context(volatility=None))[0] is Check.WARN
    assert item(spatial(), "volatility", context(volatility={BUY: 1.0}))[0] is Check.WARN
    # sigma 400 bps/sqrt(s) per leg: 2 * 400 * sqrt(0.15) * sqrt(2/pi) = 247.2 bps of typical
    # move, against a 279.7 bps edge: less than 2 moves -> warn.
    status, reason = item(spatial(), "volatility", context(volatility={BUY: 400.0, SELL: 400.0}))
    assert status is Check.WARN
    assert reason == "edge +279.7 bps vs typical move 247.2 bps in latency"
    assert item(spatial(), "volatility")[0] is Check.PASS


def test_expected_slippage_is_the_typical_move_on_the_notional() -> None:
    # 2 legs * 1 bps * sqrt(0.15) * sqrt(2/pi) = 0.61803 bps of the 50 USDT notional.
    move_bps = 2 * 1.0 * math.sqrt(0.15) * math.sqrt(2 / math.pi)
    assert expected_slippage(spatial(), context()) == pytest.approx(50.0 * move_bps / 1e4)
    assert expected_slippage(spatial(), context(volatility=None)) is None


def test_inventory_names_the_move_and_its_cost_or_warns_when_unknown() -> None:
    # 0.0001 BTC withdrawal fee at the 103 sell VWAP = 0.0103 USDT.
    assert rebalancing_cost(spatial(), {"BTC": 0.0001}) == pytest.approx(0.0103)
    assert item(spatial(), "inventory") == (
        Check.PASS,
        "move 0.5 BTC alpha->beta: 0.0103 USDT",
    )
    status, reason = item(spatial(), "inventory", context(withdrawal_fees={}))
    assert status is Check.WARN and "cost unknown (set withdrawal_fees.BTC)" in reason
    costly = context(withdrawal_fees={"BTC": 0.1})  # 10.3 USDT > 1.3985 net
    assert item(spatial(), "inventory", costly)[0] is Check.WARN


TRI_MARKETS = {s: rules(("tri", s)) for s in ("BTC/USDT", "ETH/USDT", "ETH/BTC")}
TRI_BOOKS = {
    "BTC/USDT": book(("tri", "BTC/USDT"), ((99.9, 5.0),), ((100.0, 1.0), (101.0, 5.0))),
    "ETH/BTC": book(("tri", "ETH/BTC"), ((0.0499, 50.0),), ((0.05, 10.0), (0.0502, 10.0))),
    "ETH/USDT": book(("tri", "ETH/USDT"), ((5.10, 8.0), (5.0, 100.0)), ((5.11, 10.0),)),
}


def triangle() -> Opportunity:
    route = next(
        r
        for r in find_triangles(TRI_MARKETS.values())
        if r.route_id == "triangular:tri:USDT>BTC>ETH>USDT"
    )
    opp = evaluate_triangle(route, TRI_BOOKS, TRI_MARKETS, 50.0, T0)
    assert opp is not None
    return opp


def test_triangle_needs_only_its_start_currency_and_moves_nothing() -> None:
    opp = triangle()
    assert funding_sources(opp.legs) == (None, 0, 1)
    assert required_funds(opp.legs) == {("tri", "USDT"): pytest.approx(opp.size)}
    assert item(opp, "inventory")[0] is Check.PASS


def test_funding_sources_of_spatial_and_cross_routes() -> None:
    assert funding_sources(spatial().legs) == (None, None)
    # The FX leg sells EUR on kraken, but the sale delivered EUR on bitstamp: it spends
    # EUR already held on kraken, so all three legs can start at once.
    assert funding_sources(cross(static=False).legs) == (None, None, None)


def test_report_verdict_blocks_on_a_fail_and_asks_twice_on_a_warn() -> None:
    failing = evaluate_risk(spatial(), context(now=T0 + 60), RiskThresholds())
    assert failing.blocked and failing.verdict is Check.FAIL
    assert failing.summary.startswith("blocked: BTC/USDT@alpha is 60.0s old")
    warned = evaluate_risk(spatial(), context(volatility=None))
    assert warned.needs_confirmation and not warned.blocked
    assert warned.summary == "1 warning: confirm twice"
    assert RiskReport(()).verdict is Check.PASS


def test_inventory_prices_the_move_with_the_venues_published_fee() -> None:
    # No settings fee; alpha publishes 0.0002 BTC as its cheapest open network:
    # 0.0002 BTC at the 103 sell VWAP = 0.0206 USDT.
    published = {("alpha", "BTC"): TransferInfo("alpha", "BTC", 0.0002, True, True)}
    ctx = context(withdrawal_fees={}, transfers=published)
    assert rebalancing_cost(spatial(), {}, published) == pytest.approx(0.0206)
    assert item(spatial(), "inventory", ctx) == (
        Check.PASS,
        "move 0.5 BTC alpha->beta: 0.0206 USDT",
    )
    # Settings win over the venue: 0.0001 BTC * 103 = 0.0103 USDT.
    assert item(spatial(), "inventory", context(transfers=published))[1].endswith("0.0103 USDT")


def test_inventory_fails_when_the_venues_close_withdrawals_or_deposits() -> None:
    closed = {("alpha", "BTC"): TransferInfo("alpha", "BTC", 0.0002, False, True)}
    assert item(spatial(), "inventory", context(transfers=closed)) == (
        Check.FAIL,
        "move 0.5 BTC alpha->beta: alpha has BTC withdrawals disabled",
    )
    no_deposit = {("beta", "BTC"): TransferInfo("beta", "BTC", None, True, False)}
    status, reason = item(spatial(), "inventory", context(transfers=no_deposit))
    assert status is Check.FAIL and reason.endswith("beta has BTC deposits disabled")
    assert evaluate_risk(spatial(), context(transfers=closed)).blocked


def test_inventory_still_warns_unknown_when_the_venue_says_nothing() -> None:
    silent = {
        ("alpha", "BTC"): TransferInfo("alpha", "BTC"),
        ("beta", "BTC"): TransferInfo("beta", "BTC"),
    }
    status, reason = item(spatial(), "inventory", context(withdrawal_fees={}, transfers=silent))
    assert status is Check.WARN and "cost unknown (set withdrawal_fees.BTC)" in reason
