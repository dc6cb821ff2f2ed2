"""The trade ticket and the trading panes from the keyboard, and their snapshots.

The host app (trading_host_app.py) buys on alpha (asks 100 x 1, 101 x 1) and
sells on beta (bids 103 x 1, 102 x 1), fee 0.001, with 160 USDT on alpha:
* 0.5 BTC: buy costs 50.05 USDT (31% of 160), takes 25% of alpha's depth: all pass;
* 1.5 BTC: the buy may cost up to 151.80 (95% of 160) and takes 75% of the depth: warns;
* 2.0 BTC: needs 100 + 101 = 201 * 1.001 = 201.201 USDT > 160: fails.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from textual.app import ComposeResult
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from arbscope.engine.risk import Check
from arbscope.storage import paths
from arbscope.trading.balances import Balances
from arbscope.trading.broker import PaperBroker
from arbscope.trading.execution import ExecutionStatus
from arbscope.trading.tradelog import TradeLog
from arbscope.ui.screens.ticket import TradeTicketScreen
from arbscope.ui.widgets.risk_checklist import RiskChecklistPane
from arbscope.ui.widgets.trade_log import TradeLogPane
from tests.trading.helpers import ENOUGH, ScriptedSleep, spatial_markets
from tests.trading.test_positions import entry_books, signal
from tests.ui.trading_host_app import ThemedApp, TradingHostApp

SIZE = (110, 42)
APP_FILE = Path(__file__).parent / "trading_host_app.py"


def ticket(app: TradingHostApp) -> TradeTicketScreen:
    assert isinstance(app.screen, TradeTicketScreen)
    return app.screen


def status_text(screen: TradeTicketScreen) -> str:
    return str(screen.query_one("#status", Static).render())


async def test_open_change_size_and_confirm_executes_and_logs() -> None:
    app = TradingHostApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x")
        screen = ticket(app)
        assert screen.trade_size == 0.5
        assert screen.quote.report is not None and screen.quote.report.verdict is Check.PASS

        # + grows the size by a quarter, - brings it back: everything recomputes.
        await pilot.press("plus")
        assert screen.trade_size == pytest.approx(0.625)
        assert screen.quote.opportunity is not None
        assert screen.quote.opportunity.size == pytest.approx(0.625)
        assert screen.query_one("#size", Input).value == "0.625"
        await pilot.press("minus")
        assert screen.trade_size == pytest.approx(0.5)

        # Typing replaces the size (the box keeps it selected).
        await pilot.press(*"0.8")
        await pilot.pause()
        assert screen.trade_size == pytest.approx(0.8)
        legs = str(screen.query_one("#legs", Static).render())
        assert "0.8 BTC/USDT on alpha" in legs

        await pilot.press("y")
        await pilot.pause()
        assert not isinstance(app.screen, TradeTicketScreen)
        assert app.results == [pytest.approx(0.8)]
        (execution,) = app.executions
        assert execution.status is ExecutionStatus.FILLED
        # 0.8 BTC: buy 80 * 1.001 = 80.08, sell 0.8 * 103 * 0.999 = 82.3176 -> +2.2376 USDT.
        assert execution.realized_profit == pytest.approx(2.2376)
        assert app.trade_log.count() == 1

        # The log pane shows the new row, and `e` exports it.
        table = app.query_one(TradeLogPane).query_one(DataTable)
        assert table.row_count == 1
        await pilot.press("e")
        await pilot.pause()
        exported = sorted((paths.data_dir() / "exports").glob("trades-*.csv"))
        assert len(exported) == 1
        rows = list(csv.DictReader(exported[0].open()))
        assert [r["side"] for r in rows] == ["buy", "sell"]


async def test_enter_confirms_from_the_size_box() -> None:
    app = TradingHostApp(open_ticket=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert ticket(app).query_one("#size", Input).has_focus
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [0.5]
        assert len(app.executions) == 1


async def test_escape_cancels_without_a_trade() -> None:
    app = TradingHostApp(open_ticket=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None]
        assert app.executions == [] and app.trade_log.count() == 0


async def test_a_failing_check_blocks_and_says_why() -> None:
    app = TradingHostApp(open_ticket=True, size=2.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = ticket(app)
        assert screen.quote.report is not None and screen.quote.report.blocked
        await pilot.press("y")
        await pilot.press("y")
        await pilot.pause()
        assert app.screen is screen  # still open
        assert status_text(screen) == "blocked: alpha needs 201.201 USDT, holds 160"
        assert app.results == [] and app.trade_log.count() == 0


async def test_a_warning_needs_a_second_confirmation() -> None:
    app = TradingHostApp(open_ticket=True, size=1.5)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = ticket(app)
        report = screen.quote.report
        assert report is not None and report.needs_confirmation
        assert {i.name for i in report.with_status(Check.WARN)} == {"depth", "balances"}
        await pilot.press("y")
        await pilot.pause()
        assert app.screen is screen and screen.armed
        assert "press y again" in status_text(screen)
        # Changing the size disarms: the checklist it was armed for is gone.
        await pilot.press("plus", "minus")
        assert not screen.armed
        await pilot.press("y", "y")
        await pilot.pause()
        assert app.results == [pytest.approx(1.5)]
        assert app.executions[0].status is ExecutionStatus.FILLED


async def test_checklist_pane_follows_the_route_and_the_balances() -> None:
    app = TradingHostApp()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(RiskChecklistPane)
        assert pane.report is not None and pane.report.verdict is Check.PASS
        assert pane.has_class("-pass")
        assert pane.border_title == "Risk checklist · spatial:BTC/USDT:alpha>beta"
        pane.show_report(None)
        await pilot.pause()
        assert "select a route" in str(pane.render())
        assert not pane.has_class("-pass")


def test_a_ticket_needs_a_positive_size() -> None:
    app = TradingHostApp()
    with pytest.raises(ValueError, match="positive size"):
        TradeTicketScreen(app.quote_at, 0.0)


def test_snapshot_of_the_ticket(snap_compare: object) -> None:
    app = TradingHostApp(open_ticket=True, size=1.5)
    assert snap_compare(app, terminal_size=SIZE)  # type: ignore[operator]


def test_snapshot_of_the_checklist_and_trade_log_panes(snap_compare: object) -> None:
    async def trade_twice(pilot: Pilot[None]) -> None:
        # 0.5 BTC, then 1 BTC on what is left (alpha 100 x 0.5, 101 x 1): that one warns
        # (67% of the depth, 92% of alpha's USDT) and takes two confirmations.
        await pilot.press("x", "y")
        await pilot.press("x", *"1", "y", "y")
        await pilot.pause()
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(  # type: ignore[operator]
        TradingHostApp(), terminal_size=SIZE, run_before=trade_twice
    )


class LogPaneApp(ThemedApp):
    """Only the trade log pane, over a log that already holds an open statistical position."""

    def __init__(self, log: TradeLog) -> None:
        super().__init__()
        self.trade_log = log
        self.close_requests: list[int] = []
        self.exports: list[tuple[Path, int]] = []

    def compose(self) -> ComposeResult:
        yield TradeLogPane(self.trade_log, export_path=lambda: paths.data_dir() / "out.csv")

    def on_trade_log_pane_close_position_requested(
        self, message: TradeLogPane.ClosePositionRequested
    ) -> None:
        self.close_requests.append(message.position_id)

    def on_trade_log_pane_exported(self, message: TradeLogPane.Exported) -> None:
        self.exports.append((message.path, message.rows))


async def test_log_pane_asks_to_close_an_open_position_and_exports() -> None:
    with TradeLog() as log:
        broker = PaperBroker(
            entry_books(), spatial_markets(), Balances(ENOUGH), log=log, sleep=ScriptedSleep()
        )
        opened = await broker.execute(signal())
        app = LogPaneApp(log)
        async with app.run_test(size=SIZE) as pilot:
            pane = app.query_one(TradeLogPane)
            pane.query_one(DataTable).focus()
            await pilot.press("c")
            await pilot.pause()
            assert app.close_requests == [opened.position_id]
            assert "position 1 open" in str(pane.query_one("#summary", Static).render())
            await pilot.press("e")
            await pilot.pause()
            assert app.exports == [(paths.data_dir() / "out.csv", 2)]

            # Once closed, `c` has nothing to ask for.
            await broker.close_position(opened.position_id or 0)
            pane.reload()
            await pilot.pause()
            pane.query_one(DataTable).move_cursor(row=1)  # the opening trade, now closed
            await pilot.press("c")
            await pilot.pause()
            assert app.close_requests == [opened.position_id]
