"""Spatial routes: a hand-worked example, the edge cases, and invariants over random books."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings

from arbscope.engine.fills import FLOAT_NOISE, ChainLink, profitable_depth, walk_base
from arbscope.engine.spatial import evaluate_spatial, spatial_route_id
from arbscope.models import Kind, Level, Market, Opportunity, OrderBook, Side
from tests.engine.strategies import SpatialCase, spatial_cases

NOW = 1_732_400_010.0


def book(
    venue: str, bids: tuple[Level, ...], asks: tuple[Level, ...], ts: float = 0.0
) -> OrderBook:
    return OrderBook(venue=venue, symbol="BTC/USDT", ts=ts or NOW - 1, bids=bids, asks=asks)


def market(venue: str, fee: float, step: float | None = None, **minimums: float) -> Market:
    return Market(
        venue=venue,
        symbol="BTC/USDT",
        base="BTC",
        quote="USDT",
        taker_fee=fee,
        amount_step=step,
        **minimums,
    )


# The worked example: buy on alpha (fee 0.1%), sell on beta (fee 0.2%).
ALPHA = book("alpha", bids=((99.0, 1.0),), asks=((100.0, 0.5), (100.6, 1.0), (101.5, 2.0)))
BETA = book("beta", bids=((101.4, 0.8), (101.2, 0.6), (100.9, 3.0)), asks=((102.0, 1.0),))
ALPHA_RULES = market("alpha", 0.001, step=0.01)
BETA_RULES = market("beta", 0.002, step=0.001)


def test_hand_worked_example() -> None:
    # Marginal profit per BTC = bid * (1 - 0.002) - ask * (1 + 0.001), merge-walking:
    #   ask 100.0 (0.5) vs bid 101.4 (0.8): 101.1972 - 100.1000 = +1.0972, take 0.5 -> 0.5
    #   ask 100.6 (1.0) vs bid 101.4 (0.3): 101.1972 - 100.7006 = +0.4966, take 0.3 -> 0.8
    #   ask 100.6 (0.7) vs bid 101.2 (0.6): 100.9976 - 100.7006 = +0.2970, take 0.6 -> 1.4
    #   ask 100.6 (0.1) vs bid 100.9 (3.0): 100.6982 - 100.7006 = -0.0024: stop.
    # max_size = 1.4 (a multiple of the coarser step 0.01).
    # At max: buy 0.5*100 + 0.9*100.6 = 140.54, sell 0.8*101.4 + 0.6*101.2 = 141.84,
    #   net = 0.5*1.0972 + 0.3*0.4966 + 0.6*0.2970 = 0.87578
    #   (= 141.84 - 140.54 - 0.14054 - 0.28368).
    # At the target 1.0: buy 0.5*100 + 0.5*100.6 = 100.3, sell 0.8*101.4 + 0.2*101.2 = 101.36,
    #   gross 1.06, fees 0.1003 (alpha) + 0.20272 (beta), net 0.75698
    #   (= 0.5*1.0972 + 0.3*0.4966 + 0.2*0.2970).
    # Rebalancing 0.0005 BTC at the sell VWAP 101.36 = 0.05068; net after it 0.7063.
    opp = evaluate_spatial(ALPHA, BETA, ALPHA_RULES, BETA_RULES, 1.0, NOW, withdrawal_fee=0.0005)
    assert opp is not None
    assert opp.kind is Kind.SPATIAL
    assert opp.route_id == "spatial:BTC/USDT:alpha>beta"
    assert opp.max_size == pytest.approx(1.4)
    assert opp.net_profit_at_max == pytest.approx(0.87578)
    assert opp.size == pytest.approx(1.0)
    buy, sell = opp.legs
    assert (buy.venue, buy.side, sell.venue, sell.side) == ("alpha", Side.BUY, "beta", Side.SELL)
    assert [buy.cost, sell.cost] == pytest.approx([100.3, 101.36])
    assert (buy.levels_used, sell.levels_used) == (2, 2)
    assert opp.buy_vwap == pytest.approx(100.3) and opp.sell_vwap == pytest.approx(101.36)
    assert opp.fees == pytest.approx(0.1003 + 0.20272)
    assert opp.net_profit == pytest.approx(0.75698)
    assert opp.notional == pytest.approx(100.3)
    assert opp.gross_bps == pytest.approx(1.06 / 100.3 * 1e4)
    assert opp.net_bps == pytest.approx(0.75698 / 100.3 * 1e4)
    assert (opp.size_currency, opp.profit_currency) == ("BTC", "USDT")
    assert opp.book_ts == (ALPHA.ts, BETA.ts)
    assert opp.ts == NOW and opp.opened_ts is None
    assert [(s.label, round(s.amount, 6)) for s in opp.waterfall] == [
        ("gross", 1.06),
        ("fee alpha", -0.1003),
        ("fee beta", -0.20272),
        ("net", 0.75698),
        ("rebalancing BTC withdrawal", -0.05068),
        ("net after rebalancing", 0.7063),
    ]
    assert opp.detail == {"buy_best_ask": 100.0, "sell_best_bid": 101.4}


def test_route_id() -> None:
    assert spatial_route_id("BTC/USDT", "binance", "okx") == "spatial:BTC/USDT:binance>okx"


def test_target_above_max_is_cut_to_max() -> None:
    opp = evaluate_spatial(ALPHA, BETA, ALPHA_RULES, BETA_RULES, 5.0, NOW)
    assert opp is not None
    assert opp.size == pytest.approx(1.4)
    assert opp.net_profit == pytest.approx(opp.net_profit_at_max)
    assert [s.label for s in opp.waterfall] == ["gross", "fee alpha", "fee beta", "net"]


def test_no_route_when_a_side_is_empty() -> None:
    no_asks = book("alpha", bids=((99.0, 1.0),), asks=())
    no_bids = book("beta", bids=(), asks=((102.0, 1.0),))
    assert evaluate_spatial(no_asks, BETA, ALPHA_RULES, BETA_RULES, 1.0, NOW) is None
    assert evaluate_spatial(ALPHA, no_bids, ALPHA_RULES, BETA_RULES, 1.0, NOW) is None


def test_no_route_when_the_edge_is_exactly_zero() -> None:
    level = book("beta", bids=((100.0, 5.0),), asks=((100.5, 1.0),))
    assert evaluate_spatial(ALPHA, level, ALPHA_RULES, BETA_RULES, 1.0, NOW) is None


def test_fees_that_eat_the_whole_edge_show_a_loss_and_no_max() -> None:
    # Top: ask 100.0 vs bid 100.1 crosses by 0.1, but 100.1*0.999 - 100.0*1.001 = -0.1999.
    # Bid > ask holds for 0.5 BTC (alpha's first level), so size = min(1.0, 0.5) = 0.5:
    # gross 0.5*0.1 = 0.05, fees 0.05 + 0.05005 = 0.10005, net -0.05005.
    thin = book("beta", bids=((100.1, 2.0),), asks=((100.2, 1.0),))
    fee = market("alpha", 0.001)
    opp = evaluate_spatial(ALPHA, thin, fee, market("beta", 0.001), 1.0, NOW)
    assert opp is not None
    assert opp.max_size == 0.0
    assert opp.net_profit_at_max == 0.0
    assert opp.size == pytest.approx(0.5)
    assert opp.net_profit == pytest.approx(-0.05005)
    assert opp.gross_bps > 0 > opp.net_bps


def test_min_cost_rejects_a_tiny_max() -> None:
    # Only 0.01 BTC pays (alpha's 0.01 @ 100 vs beta's 100.5): worth 1.00 USDT, below the
    # 5 USDT minimum order on beta, so nothing can be executed at a profit: max_size 0.
    # The books still cross before fees over those 0.01 BTC, so size = 0.01, net shown.
    tiny_ask = book("alpha", bids=((99.0, 1.0),), asks=((100.0, 0.01), (101.0, 5.0)))
    bid = book("beta", bids=((100.5, 5.0),), asks=((102.0, 1.0),))
    opp = evaluate_spatial(
        tiny_ask, bid, market("alpha", 0.001), market("beta", 0.001, min_cost=5.0), 1.0, NOW
    )
    assert opp is not None
    assert opp.max_size == 0.0
    assert opp.size == pytest.approx(0.01)
    # 0.01 * (100.5 * 0.999 - 100 * 1.001) = 0.01 * (100.3995 - 100.1) = 0.01 * 0.2995
    assert opp.net_profit == pytest.approx(0.002995)
    without_minimum = evaluate_spatial(
        tiny_ask, bid, market("alpha", 0.001), market("beta", 0.001), 1.0, NOW
    )
    assert without_minimum is not None and without_minimum.max_size == pytest.approx(0.01)


def test_min_amount_rejects_a_max_below_it() -> None:
    opp = evaluate_spatial(
        ALPHA, BETA, market("alpha", 0.001, min_amount=2.0), BETA_RULES, 1.0, NOW
    )
    assert opp is not None and opp.max_size == 0.0


def test_step_coarser_than_the_target_leaves_nothing_to_show() -> None:
    coarse = market("alpha", 0.001, step=1.0)
    assert evaluate_spatial(ALPHA, BETA, coarse, BETA_RULES, 0.5, NOW) is None


def test_different_symbols_are_refused() -> None:
    other = OrderBook(
        venue="beta", symbol="BTC/USD", ts=NOW, bids=((101.4, 1.0),), asks=((102.0, 1.0),)
    )
    with pytest.raises(ValueError, match="one symbol"):
        evaluate_spatial(ALPHA, other, ALPHA_RULES, BETA_RULES, 1.0, NOW)


def test_a_target_that_is_not_positive_is_refused() -> None:
    with pytest.raises(ValueError, match="target_size"):
        evaluate_spatial(ALPHA, BETA, ALPHA_RULES, BETA_RULES, math.nan, NOW)


def _reexecuted_net(case: SpatialCase, opp: Opportunity) -> float:
    buy, sell = opp.legs
    bought = walk_base(case.buy_book.asks, buy.amount)
    sold = walk_base(case.sell_book.bids, sell.amount)
    fees = bought.cost * case.buy_market.taker_fee + sold.cost * case.sell_market.taker_fee
    return sold.cost - bought.cost - fees


def _net_at(case: SpatialCase, size: float) -> float:
    bought = walk_base(case.buy_book.asks, size)
    sold = walk_base(case.sell_book.bids, size)
    return sold.cost * (1 - case.sell_market.taker_fee) - bought.cost * (
        1 + case.buy_market.taker_fee
    )


def _depth(levels: tuple[Level, ...]) -> float:
    return math.fsum(size for _, size in levels)


def _is_multiple(amount: float, step: float | None) -> bool:
    return step is None or abs(amount / step - round(amount / step)) < 1e-6


@given(spatial_cases())
@settings(max_examples=100, deadline=None)
def test_reexecuting_the_legs_gives_the_reported_net(case: SpatialCase) -> None:
    opp = evaluate_spatial(
        case.buy_book, case.sell_book, case.buy_market, case.sell_market, case.target_size, NOW
    )
    if opp is None:
        asks, bids = case.buy_book.asks, case.sell_book.bids
        if asks and bids and asks[0][0] < bids[0][0]:
            # The books cross, so the only reason left: the size rounds down to nothing.
            gross_depth = profitable_depth(
                (ChainLink(asks, True, 0.0), ChainLink(bids, False, 0.0))
            )
            step = max(
                s or 0.0 for s in (case.buy_market.amount_step, case.sell_market.amount_step)
            )
            assert min(case.target_size, gross_depth[1]) < step * (1 + 1e-9)
        return
    assert _reexecuted_net(case, opp) == pytest.approx(opp.net_profit, rel=1e-9, abs=1e-12)
    assert opp.fees == pytest.approx(sum(leg.fee for leg in opp.legs), rel=1e-9)
    if opp.max_size > 0:
        assert opp.net_profit > 0
        assert opp.net_profit_at_max >= opp.net_profit * (1 - 1e-9)
    steps = opp.waterfall
    assert steps[-1].label == "net"
    assert sum(s.amount for s in steps[:-1]) == pytest.approx(opp.net_profit, abs=1e-9)


@given(spatial_cases())
@settings(max_examples=100, deadline=None)
def test_size_stays_within_the_depth_and_the_max_and_on_the_step(case: SpatialCase) -> None:
    opp = evaluate_spatial(
        case.buy_book, case.sell_book, case.buy_market, case.sell_market, case.target_size, NOW
    )
    if opp is None:
        return
    buy, sell = opp.legs
    assert buy.amount == sell.amount == opp.size
    # A target below a market's minimum is shown at the smallest size allowed, if it pays.
    resized = opp.minimum_breach is not None and opp.minimum_breach.resized
    assert opp.size <= case.target_size or resized
    # Within the depth, up to the float noise of summing level sizes in another order
    # (4.0078000000000005 against 4.0078 was seen).
    depth = min(_depth(case.buy_book.asks), _depth(case.sell_book.bids)) * (1 + FLOAT_NOISE)
    assert opp.size <= depth
    if opp.max_size > 0:
        assert opp.size <= opp.max_size
        assert opp.max_size <= depth
    for amount in (opp.size, opp.max_size):
        assert _is_multiple(amount, case.buy_market.amount_step)
        assert _is_multiple(amount, case.sell_market.amount_step)


@given(spatial_cases())
@settings(max_examples=100, deadline=None)
def test_legs_always_share_one_symbol_and_quote(case: SpatialCase) -> None:
    opp = evaluate_spatial(
        case.buy_book, case.sell_book, case.buy_market, case.sell_market, case.target_size, NOW
    )
    if opp is None:
        return
    assert {leg.symbol for leg in opp.legs} == {"BTC/USDT"}
    assert opp.profit_currency == "USDT"


@given(spatial_cases(minimums=False))
@settings(max_examples=100, deadline=None)
def test_max_size_is_where_the_next_unit_stops_paying(case: SpatialCase) -> None:
    opp = evaluate_spatial(
        case.buy_book, case.sell_book, case.buy_market, case.sell_market, 1e9, NOW
    )
    chain = (
        ChainLink(case.buy_book.asks, True, case.buy_market.taker_fee),
        ChainLink(case.sell_book.bids, False, case.sell_market.taker_fee),
    )
    unrounded = profitable_depth(chain)[1]  # a different walk: in quote, through rates
    if opp is None or opp.max_size == 0:
        step = max(s or 0.0 for s in (case.buy_market.amount_step, case.sell_market.amount_step))
        assert unrounded < step * (1 + 1e-9) or unrounded == pytest.approx(0.0, abs=1e-12)
        return
    step = max(s or 0.0 for s in (case.buy_market.amount_step, case.sell_market.amount_step))
    assert opp.max_size <= unrounded * (1 + 1e-9)
    assert unrounded - opp.max_size < step + 1e-9 * unrounded
    # Past the profitable depth, more size only loses.
    beyond = unrounded + max(step, 0.001)
    if beyond <= min(_depth(case.buy_book.asks), _depth(case.sell_book.bids)):
        assert _net_at(case, beyond) <= _net_at(case, unrounded) + 1e-9


def test_an_unbounded_target_takes_the_max() -> None:
    # The calculator passes math.inf when it cannot value the base yet.
    opp = evaluate_spatial(ALPHA, BETA, ALPHA_RULES, BETA_RULES, math.inf, NOW)
    assert opp is not None
    assert opp.size == opp.max_size == pytest.approx(1.4)
    assert opp.net_profit == opp.net_profit_at_max


def test_a_size_on_the_amount_grid_keeps_its_last_step() -> None:
    # The minimal case: beta's first two asks (49939.1 and 49945.0) are below
    # gamma's best bid 49946.1, its third (49947.0) is not, so the route reaches
    # 0.2919 + 0.00064 = 0.29254 BTC, on the 1e-05 grid. In floats that sum is
    # 0.29253999999999997, which a plain floor cut to 0.29253 (a whole step lost).
    beta = book(
        "beta",
        bids=((49930.0, 1.0),),
        asks=((49939.1, 0.2919), (49945.0, 0.00064), (49947.0, 1.2123)),
    )
    gamma = book("gamma", bids=((49946.1, 1.148961), (49943.5, 0.00072)), asks=((49950.0, 1.0),))
    beta_rules = market("beta", 0.001, step=1e-05)
    gamma_rules = market("gamma", 0.0004, step=1e-05)
    opp = evaluate_spatial(beta, gamma, beta_rules, gamma_rules, 10.0, NOW)
    assert opp is not None
    assert opp.size == 0.29254
    buy, sell = opp.legs
    assert buy.amount == sell.amount == 0.29254
    # Both of beta's paying levels are taken, and nothing of the third.
    assert buy.levels_used == 2
    assert buy.cost == pytest.approx(0.2919 * 49939.1 + 0.00064 * 49945.0, rel=1e-12)


# --- a size below a market's minimum (issue 12 §4) -----------------------------------------

WIDE_ALPHA = book("alpha", bids=((99.0, 1.0),), asks=((100.0, 2.0),))
WIDE_BETA = book("beta", bids=((101.0, 2.0),), asks=((102.0, 1.0),))


def test_a_target_below_min_cost_is_shown_at_the_smallest_size_allowed_naming_the_minimum() -> None:
    """min_cost 100 on both venues; the target 0.2 BTC would be a 20 USDT order on alpha.

    The smallest size on the 0.001 grid that both accept: alpha's buy costs 100 * a >= 100,
    a >= 1.0 (beta's sale of 1.0 brings 101 >= 100). At 1.0 BTC: gross 101 - 100 = 1.0,
    fees 100 * 0.001 + 101 * 0.002 = 0.302, net +0.698 USDT: it pays, so it is shown there.
    """
    alpha = market("alpha", 0.001, step=0.001, min_cost=100.0)
    beta = market("beta", 0.002, step=0.001, min_cost=100.0)
    opp = evaluate_spatial(WIDE_ALPHA, WIDE_BETA, alpha, beta, 0.2, NOW)
    assert opp is not None
    assert opp.minimum_breach is not None
    assert (opp.minimum_breach.venue, opp.minimum_breach.rule) == ("alpha", "min_cost")
    assert opp.minimum_breach.minimum == 100.0
    assert opp.minimum_breach.ordered == pytest.approx(20.0)  # 0.2 BTC at 100
    assert opp.minimum_breach.resized
    assert opp.size == 1.0
    assert opp.net_profit == pytest.approx(0.698)
    assert opp.max_size == 2.0  # the whole depth pays: 101 * 0.998 - 100 * 1.001 = +0.698 a BTC
    assert "alpha BTC/USDT min_cost 100 USDT (order 20 USDT)" in opp.minimum_breach.describe()


def test_a_minimum_the_depth_cannot_meet_is_shown_at_the_target_as_not_executable() -> None:
    """min_cost 300 on beta: 2 BTC (the whole depth) sell for 202 USDT, never 300.

    The route is shown at the 0.2 BTC asked for, with the breach, never as a trade: the
    figures are those of orders no venue would take (net 0.2 * 0.698 = +0.1396).
    """
    alpha = market("alpha", 0.001, step=0.001)
    beta = market("beta", 0.002, step=0.001, min_cost=300.0)
    opp = evaluate_spatial(WIDE_ALPHA, WIDE_BETA, alpha, beta, 0.2, NOW)
    assert opp is not None
    assert opp.minimum_breach is not None
    assert (opp.minimum_breach.venue, opp.minimum_breach.rule) == ("beta", "min_cost")
    assert opp.minimum_breach.ordered == pytest.approx(20.2)  # 0.2 BTC at 101
    assert not opp.minimum_breach.resized
    assert opp.size == 0.2
    assert opp.max_size == 0.0
    assert opp.net_profit == pytest.approx(0.1396)
    assert "not executable" in opp.minimum_breach.describe()
