"""A tiny host for the trading UI pieces: ticket, risk checklist pane, trade log pane.

It wires them the way the monitor does, through the same `TradingSession`:
`x` (or Enter) opens the ticket for the route, the ticket's `quote_at` is the
session's quote (the route at a size on the books as the next order would see
them), a confirmed size goes through the session's `order` (which refuses a
blocked checklist) and `execute` (logged before the app hears of it), the log
pane reloads and a notification compares realized with expected profit.

Deterministic: hand-made books, a frozen clock, fixed volatility, no latency
wait. The trade log is opened on mount, in ARBSCOPE_DATA_DIR.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical

from arbscope.engine.config import EngineConfig
from arbscope.engine.spatial import evaluate_spatial
from arbscope.models import BookKey, Market, MarketSnapshot, OrderBook, VenueHealth, VenueState
from arbscope.storage.sections import PaperConfig
from arbscope.storage.settings import Settings
from arbscope.trading.accounting import execution_summary
from arbscope.trading.execution import Execution
from arbscope.trading.quote import TicketQuote
from arbscope.trading.session import TradingSession
from arbscope.trading.tradelog import TradeLog
from arbscope.trading.volatility import VolatilityTracker
from arbscope.ui.screens.ticket import TradeTicketScreen
from arbscope.ui.themes import builtin_themes_dir, default_variables, load_themes
from arbscope.ui.widgets.risk_checklist import RiskChecklistPane
from arbscope.ui.widgets.trade_log import TradeLogPane

NOW = 1_732_400_000.5
BUY: BookKey = ("alpha", "BTC/USDT")
SELL: BookKey = ("beta", "BTC/USDT")


def _market(key: BookKey) -> Market:
    return Market(venue=key[0], symbol=key[1], base="BTC", quote="USDT", taker_fee=0.001)


def _books() -> dict[BookKey, OrderBook]:
    # Buy on alpha (asks 100 x 1, 101 x 1), sell on beta (bids 103 x 1, 102 x 1).
    return {
        BUY: OrderBook(
            venue="alpha",
            symbol="BTC/USDT",
            ts=NOW - 0.5,
            bids=((99.0, 2.0),),
            asks=((100.0, 1.0), (101.0, 1.0)),
        ),
        SELL: OrderBook(
            venue="beta",
            symbol="BTC/USDT",
            ts=NOW - 0.5,
            bids=((103.0, 1.0), (102.0, 1.0)),
            asks=((104.0, 2.0),),
        ),
    }


STARTING = {"alpha": {"USDT": 160.0, "BTC": 0.0}, "beta": {"USDT": 0.0, "BTC": 3.0}}
"""Small on purpose: 0.5 BTC passes, 1.5 BTC warns (95% of alpha's USDT), 2 BTC fails."""


async def _no_latency(seconds: float) -> None:
    return None


class ThemedApp(App[None]):
    """An app with arbscope's themes installed, so panes can use $pass, $warn, $fail ..."""

    def __init__(self) -> None:
        self.loaded_themes = load_themes([builtin_themes_dir()])
        super().__init__()

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return default_variables(self.loaded_themes)

    def on_mount(self) -> None:
        for theme in self.loaded_themes.themes.values():
            self.register_theme(theme.to_textual())
        self.theme = "arbscope-dark"


class HandMarket:
    """The hand-made books as the session reads a market: one snapshot, never moving."""

    def __init__(self) -> None:
        books = _books()
        markets = {k: _market(k) for k in books}
        health = {v: VenueHealth(venue=v, state=VenueState.LIVE) for v in ("alpha", "beta")}
        # The route as the monitor's calculator would list it.
        route = evaluate_spatial(books[BUY], books[SELL], markets[BUY], markets[SELL], 0.5, NOW)
        assert route is not None
        self.route = route
        self.snapshot = MarketSnapshot(ts=NOW, source="SIM", opportunities=(route,),
                                       books=books, markets=markets, health=health)
        self.config = EngineConfig(withdrawal_fees={"BTC": 0.0001})

    def spread_z(self, route_id: str) -> float | None:
        return None


class FixedVolatility(VolatilityTracker):
    """1 bps per sqrt(second) on every book: the checklist's volatility line is fixed."""

    def sigma_bps(self, key: BookKey) -> float | None:
        return 1.0


class TradingHostApp(ThemedApp):
    """Checklist and trade log panes; `x` opens the ticket; confirmed sizes are executed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x,enter", "open_ticket", "Trade"),
        Binding("e", "export", "Export CSV"),
    ]

    def __init__(self, open_ticket: bool = False, size: float = 0.5) -> None:
        super().__init__()
        self.open_on_mount = open_ticket
        self.trade_size = size
        self.market = HandMarket()
        self.results: list[float | None] = []
        self.session = TradingSession(
            Settings(paper=PaperConfig(starting_balances=STARTING)), self.market, clock=lambda: NOW,
            sleep=_no_latency, volatility=FixedVolatility(),
        )

    @property
    def executions(self) -> list[Execution]:
        return self.session.executions

    @property
    def trade_log(self) -> TradeLog:
        assert self.session.log is not None, self.session.log_problem
        return self.session.log

    def compose(self) -> ComposeResult:
        with Vertical():
            yield RiskChecklistPane(id="risk")

    def on_mount(self) -> None:
        super().on_mount()
        self.session.open()  # on mount: nothing touches files before the app runs
        assert self.session.broker is not None
        self.query_one(Vertical).mount(
            TradeLogPane(self.trade_log, self.session.broker.balances, id="log"))
        self.show_checklist()
        if self.open_on_mount:
            self.action_open_ticket()

    def on_unmount(self) -> None:
        self.session.close()

    def quote_at(self, size: float) -> TicketQuote:
        return self.session.quote(self.market.route, size)

    def show_checklist(self) -> None:
        quote = self.quote_at(self.trade_size)
        route = quote.opportunity.route_id if quote.opportunity else ""
        self.query_one(RiskChecklistPane).show_report(quote.report, route)

    def action_open_ticket(self) -> None:
        screen = TradeTicketScreen(
            self.quote_at, self.trade_size, size_currency="BTC", refresh_s=None
        )
        self.push_screen(screen, self.on_ticket_closed)

    async def on_ticket_closed(self, size: float | None) -> None:
        self.results.append(size)
        if size is None:
            return
        opportunity, why_not = self.session.order(self.market.route, size)
        if opportunity is None:
            self.notify(f"not executed: {why_not}", severity="warning")
            return
        execution = await self.session.execute(opportunity)
        self.query_one(TradeLogPane).reload()
        self.show_checklist()
        self.notify(execution_summary(execution))

    def action_export(self) -> None:
        self.query_one(TradeLogPane).action_export()


app = TradingHostApp()

if __name__ == "__main__":
    app.run()
