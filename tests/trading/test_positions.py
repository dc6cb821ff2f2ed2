"""Statistical routes open a paired position that stays open until closed (by key or exit z)."""

from __future__ import annotations

import pytest

from arbscope.models import Kind, Leg, Opportunity, Side
from arbscope.trading.balances import Balances
from arbscope.trading.broker import BrokerConfig, PaperBroker
from arbscope.trading.execution import ExecutionStatus, TradeAction
from arbscope.trading.tradelog import TradeLog
from tests.trading.helpers import ENOUGH, T0, Books, ScriptedSleep, book, spatial_markets

ROUTE = "statistical:BTC/USDT:alpha~beta"


def entry_books(ts: float = T0) -> Books:
    return Books(
        book("alpha", "BTC/USDT", [(99.0, 2.0)], [(100.0, 2.0)], ts),
        book("beta", "BTC/USDT", [(103.0, 2.0)], [(104.0, 2.0)], ts),
    )


def signal() -> Opportunity:
    """A mean-reversion signal as evaluate_statistical shapes it: buy alpha, sell beta, 1 BTC.

    Entry: buy 1 @ 100 (pays 100.1), sell 1 @ 103 (gets 102.897); the expected round trip
    net is the signal's own figure, 2.0 USDT here.
    """
    legs = (
        Leg(venue="alpha", symbol="BTC/USDT", side=Side.BUY, amount=1.0, vwap=100.0,
            cost=100.0, fee=0.1, fee_rate=0.001, levels_used=1),
        Leg(venue="beta", symbol="BTC/USDT", side=Side.SELL, amount=1.0, vwap=103.0,
            cost=103.0, fee=0.103, fee_rate=0.001, levels_used=1),
    )
    return Opportunity(
        kind=Kind.STATISTICAL, route_id=ROUTE, legs=legs, size=1.0, max_size=2.0,
        size_currency="BTC", profit_currency="USDT", notional=100.0, buy_vwap=100.0,
        sell_vwap=103.0, gross_bps=240.0, fees=0.4, net_profit=2.0, net_bps=200.0, ts=T0,
        book_ts=(T0, T0), z_score=-2.6, detail={"exit_z": 0.5},
    )


def broker_for(books: Books, log: TradeLog | None = None, **config: object) -> PaperBroker:
    return PaperBroker(
        books, spatial_markets(), Balances(ENOUGH), log=log,
        config=BrokerConfig.model_validate(config), sleep=ScriptedSleep(), clock=lambda: T0 + 2,
    )


def reverted(books: Books) -> None:
    """The spread came back: alpha bid 101, beta ask 102 (new books, new ts)."""
    books.put(book("alpha", "BTC/USDT", [(101.0, 2.0)], [(101.5, 2.0)], T0 + 60))
    books.put(book("beta", "BTC/USDT", [(101.9, 2.0)], [(102.0, 2.0)], T0 + 60))


async def test_open_then_close_realizes_the_whole_round_trip() -> None:
    books = entry_books()
    broker = broker_for(books)

    opened = await broker.execute(signal())
    assert opened.action is TradeAction.OPEN and opened.status is ExecutionStatus.FILLED
    assert opened.realized_profit == 0.0  # nothing is realized while the position is open
    (position,) = broker.open_positions()
    assert position.route_id == ROUTE and position.entry_z == -2.6
    # open flow: 103 * 0.999 - 100 * 1.001 = 102.897 - 100.1 = 2.797 USDT
    assert position.open_flow == pytest.approx(2.797)

    reverted(books)
    closed = await broker.close_position(position.position_id)

    assert closed.action is TradeAction.CLOSE and closed.status is ExecutionStatus.FILLED
    assert [(leg.venue, leg.side) for leg in closed.legs] == [
        ("alpha", Side.SELL), ("beta", Side.BUY),
    ]
    # close: sell 1 @ 101 gets 100.899, buy 1 @ 102 pays 102.102.
    # round trip = 2.797 + 100.899 - 102.102 = 1.594 against the expected 2.0.
    assert closed.realized_profit == pytest.approx(1.594)
    assert closed.slippage == pytest.approx(0.406)
    assert broker.open_positions() == []
    # Inventory is back where it started: BTC on each venue as before.
    assert broker.balances.get("alpha", "BTC") == pytest.approx(2.0)
    assert broker.balances.get("beta", "BTC") == pytest.approx(2.0)


async def test_closing_an_unknown_position_says_which() -> None:
    broker = broker_for(entry_books())
    with pytest.raises(KeyError, match="no open position 7"):
        await broker.close_position(7)


async def test_auto_close_only_when_enabled_and_abs_z_at_most_exit() -> None:
    books = entry_books()
    off = broker_for(books)
    await off.execute(signal())
    assert await off.close_reverted(lambda route: 0.1) == []  # disabled by default

    books = entry_books()
    on = broker_for(books, stat_auto_close=True, stat_exit_z=0.5)
    await on.execute(signal())
    reverted(books)
    assert await on.close_reverted(lambda route: 0.9) == []  # not reverted enough yet
    assert await on.close_reverted(lambda route: None) == []  # z unknown: keep it open
    (closed,) = await on.close_reverted(lambda route: -0.3)
    assert closed.action is TradeAction.CLOSE
    assert on.open_positions() == []


async def test_positions_survive_a_restart_through_the_trade_log() -> None:
    books = entry_books()
    with TradeLog() as log:
        opened = await broker_for(books, log=log).execute(signal())
    with TradeLog() as log:
        again = broker_for(books, log=log)
        (position,) = again.open_positions()
        assert position.position_id == opened.position_id
        assert position.open_trade_id == opened.trade_id
        reverted(books)
        closed = await again.close_position(position.position_id)
        assert closed.realized_profit == pytest.approx(1.594)
        assert log.positions() == []
        assert [t.action for t in log.all_trades()] == ["open", "close"]
        assert log.running_total() == {"USDT": pytest.approx(1.594)}
