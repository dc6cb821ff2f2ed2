"""The monitor's paper trading: ticket, risk checklist pane, trade log pane and the broker.

The app owns one `TradingController` and hands it the keys (`x`, Enter on the
pinned route, `e`, `c`) and the route its panes follow; everything about
trading lives here so that app.py stays about the monitor.

Books. Quotes, checklists and executions read the scanner's latest snapshot
(`scanner.snapshot.books`). The scanner runs on its own thread
(market/runner.py) and swaps in a whole new snapshot at each step, each with a
dict of books of its own that nobody mutates afterwards, so reading one from
the UI thread is safe without a lock. The broker asks again after each leg's
simulated latency, so a leg meets the book as it is then, not as it was when
the user confirmed. Depth the user's own fills took is taken out by the
broker's ledger (`visible_book`) until that book next updates.

Auto-close. With ``[paper] stat_auto_close``, each new snapshot with open
positions runs the broker's `close_reverted` in a worker (one at a time):
positions whose pair's z is back within the exit band close and are
announced like a `c` close. The z comes from the calculator's `spread_z`,
a single dict read of floats the scanner's thread stores whole, so reading it
from here is safe while that thread keeps stepping.

Nothing blocks the UI: executions run in a Textual worker on the app's event
loop (the broker awaits the latency with `asyncio.sleep`); the trade log
write (one SQLite transaction) happens before the notification and the pane
reload.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Static

from arbscope.engine.risk import RiskContext
from arbscope.models import BookKey, Market, MarketSnapshot, Opportunity, OrderBook
from arbscope.trading.accounting import execution_summary
from arbscope.trading.broker import PaperBroker
from arbscope.trading.execution import Execution, ExecutionStatus
from arbscope.trading.quote import TicketQuote, build_quote
from arbscope.trading.resize import resize
from arbscope.trading.tradelog import TradeLog, TradeLogError
from arbscope.trading.volatility import VolatilityTracker
from arbscope.ui.screens.ticket import TradeTicketScreen
from arbscope.ui.widgets.risk_checklist import RiskChecklistPane
from arbscope.ui.widgets.trade_log_narrow import NarrowTradeLogPane

if TYPE_CHECKING:
    from arbscope.ui.app import ArbscopeApp

VOLATILITY_EVERY_S = 0.5
"""Market seconds between two volatility samples of every book (the tracker's variance
per second does not depend on how often it samples; this keeps frames cheap)."""
CHECKLIST_EVERY_S = 0.5
"""Market seconds between two checklists of the same route: each redraw relays the pane
out, and ages and balances do not need 10 updates a second."""
NOTIFY_S = 10.0
"""How long the notification after a trade stays up."""


class TradingController:
    """Paper trading in the monitor: one broker, one trade log, the two panes, the ticket."""

    def __init__(self, app: ArbscopeApp) -> None:
        self.app = app
        self.thresholds = app.settings.risk
        self.volatility = VolatilityTracker()
        self.risk_pane = RiskChecklistPane(id="risk-checklist")
        self.log: TradeLog | None = None
        self.log_pane: NarrowTradeLogPane | None = None
        self.broker: PaperBroker | None = None
        self.executions: list[Execution] = []
        """Every execution of this session, in order (tests and benchmarks read it)."""
        self._sampled_ts = float("-inf")
        self._checked: tuple[str | None, float] = (None, float("-inf"))
        """(route, snapshot time) of the checklist on the pane."""
        self._auto_ts = float("-inf")
        """Time of the last snapshot auto-close looked at."""
        self._auto_closing = False
        """An auto-close worker is running: the next snapshot does not start another."""

    # -- life cycle -------------------------------------------------------------

    def open_log(self) -> Widget:
        """Open `trades.sqlite3` and the broker on it; the pane to show (from the app's compose).

        Opened when the app composes, not when it is constructed: an app that never
        runs never touches the data folder. A log that cannot be opened leaves paper
        trading working in memory, and the pane says why nothing is kept."""
        settings = self.app.settings
        try:
            self.log = TradeLog()
        except (TradeLogError, OSError) as error:
            self.broker = PaperBroker.from_settings(settings, self._book, self._market,
                                                    None, clock=self._now)
            note = Static(f"trades are not kept: {error}", id="trade-log-error")
            note.border_title = "Trade log"
            return note
        self.broker = PaperBroker.from_settings(settings, self._book, self._market,
                                                self.log, clock=self._now)
        self.log_pane = NarrowTradeLogPane(self.log, self.broker.balances, id="trade-log")
        return self.log_pane

    def close(self) -> None:
        if self.log is not None:
            self.log.close()
            self.log = None

    # -- what the broker and the checklist read ------------------------------------

    def _snapshot(self) -> MarketSnapshot:
        return self.app.scanner.snapshot

    def _book(self, key: BookKey) -> OrderBook | None:
        """The latest book of `key` (called by the broker after each leg's latency)."""
        return self._snapshot().books.get(key)

    def _market(self, key: BookKey) -> Market | None:
        return self._snapshot().markets.get(key)

    def _now(self) -> float:
        """The market's time: the app's clock (replays run on the recording's)."""
        clock = self.app.clock
        return clock() if clock is not None else time.time()

    def _visible(self, snapshot: MarketSnapshot, key: BookKey) -> OrderBook | None:
        book = snapshot.books.get(key)
        if book is None or self.broker is None:
            return book
        return self.broker.visible_book(book)

    def _context(self, snapshot: MarketSnapshot, opportunity: Opportunity) -> RiskContext:
        assert self.broker is not None
        keys = {(leg.venue, leg.symbol) for leg in opportunity.legs}
        books = {k: b for k in keys if (b := self._visible(snapshot, k)) is not None}
        volatility = {k: s for k in keys if (s := self.volatility.sigma_bps(k)) is not None}
        config = self.app.scanner.config
        return RiskContext(
            now=self._now(),
            books=books,
            markets=snapshot.markets,
            health=snapshot.health,
            balance=self.broker.balances.get,
            max_book_age=config.book_age_limit,
            latency_s=self.broker.config.latency_s,
            volatility=volatility,
            withdrawal_fees=config.withdrawal_fees,
            transfers=snapshot.transfers,
        )

    def quote(self, route: Opportunity, size: float) -> TicketQuote:
        """`route` at `size` on the current books, as the next order would meet them."""
        snapshot = self._snapshot()
        current = next((o for o in snapshot.opportunities if o.route_id == route.route_id), route)
        resized = resize(current, size, lambda key: self._visible(snapshot, key),
                         snapshot.markets.get, self._now(), self.app.scanner.config)
        if resized is None:
            return build_quote(None, self._context(snapshot, current), size=size,
                               message="the route no longer pays on the current books")
        return build_quote(resized, self._context(snapshot, resized), self.thresholds, size=size)

    # -- the checklist pane follows the selected route -----------------------------

    def show_route(self, route: Opportunity | None, snapshot: MarketSnapshot,
                   is_open: bool) -> None:
        """Called by the app whenever books, heatmap and history are redrawn."""
        if self.broker is None:
            return
        self._auto_close(snapshot)
        if not self.risk_pane.is_mounted:
            return
        if snapshot.ts - self._sampled_ts >= VOLATILITY_EVERY_S:
            self._sampled_ts = snapshot.ts
            self.volatility.update_many(snapshot.books.values())
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

    # -- statistical positions close themselves (`[paper] stat_auto_close`) ----------

    def _auto_close(self, snapshot: MarketSnapshot) -> None:
        """On a new snapshot, close in a worker the positions whose spread reverted."""
        broker = self.broker
        if (broker is None or self._auto_closing or snapshot.ts <= self._auto_ts
                or not broker.config.stat_auto_close or not broker.open_positions()):
            return
        z_of = self.app.scanner.spread_z
        self._auto_ts = snapshot.ts
        self._auto_closing = True
        self.app.run_worker(self._close_reverted(z_of), group="paper-trades",
                            exit_on_error=False)

    async def _close_reverted(self, z_of: Callable[[str], float | None]) -> None:
        assert self.broker is not None
        try:
            closed = await self.broker.close_reverted(z_of)
            for execution in closed:
                self._done(execution)
        except Exception as error:  # e.g. `c` closed it meanwhile; the next snapshot retries
            self.app.notify(f"{type(error).__name__}: {error}", title="Auto-close failed",
                            severity="error", timeout=NOTIFY_S)
        finally:
            self._auto_closing = False

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
        quote = self.quote(route, size)
        if quote.opportunity is None:
            self.app.notify(f"not executed: {quote.message}", severity="warning")
            return
        if quote.report is not None and quote.report.blocked:
            self.app.notify(f"not executed: {quote.report.summary}", severity="warning")
            return
        self.app.run_worker(self._execute(quote.opportunity), group="paper-trades",
                            exit_on_error=False)

    async def _execute(self, opportunity: Opportunity) -> None:
        assert self.broker is not None
        try:
            execution = await self.broker.execute(opportunity)
        except Exception as error:  # the user must hear of it; the monitor keeps running
            self.app.notify(f"{type(error).__name__}: {error}", title="Paper trade failed",
                            severity="error", timeout=NOTIFY_S)
            return
        self._done(execution)

    def _done(self, execution: Execution) -> None:
        """Logged already (the broker writes before returning): tell the user, redraw."""
        self.executions.append(execution)
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
        open_ids = [p.position_id for p in self.broker.open_positions()]
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
        assert self.broker is not None
        try:
            execution = await self.broker.close_position(position_id)
        except Exception as error:  # e.g. closed meanwhile by another key press
            self.app.notify(f"{type(error).__name__}: {error}", title="Close failed",
                            severity="error", timeout=NOTIFY_S)
            return
        self._done(execution)
