"""Paper trading in the real monitor, from the keyboard, on the deterministic simulated market.

Seed 7 after SNAPSHOT_AT_S seconds (the shared market): the top route is open
and profitable. The market is not stepped during a test, so the book each
leg meets after its latency is the one the ticket quoted (what moves during
latency is tested in tests/trading). Every test has its own data folder
(tests/conftest.py), so `trades.sqlite3` starts empty.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from arbscope.engine.config import EngineConfig
from arbscope.engine.risk import Check, RiskThresholds
from arbscope.storage import paths
from arbscope.storage.sections import PaperConfig
from arbscope.storage.settings import Settings
from arbscope.trading.execution import ExecutionStatus, TradeAction
from arbscope.trading.tradelog import TradeLog
from arbscope.ui.app import ArbscopeApp
from arbscope.ui.screens.ticket import TradeTicketScreen
from arbscope.ui.widgets.risk_checklist import RiskChecklistPane
from arbscope.ui.widgets.trade_log_narrow import NarrowTradeLogPane
from tests.ui.conftest import SIZE, make_app, notifications
from tests.ui.sim_driver import SteppedMarket

SnapCompare = Callable[..., bool]


def ticket_of(app: ArbscopeApp) -> TradeTicketScreen:
    assert isinstance(app.screen, TradeTicketScreen), app.screen
    return app.screen


def messages(app: ArbscopeApp) -> list[str]:
    return [n.message for n in notifications(app)]


async def confirm(pilot: Pilot[None], screen: TradeTicketScreen) -> None:
    """y, and y again when the checklist warns; then wait for the execution's worker."""
    report = screen.quote.report
    assert report is not None, screen.quote.message
    assert not report.blocked, report.summary
    await pilot.press("y")
    if report.needs_confirmation:
        assert screen.armed and screen.is_current  # the first y only arms it
        await pilot.press("y")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def trade_top_route(pilot: Pilot[None], app: ArbscopeApp) -> None:
    """Enter pins the top route, Enter again opens its ticket, - makes it smaller, confirm."""
    await pilot.press("enter", "enter")
    screen = ticket_of(app)
    await pilot.press("minus")
    await confirm(pilot, screen)


async def test_select_ticket_resize_confirm_log_export_and_find_it_after_a_restart(
    shared_market: SteppedMarket,
) -> None:
    app = make_app(shared_market)
    async with app.run_test(size=SIZE) as pilot:
        # Before Enter the checklist follows the cursor; the first Enter pins (issue 3).
        checklist = app.query_one(RiskChecklistPane)
        top = app.selected
        assert top is not None and checklist.report is not None
        assert checklist.route_id == top.route_id
        await pilot.press("enter")
        assert app.pinned and not isinstance(app.screen, TradeTicketScreen)
        route = app.selected
        assert route is not None

        # Enter again on the pinned route opens its ticket at the route's size.
        await pilot.press("enter")
        screen = ticket_of(app)
        assert screen.trade_size == pytest.approx(route.size)
        quote = screen.quote
        assert quote.opportunity is not None and quote.opportunity.route_id == route.route_id
        legs = str(screen.query_one("#legs", Static).render())
        assert "takes" in legs and route.legs[0].venue in legs
        assert [line.label for line in quote.waterfall] == [
            "gross", "fees", "expected slippage", "rebalancing", "net"]
        assert quote.report is not None and len(quote.report.items) == 10

        # - divides the size by 1.25 (trade_notional_step 0.25); everything is re-quoted.
        await pilot.press("minus")
        smaller = route.size / 1.25
        assert screen.trade_size == pytest.approx(smaller)
        assert screen.quote.opportunity is not None
        assert screen.quote.opportunity.size <= smaller + 1e-12
        assert screen.quote.opportunity.fees < quote.opportunity.fees
        expected = screen.quote.opportunity.net_profit

        await confirm(pilot, screen)
        assert not isinstance(app.screen, TradeTicketScreen)
        [execution] = app.trading.executions
        assert execution.status is ExecutionStatus.FILLED
        assert execution.trade_id == 1 and execution.route_id == route.route_id
        # Nothing moved during the latency: realized is what the ticket expected.
        assert execution.expected_profit == pytest.approx(expected)
        assert execution.realized_profit == pytest.approx(expected, rel=1e-6)
        assert any("realized" in m and "vs expected" in m for m in messages(app))

        # The trade log pane lists it with its realized profit, a running total, balances.
        pane = app.query_one(NarrowTradeLogPane)
        table = pane.query_one(DataTable)
        assert table.row_count == 1
        assert str(table.get_cell("1", "status")) == "filled"
        assert str(table.get_cell("1", "realized")) == f"{execution.realized_profit:+.4f}"
        summary = str(pane.query_one("#summary", Static).render())
        assert "running total" in summary and f"{execution.realized_profit:+.4f}" in summary
        for leg in execution.legs:
            assert leg.venue in summary
        assert pane.border_title == "Trade log · 1 trade"

        # e: the CSV lands in the data folder's exports/ and the notification says where.
        await pilot.press("e")
        [exported] = sorted((paths.data_dir() / "exports").glob("trades-*.csv"))
        assert any(str(exported) in m for m in messages(app))
        with exported.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) == len(execution.legs)
        assert {row["trade_id"] for row in rows} == {"1"}
        assert {row["route_id"] for row in rows} == {route.route_id}
        assert float(rows[0]["realized_profit"]) == pytest.approx(execution.realized_profit)
        balances_after = app.trading.broker.balances.snapshot() if app.trading.broker else {}

    # Quit, start again on the same data folder: the trade and the balances are there.
    again = make_app(shared_market)
    async with again.run_test(size=SIZE):
        pane = again.query_one(NarrowTradeLogPane)
        table = pane.query_one(DataTable)
        assert table.row_count == 1
        assert str(table.get_cell("1", "realized")) == f"{execution.realized_profit:+.4f}"
        broker = again.trading.broker
        assert broker is not None
        for venue in {leg.venue for leg in execution.legs}:
            assert broker.balances.venue_balances(venue) == pytest.approx(balances_after[venue])
    assert (paths.data_dir() / "trades.sqlite3").exists()


async def test_x_opens_the_ticket_of_the_highlighted_route_and_escape_cancels(
    shared_market: SteppedMarket,
) -> None:
    app = make_app(shared_market)
    async with app.run_test(size=SIZE) as pilot:
        table = app.table
        await pilot.press("down", "x")
        screen = ticket_of(app)
        assert screen.quote.opportunity is not None
        assert screen.quote.opportunity.route_id == table.routes[1]
        assert not app.pinned  # x trades the highlighted route without pinning it
        await pilot.press("x")  # a second ticket never stacks on the first
        assert app.screen is screen
        await pilot.press("escape")
        assert not isinstance(app.screen, TradeTicketScreen)
        await app.workers.wait_for_complete()
        assert app.trading.executions == []
        assert app.query_one(NarrowTradeLogPane).query_one(DataTable).row_count == 0


async def test_a_size_beyond_the_balances_is_blocked_with_the_reason(
    shared_market: SteppedMarket,
) -> None:
    app = make_app(shared_market)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x")
        screen = ticket_of(app)
        box = screen.query_one("#size", Input)
        box.value = ""
        await pilot.press(*"100000")  # typing: far more than any starting balance
        assert screen.trade_size == 100000.0
        report = screen.quote.report
        if report is not None:  # None: the route has no depth for it at all (also refused)
            assert report.item("balances").status is Check.FAIL
        await pilot.press("y", "y")
        assert app.screen is screen  # still open: nothing executed
        status = str(screen.query_one("#status", Static).render())
        assert "blocked" in status or "nothing to execute" in status
        await pilot.press("escape")
        assert app.trading.executions == []


async def test_the_checklist_pane_follows_the_selected_route(
    shared_market: SteppedMarket,
) -> None:
    app = make_app(shared_market)
    async with app.run_test(size=SIZE) as pilot:
        checklist = app.query_one(RiskChecklistPane)
        table = app.table
        assert checklist.route_id == table.routes[0]
        await pilot.press("down")
        assert checklist.route_id == table.routes[1]
        await pilot.press("enter", "down")  # pinned: moving on no longer changes it
        assert checklist.route_id == table.routes[1]
        assert checklist.report is not None
        assert checklist.has_class(f"-{checklist.report.verdict.value}")


async def test_c_without_an_open_position_says_so(shared_market: SteppedMarket) -> None:
    app = make_app(shared_market)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        assert any("no open position" in m for m in messages(app))


async def test_a_statistical_route_opens_a_position_that_c_closes() -> None:
    # A short window and a low entry threshold: statistical signals within seconds. Their
    # expected edge rarely beats a round trip of fees this early, so the profit threshold
    # is lowered for the test: the position mechanics are what it is about.
    settings = Settings(seed=7, engine=EngineConfig(stat_min_samples=5, stat_entry_z=1.5,
                                                    stat_window_s=10.0),
                        risk=RiskThresholds(min_net_profit=-1e9))
    market = SteppedMarket(settings=settings)
    market.advance(3.0)
    app = make_app(market)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1", "2", "3")  # hide every kind but statistical
        table = app.table
        assert table.routes and all(r.startswith("statistical:") for r in table.routes)
        await pilot.press("x")
        await confirm(pilot, ticket_of(app))
        [opened] = app.trading.executions
        assert opened.action is TradeAction.OPEN and opened.position_id is not None
        broker = app.trading.broker
        assert broker is not None
        assert [p.position_id for p in broker.open_positions()] == [opened.position_id]
        rows = app.query_one(NarrowTradeLogPane).query_one(DataTable)
        assert str(rows.get_cell("1", "realized")) == "open"

        await pilot.press("c")
        await app.workers.wait_for_complete()
        await pilot.pause()
        closed = app.trading.executions[-1]
        assert closed.action is TradeAction.CLOSE
        assert closed.position_id == opened.position_id
        assert broker.open_positions() == []
        assert rows.row_count == 2


async def _trade_then_clear(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, ArbscopeApp)
    await trade_top_route(pilot, app)
    app.clear_notifications()
    await pilot.pause()


def test_snapshot_of_the_main_screen_after_a_paper_trade(
    snap_compare: SnapCompare, shared_market: SteppedMarket
) -> None:
    app = make_app(shared_market)
    assert snap_compare(app, terminal_size=SIZE, run_before=_trade_then_clear)


def test_snapshot_of_the_ticket_in_the_monitor(
    snap_compare: SnapCompare, shared_market: SteppedMarket
) -> None:
    app = make_app(shared_market)
    assert snap_compare(app, press=["enter", "enter"], terminal_size=SIZE)


def test_the_data_folder_is_the_tests_own(tmp_path: Path) -> None:
    # Guards the restart test above: it must never read or write the user's real log.
    assert paths.data_dir() == tmp_path / "data"


async def test_with_auto_close_a_statistical_position_closes_once_its_z_reverts() -> None:
    # As above, plus stat_auto_close: the market is stepped (bounded) until the pair's z
    # is back within the exit band (abs(z) <= 0.5), then one refresh closes the position.
    settings = Settings(seed=7, engine=EngineConfig(stat_min_samples=5, stat_entry_z=1.5,
                                                    stat_window_s=10.0, stat_exit_z=0.5),
                        risk=RiskThresholds(min_net_profit=-1e9),
                        paper=PaperConfig(stat_auto_close=True))
    market = SteppedMarket(settings=settings)
    market.advance(3.0)
    app = make_app(market)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1", "2", "3")  # hide every kind but statistical
        await pilot.press("x")
        await confirm(pilot, ticket_of(app))
        [opened] = app.trading.executions
        broker = app.trading.broker
        assert broker is not None and opened.position_id is not None
        assert [p.route_id for p in broker.open_positions()] == [opened.route_id]

        calculator = market.scanner.calculator
        z = calculator.spread_z(opened.route_id)
        assert z is not None and abs(z) >= 1.5  # it opened past the entry
        for _ in range(240):  # at most 120 s of market time
            market.advance(0.5)
            z = calculator.spread_z(opened.route_id)
            if z is not None and abs(z) <= 0.5:
                break
        assert z is not None and abs(z) <= 0.5, z
        assert broker.open_positions()  # nothing closes before the UI sees a snapshot
        told = len(messages(app))
        app.refresh_panes()
        await app.workers.wait_for_complete()
        await pilot.pause()

        closed = app.trading.executions[-1]
        assert closed.action is TradeAction.CLOSE
        assert closed.position_id == opened.position_id
        assert broker.open_positions() == []
        rows = app.query_one(NarrowTradeLogPane).query_one(DataTable)
        assert rows.row_count == 2  # logged: the open and the close
        assert len(messages(app)) == told + 1  # announced like a `c` close


async def test_a_paused_display_still_auto_closes_and_logs_a_reverted_position() -> None:
    # As above, but the display is paused (p) before the market moves: the session is fed
    # every snapshot the app reads whatever the display does, so the position closes and
    # is logged while the screen still shows the frozen snapshot.
    settings = Settings(seed=7, engine=EngineConfig(stat_min_samples=5, stat_entry_z=1.5,
                                                    stat_window_s=10.0, stat_exit_z=0.5),
                        risk=RiskThresholds(min_net_profit=-1e9),
                        paper=PaperConfig(stat_auto_close=True))
    market = SteppedMarket(settings=settings)
    market.advance(3.0)
    app = make_app(market)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1", "2", "3")  # hide every kind but statistical
        await pilot.press("x")
        await confirm(pilot, ticket_of(app))
        [opened] = app.trading.executions
        broker = app.trading.broker
        assert broker is not None and opened.position_id is not None

        await pilot.press("p")
        assert app.paused
        frozen = app.shown_snapshot
        assert frozen is not None
        calculator = market.scanner.calculator
        z = calculator.spread_z(opened.route_id)
        for _ in range(240):  # at most 120 s of market time, a refresh per step as the timer
            market.advance(0.5)
            app.refresh_panes()
            z = calculator.spread_z(opened.route_id)
            if z is not None and abs(z) <= 0.5:
                break
        assert z is not None and abs(z) <= 0.5, z
        await app.workers.wait_for_complete()
        await pilot.pause()

        assert app.paused and app.shown_snapshot is frozen  # the display never moved
        closed = app.trading.executions[-1]
        assert closed.action is TradeAction.CLOSE
        assert closed.position_id == opened.position_id
        assert broker.open_positions() == []
        with TradeLog(read_only=True) as log:  # logged: the open and the close
            assert [t.action for t in log.all_trades()] == ["open", "close"]
