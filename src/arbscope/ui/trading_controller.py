"""The monitor's paper trading on screen: ticket, risk checklist pane, trade log pane.

The app owns one `TradingController` and hands it the keys (`x`, Enter on the
pinned route, `e`, `c`), every snapshot it reads (`feed`, paused or not) and
the route its panes follow. The session's state (broker, trade log,
volatility, auto-close) lives in the Textual-free `trading.session`; this
module keeps the ticket, the notifications and the workers.

Nothing blocks the UI: executions run in a Textual worker on the app's event
loop (the broker awaits the latency with `asyncio.sleep` and commits to the
trade log on a thread); the notification and the pane reload come after the
commit.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Static

from arbscope.models import MarketSnapshot, Opportunity
from arbscope.trading.accounting import execution_summary
from arbscope.trading.broker import PaperBroker
from arbscope.trading.execution import Execution, ExecutionStatus
from arbscope.trading.quote import TicketQuote
from arbscope.trading.session import TradingSession
from arbscope.trading.tradelog import TradeLogError
from arbscope.ui.screens.ticket import TradeTicketScreen
from arbscope.ui.widgets.risk_checklist import RiskChecklistPane
from arbscope.ui.widgets.trade_log_narrow import NarrowTradeLogPane

if TYPE_CHECKING:
    from arbscope.ui.app import ArbscopeApp

CHECKLIST_EVERY_S = 0.5
"""Market seconds between two checklists of the same route: each redraw relays the pane
out, and ages and balances do not need 10 updates a second."""
NOTIFY_S = 10.0
"""How long the notification after a trade stays up."""


def _failure(error: Exception) -> str:
    """A trade log's failure says itself what happened and what is left; others are named."""
    return str(error) if isinstance(error, TradeLogError) else f"{type(error).__name__}: {error}"


class TradingController:
    """Paper trading in the monitor: the session, the two panes, the ticket."""

    def __init__(self, app: ArbscopeApp) -> None:
        self.app = app
        self.session = TradingSession(app.settings, app.scanner, clock=app.clock)
        self.risk_pane = RiskChecklistPane(id="risk-checklist")
        self.log_pane: NarrowTradeLogPane | None = None
        self._checked: tuple[str | None, float] = (None, float("-inf"))
        """(route, snapshot time) of the checklist on the pane."""

    @property
    def broker(self) -> PaperBroker | None:
        return self.session.broker

    @property
    def executions(self) -> list[Execution]:
        """Every execution of this session, in order (tests and benchmarks read it)."""
        return self.session.executions

    # -- life cycle -------------------------------------------------------------

    def open_log(self) -> Widget:
        """Open the session's trade log and broker; the pane to show (from the app's compose).

        Opened when the app composes, not when it is constructed: an app that never
        runs never touches the data folder. A log that cannot be opened leaves paper
        trading working in memory, and the pane says why nothing is kept."""
        session = self.session
        session.open()
        assert session.broker is not None
        if session.log is None:
            note = Static(f"trades are not kept: {session.log_problem}", id="trade-log-error")
            note.border_title = "Trade log"
            return note
        self.log_pane = NarrowTradeLogPane(session.log, session.broker.balances, id="trade-log")
        if session.trading_off:
            self.log_pane.border_subtitle = "read-only: trading off"
        return self.log_pane

    def on_mount(self) -> None:
        """Say once, at start, why trading is off (the keys say it again)."""
        if self.session.trading_off:
            self.app.notify(self.session.trading_off, title="Trade log read-only",
                            severity="warning", timeout=NOTIFY_S)

    def close(self) -> None:
        self.session.close()

    def quote(self, route: Opportunity, size: float) -> TicketQuote:
        """`route` at `size` on the current books, as the next order would meet them."""
        return self.session.quote(route, size)

    # -- the market moves, the checklist pane follows the selected route -----------

    def feed(self, snapshot: MarketSnapshot) -> None:
        """Every snapshot the app reads, paused or not: the session advances on it."""
        work = self.session.feed(snapshot)
        if work is not None:
            self.app.run_worker(self._auto_closed(work), group="paper-trades",
                                exit_on_error=False)

    async def _auto_closed(self, work: Coroutine[Any, Any, list[Execution]]) -> None:
        try:
            closed = await work
        except Exception as error:  # e.g. `c` closed it meanwhile; the next snapshot retries
            self.app.notify(_failure(error), title="Auto-close failed",
                            severity="error", timeout=NOTIFY_S)
            return
        for execution in closed:
            self._done(execution)

    def show_route(self, route: Opportunity | None, snapshot: MarketSnapshot,
                   is_open: bool) -> None:
        """Called by the app whenever books, heatmap and history are redrawn."""
        if self.broker is None or not self.risk_pane.is_mounted:
            return
        route_id = route.route_id if route is not None else None
        shown, checked_ts = self._checked
        if route_id == shown and snapshot.ts - checked_ts < CHECKLIST_EVERY_S:
            return
        self._checked = (route_id, snapshot.ts)
        if route is None:
            self.risk_pane.show_report(None)
            return
        report = self.quote(route, route.size).report
        self.risk_pane.show_report(report, route.route_id if is_open else
                                   f"{route.route_id} · closed")

    # -- keys ---------------------------------------------------------------------

    def open_ticket(self, route: Opportunity | None) -> None:
        """The ticket for `route` at its size; a confirmed size is executed in a worker."""
        app = self.app
        if isinstance(app.screen, ModalScreen):
            return
        if route is None:
            app.notify("no route to trade: move to one in the opportunities table",
                       severity="warning")
            return
        if self.broker is None:
            return
        if self.session.trading_off:
            app.notify(self.session.trading_off, severity="warning")
            return
        screen = TradeTicketScreen(
            lambda size: self.quote(route, size), route.size,
            step=app.settings.ui.trade_notional_step, size_currency=route.size_currency,
        )

        def confirmed(size: float | None) -> None:
            if size is not None:
                self.execute(route, size)

        app.push_screen(screen, confirmed)

    def execute(self, route: Opportunity, size: float) -> None:
        """Re-quote at the confirmed size and execute it without blocking the UI."""
        opportunity, why_not = self.session.order(route, size)
        if opportunity is None:
            self.app.notify(f"not executed: {why_not}", severity="warning")
            return
        self.app.run_worker(self._execute(opportunity), group="paper-trades",
                            exit_on_error=False)

    async def _execute(self, opportunity: Opportunity) -> None:
        try:
            execution = await self.session.execute(opportunity)
        except Exception as error:  # the user must hear of it; the monitor keeps running
            self.app.notify(_failure(error), title="Paper trade failed",
                            severity="error", timeout=NOTIFY_S)
            return
        self._done(execution)

    def _done(self, execution: Execution) -> None:
        """Logged already (the broker commits before returning): tell the user, redraw."""
        filled = execution.status is ExecutionStatus.FILLED
        self.app.notify(execution_summary(execution), title="Paper trade",
                        severity="information" if filled else "warning", timeout=NOTIFY_S)
        if self.log_pane is not None and self.log_pane.is_mounted:
            self.log_pane.reload()
        self._checked = (None, float("-inf"))  # balances changed: a new checklist now
        self.app.refresh_panes()

    def export(self) -> None:
        """`e`: every trade to a CSV in the data folder (the notification says where)."""
        if self.log_pane is None:
            self.app.notify("no trade log to export: it could not be opened",
                            severity="warning")
            return
        self.log_pane.action_export()

    def close_position(self, position_id: int | None = None) -> None:
        """`c`: close a statistical position (the trade log's highlighted one, else the newest)."""
        if self.broker is None or isinstance(self.app.screen, ModalScreen):
            return
        if self.session.trading_off:
            self.app.notify(self.session.trading_off, severity="warning")
            return
        open_ids = self.session.open_position_ids()
        if not open_ids:
            self.app.notify("no open position: statistical routes open one when traded",
                            severity="warning")
            return
        if position_id is None:
            row = self.log_pane.highlighted_trade() if self.log_pane else None
            highlighted = row.position_id if row is not None else None
            position_id = highlighted if highlighted in open_ids else open_ids[-1]
        if position_id not in open_ids:
            self.app.notify(f"position {position_id} is not open", severity="warning")
            return
        self.app.run_worker(self._close(position_id), group="paper-trades", exit_on_error=False)

    async def _close(self, position_id: int) -> None:
        try:
            execution = await self.session.close_position(position_id)
        except Exception as error:  # e.g. closed meanwhile by another key press
            self.app.notify(_failure(error), title="Close failed",
                            severity="error", timeout=NOTIFY_S)
            return
        self._done(execution)
