"""The monitor over a trade log it cannot write, or one another program has locked."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from pathlib import Path

import pytest
from textual.widgets import DataTable

from arbscope.trading import logschema, session
from arbscope.trading.tradelog import TradeLog
from arbscope.ui.screens.ticket import TradeTicketScreen
from arbscope.ui.widgets.trade_log_narrow import NarrowTradeLogPane
from tests.trading.test_tradelog_faults import log_one_trade
from tests.ui.conftest import SIZE, make_app
from tests.ui.sim_driver import SteppedMarket
from tests.ui.test_trading_flow import messages, trade_top_route


async def test_a_good_log_in_a_read_only_folder_is_shown_and_trading_is_off(
    monkeypatch: pytest.MonkeyPatch, shared_market: SteppedMarket,
) -> None:
    # The folder's permission is played through logschema.is_writable (as root chmod
    # stops nothing): this pins the monitor's decision and that it never writes the file.
    path = await asyncio.to_thread(log_one_trade)  # asyncio.run needs a thread of its own
    kept = hashlib.sha256(path.read_bytes()).hexdigest()
    folder = path.parent
    monkeypatch.setattr(logschema, "is_writable", lambda p: Path(p) != folder)
    app = make_app(shared_market)
    async with app.run_test(size=SIZE) as pilot:
        told = messages(app)
        assert any("paper trading is off" in m and "read-only" in m for m in told), told
        assert not any("move it away" in m for m in told)
        pane = app.query_one(NarrowTradeLogPane)
        assert pane.query_one(DataTable).row_count == 1  # the intact trade is listed
        assert pane.border_subtitle == "read-only: trading off"
        await pilot.press("x")
        assert not isinstance(app.screen, TradeTicketScreen)
        assert messages(app).count(told[-1]) == 2  # x says it again
        await pilot.press("c")
        assert messages(app).count(told[-1]) == 3
    assert hashlib.sha256(path.read_bytes()).hexdigest() == kept


async def test_a_trade_on_a_locked_log_says_so_and_leaves_the_balances(
    monkeypatch: pytest.MonkeyPatch, shared_market: SteppedMarket,
) -> None:
    # The busy timeout is short, the lock is held throughout: the write gives up, whatever
    # the machine's speed, and the monitor says the trade was not recorded.
    real = session.TradeLog
    monkeypatch.setattr(session, "TradeLog",
                        lambda path=None, **kw: real(path, busy_timeout_s=0.05, **kw))
    app = make_app(shared_market)
    async with app.run_test(size=SIZE) as pilot:
        broker = app.trading.broker
        assert broker is not None and app.trading.session.log is not None
        before = broker.balances.snapshot()
        other = sqlite3.connect(app.trading.session.log.path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            await trade_top_route(pilot, app)
        finally:
            other.rollback()
            other.close()
        assert any("busy/locked" in m and "trade not recorded" in m for m in messages(app))
        assert app.trading.executions == []
        assert broker.balances.snapshot() == before
        assert app.query_one(NarrowTradeLogPane).query_one(DataTable).row_count == 0
    with TradeLog(read_only=True) as log:
        assert log.count() == 0
