"""A minimal host for `WatchlistScreen`: pushes it over an empty app (pilot tests and snapshot).

The store lives in ARBSCOPE_CONFIG_DIR, which the test conftest points at a
fresh temporary folder, so the snapshot always starts from the same two lists.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

from arbscope.storage.watchlists import Watchlist, WatchlistStore
from arbscope.ui.screens.watchlists import WatchlistScreen

KNOWN_SYMBOLS = ("BTC/USDT", "ETH/USDT", "ETH/BTC", "SOL/USDT", "BTC/EUR", "XRP/USDT")


class WatchlistHostApp(App[None]):
    """Records every `ActiveWatchlistChanged` the screen posts."""

    def __init__(self, store: WatchlistStore | None = None, seed_lists: bool = True) -> None:
        super().__init__()
        self.store = store
        self.seed_lists = seed_lists
        self.active_changes: list[Watchlist | None] = []

    def compose(self) -> ComposeResult:
        yield Static("monitor underneath")

    def on_mount(self) -> None:
        if self.store is None:
            self.store = WatchlistStore()
            if self.seed_lists and not self.store.names():
                self.store.create("majors", ["BTC/USDT", "ETH/USDT"])
                self.store.create("alts", ["SOL/USDT", "XRP/USDT"], venues=["binance", "okx"])
                self.store.set_active("majors")
        self.push_screen(WatchlistScreen(self.store, KNOWN_SYMBOLS))

    def on_watchlist_screen_active_watchlist_changed(
        self, message: WatchlistScreen.ActiveWatchlistChanged
    ) -> None:
        self.active_changes.append(message.watchlist)


app = WatchlistHostApp()

if __name__ == "__main__":
    app.run()
