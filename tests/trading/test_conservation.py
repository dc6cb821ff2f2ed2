"""Property: balances change exactly by the fills and their fees; nothing is created or lost."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from arbscope.engine.spatial import evaluate_spatial
from arbscope.models import Level, Side
from arbscope.trading.balances import Balances
from arbscope.trading.broker import BrokerConfig, PaperBroker
from arbscope.trading.execution import ExecutionStatus
from tests.trading.helpers import T0, Books, ScriptedSleep, book, spatial_markets

CURRENCIES = ("USDT", "BTC")


@st.composite
def ladders(draw: st.DrawFn, start: float, step_sign: float) -> tuple[Level, ...]:
    count = draw(st.integers(1, 5))
    price, levels = start, []
    for _ in range(count):
        levels.append((round(price, 4), draw(st.sampled_from((0.1, 0.25, 0.5, 1.0, 1.7)))))
        price += step_sign * draw(st.sampled_from((0.01, 0.05, 0.2, 1.0)))
    return tuple(levels)


@dataclass(frozen=True)
class Case:
    asks: tuple[Level, ...]
    bids: tuple[Level, ...]
    size: float
    fee: float
    usdt: float
    btc: float
    shift: float
    """How far alpha's asks move during latency."""
    shrink: float
    """Fraction of each ask level that vanishes during latency."""
    tolerance: float | None


@st.composite
def cases(draw: st.DrawFn) -> Case:
    asks = draw(ladders(100.0, +1.0))
    bids = draw(ladders(100.0 + draw(st.sampled_from((0.1, 0.5, 2.0))), -1.0))
    return Case(
        asks=asks,
        bids=bids,
        size=draw(st.sampled_from((0.05, 0.3, 1.0, 2.5, 10.0))),
        fee=draw(st.sampled_from((0.0, 0.001, 0.0026))),
        usdt=draw(st.sampled_from((50.0, 500.0, 10_000.0))),
        btc=draw(st.sampled_from((0.1, 1.0, 20.0))),
        shift=draw(st.sampled_from((-0.5, 0.0, 0.02, 0.3))),
        shrink=draw(st.sampled_from((0.0, 0.3, 0.9))),
        tolerance=draw(st.sampled_from((None, 0.0, 10.0, 100.0))),
    )


@settings(max_examples=150, deadline=None)
@given(cases())
def test_balances_change_exactly_by_fills_and_fees_nothing_created_or_lost(
    case: Case,
) -> None:
    asks, bids, fee = case.asks, case.bids, case.fee
    alpha = book("alpha", "BTC/USDT", [(asks[0][0] - 1.0, 5.0)], asks)
    beta = book("beta", "BTC/USDT", bids, [(bids[0][0] + 1.0, 5.0)])
    markets = spatial_markets(fee=fee)
    opp = evaluate_spatial(
        alpha, beta, markets.markets[alpha.key], markets.markets[beta.key], case.size, T0
    )
    assume(opp is not None)
    assert opp is not None
    books = Books(alpha, beta)

    def move() -> None:
        # During latency alpha's asks shift and shrink: the fills differ from the plan.
        moved = tuple((round(p + case.shift, 4), s * (1 - case.shrink)) for p, s in asks)
        books.put(book("alpha", "BTC/USDT", [(moved[0][0] - 1.0, 5.0)], moved, T0 + 0.1))

    balances = Balances({"*": {"USDT": case.usdt, "BTC": case.btc}})
    before = {(v, c): balances.get(v, c) for v in ("alpha", "beta") for c in CURRENCIES}
    broker = PaperBroker(
        books, markets, balances,
        config=BrokerConfig(limit_tolerance_bps=case.tolerance),
        sleep=ScriptedSleep(move),
    )

    result = asyncio.run(broker.execute(opp))

    # What the fills say should have moved, rebuilt from each fill's price and amount.
    expected = dict.fromkeys(before, 0.0)
    for leg in result.legs:
        for f in leg.fills:
            assert f.cost == f.price * f.amount
            assert math.isclose(f.fee, f.cost * fee, rel_tol=1e-12, abs_tol=1e-15)
            if leg.side is Side.BUY:
                expected[(leg.venue, "USDT")] -= f.cost + f.fee
                expected[(leg.venue, "BTC")] += f.amount
            else:
                expected[(leg.venue, "BTC")] -= f.amount
                expected[(leg.venue, "USDT")] += f.cost - f.fee
    for slot, start in before.items():
        after = balances.get(*slot)
        assert after >= 0.0, f"{slot} went negative"
        assert math.isclose(after - start, expected[slot], rel_tol=1e-9, abs_tol=1e-9), slot
    if result.status is ExecutionStatus.BLOCKED:
        assert all(v == 0.0 for v in expected.values())
    # BTC over both venues changed by exactly bought - sold; USDT by sold - bought - fees.
    bought = sum(leg.filled for leg in result.legs if leg.side is Side.BUY)
    sold = sum(leg.filled for leg in result.legs if leg.side is Side.SELL)
    btc_change = sum(balances.get(v, "BTC") - before[(v, "BTC")] for v in ("alpha", "beta"))
    assert math.isclose(btc_change, bought - sold, rel_tol=1e-9, abs_tol=1e-9)
    if result.status is not ExecutionStatus.BLOCKED:
        usdt_change = sum(balances.get(v, "USDT") - before[(v, "USDT")] for v in ("alpha", "beta"))
        # With no exposure left, that USDT change is the realized profit itself.
        if not result.exposures:
            assert math.isclose(usdt_change, result.realized_profit, rel_tol=1e-9, abs_tol=1e-9)

