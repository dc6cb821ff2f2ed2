"""The monitor: composes the panes and routes snapshots down and intents up.

A fixed timer (`[ui] refresh_hz`) reads the scanner's latest snapshot and
hands it to every pane inside one `batch_update`: the screen redraws at most
that often, however fast books arrive. The scanner runs its own task; the app
never steps it (tests may, with `refresh_timer=False`, then call `refresh_panes`).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import ClassVar, Protocol, runtime_checkable

from textual import events
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.theme import BUILTIN_THEMES
from textual.widgets import Footer

from arbscope.engine.config import EngineConfig
from arbscope.models import Kind, MarketSnapshot, Opportunity
from arbscope.storage.paths import user_themes_dir
from arbscope.storage.settings import Settings
from arbscope.ui.format import route_symbol
from arbscope.ui.history import RouteHistory
from arbscope.ui.keys import key_help, kind_bindings, palette_commands
from arbscope.ui.screens.help import HelpScreen
from arbscope.ui.screens.venues import VenuesScreen
from arbscope.ui.screens.watchlists import WatchlistScreen
from arbscope.ui.spreads import trade_size_base
from arbscope.ui.themes import (
    DEFAULT_THEME,
    LoadedThemes,
    builtin_themes_dir,
    default_variables,
    load_themes,
)
from arbscope.ui.trading_controller import TradingController
from arbscope.ui.watching import WatchSetup
from arbscope.ui.watchlist_controller import WatchlistController
from arbscope.ui.widgets.filter_bar import FilterBar
from arbscope.ui.widgets.opportunities import OpportunitiesTable
from arbscope.ui.widgets.order_books import OrderBooksPane
from arbscope.ui.widgets.spread_heatmap import SpreadHeatmap
from arbscope.ui.widgets.spread_history import Bands, SpreadHistory
from arbscope.ui.widgets.status_bar import StatusBar, StatusLine
from arbscope.ui.widgets.trade_log import TradeLogPane


class Valuer(Protocol):
    def valuation(self) -> Mapping[str, float]: ...


FULL_COLLECTION_EVERY = 50
"""Frames between two full garbage collections (5 s at 10 Hz) when the app collects."""


@runtime_checkable
class Holdable(Protocol):
    """A scanner on another thread that the UI can pause while it draws (market/runner.py)."""

    def expect_frames(self, period_s: float) -> None: ...

    def hold(self, frame: bool = False) -> None: ...

    def release(self) -> None: ...

    @property
    def failure(self) -> BaseException | None: ...


class SnapshotSource(Protocol):
    """What the app needs of `market.scanner.Scanner` (or `market.runner.ScannerThread`)."""

    @property
    def calculator(self) -> Valuer: ...

    @property
    def config(self) -> EngineConfig: ...

    @property
    def snapshot(self) -> MarketSnapshot: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def set_config(self, config: EngineConfig) -> None: ...

    def spread_z(self, route_id: str) -> float | None: ...



class ArbscopeApp(App[None]):
    """The arbscope monitor."""

    CSS_PATH = "app.tcss"
    TITLE = "arbscope"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("slash", "filter", "Filter", key_display="/"),
        *kind_bindings(),
        Binding("h", "toggle_heatmap", "Heatmap view"),
        Binding("plus,equals_sign", "size_up", "Size+", key_display="+"),
        Binding("minus", "size_down", "Size-", key_display="-"),
        Binding("p", "pause", "Pause"),
        Binding("p", "resume", "Resume"),
        Binding("t", "pick_theme", "Theme"),
        Binding("w", "watchlists", "Watchlists"),
        Binding("x", "open_ticket", "Trade"),
        Binding("e", "export_trades", "Export CSV", show=False),
        Binding("c", "close_position", "Close position", show=False),
        Binding("v", "venues", "Venues", show=False),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        scanner: SnapshotSource,
        settings: Settings | None = None,
        *,
        clock: Callable[[], float] | None = None,
        refresh_timer: bool = True,
        start_scanner: bool = True,
        theme_folders: Iterable[Path] | None = None,
        watch: WatchSetup | None = None,
    ) -> None:
        """`clock`: the market's time for the status bar's clock and venue ages (default:
        each snapshot's own time, which stops when the scanner does).
        `refresh_timer=False` turns the refresh timer off and `start_scanner=False`
        leaves the scanner to the caller (deterministic tests)."""
        folders = [builtin_themes_dir()] if theme_folders is None else list(theme_folders)
        if theme_folders is None:
            folders.append(user_themes_dir())
        # Before App.__init__: it reads the theme variable defaults.
        self.loaded_themes: LoadedThemes = load_themes(folders)
        super().__init__()
        self.scanner = scanner
        self.settings = settings or Settings()
        self.clock = clock
        self.refresh_timer = refresh_timer
        self.start_scanner = start_scanner
        self.paused = False
        """The display is frozen; the scanner keeps running."""
        self.trade_notional = scanner.config.trade_notional
        self.history = RouteHistory()
        self.selected: Opportunity | None = None
        """The route books, heatmap and history show, as last seen (it may have closed since)."""
        self.pinned = False
        """The user chose `selected` with Enter; until then the panes follow the cursor."""
        self.frames = 0
        """How many times the panes were refreshed (benchmarks and tests read it)."""
        self._shown: MarketSnapshot | None = None
        self._holding = False
        self._failure_shown = False
        self._frames_since_full = 0
        self._install_themes()
        self.watchlists = WatchlistController(self, self.settings,
                                              watch or WatchSetup.from_files())
        """The followed watchlist (`w`), its alerts, the saved theme (`watch`: default the
        active watchlist of watchlists.toml)."""
        # The panes, kept by reference: `query_one` would search whichever screen is on
        # top (help, theme picker) when the refresh timer fires.
        self.status_bar = StatusBar(id="status")
        self.table = OpportunitiesTable(id="opportunities")
        self.filter_bar = FilterBar(id="filter")
        self.books = OrderBooksPane(id="books")
        self.heatmap = SpreadHeatmap(id="heatmap")
        self.history_chart = SpreadHistory(id="history")
        self.trading = TradingController(self)
        """Paper trading: ticket, risk checklist and trade log panes, broker (x, e, c)."""

    # -- themes --------------------------------------------------------------------

    def _install_themes(self) -> None:
        for theme in self.loaded_themes.themes.values():
            self.register_theme(theme.to_textual())
        wanted = self.settings.ui.theme
        self.theme = wanted if wanted in self.loaded_themes.themes else DEFAULT_THEME
        # Textual's own themes lack arbscope's colours; the picker lists ours only.
        for name in BUILTIN_THEMES:
            if name not in self.loaded_themes.themes:
                self.unregister_theme(name)

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return default_variables(self.loaded_themes)

    @property
    def theme_names(self) -> list[str]:
        return sorted(self.available_themes)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every notification is plain text: messages carry venue, symbol, file and theme
        names from files and feeds, and a name such as `[/]` must not be read as markup."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    # -- composition -----------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield self.status_bar
        with Vertical(id="left"):
            yield self.table
            yield self.filter_bar
            yield self.books
        with Vertical(id="right"):
            yield self.heatmap
            yield self.history_chart
            risk = Vertical(id="risk", classes="reserved")
            risk.border_title = "Risk checklist"
            with risk:
                yield self.trading.risk_pane
            trades = Vertical(id="trades", classes="reserved")
            trades.border_title = "Trade log"
            with trades:
                yield self.trading.open_log()
        yield Footer()

    async def on_mount(self) -> None:
        for error in self.loaded_themes.errors:
            self.notify(str(error), title="Theme file not loaded", severity="warning", timeout=10,
                        markup=False)
        if self.settings.ui.theme not in self.loaded_themes.themes:
            self.notify(f"theme {self.settings.ui.theme!r} not found; using {self.theme}",
                        severity="warning")
        self.watchlists.on_mount()
        self.trading.on_mount()
        if isinstance(self.scanner, Holdable):
            self.scanner.expect_frames(1.0 / self.settings.ui.refresh_hz)
        if self.start_scanner:
            await self.scanner.start()
        if self.refresh_timer:
            self.set_interval(1.0 / self.settings.ui.refresh_hz, self.refresh_panes)
        table = self.table
        table.min_net_bps = self.settings.engine.min_net_bps
        table.thresholds = self.settings.risk
        table.focus()
        self.refresh_panes()

    def _hold_scanner(self, frame: bool = False) -> None:
        """A scanner on another thread waits while this frame is drawn (see market/runner.py)."""
        scanner = self.scanner
        if isinstance(scanner, Holdable) and not self._holding:
            self._holding = True
            scanner.hold(frame=frame)
            self.call_after_refresh(self._release_scanner)
            if scanner.failure is not None and not self._failure_shown:
                self._failure_shown = True
                self.notify(f"{type(scanner.failure).__name__}: {scanner.failure}",
                            title="The market stopped", severity="error", timeout=30)

    def _release_scanner(self) -> None:
        self._holding = False
        if isinstance(self.scanner, Holdable):
            self.scanner.release()

    def _collect_garbage(self) -> None:
        """With the collector's automatic runs off (`cli.monitor.settle_memory`), collect
        right after a frame is on screen, in the quiet before the next one, instead of
        whenever an allocation count says so, often in the middle of a frame."""
        if gc.isenabled():
            return
        self._frames_since_full += 1
        if self._frames_since_full >= FULL_COLLECTION_EVERY:
            self._frames_since_full = 0
            gc.collect(2)
        else:
            gc.collect(1)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self._hold_scanner()
        await super().on_event(event)

    async def on_unmount(self) -> None:
        if self.start_scanner:
            await self.scanner.stop()
        self.trading.close()

    # -- the refresh ---------------------------------------------------------------

    def refresh_panes(self) -> None:
        """Read the scanner's latest snapshot, hand it to trading, show it (unless paused)."""
        if not self.table.is_mounted:  # starting up or shutting down
            return
        self._hold_scanner(frame=True)
        latest = self.scanner.snapshot
        self.trading.feed(latest)  # paused or not: the market keeps running, so does trading
        snapshot = self.watchlists.view(latest)
        self.watchlists.check_alerts(snapshot)
        if snapshot is not self._shown:
            self.history.record(snapshot)
        if not self.paused:
            self.show_snapshot(snapshot)
        else:
            self._collect_garbage()  # nothing drawn: the quiet is now

    def show_snapshot(self, snapshot: MarketSnapshot) -> None:
        self._shown = snapshot
        table = self.table
        with self.batch_update():
            table.show(snapshot)
            if not self.pinned:
                self.selected = table.highlighted
            self._show_status(snapshot)
            self._show_selection(snapshot)
        self.frames += 1
        self.call_after_refresh(self._collect_garbage)

    @property
    def shown_snapshot(self) -> MarketSnapshot | None:
        """The snapshot on screen (older than the scanner's while paused)."""
        return self._shown

    @property
    def _snapshot(self) -> MarketSnapshot:
        return self._shown if self._shown is not None else self.scanner.snapshot

    def _show_status(self, snapshot: MarketSnapshot) -> None:
        line = StatusLine(paused=self.paused, trade_notional=self.trade_notional,
                          reference_currency=self.scanner.config.reference_currency,
                          now=self.clock() if self.clock is not None else None)
        self.status_bar.show(snapshot, line)

    def _show_selection(self, snapshot: MarketSnapshot) -> None:
        """Books, heatmap and history follow the selected route."""
        route = self.selected
        is_open = False
        if route is not None:
            current = next((o for o in snapshot.opportunities if o.route_id == route.route_id),
                           None)
            if current is not None:
                route, is_open = current, True
                self.selected = current
        self.books.show(snapshot, route, is_open)
        symbol = route_symbol(route) if route is not None else None
        config = self.scanner.config
        size = (
            trade_size_base(symbol, snapshot.opportunities, self.scanner.calculator.valuation(),
                            self.trade_notional)
            if symbol is not None else None
        )
        self.heatmap.show(snapshot, symbol, size, config.book_age_limit)
        self.history_chart.show(
            route,
            self.history.samples(route.route_id) if route is not None else (),
            snapshot.ts,
            self.history.window_s,
            Bands(entry=config.stat_entry_z, exit=config.stat_exit_z),
        )
        self.trading.show_route(route, snapshot, is_open)

    # -- intents from the panes ---------------------------------------------------------

    def on_opportunities_table_opportunity_selected(
        self, event: OpportunitiesTable.OpportunitySelected
    ) -> None:
        if self.pinned and self.selected is not None and event.route_id == self.selected.route_id:
            self.trading.open_ticket(self.selected)  # Enter again on the pinned route
            return
        self.selected = event.opportunity
        self.pinned = True
        self.table.selected_route = event.route_id
        with self.batch_update():
            self._show_selection(self._snapshot)

    def on_line_table_highlighted(self, event: OpportunitiesTable.Highlighted) -> None:
        """Until a route is pinned with Enter, the panes follow the cursor at once."""
        table = self.table
        if self.pinned or self._shown is None or event.table is not table:
            return
        highlighted = table.highlighted
        if highlighted is not None and highlighted is not self.selected:
            self.selected = highlighted
            with self.batch_update():
                self._show_selection(self._shown)

    def on_trade_log_pane_close_position_requested(
        self, event: TradeLogPane.ClosePositionRequested
    ) -> None:
        self.trading.close_position(event.position_id)

    def on_filter_bar_filter_changed(self, event: FilterBar.FilterChanged) -> None:
        self.table.filter_text = event.text

    def on_filter_bar_filter_closed(self, event: FilterBar.FilterClosed) -> None:
        self.table.focus()

    # -- actions (keys and command palette) ---------------------------------------------

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(key_help(self.settings.ui.trade_notional_step),
                                        about=self._about()))

    def action_venues(self) -> None:
        if not isinstance(self.screen, VenuesScreen):
            self.push_screen(VenuesScreen(lambda: self._snapshot))

    def _about(self) -> str:
        source = self._snapshot.source
        return (f"Source {source} · refresh {self.settings.ui.refresh_hz:g} Hz · "
                "arbscope never places a real order.")

    def action_filter(self) -> None:
        self.filter_bar.open()

    def action_toggle_kind(self, kind_name: str) -> None:
        kind = Kind(kind_name)
        table = self.table
        table.kinds_shown = table.kinds_shown ^ {kind}

    def action_toggle_heatmap(self) -> None:
        self.heatmap.toggle_view()

    def action_size_up(self) -> None:
        self._set_trade_notional(self.trade_notional * (1 + self.settings.ui.trade_notional_step))

    def action_size_down(self) -> None:
        self._set_trade_notional(self.trade_notional / (1 + self.settings.ui.trade_notional_step))

    def _set_trade_notional(self, notional: float) -> None:
        self.trade_notional = notional
        config = self.scanner.config.model_copy(update={"trade_notional": notional})
        self.scanner.set_config(config)
        self._show_status(self._snapshot)

    def action_pause(self) -> None:
        self._set_paused(True)

    def action_resume(self) -> None:
        self._set_paused(False)

    def _set_paused(self, paused: bool) -> None:
        self.paused = paused
        self.refresh_bindings()
        if paused:
            self._show_status(self._snapshot)
        else:
            self.refresh_panes()

    def action_open_ticket(self) -> None:
        self.trading.open_ticket(self.table.highlighted or self.selected)

    def action_export_trades(self) -> None:
        self.trading.export()

    def action_close_position(self) -> None:
        self.trading.close_position()

    def action_pick_theme(self) -> None:
        self.search_themes()

    def action_watchlists(self) -> None:
        self.watchlists.open_screen(self.scanner.snapshot)

    def on_watchlist_screen_active_watchlist_changed(
        self, event: WatchlistScreen.ActiveWatchlistChanged
    ) -> None:
        """Another watchlist followed: the panes show its books from this frame on."""
        self.watchlists.follow(event.watchlist, self.scanner.snapshot)
        self.refresh_panes()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "pause":
            return not self.paused
        if action == "resume":
            return self.paused
        return True

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        return palette_commands(self)
