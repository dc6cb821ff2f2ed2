"""The broker on triangles that fall short, cross-currency routes, and restarts."""

from __future__ import annotations

import pytest

from arbscope.engine.cross_currency import evaluate_cross, find_cross_routes
from arbscope.engine.triangular import evaluate_triangle, find_triangles
from arbscope.models import Opportunity
from arbscope.storage.sections import PaperConfig
from arbscope.storage.settings import Settings
from arbscope.trading.balances import Balances
from arbscope.trading.broker import BrokerConfig, PaperBroker
from arbscope.trading.execution import ExecutionStatus, LegStatus
from arbscope.trading.tradelog import TradeLog
from tests.trading.helpers import (
    T0,
    Books,
    Markets,
    ScriptedSleep,
    book,
    market,
    spatial_books,
    spatial_markets,
    spatial_opportunity,
)

TRI = Markets(*(market("tri", s) for s in ("BTC/USDT", "ETH/USDT", "ETH/BTC")))


def tri_books() -> Books:
    return Books(
        book("tri", "BTC/USDT", [(99.9, 5.0)], [(100.0, 1.0), (101.0, 5.0)]),
        book("tri", "ETH/BTC", [(0.0499, 50.0)], [(0.05, 10.0), (0.0502, 10.0)]),
        book("tri", "ETH/USDT", [(5.10, 8.0), (5.0, 100.0)], [(5.11, 10.0)]),
    )


def triangle(books: Books, start: float = 50.0) -> Opportunity:
    route = next(
        r for r in find_triangles(TRI.markets.values())
        if r.route_id == "triangular:tri:USDT>BTC>ETH>USDT"
    )
    opp = evaluate_triangle(
        route, {k[1]: v for k, v in books.books.items()},
        {k[1]: v for k, v in TRI.markets.items()}, start, T0,
    )
    assert opp is not None
    return opp


async def test_a_triangle_whose_first_leg_falls_short_carries_on_with_what_it_got() -> None:
    books = tri_books()
    opp = triangle(books)
    # During the first leg's latency BTC/USDT keeps only 0.2 BTC at 100.
    thin = book("tri", "BTC/USDT", [(99.9, 5.0)], [(100.0, 0.2)], T0 + 0.1)
    broker = PaperBroker(
        books, TRI, Balances({"*": {"USDT": 1000.0}}), sleep=ScriptedSleep(lambda: books.put(thin))
    )

    result = await broker.execute(opp)

    first, second, third = result.legs
    assert first.status is LegStatus.PARTIAL and first.filled == pytest.approx(0.2)
    # The next legs convert what arrived: 0.2 BTC buys 0.2 / (0.05 * 1.001) = 3.996 ETH.
    assert second.cost + second.fee == pytest.approx(0.2)
    assert second.filled == pytest.approx(0.2 / (0.05 * 1.001))
    assert third.filled == pytest.approx(second.filled)
    assert result.status is ExecutionStatus.PARTIAL
    # Spent 0.2 * 100 * 1.001 = 20.02 USDT; got 3.996004 * 5.10 * 0.999 = 20.3593 USDT.
    assert result.realized_profit == pytest.approx(3.996004 * 5.10 * 0.999 - 20.02, rel=1e-6)
    assert result.exposures == ()  # nothing left between legs: the chain used it all


CROSS = Markets(
    market("kraken", "BTC/USD", 0.002),
    market("bitstamp", "BTC/EUR", 0.001),
    market("kraken", "EUR/USD", 0.002),
)


def cross_books() -> Books:
    return Books(
        book("kraken", "BTC/USD", [(99.0, 1.0)], [(100.0, 1.0), (101.5, 1.0)]),
        book("bitstamp", "BTC/EUR", [(95.0, 0.5), (93.8, 2.0)], [(96.0, 1.0)]),
        book("kraken", "EUR/USD", [(1.08, 1000.0)], [(1.0801, 1000.0)]),
    )


def cross(books: Books, static: bool) -> Opportunity:
    markets = {k: m for k, m in CROSS.markets.items() if not (static and k[1] == "EUR/USD")}
    rates = {"EUR/USD": 1.08} if static else {}
    route = next(
        r for r in find_cross_routes(markets.values(), rates) if r.start == "USD"
    )
    opp = evaluate_cross(route, books.books, markets, 0.5, T0, rates)
    assert opp is not None
    return opp


async def test_cross_route_with_a_real_fx_market_realizes_its_net_on_unchanged_books() -> None:
    books = cross_books()
    opp = cross(books, static=False)
    balances = Balances({"*": {"USD": 1000.0, "EUR": 1000.0, "BTC": 1.0}})
    broker = PaperBroker(books, CROSS, balances, sleep=ScriptedSleep())

    result = await broker.execute(opp)

    assert result.status is ExecutionStatus.FILLED
    assert [leg.symbol for leg in result.legs] == ["BTC/USD", "BTC/EUR", "EUR/USD"]
    assert result.realized_profit == pytest.approx(opp.net_profit, abs=1e-9)
    # The FX leg sold EUR held on kraken; the sale's EUR stays on bitstamp.
    assert balances.get("kraken", "EUR") < 1000.0 < balances.get("bitstamp", "EUR")


async def test_cross_route_on_a_static_rate_leaves_the_other_currency_as_exposure() -> None:
    books = cross_books()
    opp = cross(books, static=True)
    broker = PaperBroker(
        books, CROSS, Balances({"*": {"USD": 1000.0, "BTC": 1.0}}),
        config=BrokerConfig(fx_static_rates={"EUR/USD": 1.08}), sleep=ScriptedSleep(),
    )
    # Two legs only: nothing converts the EUR back. The EUR the sale brought stays on
    # bitstamp as an exposure, valued at the static rate as the route itself assumed:
    # 0.5 BTC @ 95 = 47.5 EUR, fee 0.0475 -> 47.4525 EUR * 1.08 = 51.2487 USD, against
    # 0.5 @ 100 * 1.002 = 50.1 USD paid: +1.1487 USD, the route's own net.
    result = await broker.execute(opp)
    assert result.status is ExecutionStatus.FILLED
    assert len(result.legs) == 2
    (exposure,) = result.exposures
    assert (exposure.venue, exposure.currency) == ("bitstamp", "EUR")
    assert exposure.amount == pytest.approx(47.4525)
    assert exposure.value == pytest.approx(51.2487)
    assert result.realized_profit == pytest.approx(1.1487)
    assert result.realized_profit == pytest.approx(opp.net_profit)


async def test_balances_come_back_from_the_trade_log_after_a_restart() -> None:
    settings = Settings(paper=PaperConfig(starting_balances={"*": {"USDT": 10_000.0, "BTC": 2.0}}))
    with TradeLog() as log:
        broker = PaperBroker.from_settings(
            settings, *_providers(), log=log, sleep=ScriptedSleep()
        )
        await broker.execute(spatial_opportunity())
    with TradeLog() as log:
        again = PaperBroker.from_settings(settings, *_providers(), log=log)
        # 10000 - 150.6505 on alpha; 2 - 1.5 BTC on beta; a fresh venue still starts at "*".
        assert again.balances.get("alpha", "USDT") == pytest.approx(9849.3495)
        assert again.balances.get("beta", "BTC") == pytest.approx(0.5)
        assert again.balances.get("gamma", "USDT") == 10_000.0


def _providers() -> tuple[Books, Markets]:
    return Books(*spatial_books()), spatial_markets()
