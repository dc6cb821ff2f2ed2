"""The monitor's side of the user's files: watchlists (`w`), alerts, the saved theme, start notices.

Kept out of `ui/app.py` so the app only forwards to it: the app hands every
snapshot through `view` (what the followed watchlist shows) and `check_alerts`,
opens the watchlist screen with `open_screen`, and passes the screen's
`ActiveWatchlistChanged` to `follow`.
"""

from __future__ import annotations

from textual.app import App

from arbscope.models import MarketSnapshot
from arbscope.storage.alerts import AlertHit, AlertWatcher
from arbscope.storage.atomic import FileBusyError
from arbscope.storage.settings import Settings, save_theme_choice
from arbscope.storage.userfile import FileRefusedError
from arbscope.storage.watchlists import Watchlist
from arbscope.ui.format import route_label
from arbscope.ui.screens.watchlists import WatchlistScreen
from arbscope.ui.watching import WatchSetup, WatchView, following_message, symbols_of

ALERTS_LISTED = 3
"""Crossings named in one notification; more are counted ("and 4 more")."""


class WatchlistController:
    """Follows one watchlist for the app: filters snapshots, raises alerts, saves the theme."""

    def __init__(self, app: App[None], settings: Settings, setup: WatchSetup) -> None:
        self.app = app
        self.settings = settings
        self.setup = setup
        self.store = setup.store
        self.following: Watchlist | None = setup.following
        self.watch_view = WatchView.of(self.following)
        self.alerts = AlertWatcher()
        self.alerted: list[AlertHit] = []
        """Every crossing notified so far (tests and the help read it)."""
        self._raw: MarketSnapshot | None = None
        self._viewed: MarketSnapshot | None = None
        self._checked: MarketSnapshot | None = None
        self._saved_theme: str | None = None

    # -- start -----------------------------------------------------------------------

    def on_mount(self) -> None:
        """Show what the files said at start; from now on a theme picked is saved."""
        for notice in self.setup.notices:
            self.app.notify(notice.message, title=notice.title, severity=notice.severity,
                            timeout=notice.timeout_s, markup=False)
        # The theme in use now is the saved one, or a fallback when the saved one is
        # gone: neither is the user's choice, so neither is written back.
        self._saved_theme = self.app.theme
        self.app.theme_changed_signal.subscribe(self.app, lambda theme: self.theme_picked(
            theme.name))

    # -- snapshots -------------------------------------------------------------------

    def view(self, snapshot: MarketSnapshot) -> MarketSnapshot:
        """The snapshot restricted to the followed watchlist (same object for the same input)."""
        if snapshot is not self._raw:
            self._raw = snapshot
            self._viewed = self.watch_view.apply(snapshot)
        assert self._viewed is not None
        return self._viewed

    def check_alerts(self, snapshot: MarketSnapshot) -> tuple[AlertHit, ...]:
        """Notify routes of the followed watchlist that crossed their threshold since the last
        snapshot (once per crossing), ringing the bell when `alert_bell` asks for it."""
        watchlist = self.following
        if snapshot is self._checked or watchlist is None or not watchlist.alerts:
            return ()
        self._checked = snapshot
        hits = self.alerts.check(watchlist.alerts, snapshot.opportunities)
        if not hits:
            return ()
        self.alerted.extend(hits)
        lines = [f"{route_label(hit.opportunity)}: net {hit.net_bps:+.1f} bps "
                 f"(alert at {hit.threshold_bps:g})" for hit in hits[:ALERTS_LISTED]]
        if len(hits) > ALERTS_LISTED:
            lines.append(f"and {len(hits) - ALERTS_LISTED} more")
        self.app.notify("\n".join(lines), title=f"Alert · {watchlist.name}", timeout=10,
                        markup=False)
        if self.settings.ui.alert_bell:
            self.app.bell()
        return hits

    # -- the watchlist screen -----------------------------------------------------------

    def open_screen(self, snapshot: MarketSnapshot) -> None:
        if isinstance(self.app.screen, WatchlistScreen):
            return
        known = symbols_of(snapshot.markets, self.setup.known_symbols)
        self.app.push_screen(WatchlistScreen(self.store, known))

    def follow(self, watchlist: Watchlist | None, running: MarketSnapshot) -> None:
        """Show the new watchlist's books and routes from the next frame on."""
        self.following = watchlist
        self.watch_view = WatchView.of(watchlist)
        self._raw = self._viewed = None
        self.app.notify(following_message(watchlist, symbols_of(running.markets)),
                        title="Watchlist", timeout=8, markup=False)

    # -- theme ---------------------------------------------------------------------------

    def theme_picked(self, name: str) -> None:
        """Save a theme the user picked (`t` or the palette), so the next start uses it."""
        if self._saved_theme is None or name == self._saved_theme:
            return
        try:
            save_theme_choice(name)
        except (FileBusyError, FileRefusedError, OSError) as exc:
            # The theme stays on for this session; only remembering it failed.
            self.app.notify(f"theme {name!r} is on for this session but could not be saved: {exc}",
                            title="Theme not saved", severity="error", timeout=20,
                            markup=False)
            return
        self._saved_theme = name
