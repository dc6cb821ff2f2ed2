"""The monitor over a trade log it cannot write, or one another program has locked."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from arbscope.trading import logschema, session
from arbscope.trading.tradelog import TradeLog
from arbscope.ui.app import ArbscopeApp
from arbscope.ui.screens.ticket import TradeTicketScreen
from arbscope.ui.widgets.trade_log_narrow import NarrowTradeLogPane
from tests.trading.test_tradelog_faults import hold_write_lock, log_one_trade
from tests.ui.conftest import SIZE, make_app
from tests.ui.sim_driver import SteppedMarket
from tests.ui.test_trading_flow import messages, ticket_of, trade_top_route


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


async def _confirm_without_waiting(pilot: Pilot[None], app: ArbscopeApp) -> None:
    """Enter pins the top route, Enter opens its ticket, - and y (twice if armed): the
    execution's worker is started, not waited for."""
    await pilot.press("enter", "enter")
    screen = ticket_of(app)
    await pilot.press("minus")
    report = screen.quote.report
    assert report is not None and not report.blocked, screen.quote.message
    await pilot.press("y")
    if report.needs_confirmation:
        await pilot.press("y")


async def test_a_trade_waiting_on_a_lock_never_freezes_the_screen_and_moves_balances_on_commit(
    monkeypatch: pytest.MonkeyPatch, shared_market: SteppedMarket,
) -> None:
    # The write waits on another connection's pending write (the busy timeout is far
    # longer than the test): meanwhile the event loop serves a key press and the balances
    # stay put; once the other connection lets go the trade commits and only then do
    # the balances move, to what the log holds.
    entered = threading.Event()
    real = session.TradeLog

    class Watched(real):  # type: ignore[misc, valid-type]
        def record(self, *args: Any, **kw: Any) -> Any:
            entered.set()  # on the worker thread, before the write waits for the lock
            return super().record(*args, **kw)

    monkeypatch.setattr(session, "TradeLog",
                        lambda path=None, **kw: Watched(path, busy_timeout_s=60.0, **kw))
    app = make_app(shared_market)
    async with app.run_test(size=SIZE) as pilot:
        broker = app.trading.broker
        log = app.trading.session.log
        assert broker is not None and log is not None
        before = broker.balances.snapshot()
        other = hold_write_lock(log.path)
        try:
            await _confirm_without_waiting(pilot, app)
            assert await asyncio.to_thread(entered.wait, 30.0)
            assert not app.paused
            await pilot.press("p")  # handled while the write waits: the loop is free
            assert app.paused
            assert app.trading.executions == [] and broker.balances.snapshot() == before
        finally:
            other.rollback()
            other.close()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(app.trading.executions) == 1
        after = broker.balances.snapshot()
        assert after != before
        assert after == {venue: dict(coins) for venue, coins in log.latest_balances().items()
                         if venue in after}
        assert app.query_one(NarrowTradeLogPane).query_one(DataTable).row_count == 1


async def test_a_trade_on_a_damaged_log_says_so_and_leaves_the_balances(
    shared_market: SteppedMarket,
) -> None:
    # One trade is kept, then the legs table's root page is overwritten: reading the
    # trades still works, writing a new one meets "database disk image is malformed".
    path = await asyncio.to_thread(log_one_trade)
    with sqlite3.connect(path) as db:
        (root,) = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'legs'").fetchone()
        (page_size,) = db.execute("PRAGMA page_size").fetchone()
    db.close()
    data = bytearray(path.read_bytes())
    data[(root - 1) * page_size:root * page_size] = b"\xff" * page_size
    path.write_bytes(bytes(data))
    app = make_app(shared_market)
    async with app.run_test(size=SIZE) as pilot:
        broker = app.trading.broker
        assert broker is not None and app.trading.session.log is not None
        before = broker.balances.snapshot()
        await trade_top_route(pilot, app)
        told = messages(app)
        assert any("malformed" in m and "trade not recorded" in m for m in told), told
        assert app.trading.executions == []
        assert broker.balances.snapshot() == before
        assert app.query_one(NarrowTradeLogPane).query_one(DataTable).row_count == 1
