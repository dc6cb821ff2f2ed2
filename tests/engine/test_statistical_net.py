"""A statistical route's expected net: reversion - entry crossing - exit crossing - fees."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arbscope.engine.config import EngineConfig
from arbscope.engine.statistical import SpreadPair, evaluate_statistical
from arbscope.engine.statistical_net import expected_net, max_expected_size, position_depth
from arbscope.models import Level, Market, Opportunity, OrderBook

TS = 1000.0

# The issue's books: alpha is rich, beta cheap. Top levels as the issue gives them, a second
# level 0.67 further out on each side so that 0.04 BTC walks into it.
ALPHA = OrderBook(
    venue="alpha", symbol="BTC/USDT", ts=TS,
    bids=((50112.77, 0.03), (50112.10, 1.0)), asks=((50126.71, 0.03), (50127.38, 1.0)),
)
BETA = OrderBook(
    venue="beta", symbol="BTC/USDT", ts=TS,
    bids=((49977.95, 0.03), (49977.28, 1.0)), asks=((49992.87, 0.03), (49993.54, 1.0)),
)
WINDOW_MEAN = 6.3933e-4
WINDOW_STD = 5.9175e-4


def usdt_market(venue: str, fee: float = 0.0005, step: float | None = None) -> Market:
    return Market(
        venue=venue, symbol="BTC/USDT", base="BTC", quote="USDT", taker_fee=fee,
        amount_step=step,
    )


def issue_pair() -> SpreadPair:
    """30 samples of the last 30 s around the window's mean, then the books' own x.

    The older samples alternate m0 -/+ d, chosen so the 31 samples have exactly the
    mean 6.3933 bps and the (population) std 5.9175 bps the example needs.
    """
    x = math.log(ALPHA.mid / BETA.mid)  # type: ignore[operator]
    n = 30
    m0 = ((n + 1) * WINDOW_MEAN - x) / n
    d = math.sqrt(
        ((n + 1) * WINDOW_STD**2 - n * (m0 - WINDOW_MEAN) ** 2 - (x - WINDOW_MEAN) ** 2) / n
    )
    pair = SpreadPair("BTC/USDT", "alpha", "beta", window_s=60.0)
    for i in range(n):
        pair.add(TS - n + i, m0 + d if i % 2 else m0 - d, ALPHA, BETA)
    pair.add(TS, x, ALPHA, BETA)
    return pair


def issue_opportunity() -> Opportunity:
    opp = evaluate_statistical(
        issue_pair(), ALPHA, BETA, usdt_market("alpha"), usdt_market("beta"), EngineConfig(),
        0.04, now=TS + 0.5,
    )
    assert opp is not None
    return opp


def test_the_issue_example_loses_once_it_pays_the_spread_in_and_out() -> None:
    # Default settings (entry z 2, 30 samples, 60 s window), 0.04 BTC, taker fee 0.05 %.
    # Mids: alpha (50112.77 + 50126.71) / 2 = 50119.74, beta (49977.95 + 49992.87) / 2
    # = 49985.41; x = ln(50119.74 / 49985.41) = 26.8378 bps; window mean 6.3933 bps,
    # std 5.9175 bps: z = (26.8378 - 6.3933) / 5.9175 = 3.455, edge 20.4445 bps.
    # Alpha is rich: buy 0.04 on beta's asks, sell 0.04 on alpha's bids.
    #   buy  0.03 * 49992.87 + 0.01 * 49993.54 = 1499.7861 + 499.9354 = 1999.7215
    #   sell 0.03 * 50112.77 + 0.01 * 50112.10 = 1503.3831 + 501.1210 = 2004.5041
    # reversion = 1999.7215 * 20.4445e-4 = 4.0883
    # fees = 2 * 0.0005 * (1999.7215 + 2004.5041) = 1.99972 + 2.00450 = 4.0042
    # Today's main stops there: 4.0883 - 4.0042 = +0.0841 USDT (+0.42 bps).
    # Entry crossing against the mids (0.04 * 49985.41 = 1999.4164, 0.04 * 50119.74
    # = 2004.7896): 1999.7215 - 1999.4164 = 0.3051 and 2004.7896 - 2004.5041 = 0.2855,
    # 0.5906 in all; entry_spread_bps = 0.3051 / 1999.4164 + 0.2855 / 2004.7896 = 2.95 bps.
    # Exit crossing: sell 0.04 back on beta's bids, 0.03 * 49977.95 + 0.01 * 49977.28
    # = 1999.1113 (1999.4164 - 1999.1113 = 0.3051), buy 0.04 back on alpha's asks,
    # 0.03 * 50126.71 + 0.01 * 50127.38 = 2005.0751 (2005.0751 - 2004.7896 = 0.2855): 0.5906.
    # net = 0.0841 - 0.5906 = -0.5065 after entry, -0.5065 - 0.5906 = -1.0971 after the exit.
    opp = issue_opportunity()
    assert opp.z_score == pytest.approx(3.455, abs=5e-4)
    assert opp.size == 0.04 and opp.notional == pytest.approx(1999.7215)
    assert opp.detail["entry_spread_bps"] == pytest.approx(2.95, abs=5e-4)
    assert opp.net_profit == pytest.approx(-1.0971, abs=5e-5)
    assert opp.detail["exit_spread_bps"] == pytest.approx(2.95, abs=5e-4)
    parts = {step.label: step.amount for step in opp.waterfall}
    assert list(parts) == [
        "expected reversion", "entry crossing", "exit crossing",
        "fees beta entry+exit", "fees alpha entry+exit", "net (expected)",
    ]
    assert parts["expected reversion"] == pytest.approx(4.0883, abs=5e-5)
    assert parts["fees beta entry+exit"] == pytest.approx(-1.9997215)
    assert parts["fees alpha entry+exit"] == pytest.approx(-2.0045041)
    assert parts["expected reversion"] - opp.fees == pytest.approx(0.0841, abs=5e-5)
    assert parts["entry crossing"] == pytest.approx(-0.5906, abs=1e-9)
    assert parts["exit crossing"] == pytest.approx(-0.5906, abs=1e-9)
    after_entry = parts["expected reversion"] + parts["entry crossing"] - opp.fees
    assert after_entry == pytest.approx(-0.5065, abs=5e-5)
    assert parts["net (expected)"] == opp.net_profit
    assert sum(list(parts.values())[:-1]) == pytest.approx(opp.net_profit, abs=1e-12)
    assert opp.net_bps == pytest.approx(opp.net_profit / 1999.7215 * 1e4)
    assert opp.net_bps < 0.0
    # Per BTC at the top: reversion 49992.87 * 20.4445e-4 = 102.21 against crossings
    # 2 * (7.46 + 6.97) = 28.86 and fees 2 * 0.0005 * (49992.87 + 50112.77) = 100.11.
    assert (opp.max_size, opp.net_profit_at_max) == (0.0, 0.0)


# A paying signal whose max size sits inside the books. Alpha mid 100.10, beta mid 100.00.
PAY_ALPHA = OrderBook(
    venue="alpha", symbol="BTC/USDT", ts=TS, bids=((100.05, 1.0), (99.95, 5.0)),
    asks=((100.15, 5.0),),
)
PAY_BETA = OrderBook(
    venue="beta", symbol="BTC/USDT", ts=TS, bids=((99.95, 5.0),),
    asks=((100.05, 1.0), (100.25, 5.0)),
)


def test_max_size_is_where_the_expected_net_stops_paying_on_the_amount_grid() -> None:
    # Window [0, 0, 0, 0.004]: mean 0.001, z = sqrt(3) >= 1.5, edge 30 bps. Fee 1 bp a side.
    # Up to 1 BTC, per BTC: reversion 100.05 * 0.003 = 0.30015; crossing in 0.05 + 0.05,
    # out 0.05 + 0.05; fees 2e-4 * (100.05 + 100.05) = 0.04002: +0.06013 per BTC.
    # Past 1 BTC (beta asks 100.25, alpha bids 99.95): reversion 100.25 * 0.003 = 0.30075;
    # crossing in 0.25 + 0.15, out 0.05 + 0.05; fees 2e-4 * (100.25 + 99.95) = 0.04004:
    # -0.23929 per BTC. Net 0.06013 - 0.23929 * (q - 1) is 0 at q* = 1.25128; on the
    # 0.01 grid the max is 1.25, net 0.06013 - 0.23929 * 0.25 = 0.0003075 (1.26 loses).
    pair = SpreadPair("BTC/USDT", "alpha", "beta", window_s=60.0)
    for i, x in enumerate([0.0, 0.0, 0.0, 0.004]):
        pair.add(TS - 3 + i, x, PAY_ALPHA, PAY_BETA)
    config = EngineConfig(stat_min_samples=3, stat_entry_z=1.5)
    alpha, beta = usdt_market("alpha", 0.0001, 0.01), usdt_market("beta", 0.0001, 0.01)
    opp = evaluate_statistical(pair, PAY_ALPHA, PAY_BETA, alpha, beta, config, 1.0, now=TS)
    assert opp is not None
    assert opp.net_profit == pytest.approx(0.06013)
    assert opp.max_size == 1.25
    assert opp.net_profit_at_max == pytest.approx(0.0003075)
    at_next = expected_net(PAY_BETA, PAY_ALPHA, beta, alpha, 1.26, opp.gross_bps)
    assert at_next is not None and at_next.net == pytest.approx(0.06013 - 0.23929 * 0.26)


_prices = st.integers(1, 40)  # ticks of 0.01 beyond the level before
_levels = st.lists(st.tuples(_prices, st.integers(1, 300)), min_size=1, max_size=4)


def _side(best: float, direction: int, levels: list[tuple[int, int]]) -> tuple[Level, ...]:
    """Levels best first: each one some ticks further out, sizes in thousandths of a BTC."""
    out, price = [], best
    for ticks, size in levels:
        out.append((round(price, 2), size / 1000))
        price += direction * ticks * 0.01
    return tuple(out)


@settings(max_examples=100, deadline=None)
@given(
    levels=st.tuples(_levels, _levels, _levels, _levels),
    half_spreads=st.tuples(st.integers(1, 10), st.integers(1, 10)),
    edge_bps=st.floats(0.5, 150.0),
    fee=st.sampled_from([0.0, 0.0001, 0.0005]),
)
def test_max_size_is_the_largest_size_on_the_grid_whose_expected_net_pays(
    levels: tuple[list[tuple[int, int]], ...],
    half_spreads: tuple[int, int],
    edge_bps: float,
    fee: float,
) -> None:
    buy_asks, buy_bids, sell_asks, sell_bids = levels
    buy_book = OrderBook(
        venue="beta", symbol="BTC/USDT", ts=TS,
        bids=_side(100.0 - half_spreads[0] * 0.01, -1, buy_bids),
        asks=_side(100.0 + half_spreads[0] * 0.01, 1, buy_asks),
    )
    sell_book = OrderBook(
        venue="alpha", symbol="BTC/USDT", ts=TS,
        bids=_side(100.2 - half_spreads[1] * 0.01, -1, sell_bids),
        asks=_side(100.2 + half_spreads[1] * 0.01, 1, sell_asks),
    )
    buy_market, sell_market = usdt_market("beta", fee, 0.001), usdt_market("alpha", fee, 0.001)
    size, net = max_expected_size(buy_book, sell_book, buy_market, sell_market, edge_bps)

    def net_at(amount: float) -> float:
        found = expected_net(buy_book, sell_book, buy_market, sell_market, amount, edge_bps)
        assert found is not None
        return found.net

    grid = range(1, round(position_depth(buy_book, sell_book) * 1000) + 1)
    paying = [k / 1000 for k in grid if net_at(k / 1000) > 1e-9]
    losing = [k / 1000 for k in grid if net_at(k / 1000) < -1e-9]
    if size == 0.0:
        assert net == 0.0 and not paying
        return
    assert net == net_at(size) and net > 0.0
    # The sizes that pay are one interval from the first step up: max_size ends it.
    assert all(size >= k for k in paying)
    assert all(size < k for k in losing)
