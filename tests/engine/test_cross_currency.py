"""Cross-currency routes: pairing, FX sources, a hand-worked route, invariants over random books."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arbscope.engine.cross_currency import CrossRoute, evaluate_cross, find_cross_routes
from arbscope.engine.fills import walk_base
from arbscope.models import BookKey, Kind, Level, Market, Opportunity, OrderBook, Side, split_symbol
from tests.engine.strategies import VenueCase, cross_cases

NOW = 1_732_400_010.0
STATIC = {"EUR/USD": 1.08}


def rules(venue: str, symbol: str, fee: float, step: float | None = None, **extra: float) -> Market:
    base, quote = split_symbol(symbol)
    return Market(
        venue=venue, symbol=symbol, base=base, quote=quote, taker_fee=fee, amount_step=step, **extra
    )


def book(venue: str, symbol: str, bids: tuple[Level, ...], asks: tuple[Level, ...]) -> OrderBook:
    return OrderBook(venue=venue, symbol=symbol, ts=NOW - 1, bids=bids, asks=asks)


BTC_USD = ("kraken", "BTC/USD")
BTC_EUR = ("bitstamp", "BTC/EUR")
EUR_USD = ("kraken", "EUR/USD")
MARKETS: dict[BookKey, Market] = {
    BTC_USD: rules(*BTC_USD, fee=0.002, step=0.0001),
    BTC_EUR: rules(*BTC_EUR, fee=0.001, step=0.0001),
    EUR_USD: rules(*EUR_USD, fee=0.002, step=0.01),
}
BOOKS: dict[BookKey, OrderBook] = {
    BTC_USD: book(*BTC_USD, bids=((99.0, 1.0),), asks=((100.0, 1.0), (101.5, 1.0))),
    BTC_EUR: book(*BTC_EUR, bids=((95.0, 0.5), (93.8, 2.0)), asks=((96.0, 1.0),)),
    EUR_USD: book(*EUR_USD, bids=((1.08, 1000.0),), asks=((1.0801, 1000.0),)),
}
ROUTE_ID = "cross:BTC:kraken BTC/USD>bitstamp BTC/EUR>kraken EUR/USD"


def the_route(routes: list[CrossRoute], route_id: str = ROUTE_ID) -> CrossRoute:
    return next(r for r in routes if r.route_id == route_id)


def test_find_cross_routes_pairs_quotes_across_venues_through_every_fx_market() -> None:
    listed = [*MARKETS.values(), rules("bitstamp", "EUR/USD", 0.001)]
    routes = find_cross_routes(listed, {})
    assert [r.route_id for r in routes] == [
        "cross:BTC:bitstamp BTC/EUR>kraken BTC/USD>bitstamp EUR/USD",
        "cross:BTC:bitstamp BTC/EUR>kraken BTC/USD>kraken EUR/USD",
        "cross:BTC:kraken BTC/USD>bitstamp BTC/EUR>bitstamp EUR/USD",
        "cross:BTC:kraken BTC/USD>bitstamp BTC/EUR>kraken EUR/USD",
    ]
    forward = the_route(routes)
    assert (forward.base, forward.start) == ("BTC", "USD")
    assert (forward.buy, forward.sell) == (BTC_USD, BTC_EUR)
    assert forward.fx == (EUR_USD, Side.SELL)  # EUR -> USD through EUR/USD: sell EUR
    assert forward.static_fx is None
    assert forward.keys == (BTC_USD, BTC_EUR, EUR_USD)
    # Starting in EUR, the USD comes back through EUR/USD by buying EUR.
    backward = the_route(routes, "cross:BTC:bitstamp BTC/EUR>kraken BTC/USD>kraken EUR/USD")
    assert backward.start == "EUR" and backward.fx == (EUR_USD, Side.BUY)


def test_usdt_is_not_usd_and_usdc_is_not_usdt() -> None:
    listed = [
        rules("kraken", "BTC/USD", 0.002),
        rules("binance", "BTC/USDT", 0.001),
        rules("coinbase", "BTC/USDC", 0.001),
    ]
    # No market and no setting converts between them: no route at all.
    assert find_cross_routes(listed, {}) == []
    # A real USDC/USDT market links USDC and USDT only; USD stays apart.
    linked = find_cross_routes([*listed, rules("binance", "USDC/USDT", 0.0)], {})
    assert {(r.buy[1], r.sell[1]) for r in linked} == {
        ("BTC/USDT", "BTC/USDC"),
        ("BTC/USDC", "BTC/USDT"),
    }


def test_static_rate_only_where_no_market_converts() -> None:
    no_fx = [MARKETS[BTC_USD], MARKETS[BTC_EUR]]
    routes = find_cross_routes(no_fx, STATIC)
    assert [r.route_id for r in routes] == [
        "cross:BTC:bitstamp BTC/EUR>kraken BTC/USD>static EUR/USD",
        "cross:BTC:kraken BTC/USD>bitstamp BTC/EUR>static EUR/USD",
    ]
    assert all(r.fx is None and r.static_fx == "EUR/USD" for r in routes)
    assert routes[0].keys == (BTC_EUR, BTC_USD)
    # The inverse key works the same way.
    assert len(find_cross_routes(no_fx, {"USD/EUR": 0.925})) == 2
    # With a real market the setting is not used.
    assert all(r.fx is not None for r in find_cross_routes(MARKETS.values(), STATIC))


def test_same_venue_and_contract_markets_are_not_paired() -> None:
    same_venue = [rules("kraken", "BTC/USD", 0.002), rules("kraken", "BTC/EUR", 0.002)]
    assert find_cross_routes([*same_venue, MARKETS[EUR_USD]], STATIC) == []
    swap = [rules("kraken", "BTC/USD:USD", 0.002), MARKETS[BTC_EUR], MARKETS[EUR_USD]]
    assert find_cross_routes(swap, {}) == []


def test_hand_worked_route_through_a_real_fx_market() -> None:
    # Per BTC, the sale is worth bid * 0.999 EUR, then * 1.08 * 0.998 USD = bid * 1.07676216;
    # the purchase costs ask * 1.002 USD. Merge-walking:
    #   ask 100.0 (1.0) vs bid 95.0 (0.5): 102.29240520 - 100.200 = +2.0924, take 0.5 -> 0.5
    #   ask 100.0 (0.5) vs bid 93.8 (2.0): 101.00029061 - 100.200 = +0.8003, take 0.5 -> 1.0
    #   ask 101.5 (1.0) vs bid 93.8:       101.00029061 - 101.703 = -0.7027: stop.
    # max_size = 1.0 BTC (the EUR/USD level holds 1000 EUR, far more than needed).
    # At 1.0: buy 100 USD + 0.2 fee = 100.2 paid. Sell 0.5*95 + 0.5*93.8 = 94.4 EUR, fee 0.0944,
    # 94.3056 EUR in hand; the EUR/USD step of 0.01 sells 94.30 (0.0056 EUR dust) at 1.08
    # = 101.844 USD, fee 0.203688, 101.640312 received. net = 101.640312 - 100.2 = 1.440312.
    # Fees in USD: 0.2 + 0.0944 EUR * 1.08 (the FX rate it would have gone at) = 0.101952
    # + 0.203688 = 0.50564; gross = 1.440312 + 0.50564 = 1.945952.
    route = the_route(find_cross_routes(MARKETS.values(), {}))
    opp = evaluate_cross(route, BOOKS, MARKETS, 5.0, NOW, {})
    assert opp is not None
    assert opp.kind is Kind.CROSS_CURRENCY
    assert opp.route_id == ROUTE_ID
    assert opp.max_size == pytest.approx(1.0)
    assert opp.size == pytest.approx(1.0)
    assert [(leg.venue, leg.symbol, leg.side) for leg in opp.legs] == [
        ("kraken", "BTC/USD", Side.BUY),
        ("bitstamp", "BTC/EUR", Side.SELL),
        ("kraken", "EUR/USD", Side.SELL),
    ]
    assert [leg.amount for leg in opp.legs] == pytest.approx([1.0, 1.0, 94.30])
    assert [leg.cost for leg in opp.legs] == pytest.approx([100.0, 94.4, 101.844])
    assert [leg.fee for leg in opp.legs] == pytest.approx([0.2, 0.0944, 0.203688])
    assert opp.net_profit == pytest.approx(1.440312)
    assert opp.net_profit_at_max == pytest.approx(1.440312)
    assert opp.fees == pytest.approx(0.50564)
    assert opp.notional == pytest.approx(100.0)
    assert opp.gross_bps == pytest.approx(1.945952 / 100.0 * 1e4)
    assert opp.net_bps == pytest.approx(1.440312 / 100.0 * 1e4)
    assert [opp.buy_vwap, opp.sell_vwap] == pytest.approx([100.0, 94.4])
    assert (opp.size_currency, opp.profit_currency) == ("BTC", "USD")
    assert [s.label for s in opp.waterfall] == ["gross", "fee kraken", "fee bitstamp", "net"]
    assert [s.amount for s in opp.waterfall] == pytest.approx(
        [1.945952, -(0.2 + 0.203688), -0.101952, 1.440312]
    )
    assert opp.detail["fx_source"] == "market"
    assert opp.detail["fx_rate"] == pytest.approx(1.08)
    assert opp.book_ts == (NOW - 1,) * 3


def test_hand_worked_route_through_a_static_rate() -> None:
    # No fee and no depth on the static conversion: 94.3056 EUR * 1.08 = 101.850048 USD,
    # net = 101.850048 - 100.2 = 1.650048. Fees 0.2 + 0.0944 * 1.08 = 0.301952,
    # gross 1.952 (= 94.4 * 1.08 - 100). The max is still 1.0:
    # 93.8 * 0.999 * 1.08 = 101.2027 < 101.5 * 1.002 = 101.703.
    no_fx = {k: v for k, v in MARKETS.items() if k != EUR_USD}
    for rates in (STATIC, {"USD/EUR": 1 / 1.08}):
        route = find_cross_routes(no_fx.values(), rates)[1]
        assert route.route_id.endswith(">static " + next(iter(rates)))
        opp = evaluate_cross(route, BOOKS, no_fx, 5.0, NOW, rates)
        assert opp is not None
        assert opp.detail["fx_source"] == "static"
        assert len(opp.legs) == 2
        assert opp.max_size == pytest.approx(1.0)
        assert opp.net_profit == pytest.approx(1.650048)
        assert opp.fees == pytest.approx(0.301952)
        assert opp.waterfall[0].amount == pytest.approx(1.952)
        assert opp.book_ts == (NOW - 1, NOW - 1)


def test_no_route_when_the_converted_bid_is_not_above_the_ask() -> None:
    # 92.59 EUR * 1.08 = 99.9972 USD < 100: no edge before fees.
    low = {**BOOKS, BTC_EUR: book(*BTC_EUR, bids=((92.59, 1.0),), asks=((96.0, 1.0),))}
    route = the_route(find_cross_routes(MARKETS.values(), {}))
    assert evaluate_cross(route, low, MARKETS, 1.0, NOW, {}) is None


def test_no_route_when_a_book_side_or_static_rate_is_missing() -> None:
    route = the_route(find_cross_routes(MARKETS.values(), {}))
    without_fx = {k: v for k, v in BOOKS.items() if k != EUR_USD}
    assert evaluate_cross(route, without_fx, MARKETS, 1.0, NOW, {}) is None
    empty_fx = {**BOOKS, EUR_USD: book(*EUR_USD, bids=(), asks=((1.0801, 1.0),))}
    assert evaluate_cross(route, empty_fx, MARKETS, 1.0, NOW, {}) is None
    static = find_cross_routes([MARKETS[BTC_USD], MARKETS[BTC_EUR]], STATIC)[1]
    # The setting was removed since the route was built: nothing to convert with.
    assert evaluate_cross(static, BOOKS, MARKETS, 1.0, NOW, {}) is None


def test_fees_that_eat_the_edge_show_a_loss_and_no_max() -> None:
    # FX fee 2.5%: 95 * 0.999 * 1.08 * 0.975 = 99.935 < 100.2 from the first unit.
    # Before fees 95 * 1.08 = 102.6 and 93.8 * 1.08 = 101.304 beat 100 for the whole
    # 1.0 BTC at 100, then 101.304 < 101.5: size = 1.0, net negative.
    dear = {**MARKETS, EUR_USD: rules(*EUR_USD, fee=0.025, step=0.01)}
    route = the_route(find_cross_routes(dear.values(), {}))
    opp = evaluate_cross(route, BOOKS, dear, 5.0, NOW, {})
    assert opp is not None
    assert opp.max_size == 0.0 and opp.net_profit_at_max == 0.0
    assert opp.size == pytest.approx(1.0)
    assert opp.net_profit < 0 < opp.gross_bps


def test_min_cost_on_the_fx_leg_rejects_the_max() -> None:
    strict = {**MARKETS, EUR_USD: rules(*EUR_USD, fee=0.002, step=0.01, min_cost=500.0)}
    route = the_route(find_cross_routes(strict.values(), {}))
    opp = evaluate_cross(route, BOOKS, strict, 5.0, NOW, {})
    assert opp is not None and opp.max_size == 0.0


def test_a_bad_static_rate_is_refused_with_its_key() -> None:
    static = find_cross_routes([MARKETS[BTC_USD], MARKETS[BTC_EUR]], STATIC)[1]
    with pytest.raises(ValueError, match="EUR/USD"):
        evaluate_cross(static, BOOKS, MARKETS, 1.0, NOW, {"EUR/USD": -1.0})


def _fx_rate(route: CrossRoute, rates: dict[str, float]) -> float:
    assert route.static_fx is not None
    rate = rates[route.static_fx]
    return rate if route.static_fx.endswith("/" + route.start) else 1 / rate


def _all_routes(case: VenueCase, rates: dict[str, float]) -> list[tuple[CrossRoute, Opportunity]]:
    found = []
    for route in find_cross_routes(case.markets.values(), rates):
        opp = evaluate_cross(route, case.books, case.markets, case.target, NOW, rates)
        if opp is not None:
            found.append((route, opp))
    return found


@given(cross_cases())
@settings(max_examples=100, deadline=None)
def test_reexecuting_the_legs_gives_the_reported_net(case: VenueCase) -> None:
    for route, opp in _all_routes(case, STATIC):
        fee = [case.markets[(leg.venue, leg.symbol)].taker_fee for leg in opp.legs]
        book_of = [case.books[(leg.venue, leg.symbol)] for leg in opp.legs]
        bought = walk_base(book_of[0].asks, opp.legs[0].amount)
        sold = walk_base(book_of[1].bids, opp.legs[1].amount)
        paid, proceeds = bought.cost * (1 + fee[0]), sold.cost * (1 - fee[1])
        if route.fx is None:
            received = proceeds * _fx_rate(route, STATIC)
        elif opp.legs[2].side is Side.BUY:
            fx = walk_base(book_of[2].asks, opp.legs[2].amount)
            assert fx.cost * (1 + fee[2]) <= proceeds * (1 + 1e-12)
            received = fx.amount
        else:
            fx = walk_base(book_of[2].bids, opp.legs[2].amount)
            assert fx.amount <= proceeds * (1 + 1e-12)
            received = fx.cost * (1 - fee[2])
        assert received - paid == pytest.approx(opp.net_profit, rel=1e-9, abs=1e-12)
        steps = opp.waterfall
        assert sum(s.amount for s in steps[:-1]) == pytest.approx(opp.net_profit, abs=1e-9)


@given(cross_cases())
@settings(max_examples=100, deadline=None)
def test_size_stays_within_depth_max_and_steps(case: VenueCase) -> None:
    for route, opp in _all_routes(case, STATIC):
        buy, sell = opp.legs[0], opp.legs[1]
        assert buy.amount == sell.amount == opp.size <= case.target
        depth = min(
            sum(s for _, s in case.books[route.buy].asks),
            sum(s for _, s in case.books[route.sell].bids),
        )
        assert opp.size <= depth * (1 + 1e-12)
        if opp.max_size > 0:
            assert opp.size <= opp.max_size
        for leg in opp.legs:
            step = case.markets[(leg.venue, leg.symbol)].amount_step
            if step is not None:
                assert abs(leg.amount / step - round(leg.amount / step)) < 1e-6


@given(cross_cases(steps=(None,)))
@settings(max_examples=100, deadline=None)
def test_without_steps_a_positive_max_is_a_profit(case: VenueCase) -> None:
    for _, opp in _all_routes(case, STATIC):
        if opp.max_size > 0:
            assert opp.net_profit > 0
            assert opp.net_profit_at_max >= opp.net_profit * (1 - 1e-9)


VENUES = ("kraken", "bitstamp", "binance")
SYMBOLS = ("BTC/USD", "BTC/USDT", "BTC/USDC", "BTC/EUR", "EUR/USD", "USDT/USD", "USDC/USDT")


@given(
    listed=st.sets(st.tuples(st.sampled_from(VENUES), st.sampled_from(SYMBOLS)), max_size=12),
    static_keys=st.sets(st.sampled_from(("EUR/USD", "USD/EUR", "USDT/USD", "USDC/USD"))),
)
@settings(max_examples=100, deadline=None)
def test_a_route_never_compares_two_quotes_without_a_conversion(
    listed: set[tuple[str, str]], static_keys: set[str]
) -> None:
    markets = [rules(v, s, 0.001) for v, s in sorted(listed)]
    rates = dict.fromkeys(static_keys, 1.0)
    pairs = {split_symbol(s) for _, s in listed}
    for route in find_cross_routes(markets, rates):
        buy_base, q1 = split_symbol(route.buy[1])
        sell_base, q2 = split_symbol(route.sell[1])
        assert buy_base == sell_base == route.base
        assert q1 == route.start != q2
        assert route.buy[0] != route.sell[0]
        if route.fx is not None:
            (_, fx_symbol), side = route.fx
            assert (fx_symbol, side) in {(f"{q2}/{q1}", Side.SELL), (f"{q1}/{q2}", Side.BUY)}
            assert route.static_fx is None
        else:
            # Static only when nothing listed converts, and only from the user's settings.
            assert route.static_fx in {f"{q2}/{q1}", f"{q1}/{q2}"} & static_keys
            assert (q2, q1) not in pairs and (q1, q2) not in pairs


def test_an_unbounded_target_takes_the_max() -> None:
    route = the_route(find_cross_routes(MARKETS.values(), {}))
    opp = evaluate_cross(route, BOOKS, MARKETS, float("inf"), NOW, {})
    assert opp is not None
    assert opp.size == opp.max_size == pytest.approx(1.0)
    assert opp.net_profit == opp.net_profit_at_max


def test_missing_market_rules_are_named() -> None:
    route = the_route(find_cross_routes(MARKETS.values(), {}))
    with pytest.raises(ValueError, match="kraken EUR/USD"):
        evaluate_cross(
            route, BOOKS, {k: v for k, v in MARKETS.items() if k != EUR_USD}, 1.0, NOW, {}
        )
