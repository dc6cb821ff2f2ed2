"""MarketService: the latest book per (venue, symbol), what changed, and each venue's health.

Feeds push books in as fast as they arrive; readers pull the newest state when
they are ready. Only the latest book per key is kept and a changed key is
remembered once, so a burst of 10,000 updates of one book costs one entry.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from arbscope.market.base import Feed, FeedGap, RawLevels
from arbscope.market.feed_clock import LatencyWindow
from arbscope.market.symbol_watch import SymbolStates, SymbolWatch
from arbscope.models import (
    DEFAULT_BOOK_DEPTH,
    BookKey,
    IntegrityMethod,
    Market,
    OrderBook,
    VenueHealth,
    VenueState,
)

BookListener = Callable[[OrderBook], None]
"""Called with every accepted book, in the order accepted (the recorder is one)."""

GapListener = Callable[[FeedGap], None]
"""Called with every disconnect and resync, in order with the books (the recorder is one)."""


GAP_RATE_WINDOW_S = 3600.0
"""Resyncs are counted over the last hour: venue health's resyncs per hour."""


def describe_gap(gap: FeedGap) -> str:
    """`disconnect: REASON` or `resync SYMBOL: REASON`, as venue health shows it."""
    what = gap.kind if gap.symbol is None else f"{gap.kind} {gap.symbol}"
    return f"{what}: {gap.reason}" if gap.reason else what


@dataclass(slots=True)
class _VenueStats:
    """Mutable counters behind one venue's `VenueHealth`."""

    declared: VenueState = VenueState.CONNECTING
    """What the feed last said (or DOWN when its task died)."""
    last_update_ts: float | None = None
    books_accepted: int = 0
    books_rejected: int = 0
    books_out_of_order: int = 0
    errors: int = 0
    last_error: str | None = None
    retries: int = 0
    next_retry_ts: float | None = None
    down_symbols: tuple[str, ...] = ()
    depth: int | None = None
    """Levels kept per side, read from the settings on the venue's first book."""
    latency: LatencyWindow = field(default_factory=LatencyWindow)
    integrity: IntegrityMethod | None = None
    last_gap: FeedGap | None = None
    gap_times: deque[float] = field(default_factory=deque)
    """When each gap of the last hour happened (older ones are dropped when read)."""
    # Rate in 1-second buckets of clock time: cheap and good enough for a status bar.
    bucket_second: int = 0
    bucket_count: int = 0
    previous_count: int = 0

    def count_update(self, now: float) -> None:
        second = math.floor(now)
        if second != self.bucket_second:
            self.previous_count = self.bucket_count if second == self.bucket_second + 1 else 0
            self.bucket_second = second
            self.bucket_count = 0
        self.bucket_count += 1

    def rate(self, now: float) -> float:
        """Updates in the last whole second (the one before `now`'s)."""
        second = math.floor(now)
        if second == self.bucket_second:
            return float(self.previous_count)
        if second == self.bucket_second + 1:
            return float(self.bucket_count)
        return 0.0


def _describe(exc: ValidationError) -> str:
    """Each problem of a refused book; pydantic's own (a venue that is no string ...) say where."""

    def one(error: ErrorDetails) -> str:
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "value_error" or not error["loc"]:
            return message  # ours: they name the field and the level themselves
        return f"{'.'.join(str(part) for part in error['loc'])}: {message}"

    return "; ".join(one(error) for error in exc.errors())


class MarketService:
    """Implements `market.base.BookSink` for a set of feeds, one asyncio task per feed."""

    def __init__(
        self,
        feeds: Sequence[Feed],
        clock: Callable[[], float] = time.time,
        max_book_age: Callable[[str], float] = lambda venue: 5.0,
        book_depth: Callable[[str], int] | None = None,
    ) -> None:
        """
        book_depth: levels kept per side of each venue's books (`Settings.book_depth`);
            deeper levels are dropped before validation, so they cost nothing and are
            never checked, stored, recorded or traded against. None: `DEFAULT_BOOK_DEPTH`.
        """
        self.feeds: tuple[Feed, ...] = tuple(feeds)
        self.clock = clock
        self.max_book_age = max_book_age
        self._book_depth = book_depth or (lambda venue: DEFAULT_BOOK_DEPTH)
        self._books: dict[BookKey, OrderBook] = {}
        self._changed: set[BookKey] = set()
        self._stats: dict[str, _VenueStats] = {}
        self._markets: dict[BookKey, Market] = {}
        self._markets_version = 0
        # Keys met in a book without known rules, already asked of the feeds once.
        self._asked_for_rules: set[BookKey] = set()
        self._listeners: list[BookListener] = []
        self._gap_listeners: list[GapListener] = []
        self._gaps: list[FeedGap] = []
        self._gap_count = 0
        self._watch = SymbolWatch()
        """Gaps since the last `drain_gaps` (the scanner drops what they cover)."""
        self._tasks: dict[asyncio.Task[None], Feed] = {}
        self._feed_errors: list[tuple[Feed, Exception]] = []
        self._started = False
        for feed in self.feeds:
            for venue in feed.venues:
                self._venue(venue)
        self.add_markets(market for feed in self.feeds for market in feed.markets())

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Start one task per feed; a feed that raises never takes the others down."""
        if self._started:
            return
        self._started = True
        for feed in self.feeds:
            task = asyncio.create_task(self._run_feed(feed), name=f"feed {feed.name}")
            self._tasks[task] = feed

    async def stop(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run_feed(self, feed: Feed) -> None:
        try:
            await feed.run(self)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any feed failure is the venue's problem, not the app's
            self._feed_errors.append((feed, exc))
            message = f"{feed.name} feed stopped: {exc}"
            for venue in feed.venues:
                stats = self._venue(venue)
                stats.errors += 1
                stats.last_error = message
                stats.declared = VenueState.DOWN

    @property
    def finished(self) -> bool:
        """True once started and every feed's task has ended (a replay ran out, or all failed)."""
        return self._started and all(task.done() for task in self._tasks)

    @property
    def feed_errors(self) -> list[tuple[Feed, Exception]]:
        """Feeds whose task ended with an exception, and that exception."""
        return list(self._feed_errors)

    # --- BookSink --------------------------------------------------------------------------

    def submit(
        self,
        venue: str,
        symbol: str,
        ts: float,
        bids: RawLevels,
        asks: RawLevels,
        *,
        exchange_ts: float | None = None,
    ) -> bool:
        """Validate and keep a book; a bad one is counted on its venue and never passed on."""
        stats = self._stats.get(venue) or self._venue(venue)
        try:
            depth = stats.depth
            if depth is None:
                depth = stats.depth = self._book_depth(venue)
            # Slicing copies only what is kept: a 1,000-level ccxt book costs its first 50.
            if len(bids) > depth:
                bids = bids[:depth]
            if len(asks) > depth:
                asks = asks[:depth]
            book = OrderBook.from_feed(venue, symbol, ts, bids, asks, exchange_ts=exchange_ts)
        except ValidationError as exc:
            stats.books_rejected += 1
            stats.last_error = f"{symbol}: book rejected: {_describe(exc)}"
            return False
        except (TypeError, IndexError, KeyError):
            stats.books_rejected += 1
            stats.last_error = f"{symbol}: book rejected: levels must be [price, size] pairs"
            return False
        key = (venue, symbol)
        held = self._books.get(key)
        if held is not None and book.ts < held.ts:
            # An older book than the one held (a replay out of order, a late message):
            # keeping it would build routes on a market that has already moved on.
            stats.books_out_of_order += 1
            return True
        self._books[key] = book
        self._changed.add(key)
        stats.books_accepted += 1
        stats.last_update_ts = ts
        if book.exchange_ts is not None:
            stats.latency.add(book.ts, book.exchange_ts)
        stats.next_retry_ts = None
        if stats.declared is not VenueState.LIVE:
            # A book arriving is proof enough that the venue is up again.
            stats.declared = VenueState.LIVE
        stats.count_update(self.clock())
        if key not in self._markets and key not in self._asked_for_rules:
            self._asked_for_rules.add(key)
            self.add_markets(market for feed in self.feeds for market in feed.markets())
        for listener in self._listeners:
            listener(book)
        return True

    def report_gap(self, gap: FeedGap) -> None:
        """Forget the books the gap covers, at once: a book held from before a disconnect or
        a lost update is no market to trade on, however recent its time."""
        stats = self._venue(gap.venue)
        for key in [
            key
            for key in self._books
            if key[0] == gap.venue and (gap.symbol is None or key[1] == gap.symbol)
        ]:
            del self._books[key]
            self._changed.discard(key)
        if gap.kind == "disconnect":
            stats.declared = VenueState.DOWN
        stats.last_gap = gap
        stats.gap_times.append(gap.ts)
        self._gaps.append(gap)
        self._gap_count += 1
        for listener in self._gap_listeners:
            listener(gap)

    def set_integrity(self, venue: str, method: IntegrityMethod) -> None:
        self._venue(venue).integrity = method

    def set_state(self, venue: str, state: VenueState) -> None:
        self._venue(venue).declared = state

    def report_error(self, venue: str, message: str, next_retry_ts: float | None = None) -> None:
        stats = self._venue(venue)
        stats.errors += 1
        stats.last_error = message
        if next_retry_ts is not None:
            stats.retries += 1
            stats.next_retry_ts = next_retry_ts

    def set_down_symbols(self, venue: str, symbols: Sequence[str]) -> None:
        self._venue(venue).down_symbols = tuple(symbols)

    # --- readers ---------------------------------------------------------------------------

    def drain_changed(self) -> list[OrderBook]:
        """The latest book of every key changed since the last drain; clears the set."""
        changed, self._changed = self._changed, set()
        return [self._books[key] for key in changed]

    def drain_gaps(self) -> list[FeedGap]:
        """Disconnects and resyncs since the last drain, in order; clears them.

        Drain them before `drain_changed`: a book changed after a gap is its next snapshot."""
        gaps, self._gaps = self._gaps, []
        return gaps

    @property
    def books(self) -> Mapping[BookKey, OrderBook]:
        """Latest accepted book per key (live view; copy it to keep a snapshot)."""
        return self._books

    def markets(self) -> dict[BookKey, Market]:
        return dict(self._markets)

    @property
    def markets_version(self) -> int:
        """Bumped whenever market rules are added or changed; readers re-send them on change."""
        return self._markets_version

    def add_markets(self, markets: Iterable[Market]) -> None:
        """Add or replace market rules (a feed that learns a new symbol later calls this)."""
        changed = False
        for market in markets:
            if self._markets.get(market.key) != market:
                self._markets[market.key] = market
                self._venue(market.venue)
                changed = True
        if changed:
            self._markets_version += 1

    def add_listener(self, listener: BookListener) -> None:
        """Call `listener` with each accepted book; it must be quick and must not raise."""
        self._listeners.append(listener)

    def add_gap_listener(self, listener: GapListener) -> None:
        """Call `listener` with each disconnect and resync; quick, must not raise."""
        self._gap_listeners.append(listener)

    @property
    def venues(self) -> tuple[str, ...]:
        return tuple(self._stats)

    def health(self) -> dict[str, VenueHealth]:
        now = self.clock()
        symbols = self._symbol_watch(now)
        return {
            venue: self._health(venue, stats, now, *symbols.get(venue, ((), ())))
            for venue, stats in self._stats.items()
        }

    def state(self, venue: str) -> VenueState:
        stats = self._stats.get(venue)
        return VenueState.DOWN if stats is None else self._state(venue, stats, self.clock())

    def updates_per_second(self) -> float:
        now = self.clock()
        return sum(stats.rate(now) for stats in self._stats.values())

    # --- internals -------------------------------------------------------------------------

    def _venue(self, venue: str) -> _VenueStats:
        stats = self._stats.get(venue)
        if stats is None:
            stats = self._stats[venue] = _VenueStats()
        return stats

    def _state(self, venue: str, stats: _VenueStats, now: float) -> VenueState:
        if stats.declared is VenueState.DOWN:
            return VenueState.DOWN
        if stats.last_update_ts is None:
            return VenueState.CONNECTING
        if now - stats.last_update_ts > self.max_book_age(venue):
            return VenueState.STALE
        if stats.declared is VenueState.CONNECTING:
            return VenueState.CONNECTING  # reconnecting after having had books
        return VenueState.LIVE

    def _symbol_watch(self, now: float) -> SymbolStates:
        limits = {venue: self.max_book_age(venue) for venue in self._stats}
        down = {venue: stats.down_symbols for venue, stats in self._stats.items()}
        version = (self._gap_count, self._markets_version)
        return self._watch.states(now, self._books, self._markets, limits, down, version)

    def _health(
        self,
        venue: str,
        stats: _VenueStats,
        now: float,
        stale: tuple[str, ...] = (),
        warming: tuple[str, ...] = (),
    ) -> VenueHealth:
        p50, p95, skew = stats.latency.figures()
        gaps = stats.gap_times
        while gaps and gaps[0] <= now - GAP_RATE_WINDOW_S:
            gaps.popleft()
        gap = stats.last_gap
        return VenueHealth(
            venue=venue,
            state=self._state(venue, stats, now),
            last_update_ts=stats.last_update_ts,
            updates_per_second=stats.rate(now),
            books_accepted=stats.books_accepted,
            books_rejected=stats.books_rejected,
            books_out_of_order=stats.books_out_of_order,
            errors=stats.errors,
            last_error=stats.last_error,
            retries=stats.retries,
            next_retry_ts=stats.next_retry_ts,
            down_symbols=stats.down_symbols,
            latency_p50_s=p50,
            latency_p95_s=p95,
            clock_skew_s=skew,
            stale_symbols=stale,
            warming_symbols=warming,
            integrity=stats.integrity,
            last_gap_ts=None if gap is None else gap.ts,
            last_gap=None if gap is None else describe_gap(gap),
            resyncs_last_hour=len(gaps),
        )
