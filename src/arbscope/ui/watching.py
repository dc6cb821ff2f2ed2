"""What the monitor watches: the followed watchlist, and what the user's files said at start.

Pure (no Textual), so `cli/watched.py` can decide the feeds' symbols before
the UI loads; what the command line says about it (flags, usage errors) stays in cli/.
The monitor follows a watchlist in two ways:

* at start, the feeds subscribe to (or simulate) only its symbols: `--watchlist
  NAME`, else the active watchlist of `watchlists.toml` when no `--symbols` is given;
* while running, switching watchlists (`w`) restricts what is shown to the new
  one's symbols and venues (`WatchView`): the feeds keep running as started, and
  the next start subscribes to the new watchlist. A symbol the running source
  does not have is said so, not silently shown empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from arbscope.models import MarketSnapshot, Opportunity
from arbscope.storage.settings import LoadedSettings
from arbscope.storage.watchlists import Watchlist, WatchlistStore

Severity = Literal["information", "warning", "error"]


@dataclass(frozen=True, slots=True)
class Notice:
    """A notification the monitor shows once it is on screen."""

    title: str
    message: str
    severity: Severity = "warning"
    timeout_s: float = 20.0


@dataclass(frozen=True, slots=True)
class WatchView:
    """Which books and routes are shown: all, or those of one watchlist's symbols/venues."""

    symbols: frozenset[str] | None = None
    """None: every symbol (no watchlist followed, or it has no symbols yet)."""
    venues: frozenset[str] | None = None
    """None: every venue (the watchlist names none)."""

    @classmethod
    def of(cls, watchlist: Watchlist | None) -> WatchView:
        if watchlist is None:
            return cls()
        return cls(frozenset(watchlist.symbols) or None, frozenset(watchlist.venues) or None)

    @property
    def everything(self) -> bool:
        return self.symbols is None and self.venues is None

    def admits_book(self, venue: str, symbol: str) -> bool:
        return ((self.symbols is None or symbol in self.symbols)
                and (self.venues is None or venue in self.venues))

    def admits(self, opportunity: Opportunity) -> bool:
        """A route is shown when every book it reads is watched, as if the feeds had only those."""
        return all(self.admits_book(leg.venue, leg.symbol) for leg in opportunity.legs)

    def apply(self, snapshot: MarketSnapshot) -> MarketSnapshot:
        """The snapshot as the panes should see it (the same object when nothing is filtered)."""
        if self.everything:
            return snapshot
        return snapshot.model_copy(update={
            "opportunities": tuple(o for o in snapshot.opportunities if self.admits(o)),
            "books": {k: b for k, b in snapshot.books.items() if self.admits_book(*k)},
            "markets": {k: m for k, m in snapshot.markets.items() if self.admits_book(*k)},
        })


@dataclass
class WatchSetup:
    """What the app is given: the store, the watchlist this run follows, notices for the user."""

    store: WatchlistStore
    following: Watchlist | None = None
    notices: list[Notice] = field(default_factory=list)
    known_symbols: tuple[str, ...] = ()
    """Symbols the source can provide beyond the markets it has loaded (sim: all of them),
    offered for completion in the watchlist screen."""

    @classmethod
    def from_files(cls, store: WatchlistStore | None = None) -> WatchSetup:
        """Follow the stored active watchlist, reporting a watchlists.toml that did not load."""
        store = store if store is not None else WatchlistStore()
        return cls(store, store.active, watchlist_notices(store))


def settings_notices(loaded: LoadedSettings) -> list[Notice]:
    if loaded.message:
        return [Notice(f"{loaded.path.name} not used", loaded.message, "error", 60.0)]
    if loaded.migrated_from is not None and loaded.notes:
        return [Notice(f"{loaded.path.name} is from an older arbscope", loaded.notes[0],
                       "information")]
    return []


def watchlist_notices(store: WatchlistStore) -> list[Notice]:
    message = store.message
    if message is None:
        return []
    return [Notice(f"{store.path.name} not used", message, "error", 60.0)]


def following_message(watchlist: Watchlist | None, running: Iterable[str]) -> str:
    """What switching to `watchlist` does to the screen, and what only the next start will do."""
    if watchlist is None:
        return "Following no watchlist: every symbol this run has is shown."
    on = f" on {', '.join(watchlist.venues)}" if watchlist.venues else ""
    if not watchlist.symbols:
        return f"Following {watchlist.name}: it has no symbols yet, so every symbol{on} is shown."
    have = set(running)
    missing = [s for s in watchlist.symbols if s not in have]
    text = f"Following {watchlist.name}: {', '.join(watchlist.symbols)}{on}."
    if missing:
        text += (f" This run's market has no {', '.join(missing)}; the next start "
                 "subscribes to the watchlist's symbols.")
    return text


def symbols_of(markets: Iterable[tuple[str, str]], extra: Sequence[str] = ()) -> list[str]:
    """Sorted symbols of (venue, symbol) keys plus any extra ones, each once."""
    return sorted({symbol for _, symbol in markets} | set(extra))
