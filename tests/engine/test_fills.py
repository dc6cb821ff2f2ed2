"""Depth walks, rounding to a market step, one conversion, and the profitable-depth search."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arbscope.engine.fills import (
    FLOAT_NOISE,
    ChainLink,
    Fill,
    coarser_step,
    convert,
    fee_in_start,
    meets_minimums,
    profitable_depth,
    round_down,
    walk_base,
    walk_quote,
)
from arbscope.models import Level
from tests.engine.strategies import book_sides

ASKS: tuple[Level, ...] = ((100.0, 0.5), (101.0, 1.0), (103.0, 2.0))


def test_walk_base_takes_levels_in_order_and_part_of_the_last() -> None:
    # 0.5 @ 100 = 50, 1.0 @ 101 = 101, 0.25 @ 103 = 25.75 -> 1.75 base for 176.75 quote
    fill = walk_base(ASKS, 1.75)
    assert fill == Fill(amount=1.75, cost=176.75, levels_used=3)
    assert fill.vwap == pytest.approx(176.75 / 1.75)


def test_walk_base_stops_at_the_depth() -> None:
    # all of it: 50 + 101 + 206 = 357 for 3.5 base
    assert walk_base(ASKS, 10.0) == Fill(amount=3.5, cost=357.0, levels_used=3)


def test_walk_of_nothing_fills_nothing() -> None:
    assert walk_base(ASKS, 0.0) == Fill(0.0, 0.0, 0)
    assert walk_base((), 1.0) == Fill(0.0, 0.0, 0)
    assert walk_quote(ASKS, 0.0).vwap == 0.0
    assert walk_quote((), 10.0).amount == 0.0


def test_walk_quote_spends_exactly_the_budget() -> None:
    # 50 buys 0.5 @ 100; the next 50.5 buys 0.5 @ 101 -> 1.0 base for 100.5
    fill = walk_quote(ASKS, 100.5)
    assert fill.cost == 100.5
    assert fill.amount == pytest.approx(1.0)
    assert fill.levels_used == 2


def test_walk_quote_stops_at_the_depth() -> None:
    assert walk_quote(ASKS, 1e6) == Fill(amount=3.5, cost=357.0, levels_used=3)


@pytest.mark.parametrize(
    ("amount", "step", "expected"),
    [
        (0.3, 0.1, 0.3),  # 0.3 / 0.1 is 2.9999999999999996 in floats: still 3 steps
        (0.30000000000000004, 0.1, 0.3),  # 0.1 + 0.2: written as the step's decimals
        (1.23456, 0.001, 1.234),
        (0.0009, 0.001, 0.0),
        (7.0, None, 7.0),
        (2.5, 0.5, 2.5),
        (0.00012, 5e-05, 0.0001),
        # 0.2941 / 1e-8 is 29409999.999999996: already on the grid, must stay put
        (0.2941, 1e-08, 0.2941),
        (316.49854, 1e-05, 316.49854),
    ],
)
def test_round_down_to_step(amount: float, step: float | None, expected: float) -> None:
    assert round_down(amount, step) == expected


@given(
    amount=st.floats(0, 1e6, allow_nan=False),
    step=st.sampled_from([0.1, 0.01, 0.001, 1e-8, 0.5, 5e-05, 1.0, 10.0]),
)
@settings(max_examples=200, deadline=None)
def test_round_down_never_rounds_up_and_lands_on_a_multiple(amount: float, step: float) -> None:
    result = round_down(amount, step)
    # Never above the amount, beyond the float noise of a sum of sizes on the grid.
    assert 0.0 <= result <= amount * (1 + FLOAT_NOISE)
    assert amount - result < step * (1 + 1e-6)
    steps = result / step
    assert abs(steps - round(steps)) <= 1e-6 + 1e-12 * steps  # up to float resolution


@given(
    steps=st.integers(1, 10**9),
    step=st.sampled_from([0.1, 0.01, 1e-5, 1e-8, 0.5, 5e-05]),
)
@settings(max_examples=300, deadline=None)
def test_an_amount_already_on_the_grid_is_unchanged(steps: int, step: float) -> None:
    # The nearest float to steps x step, computed exactly in decimal.
    amount = float(Decimal(steps) * Decimal(repr(step)))
    assert round_down(amount, step) == amount


def test_coarser_step() -> None:
    assert coarser_step(0.001, 0.01) == 0.01
    assert coarser_step(None, 0.01) == 0.01
    assert coarser_step(0.001, None) == 0.001
    assert coarser_step(None, None) is None


def test_convert_buy_spends_quote_with_the_fee_on_top() -> None:
    # have 101.0, fee 1%: 100.0 of notional -> 0.5 @ 100 + 0.4950495 @ 101 = 0.9950495 base,
    # rounded down to 0.01 -> 0.99: cost 50 + 0.49 * 101 = 99.49, fee 0.9949, spent 100.4849
    done = convert(ASKS, buy=True, fee=0.01, have=101.0, step=0.01)
    assert done.fill.amount == 0.99
    assert done.fill.cost == pytest.approx(99.49)
    assert done.fee == pytest.approx(0.9949)
    assert done.spent == pytest.approx(100.4849)
    assert done.received == 0.99
    assert done.spent <= 101.0


def test_convert_sell_receives_quote_less_the_fee() -> None:
    bids: tuple[Level, ...] = ((99.0, 1.0), (98.0, 1.0))
    # sell 1.5 -> 99 + 49 = 148 quote, fee 0.2% = 0.296, received 147.704
    done = convert(bids, buy=False, fee=0.002, have=1.5, step=0.1)
    assert (done.fill.amount, done.fill.cost) == (1.5, 148.0)
    assert done.received == pytest.approx(147.704)
    assert done.spent == 1.5
    # more than the book holds: only the depth is sold, the rest stays as it was
    assert convert(bids, buy=False, fee=0.0, have=5.0, step=None).spent == 2.0


def test_meets_minimums() -> None:
    fill = Fill(amount=0.5, cost=50.0, levels_used=1)
    assert meets_minimums(fill, 0.5, 50.0)
    assert not meets_minimums(fill, 0.6, 0.0)
    assert not meets_minimums(fill, 0.0, 50.01)
    assert not meets_minimums(Fill(0.0, 0.0, 0), 0.0, 0.0)


def test_profitable_depth_of_a_two_link_chain_worked_by_hand() -> None:
    # Buy on asks 100 x 1, 102 x 1; sell on bids 103 x 0.5, 101 x 2; no fees.
    # Per unit of base: 103 - 100 = +3 for 0.5, 101 - 100 = +1 for 0.5, then 101 - 102 < 0.
    # So 1.0 base, bought for 100 quote: link 0 takes 100 quote, link 1 takes 1.0 base.
    chain = (
        ChainLink(((100.0, 1.0), (102.0, 1.0)), buy=True, fee=0.0),
        ChainLink(((103.0, 0.5), (101.0, 2.0)), buy=False, fee=0.0),
    )
    quote_in, base_in = profitable_depth(chain)
    assert quote_in == pytest.approx(100.0)
    assert base_in == pytest.approx(1.0)


def test_profitable_depth_is_zero_when_the_first_unit_does_not_pay() -> None:
    chain = (
        ChainLink(((100.0, 1.0),), buy=True, fee=0.001),
        ChainLink(((100.1, 1.0),), buy=False, fee=0.001),
    )
    # 100.1 * 0.999 = 99.9999 < 100 * 1.001 = 100.1
    assert profitable_depth(chain) == (0.0, 0.0)
    assert profitable_depth((ChainLink((), True, 0.0), chain[1])) == (0.0, 0.0)


def test_profitable_depth_stops_where_a_book_runs_out() -> None:
    chain = (ChainLink(((100.0, 1.0),), True, 0.0), ChainLink(((110.0, 5.0),), False, 0.0))
    assert profitable_depth(chain) == pytest.approx((100.0, 1.0))


@given(
    asks=book_sides(100.0, 0.01, descending=False),
    bids=book_sides(100.05, 0.01, descending=True),
    fee=st.sampled_from([0.0, 0.0001, 0.001]),
)
@settings(max_examples=100, deadline=None)
def test_profitable_depth_is_where_the_next_unit_stops_paying(
    asks: tuple[Level, ...], bids: tuple[Level, ...], fee: float
) -> None:
    """Compared with a plain base-by-base merge walk of the same two books."""
    quote_in, base_in = profitable_depth((ChainLink(asks, True, fee), ChainLink(bids, False, fee)))
    expected = 0.0
    i = j = 0
    ask_left = asks[0][1] if asks else 0.0
    bid_left = bids[0][1] if bids else 0.0
    while i < len(asks) and j < len(bids):
        if bids[j][0] * (1 - fee) <= asks[i][0] * (1 + fee):
            break
        take = min(ask_left, bid_left)
        expected += take
        ask_left -= take
        bid_left -= take
        if ask_left <= 1e-12:
            i += 1
            ask_left = asks[i][1] if i < len(asks) else 0.0
        if bid_left <= 1e-12:
            j += 1
            bid_left = bids[j][1] if j < len(bids) else 0.0
    assert base_in == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert quote_in == pytest.approx(walk_base(asks, expected).cost * (1 + fee), rel=1e-9)


def test_profitable_depth_treats_unlimited_depth_as_no_limit() -> None:
    chain = (ChainLink(((100.0, 2.0),), True, 0.0), ChainLink(((101.0, math.inf),), False, 0.0))
    assert profitable_depth(chain) == pytest.approx((200.0, 2.0))


def test_fee_in_start_values_each_fee_through_the_rest_of_the_route() -> None:
    # USDT -> BTC (buy BTC/USDT @ 100) -> ETH (buy ETH/BTC @ 0.05) -> USDT (sell ETH/USDT @ 5.1)
    # Fees: 0.1 USDT (start, as is); 0.001 BTC, in the input of link 1, goes on through
    # links 1 and 2: 0.001 * 20 ETH/BTC * 5.1 = 0.102 USDT; 0.2 USDT at the end, as is.
    valued = fee_in_start(
        fees=[0.1, 0.001, 0.2],
        in_input=[True, True, False],
        rates=[1 / 100, 1 / 0.05, 5.1],
        currencies=["USDT", "BTC", "USDT"],
        start="USDT",
    )
    assert valued == pytest.approx([0.1, 0.102, 0.2])
    # A sell's fee is in its output: EUR from selling BTC/EUR, valued by the FX link at 1.08.
    assert fee_in_start([0.5], [False], [95.0, 1.08], ["EUR"], "USD") == pytest.approx([0.54])


@given(
    sizes=st.lists(st.integers(1, 10**6), min_size=1, max_size=20),
    step=st.sampled_from([0.1, 0.01, 1e-5, 1e-8, 0.5, 5e-05, 0.001]),
)
@settings(max_examples=300, deadline=None)
def test_a_sum_of_level_sizes_on_the_grid_rounds_to_the_exact_sum(
    sizes: list[int], step: float
) -> None:
    # Each level size is a whole number of steps, written as a decimal (as a venue
    # sends it); their float sum drifts by ulps, the exact sum does not.
    exact = Decimal(repr(step))
    levels = [float(n * exact) for n in sizes]
    total = 0.0
    for size in levels:
        total += size
    assert round_down(total, step) == float(sum(sizes) * exact)


@given(
    sizes=st.lists(st.integers(1, 10**6), min_size=1, max_size=20),
    step=st.sampled_from([0.1, 1e-5, 1e-8, 5e-05]),
)
@settings(max_examples=200, deadline=None)
def test_walking_the_whole_grid_sum_takes_exactly_those_levels(
    sizes: list[int], step: float
) -> None:
    exact = Decimal(repr(step))
    levels = [(100.0 + i, float(n * exact)) for i, n in enumerate(sizes)]
    levels.append((1000.0, 1.0))  # a level the walk must not reach
    amount = round_down(sum(size for _, size in levels[:-1]), step)
    fill = walk_base(levels, amount)
    assert fill.amount == amount
    assert fill.levels_used == len(sizes)
