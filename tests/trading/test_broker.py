"""PaperBroker: fills after latency, slippage, partial fills, fees by hand, depth memory."""

from __future__ import annotations

import pytest

from arbscope.engine.triangular import evaluate_triangle, find_triangles
from arbscope.models import Side
from arbscope.trading.balances import Balances
from arbscope.trading.broker import BrokerConfig, PaperBroker
from arbscope.trading.execution import ExecutionStatus, LegStatus, TradeAction
from arbscope.trading.tradelog import TradeLog
from tests.trading.helpers import (
    ALPHA_ASKS,
    BETA_BIDS,
    ENOUGH,
    SPATIAL_NET,
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


def make_broker(
    books: Books,
    markets: Markets | None = None,
    sleep: ScriptedSleep | None = None,
    starting: dict[str, dict[str, float]] | None = None,
    log: TradeLog | None = None,
    **config: object,
) -> PaperBroker:
    return PaperBroker(
        books,
        markets or spatial_markets(),
        Balances(starting or ENOUGH),
        log=log,
        config=BrokerConfig.model_validate(config),
        sleep=sleep or ScriptedSleep(),
        clock=lambda: T0 + 1.0,
    )


async def test_unchanged_books_fill_exactly_as_expected_with_fees_worked_by_hand() -> None:
    books = Books(*spatial_books())
    broker = make_broker(books)
    opp = spatial_opportunity()
    assert opp.net_profit == pytest.approx(SPATIAL_NET)

    result = await broker.execute(opp)

    assert result.status is ExecutionStatus.FILLED
    buy, sell = result.legs
    # Buy 1 @ 100 and 0.5 @ 101: cost 150.5, fee 0.001 * 150.5 = 0.1505 per the fill rule.
    assert [(f.price, f.amount) for f in buy.fills] == [(100.0, 1.0), (101.0, 0.5)]
    assert [f.fee for f in buy.fills] == pytest.approx([0.1, 0.0505])
    assert buy.paid == ("USDT", pytest.approx(150.6505))
    # Sell 1 @ 103 and 0.5 @ 102: cost 154, fee 0.154, receives 153.846.
    assert sell.received == ("USDT", pytest.approx(153.846))
    assert result.realized_profit == pytest.approx(3.1955)
    assert result.slippage == pytest.approx(0.0, abs=1e-9)
    assert result.fees == pytest.approx(0.3045)
    # Balances: alpha paid USDT and got BTC, beta the reverse.
    assert broker.balances.get("alpha", "USDT") == pytest.approx(10_000 - 150.6505)
    assert broker.balances.get("alpha", "BTC") == pytest.approx(2.0 + 1.5)
    assert broker.balances.get("beta", "BTC") == pytest.approx(2.0 - 1.5)
    assert broker.balances.get("beta", "USDT") == pytest.approx(10_000 + 153.846)


async def test_book_that_moved_during_latency_gives_the_moved_fills_and_records_slippage() -> None:
    books = Books(*spatial_books())
    # While the orders travel, alpha's asks move up 0.05 (inside the 10 bps limit: the
    # worst expected level 101 widened to 101.101).
    moved = book("alpha", "BTC/USDT", [(99.0, 2.0)], [(100.05, 1.0), (101.05, 1.0)], T0 + 0.15)
    sleep = ScriptedSleep(lambda: books.put(moved))
    broker = make_broker(books, sleep=sleep)

    result = await broker.execute(spatial_opportunity())

    buy = result.legs[0]
    assert [(f.price, f.amount) for f in buy.fills] == [(100.05, 1.0), (101.05, 0.5)]
    assert buy.book_ts == T0 + 0.15
    # Buy cost 100.05 + 0.5 * 101.05 = 150.575, fee 0.150575, pays 150.725575.
    # realized = 153.846 - 150.725575 = 3.120425; slippage = 3.1955 - 3.120425 = 0.075075.
    assert result.realized_profit == pytest.approx(3.120425)
    assert result.slippage == pytest.approx(0.075075)
    # VWAP 150.575 / 1.5 = 100.38333 against 150.5 / 1.5 = 100.33333: +4.98 bps adverse.
    assert buy.slippage_bps == pytest.approx((100.383333 / 100.333333 - 1) * 1e4, rel=1e-4)
    assert sleep.calls == [0.15, 0.15]


async def test_partial_fill_when_depth_vanished_leaves_a_marked_exposure() -> None:
    books = Books(*spatial_books())
    thin = book("alpha", "BTC/USDT", [(99.0, 2.0)], [(100.0, 0.4)], T0 + 0.1)
    broker = make_broker(books, sleep=ScriptedSleep(lambda: books.put(thin)))

    result = await broker.execute(spatial_opportunity())

    buy, sell = result.legs
    assert buy.status is LegStatus.PARTIAL and buy.filled == pytest.approx(0.4)
    assert "0.4 of 1.5" in buy.reason
    assert sell.status is LegStatus.FILLED
    assert result.status is ExecutionStatus.PARTIAL
    # Bought 0.4 on alpha, sold 1.5 on beta: 1.1 BTC short, mostly on beta.
    (exposure,) = result.exposures
    assert (exposure.venue, exposure.currency) == ("beta", "BTC")
    assert exposure.amount == pytest.approx(-1.1)
    # Marked at beta's mid after execution, (103 + 104) / 2 = 103.5: -113.85 USDT.
    assert exposure.value == pytest.approx(-1.1 * 103.5)
    # USDT flow: +153.846 - 0.4 * 100 * 1.001 = 113.806; realized = 113.806 - 113.85 = -0.044.
    assert result.realized_profit == pytest.approx(-0.044)


async def test_book_moved_beyond_the_limit_fills_nothing_on_that_leg() -> None:
    books = Books(*spatial_books())
    away = book("alpha", "BTC/USDT", [(99.0, 2.0)], [(102.0, 5.0)], T0 + 0.1)
    broker = make_broker(books, sleep=ScriptedSleep(lambda: books.put(away)))

    result = await broker.execute(spatial_opportunity())

    assert result.legs[0].status is LegStatus.UNFILLED
    assert result.legs[0].limit_price == pytest.approx(101.0 * 1.001)
    assert result.status is ExecutionStatus.PARTIAL


async def test_market_orders_take_the_moved_book_whatever_the_price() -> None:
    books = Books(*spatial_books())
    away = book("alpha", "BTC/USDT", [(99.0, 2.0)], [(102.0, 5.0)], T0 + 0.1)
    broker = make_broker(
        books, sleep=ScriptedSleep(lambda: books.put(away)), limit_tolerance_bps=None
    )

    result = await broker.execute(spatial_opportunity())

    assert result.status is ExecutionStatus.FILLED
    # 1.5 @ 102 = 153 + fee 0.153 = 153.153; realized 153.846 - 153.153 = 0.693.
    assert result.realized_profit == pytest.approx(0.693)


async def test_insufficient_balance_blocks_before_any_order() -> None:
    books = Books(*spatial_books())
    sleep = ScriptedSleep()
    broker = make_broker(books, sleep=sleep, starting={"*": {"USDT": 100.0, "BTC": 2.0}})

    result = await broker.execute(spatial_opportunity())

    assert result.status is ExecutionStatus.BLOCKED
    assert result.legs == () and result.trade_id is None
    # The worst case the buy may cost: 1.5 * 101.101 * 1.001 = 151.8030...
    assert "insufficient balance: alpha needs 151.80" in result.reason
    assert "USDT, holds 100" in result.reason
    assert sleep.calls == []
    assert broker.balances.get("alpha", "USDT") == 100.0


async def test_missing_book_blocks_with_the_book_named() -> None:
    alpha, _ = spatial_books()
    broker = make_broker(Books(alpha))
    result = await broker.execute(spatial_opportunity())
    assert result.status is ExecutionStatus.BLOCKED
    assert result.reason == "no book for BTC/USDT on beta"


async def test_depth_taken_stays_taken_until_the_book_updates() -> None:
    books = Books(*spatial_books())
    broker = make_broker(books, starting={"*": {"USDT": 10_000.0, "BTC": 5.0}})
    opp = spatial_opportunity(size=1.0)
    await broker.execute(opp)  # takes alpha's 100 x 1 and beta's 103 x 1

    second = await broker.execute(opp)
    # The same books again, but our first fills took their top levels: the second order
    # meets alpha 101 x 1 and beta 102 x 1. Buy pays 101 * 1.001 = 101.101, sell gets
    # 102 * 0.999 = 101.898: realized 0.797 against the 2.797 the untouched books showed
    # (103 * 0.999 - 100 * 1.001).
    assert [leg.fills[0].price for leg in second.legs] == [101.0, 102.0]
    assert second.realized_profit == pytest.approx(0.797)
    assert second.slippage == pytest.approx(2.0)
    assert broker.ledger.taken(("alpha", "BTC/USDT")) == pytest.approx(2.0)

    alpha, beta = spatial_books(ts=T0 + 5.0)  # the venues publish again
    books.put(alpha)
    books.put(beta)
    third = await broker.execute(opp)
    assert third.status is ExecutionStatus.FILLED
    assert third.legs[0].fills[0].price == 100.0


async def test_visible_book_shows_own_fills_taken_out() -> None:
    books = Books(*spatial_books())
    broker = make_broker(books)
    await broker.execute(spatial_opportunity(size=0.25))
    alpha = books(("alpha", "BTC/USDT"))
    assert alpha is not None
    assert broker.visible_book(alpha).asks == ((100.0, 0.75), ALPHA_ASKS[1])
    beta = books(("beta", "BTC/USDT"))
    assert beta is not None
    assert broker.visible_book(beta).bids == ((103.0, 0.75), BETA_BIDS[1])


async def test_amounts_round_down_to_the_market_step() -> None:
    books = Books(*spatial_books())
    broker = make_broker(books, markets=spatial_markets(step=0.1))
    opp = spatial_opportunity().model_copy()
    legs = tuple(leg.model_copy(update={"amount": 1.47}) for leg in opp.legs)
    result = await broker.execute(opp.model_copy(update={"legs": legs}))
    assert [leg.requested for leg in result.legs] == [1.4, 1.4]


TRI_MARKETS = Markets(*(market("tri", s) for s in ("BTC/USDT", "ETH/USDT", "ETH/BTC")))


def tri_books(ts: float = T0) -> Books:
    return Books(
        book("tri", "BTC/USDT", [(99.9, 5.0)], [(100.0, 1.0), (101.0, 5.0)], ts),
        book("tri", "ETH/BTC", [(0.0499, 50.0)], [(0.05, 10.0), (0.0502, 10.0)], ts),
        book("tri", "ETH/USDT", [(5.10, 8.0), (5.0, 100.0)], [(5.11, 10.0)], ts),
    )


async def test_triangle_legs_run_in_order_each_spending_what_the_last_delivered() -> None:
    books = tri_books()
    routes = {r.route_id: r for r in find_triangles(TRI_MARKETS.markets.values())}
    route = routes["triangular:tri:USDT>BTC>ETH>USDT"]
    opp = evaluate_triangle(
        route, {k[1]: v for k, v in books.books.items()},
        {k[1]: v for k, v in TRI_MARKETS.markets.items()}, 50.0, T0,
    )
    assert opp is not None and opp.net_profit > 0
    sleep = ScriptedSleep()
    broker = make_broker(books, markets=TRI_MARKETS, sleep=sleep)

    result = await broker.execute(opp)

    assert result.status is ExecutionStatus.FILLED
    assert sleep.calls == [0.15, 0.15, 0.15]
    first, second, third = result.legs
    assert first.side is Side.BUY and second.side is Side.BUY and third.side is Side.SELL
    # Each leg spends what the previous one received.
    assert second.cost + second.fee == pytest.approx(first.filled)
    assert third.filled == pytest.approx(second.filled)
    # Unchanged books: the engine's own figures, realized.
    assert result.realized_profit == pytest.approx(opp.net_profit, abs=1e-9)
    assert broker.balances.get("tri", "USDT") == pytest.approx(10_000 + opp.net_profit)


async def test_each_execution_is_logged_before_execute_returns(tmp_path: object) -> None:
    with TradeLog() as log:
        broker = make_broker(Books(*spatial_books()), log=log)
        result = await broker.execute(spatial_opportunity())
        assert result.trade_id == 1
        assert log.count() == 1
        assert log.fill_count(1) == 4
        assert log.latest_balances()["alpha"]["BTC"] == pytest.approx(3.5)


def test_config_from_settings_reads_latency_per_venue() -> None:
    from arbscope.storage.settings import Settings, VenueSettings

    settings = Settings(venues={"kraken": VenueSettings(latency_ms=400.0)})
    config = BrokerConfig.from_settings(settings)
    assert config.latency_s("kraken") == 0.4
    assert config.latency_s("binance") == 0.15
    assert TradeAction.TRADE.value == "trade"
