"""Triangular routes: enumeration, a hand-worked cycle, edge cases, invariants over random books."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given, settings

from arbscope.engine.fills import convert, walk_base
from arbscope.engine.triangular import TriangleRoute, evaluate_triangle, find_triangles
from arbscope.models import Kind, Level, Market, Opportunity, OrderBook, Side, split_symbol
from tests.engine.strategies import VenueCase, triangle_cases

NOW = 1_732_400_010.0


def rules(symbol: str, fee: float = 0.001, venue: str = "tri", **extra: float) -> Market:
    base, quote = split_symbol(symbol)
    return Market(venue=venue, symbol=symbol, base=base, quote=quote, taker_fee=fee, **extra)


def book(symbol: str, bids: tuple[Level, ...], asks: tuple[Level, ...]) -> OrderBook:
    return OrderBook(venue="tri", symbol=symbol, ts=NOW - 0.5, bids=bids, asks=asks)


def route(routes: list[TriangleRoute], route_id: str) -> TriangleRoute:
    return next(r for r in routes if r.route_id == route_id)


MARKETS = {s: rules(s) for s in ("BTC/USDT", "ETH/USDT", "ETH/BTC")}
BOOKS = {
    "BTC/USDT": book("BTC/USDT", bids=((99.9, 5.0),), asks=((100.0, 1.0), (101.0, 5.0))),
    "ETH/BTC": book("ETH/BTC", bids=((0.0499, 50.0),), asks=((0.05, 10.0), (0.0502, 10.0))),
    "ETH/USDT": book("ETH/USDT", bids=((5.10, 8.0), (5.0, 100.0)), asks=((5.11, 10.0),)),
}
FORWARD = "triangular:tri:USDT>BTC>ETH>USDT"


def test_find_triangles_lists_both_directions_with_the_preferred_start() -> None:
    routes = find_triangles(MARKETS.values())
    assert [r.route_id for r in routes] == [
        "triangular:tri:USDT>BTC>ETH>USDT",
        "triangular:tri:USDT>ETH>BTC>USDT",
    ]
    # USDT -> BTC through BTC/USDT is a buy; BTC -> ETH through ETH/BTC a buy; ETH -> USDT a sell.
    assert routes[0].steps == (
        ("BTC/USDT", Side.BUY),
        ("ETH/BTC", Side.BUY),
        ("ETH/USDT", Side.SELL),
    )
    assert routes[1].steps == (
        ("ETH/USDT", Side.BUY),
        ("ETH/BTC", Side.SELL),
        ("BTC/USDT", Side.SELL),
    )
    assert routes[0].symbols == ("BTC/USDT", "ETH/BTC", "ETH/USDT")
    assert all(r.venue == "tri" and r.start == "USDT" for r in routes)


def test_find_triangles_start_preference_and_alphabetical_fallback() -> None:
    listed = [rules(s) for s in ("ETH/BTC", "SOL/BTC", "SOL/ETH", "ADA/XRP", "XRP/DOT", "ADA/DOT")]
    ids = [r.route_id for r in find_triangles(listed)]
    # BTC is preferred to ETH; with none of the preferred, the first alphabetically (ADA).
    assert ids == [
        "triangular:tri:ADA>DOT>XRP>ADA",
        "triangular:tri:ADA>XRP>DOT>ADA",
        "triangular:tri:BTC>ETH>SOL>BTC",
        "triangular:tri:BTC>SOL>ETH>BTC",
    ]


def test_find_triangles_needs_three_joined_currencies_and_spot_markets() -> None:
    assert find_triangles([rules("BTC/USDT"), rules("ETH/USDT")]) == []
    assert find_triangles([]) == []
    swaps = [rules("BTC/USDT:USDT"), rules("ETH/USDT:USDT"), rules("ETH/BTC")]
    assert find_triangles(swaps) == []


def test_find_triangles_refuses_markets_of_two_venues() -> None:
    with pytest.raises(ValueError, match="one venue"):
        find_triangles([rules("BTC/USDT"), rules("ETH/USDT", venue="other")])


def test_find_triangles_with_four_currencies_finds_every_cycle() -> None:
    # 4 currencies all joined: C(4,3) = 4 triangles, 2 directions each.
    symbols = ("BTC/USDT", "ETH/USDT", "SOL/USDT", "ETH/BTC", "SOL/BTC", "SOL/ETH")
    routes = find_triangles(rules(s) for s in symbols)
    assert len(routes) == 8
    assert len({r.route_id for r in routes}) == 8


def test_hand_worked_cycle_at_max_size() -> None:
    # USDT -> BTC -> ETH -> USDT, fee 0.1% on each leg, no steps.
    # Top-of-book rate before fees: (1/100) * (1/0.05) * 5.10 = 1.02.
    # After fees each level's rate: leg 1 1/(100*1.001) = 1/100.1 BTC per USDT,
    #   leg 2 1/(0.05*1.001) = 1/0.05005 ETH per BTC, leg 3 5.10*0.999 = 5.0949 USDT per ETH:
    #   5.0949 / (100.1 * 0.05005) = 5.0949 / 5.010005 = 1.016945 > 1.
    # The first levels hold, in USDT spent at the start: leg 1 100*1*1.001 = 100.1;
    #   leg 2 0.05*10*1.001 BTC * 100.1 = 50.10005; leg 3 8 ETH * 5.010005 = 40.08004.
    # Leg 3 runs out first; after it the rate is 5.0*0.999 / 5.010005 = 0.99700 <= 1: stop.
    # max_size = 40.08004 USDT: 40.04 + 0.04004 fee buys 0.4004 BTC; 0.4 + 0.0004 BTC fee
    #   buys 8 ETH; 8 ETH sell for 40.8 - 0.0408 fee = 40.7592 USDT.
    # net = 40.7592 - 40.08004 = 0.67916 USDT.
    # Fees in USDT: 0.04004; 0.0004 BTC through legs 2 and 3 at 20 ETH/BTC and 5.10 = 0.0408;
    #   0.0408. Total 0.12164; gross = 0.67916 + 0.12164 = 0.8008 (= 8.008 * 5.1 - 40.04).
    forward = route(find_triangles(MARKETS.values()), FORWARD)
    opp = evaluate_triangle(forward, BOOKS, MARKETS, 1000.0, NOW)
    assert opp is not None
    assert opp.kind is Kind.TRIANGULAR
    assert opp.route_id == FORWARD
    assert opp.max_size == pytest.approx(40.08004)
    assert opp.size == pytest.approx(40.08004)
    assert opp.notional == pytest.approx(40.08004)
    assert [leg.amount for leg in opp.legs] == pytest.approx([0.4004, 8.0, 8.0])
    assert [leg.cost for leg in opp.legs] == pytest.approx([40.04, 0.4, 40.8])
    assert [leg.fee for leg in opp.legs] == pytest.approx([0.04004, 0.0004, 0.0408])
    assert [leg.side for leg in opp.legs] == [Side.BUY, Side.BUY, Side.SELL]
    assert opp.net_profit == pytest.approx(0.67916)
    assert opp.net_profit_at_max == pytest.approx(0.67916)
    assert opp.fees == pytest.approx(0.12164)
    assert opp.gross_bps == pytest.approx(0.8008 / 40.08004 * 1e4)
    assert opp.net_bps == pytest.approx(0.67916 / 40.08004 * 1e4)
    assert (opp.size_currency, opp.profit_currency) == ("USDT", "USDT")
    assert opp.buy_vwap is None and opp.sell_vwap is None
    assert [s.label for s in opp.waterfall] == ["gross", "fee tri", "net"]
    assert [s.amount for s in opp.waterfall] == pytest.approx([0.8008, -0.12164, 0.67916])
    assert opp.detail["top_rate"] == pytest.approx(1.02)
    assert opp.book_ts == (NOW - 0.5,) * 3


def test_hand_worked_cycle_below_max_size() -> None:
    # 20 USDT stays within every first level, so the whole amount goes round at 1.016945:
    # end = 20 * 5.0949 / 5.010005, net = 20 * (5.0949 / 5.010005 - 1) = 0.338902...
    forward = route(find_triangles(MARKETS.values()), FORWARD)
    opp = evaluate_triangle(forward, BOOKS, MARKETS, 20.0, NOW)
    assert opp is not None
    assert opp.size == pytest.approx(20.0)
    assert opp.net_profit == pytest.approx(20 * (5.0949 / 5.010005 - 1))
    assert opp.max_size == pytest.approx(40.08004)


def test_no_route_when_the_top_cycle_does_not_pay_before_fees() -> None:
    # The other direction: 5.11 USDT per ETH, 0.0499 BTC per ETH, 99.9 USDT per BTC:
    # (1/5.11) * 0.0499 * 99.9 = 0.97554 <= 1.
    backward = route(find_triangles(MARKETS.values()), "triangular:tri:USDT>ETH>BTC>USDT")
    assert evaluate_triangle(backward, BOOKS, MARKETS, 100.0, NOW) is None


def test_no_route_when_the_cycle_rate_is_exactly_one() -> None:
    # (1/100) * (1/0.05) * 5.0 = 1.0 exactly.
    flat = {**BOOKS, "ETH/USDT": book("ETH/USDT", bids=((5.0, 8.0),), asks=((5.11, 1.0),))}
    forward = route(find_triangles(MARKETS.values()), FORWARD)
    assert evaluate_triangle(forward, flat, MARKETS, 100.0, NOW) is None


def test_no_route_when_a_book_or_side_is_missing() -> None:
    forward = route(find_triangles(MARKETS.values()), FORWARD)
    missing = {k: v for k, v in BOOKS.items() if k != "ETH/BTC"}
    assert evaluate_triangle(forward, missing, MARKETS, 100.0, NOW) is None
    no_bids = {**BOOKS, "ETH/USDT": book("ETH/USDT", bids=(), asks=((5.11, 1.0),))}
    assert evaluate_triangle(forward, no_bids, MARKETS, 100.0, NOW) is None


def test_fees_that_eat_the_edge_show_a_loss_and_no_max() -> None:
    # Fee 0.7% on each leg: 1.02 * 0.993 / 1.007**2 = 0.99884 <= 1 from the first unit.
    # Before fees the rate is 1.02 over leg 3's first 8 ETH (= 8 * 0.05 * 100 = 40 USDT) and
    # then 5.0 / 5.0 = 1: so size = 40 USDT, which after two 0.7% fees buys
    # 40 / 1.007 / 100 / 1.007 / 0.05 = 7.889 ETH.
    dear = {s: rules(s, fee=0.007) for s in MARKETS}
    forward = route(find_triangles(dear.values()), FORWARD)
    opp = evaluate_triangle(forward, BOOKS, dear, 1000.0, NOW)
    assert opp is not None
    assert opp.max_size == 0.0 and opp.net_profit_at_max == 0.0
    assert opp.net_profit < 0 < opp.gross_bps
    assert opp.size == pytest.approx(40.0)
    assert opp.legs[2].amount == pytest.approx(40 / 1.007 / 100 / 1.007 / 0.05)


def test_min_cost_rejects_a_tiny_max() -> None:
    # At max the last leg sells 8 ETH for 40.8 USDT; a 50-USDT minimum order refuses it.
    strict = {**MARKETS, "ETH/USDT": rules("ETH/USDT", min_cost=50.0)}
    forward = route(find_triangles(strict.values()), FORWARD)
    opp = evaluate_triangle(forward, BOOKS, strict, 1000.0, NOW)
    assert opp is not None and opp.max_size == 0.0


def test_steps_round_each_leg_down_and_leave_dust() -> None:
    # Steps: BTC/USDT 0.01 BTC, ETH/BTC 1 ETH. 20 USDT buys 19.98002 / 100 = 0.1998 -> 0.19 BTC
    # (19.019 USDT spent); 0.19 BTC buys 0.19 / 1.001 / 0.05 = 3.796 -> 3 ETH (0.15015 BTC),
    # the 0.03985 BTC left is dust; 3 ETH sell for 15.3 * 0.999 = 15.2847.
    # net = 15.2847 - 19.019 = -3.7343: the dust is a real cost of these steps.
    stepped = dict(
        MARKETS,
        **{
            "BTC/USDT": rules("BTC/USDT", amount_step=0.01),
            "ETH/BTC": rules("ETH/BTC", amount_step=1.0),
        },
    )
    forward = route(find_triangles(stepped.values()), FORWARD)
    opp = evaluate_triangle(forward, BOOKS, stepped, 20.0, NOW)
    assert opp is not None
    assert [leg.amount for leg in opp.legs] == pytest.approx([0.19, 3.0, 3.0])
    assert opp.size == pytest.approx(19.019)
    assert opp.net_profit == pytest.approx(15.2847 - 19.019)


def test_bad_start_amount_and_missing_rules_are_refused() -> None:
    forward = route(find_triangles(MARKETS.values()), FORWARD)
    with pytest.raises(ValueError, match="start_amount"):
        evaluate_triangle(forward, BOOKS, MARKETS, 0.0, NOW)
    with pytest.raises(ValueError, match="ETH/BTC"):
        evaluate_triangle(
            forward, BOOKS, {k: v for k, v in MARKETS.items() if k != "ETH/BTC"}, 1.0, NOW
        )


def _legs_again(
    case_markets: dict[str, Market], books: dict[str, OrderBook], opp: Opportunity
) -> list[tuple[float, float]]:
    """(spent, received) of each leg, walking its book again at the reported amount."""
    out = []
    for leg in opp.legs:
        fee = case_markets[leg.symbol].taker_fee
        if leg.side is Side.BUY:
            fill = walk_base(books[leg.symbol].asks, leg.amount)
            out.append((fill.cost * (1 + fee), fill.amount))
        else:
            fill = walk_base(books[leg.symbol].bids, leg.amount)
            out.append((fill.amount, fill.cost * (1 - fee)))
    return out


def _all_routes(
    case: VenueCase,
) -> tuple[dict[str, Market], dict[str, OrderBook], list[Opportunity]]:
    markets, books = case.by_symbol("tri")
    found = []
    for r in find_triangles(markets.values()):
        opp = evaluate_triangle(r, books, markets, case.target, NOW)
        if opp is not None:
            found.append(opp)
    return markets, books, found


@given(triangle_cases())
@settings(max_examples=100, deadline=None)
def test_reexecuting_the_legs_gives_the_reported_net(case: VenueCase) -> None:
    markets, books, found = _all_routes(case)
    for opp in found:
        legs = _legs_again(markets, books, opp)
        assert legs[-1][1] - legs[0][0] == pytest.approx(opp.net_profit, rel=1e-9, abs=1e-12)
        # Each leg spends no more than the one before delivered.
        for (_, received), (spent, _) in pairwise(legs):
            assert spent <= received * (1 + 1e-12)
        steps = opp.waterfall
        assert sum(s.amount for s in steps[:-1]) == pytest.approx(steps[-1].amount, abs=1e-9)
        assert steps[-1].amount == opp.net_profit


@given(triangle_cases())
@settings(max_examples=100, deadline=None)
def test_size_stays_within_the_target_the_max_and_the_steps(case: VenueCase) -> None:
    markets, _, found = _all_routes(case)
    for opp in found:
        assert opp.size <= case.target * (1 + 1e-12)
        if opp.max_size > 0:
            assert opp.size <= opp.max_size * (1 + 1e-9)
        for leg in opp.legs:
            step = markets[leg.symbol].amount_step
            assert leg.amount > 0
            if step is not None:
                assert abs(leg.amount / step - round(leg.amount / step)) < 1e-6
        assert {leg.venue for leg in opp.legs} == {"tri"}


def _cycle_net(
    route_: TriangleRoute, books: dict[str, OrderBook], markets: dict[str, Market], start: float
) -> float:
    """The cycle at `start` through `fills.convert`, with no cap at the max."""
    have = start
    spent = 0.0
    for k, (symbol, side) in enumerate(route_.steps):
        buy = side is Side.BUY
        levels = books[symbol].asks if buy else books[symbol].bids
        done = convert(levels, buy, markets[symbol].taker_fee, have, None)
        spent = done.spent if k == 0 else spent
        have = done.received
    return have - spent


@given(triangle_cases(steps=(None,)))
@settings(max_examples=100, deadline=None)
def test_without_steps_the_max_is_the_most_profitable_start(case: VenueCase) -> None:
    markets, books, found = _all_routes(case)
    for opp in found:
        if opp.max_size == 0:
            continue
        assert opp.net_profit > 0 and opp.net_profit_at_max >= opp.net_profit * (1 - 1e-9)
        route_ = next(r for r in find_triangles(markets.values()) if r.route_id == opp.route_id)
        at_max = _cycle_net(route_, books, markets, opp.max_size)
        assert at_max == pytest.approx(opp.net_profit_at_max, rel=1e-9)
        # Every unit up to the max pays, every unit past it does not.
        assert _cycle_net(route_, books, markets, opp.max_size * 0.9) < at_max
        assert _cycle_net(route_, books, markets, opp.max_size * 1.1) <= at_max * (1 + 1e-9)


def test_an_unbounded_start_amount_takes_the_max() -> None:
    forward = route(find_triangles(MARKETS.values()), FORWARD)
    opp = evaluate_triangle(forward, BOOKS, MARKETS, float("inf"), NOW)
    assert opp is not None
    assert opp.size == opp.max_size == pytest.approx(40.08004)
    assert opp.net_profit == opp.net_profit_at_max


def test_max_size_stops_where_the_dust_of_a_later_step_stops_eating_the_edge() -> None:
    """Issue 12 §3: a later leg's amount step cuts the depth search's size into a loss.

    USDC -> ETH -> BTC -> USDC on one venue, no fees, one level a side:
      buy ETH/USDC at 2000 (0.1301 ETH, step 0.0001), sell ETH/BTC at 0.05
      (step 0.0001), sell BTC/USDC at 40100 (step 0.001 BTC).
    Top rate 0.05 * 40100 / 2000 = 1.0025: every unit pays until the ETH runs out.
    At that depth, 0.1301 ETH costs 260.2 USDC, brings 0.006505 BTC, cut to 0.006 by
    the step: 0.006 * 40100 = 240.6 USDC back, a loss of 19.6.
    0.006 BTC needs 0.006 / 0.05 = 0.12 ETH at least, and any ETH up to 0.1302 brings
    no more BTC; the cycle pays while 2000 * a < 240.6, a < 0.1203. The largest ETH
    amount on the grid that pays is 0.1202: 240.4 USDC spent, 240.6 back, +0.2.
    """
    steps = {"ETH/USDC": 0.0001, "ETH/BTC": 0.0001, "BTC/USDC": 0.001}
    markets = {s: rules(s, fee=0.0, amount_step=step) for s, step in steps.items()}
    books = {
        "ETH/USDC": book("ETH/USDC", bids=(), asks=((2000.0, 0.1301),)),
        "ETH/BTC": book("ETH/BTC", bids=((0.05, 10.0),), asks=()),
        "BTC/USDC": book("BTC/USDC", bids=((40100.0, 10.0),), asks=()),
    }
    cycle = route(find_triangles(markets.values()), "triangular:tri:USDC>ETH>BTC>USDC")
    opp = evaluate_triangle(cycle, books, markets, 1e9, NOW)
    assert opp is not None
    assert opp.max_size == pytest.approx(240.4, rel=1e-12)
    assert opp.net_profit_at_max == pytest.approx(0.2, rel=1e-9)
    assert opp.legs[0].amount == 0.1202
    assert opp.legs[2].amount == 0.006
    # The target is above the max: the route is shown at the max, and it pays.
    assert opp.size == opp.max_size
    assert opp.net_profit == opp.net_profit_at_max
