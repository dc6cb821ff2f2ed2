"""One live venue through ccxt: markets, websocket or REST books, reconnects.

`VenueFeed` owns everything about one venue: the ccxt exchange built from
the user's options, its markets, the transport in use and the retry state.
A failure of one symbol (an error answer, a sequence or checksum break, a
book the service keeps refusing) is that symbol's: it is reported with the
symbol's name, waits its own back-off and is retried on a fresh snapshot
while the venue's other symbols stay live. The venue's session ends when
every symbol is down at once, on a rate limit (the venue's, not a symbol's),
or when the connection goes silent; the venue is then reported down with the
error and the time of the next try, waits an exponential back-off with
jitter (never shorter than the venue's Retry-After), and starts again with a
new exchange instance. Nothing here raises out of `run` except cancellation.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from arbscope.market.base import BookSink, FeedGap
from arbscope.market.ccxt_checksum import KrakenChecksums, checksum_for
from arbscope.market.ccxt_guard import guard_frames, guard_hosts, tap_retry_after
from arbscope.market.ccxt_integrity import integrity_method
from arbscope.market.ccxt_markets import (
    CurrencyInfo,
    currencies_from_ccxt,
    market_from_ccxt,
    with_base_networks,
)
from arbscope.market.ccxt_retry import Backoff, retry_after_seconds
from arbscope.market.ccxt_symbols import SymbolFailed, SymbolFailures
from arbscope.market.ccxt_tuning import (
    BookRejected,
    CredentialsRefused,
    EmptyBook,
    LiveTuning,
    Silence,
    Sleep,
    WatchCancelled,
    describe_error,
    spot_only,
    venue_wide,
)
from arbscope.market.venues import credentials_held, named_hosts, websocket_host_problem
from arbscope.models import Market, VenueState, split_symbol
from arbscope.storage.settings import VenueSettings


class VenueFeed:
    """Books of one venue's symbols into a BookSink, for as long as it runs."""

    def __init__(
        self,
        venue: str,
        symbols: Sequence[str],
        settings: VenueSettings,
        tuning: LiveTuning,
        *,
        has_websocket: bool,
        clock: Callable[[], float] = time.time,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.venue = venue
        self.requested: tuple[str, ...] = tuple(symbols)
        self.symbols: tuple[str, ...] = tuple(symbols)
        """What is watched: the requested symbols the venue lists (once markets are known)."""
        self.settings = settings
        self.tuning = tuning
        self.has_websocket = has_websocket
        self.transport = settings.transport
        """What is in use now: "websocket" or "rest"."""
        self.transport_note: str | None = None
        """Why `auto` polls REST on a venue with a websocket, None when it does not."""
        if settings.transport == "auto":
            if has_websocket:
                self.transport_note = websocket_host_problem(venue, settings.ccxt_options)
            self.transport = "websocket" if has_websocket and not self.transport_note else "rest"
        self.fell_back = False
        """True while `auto` has given up on the websocket (until its cool-down passes)."""
        self._fell_back_at = 0.0
        self._named_hosts = named_hosts(settings.ccxt_options)
        self._clock = clock
        self._sleep = sleep
        rng = rng or random.Random()
        self._backoff = Backoff(
            tuning.backoff_initial_s, tuning.backoff_max_s, tuning.backoff_jitter, rng
        )
        self._symbol_failures = SymbolFailures(
            lambda: Backoff(
                tuning.backoff_initial_s, tuning.backoff_max_s, tuning.backoff_jitter, rng
            )
        )
        self._culprit: str | None = None
        """The symbol that went down first when every symbol was down (the likely cause)."""
        self._retry_after: str | None = None
        """Retry-After of the venue's last 418/429/503 answer in the session that just ended."""
        self._ws_failures = 0
        self._source: Any = None
        """An exchange whose markets are loaded; new instances copy its markets."""
        self._markets: dict[str, Market] = {}
        self._currencies: dict[str, CurrencyInfo] = {}
        self._closing: set[asyncio.Task[None]] = set()
        # Per session: set on each book, read by the silence watchdog.
        self._live = False
        self._last_book_at = 0.0
        self._rejects: dict[str, int] = {}
        self._checksums: KrakenChecksums | None = None
        self.books_published = 0

    # --- markets ---------------------------------------------------------------------------

    def new_exchange(self) -> Any:
        """A ccxt exchange built from the user's options, as given (pro class for websockets)."""
        if self.has_websocket and self.settings.transport != "rest":
            import ccxt.pro as family
        else:
            import ccxt.async_support as family
        config: dict[str, Any] = {"enableRateLimit": True, **self.settings.ccxt_options}
        exchange = getattr(family, self.venue)(config)
        held = credentials_held(exchange)
        if held:
            # The options were checked at construction; this catches a spelling that check
            # missed, before the exchange sends anything.
            raise CredentialsRefused(
                f"ccxt built {self.venue} holding the credentials {', '.join(held)} from "
                f"venues.{self.venue}.ccxt_options; arbscope never uses credentials: remove them"
            )
        if "fetchMarkets" not in (self.settings.ccxt_options.get("options") or {}):
            spot_only(exchange)
        return exchange

    @property
    def markets_loaded(self) -> bool:
        return self._source is not None

    def listed_symbols(self) -> frozenset[str]:
        """Every symbol the venue lists (empty before markets are loaded)."""
        return frozenset(self._source.symbols or ()) if self._source is not None else frozenset()

    async def load_markets(self) -> None:
        """Load the venue's markets with a throwaway instance (safe in any event loop)."""
        exchange = self.new_exchange()
        exchange.open()
        try:
            await exchange.load_markets()
        finally:
            await self._close_now(exchange)
        self._source = exchange
        self._build_rules()

    def select(self, symbols: Sequence[str]) -> None:
        """Watch these symbols (already checked against the venue's list)."""
        self.symbols = tuple(symbols)
        self._build_rules()

    def _build_rules(self) -> None:
        exchange = self._source
        if exchange is None:
            return
        listed = exchange.markets or {}
        fees = (exchange.fees or {}).get("trading") or {}
        markets: dict[str, Market] = {}
        for symbol in self.symbols:
            if symbol in listed:
                market = market_from_ccxt(
                    self.venue, listed[symbol], exchange.precisionMode, fees, self.settings
                )
                if market is not None:
                    markets[symbol] = market
        codes = {code for symbol in markets for code in split_symbol(symbol)}
        self._currencies = currencies_from_ccxt(self.venue, exchange.currencies, sorted(codes))
        self._markets = {s: with_base_networks(m, self._currencies) for s, m in markets.items()}

    def markets(self) -> list[Market]:
        return list(self._markets.values())

    def currencies(self) -> dict[str, CurrencyInfo]:
        return dict(self._currencies)

    # --- running ---------------------------------------------------------------------------

    async def run(self, sink: BookSink) -> None:
        """Publish books until cancelled; every failure is reported and retried."""
        if self.transport_note is not None:
            sink.report_error(self.venue, self.transport_note)
        try:
            while True:
                sink.set_state(self.venue, VenueState.CONNECTING)
                stage = "markets"
                try:
                    if self._source is None:
                        await self.load_markets()
                        self._drop_unlisted(sink)
                    if not self.symbols:
                        await self._idle(sink)
                    stage = self.transport
                    if self.transport == "websocket":
                        await self._websocket_session(sink)
                    else:
                        await self._rest_session(sink)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # every venue failure is retried, never raised
                    if _cancel_requested():
                        # The app stopped the feed, but the cancel was swallowed on the way
                        # (3.11's wait_for drops it when the awaited call ends at the same
                        # moment; a library may turn it into its own error). Retrying would
                        # leave `stop()` waiting on a venue that never ends.
                        raise asyncio.CancelledError() from exc
                    await self._after_failure(sink, exc, websocket=stage == "websocket")
        finally:
            await self.aclose()

    def _drop_unlisted(self, sink: BookSink) -> None:
        listed = self.listed_symbols()
        missing = [s for s in self.symbols if s not in listed]
        if missing and len(missing) < len(self.symbols):
            # Markets were unknown at start (venue unreachable), so this is the first check.
            sink.report_error(self.venue, f"not listed here, not watched: {', '.join(missing)}")
        self.select([s for s in self.symbols if s in listed])

    async def _idle(self, sink: BookSink) -> None:
        """Nothing to watch here (known only once markets loaded late): say so and wait."""
        sink.set_state(self.venue, VenueState.DOWN)
        sink.report_error(
            self.venue, f"lists none of {', '.join(self.requested)}; nothing to watch here"
        )
        await asyncio.Event().wait()  # until cancelled: a venue without books is no failure

    async def _after_failure(self, sink: BookSink, exc: Exception, websocket: bool) -> None:
        now = self._clock()
        asked = retry_after_seconds(self._retry_after, now)
        self._retry_after = None
        delay = self._backoff.next_delay(at_least=asked)
        message = str(exc) if isinstance(exc, SymbolFailed) else describe_error(exc)
        self._culprit = exc.culprit if isinstance(exc, SymbolFailed) else None
        if asked is not None and asked >= delay:
            message += f" (the venue asked to wait {asked:g} s)"
        if websocket:
            self._ws_failures += 1
            if self.settings.transport == "auto" and (
                self._ws_failures >= self.tuning.ws_failures_before_rest
            ):
                self.transport = "rest"
                self.fell_back = True
                self._fell_back_at = now
                message = (
                    f"websocket failed {self._ws_failures} times in a row, falling back to REST "
                    f"polling; the websocket is tried again in "
                    f"{self.settings.websocket_retry_s:g} s (last error {message})"
                )
        if self._live:
            # The books of the session that just ended stop here (a recording says so).
            self._live = False
            sink.report_gap(FeedGap("disconnect", self.venue, now, reason=message))
        sink.set_state(self.venue, VenueState.DOWN)
        sink.report_error(self.venue, message, now + delay)
        await self._sleep(delay)

    def _session_started(self, sink: BookSink) -> None:
        self._live = False
        self._last_book_at = self._clock()
        self._rejects = {}
        # The symbol that took the venue down keeps its back-off (never the only one).
        keep = self._culprit if len(self.symbols) > 1 else None
        self._symbol_failures.clear(keep=keep)
        self._culprit = keep
        sink.set_down_symbols(self.venue, ())

    def _symbol_failed(self, sink: BookSink, symbol: str, exc: Exception) -> float:
        """Count a failure of one symbol; returns its wait. Raises (ending the session) on a
        venue-wide error, or when it leaves every watched symbol down."""
        if venue_wide(exc):
            raise exc
        message = describe_error(exc)
        delay = self._symbol_failures.failed(symbol, message, self._clock())
        if self._symbol_failures.all_down(self.symbols):
            culprit = self._symbol_failures.first_down() or symbol
            raise SymbolFailed(symbol, message, culprit) from exc
        # Its book is fetched afresh after the wait; the one held may miss an update.
        sink.report_gap(FeedGap("resync", self.venue, self._clock(), symbol, message))
        sink.set_down_symbols(self.venue, self._symbol_failures.down())
        sink.report_error(
            self.venue,
            f"{symbol}: {message}; {symbol} is retried in {delay:.1f} s "
            f"(failure {self._symbol_failures.failures(symbol)} in a row), "
            "the other symbols stay live",
        )
        return delay

    def _websocket_due(self, sink: BookSink) -> bool:
        """After `auto` fell back to REST: True (and said) once the cool-down has passed."""
        if not self.fell_back:
            return False
        waited = self._clock() - self._fell_back_at
        if waited < self.settings.websocket_retry_s:
            return False
        self.transport = "websocket"
        self.fell_back = False
        # One more failure in a row sends it back to REST for another cool-down.
        self._ws_failures = self.tuning.ws_failures_before_rest - 1
        sink.report_error(
            self.venue, f"trying the websocket again after {waited:.0f} s of REST polling"
        )
        return True

    def _open_exchange(self, websocket: bool) -> Any:
        """A new exchange with the venue's markets, guarded, and opened."""
        exchange = self.new_exchange()
        exchange.set_markets_from_exchange(self._source)
        tap_retry_after(exchange)
        if websocket:
            guard_frames(exchange)
            guard_hosts(exchange, self._named_hosts)
            if self._checksums is not None:
                self._checksums.install(exchange)
        # open() binds the exchange to this loop; ccxt pro's KuCoin spawns its token
        # request on that loop before any request would open it lazily.
        exchange.open()
        return exchange

    def _publish(self, sink: BookSink, symbol: str, book: Mapping[str, Any]) -> None:
        """Hand one book ccxt maintains to the sink (the hot path of a live feed)."""
        if self._checksums is not None:
            problem = self._checksums.problem(symbol, book)
            if problem is not None:
                raise BookRejected(problem)
        depth = self.tuning.depth
        # ccxt's own lists go to the sink as they are: the sink copies them before it
        # returns (MarketService validates them into an immutable OrderBook), and ccxt
        # only mutates them once we await again. Copying here too would double the cost.
        bids = book["bids"] if depth is None else book["bids"][:depth]
        asks = book["asks"] if depth is None else book["asks"][:depth]
        if not bids and not asks:
            # ccxt parses an HTML error page or broken JSON as an empty book.
            raise EmptyBook(f"{symbol}: the venue sent a book with no levels (an error page?)")
        now = self._clock()
        self._last_book_at = now
        if sink.submit(
            self.venue, symbol, now, bids, asks, exchange_ts=_exchange_time(book.get("timestamp"))
        ):
            self.books_published += 1
            if self._rejects.get(symbol):
                self._rejects[symbol] = 0
            if self._symbol_failures.succeeded(symbol):
                sink.set_down_symbols(self.venue, self._symbol_failures.down())
            if not self._live:
                self._live = True
                self._ws_failures = 0
                self._backoff.reset()
                sink.set_state(self.venue, VenueState.LIVE)
            return
        rejects = self._rejects.get(symbol, 0) + 1
        self._rejects[symbol] = rejects
        if rejects >= self.tuning.rejects_before_resync:
            raise BookRejected(f"{symbol}: {rejects} books in a row refused; resynchronising")

    async def _websocket_session(self, sink: BookSink) -> None:
        self._checksums = checksum_for(self.venue, self._source.markets)
        exchange = self._open_exchange(websocket=True)
        sink.set_integrity(self.venue, integrity_method(exchange, websocket=True))
        self._session_started(sink)
        now = self._clock()
        # The culprit of the last failure waits its back-off on a connection of its own,
        # so it cannot take the others down again (ccxt closes a connection whose
        # snapshot keeps failing).
        tasks = [
            asyncio.create_task(
                self._watch(
                    exchange,
                    s,
                    sink,
                    self._symbol_failures.retry_in(s, now) if s == self._culprit else None,
                )
            )
            for s in self.symbols
        ]
        tasks.append(asyncio.create_task(self._watchdog()))
        try:
            # A symbol's task ends only with the session: a venue-wide error, or every
            # symbol down; one symbol's own failures are handled inside its task.
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            raise _session_error(done)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._retry_after = exchange.arbscope_retry_after
            self._checksums = None
            self._close_later(exchange)

    async def _watch(
        self, session: Any, symbol: str, sink: BookSink, wait: float | None = None
    ) -> None:
        """Watch `symbol` on the session's exchange; after a failure (or from the start when
        `wait` is given) wait, then on an exchange of its own."""
        # One task per symbol: each awaits its own future, so no symbol's update is
        # lost while another's is being handled (a multi-symbol race drops them).
        depth = self.tuning.depth
        exchange = session
        try:
            while True:
                if wait is not None:
                    await self._sleep(wait)
                    # A connection of its own: a fresh snapshot, whatever the failed one left.
                    exchange = self._open_exchange(websocket=True)
                try:
                    await self._watch_books(exchange, symbol, sink, depth)
                except WatchCancelled as exc:
                    if exchange is session:
                        raise  # the shared connection is gone: the session ends
                    wait = self._symbol_failed(sink, symbol, exc)
                except Exception as exc:  # this symbol's failure, unless _symbol_failed raises
                    wait = self._symbol_failed(sink, symbol, exc)
                    if exchange is session and not session.clients:
                        # ccxt dropped the shared connection over this symbol's failed
                        # snapshot; the others' watches would hang on it. Start again,
                        # with this symbol apart.
                        raise SymbolFailed(
                            symbol,
                            f"{describe_error(exc)}; ccxt closed the venue's connection",
                            symbol,
                        ) from exc
                if exchange is not session:
                    self._close_later(exchange)
                exchange = session
        finally:
            if exchange is not session:
                self._close_later(exchange)

    async def _watch_books(self, exchange: Any, symbol: str, sink: BookSink, depth: Any) -> None:
        """Publish `symbol`'s books from `exchange` until a failure."""
        try:
            while True:
                book = await exchange.watch_order_book(symbol, depth)
                self._publish(sink, symbol, book)
        except asyncio.CancelledError:
            if _cancel_requested():
                raise
            # Not ours: ccxt closes a connection by cancelling every watch on it, so the
            # watch ends as if the app had stopped it. It is a failure, said as one.
            raise WatchCancelled(
                f"{symbol}: ccxt closed the connection under the watch; reconnecting"
            ) from None

    async def _watchdog(self) -> None:
        timeout = self.tuning.silence_timeout_s
        while True:
            # Real time on purpose: the injected sleep paces retries, not this check.
            await asyncio.sleep(min(timeout / 4, 1.0))
            silent = self._clock() - self._last_book_at
            if silent > timeout:
                raise Silence(f"no book for {silent:.1f} s (limit {timeout:g} s); reconnecting")

    async def _rest_session(self, sink: BookSink) -> None:
        exchange = self._open_exchange(websocket=False)
        sink.set_integrity(self.venue, integrity_method(exchange, websocket=False))
        self._session_started(sink)
        # ccxt's rateLimit is the least time between two requests; never poll faster.
        period = max(self.tuning.poll_interval_s, len(self.symbols) * exchange.rateLimit / 1000)
        try:
            while True:
                started = self._clock()
                for symbol in self.symbols:
                    if not self._symbol_failures.due(symbol, started):
                        continue
                    try:
                        book = await exchange.fetch_order_book(symbol, self.tuning.depth)
                        self._publish(sink, symbol, book)
                    except asyncio.CancelledError:
                        raise
                    except Exception as exc:  # this symbol's, unless _symbol_failed raises
                        self._symbol_failed(sink, symbol, exc)
                if self._websocket_due(sink):
                    return
                await asyncio.sleep(max(0.0, period - (self._clock() - started)))
        finally:
            self._retry_after = exchange.arbscope_retry_after
            self._close_later(exchange)

    # --- closing ---------------------------------------------------------------------------

    async def _close_now(self, exchange: Any) -> None:
        # asyncio.timeout, not wait_for: on 3.11 wait_for returns normally when the task is
        # cancelled just as the close completes, and the cancel is lost.
        with contextlib.suppress(Exception):
            async with asyncio.timeout(self.tuning.close_timeout_s):
                await exchange.close()

    def _close_later(self, exchange: Any) -> None:
        # A dead server can hold a websocket close for seconds: never make a reconnect wait.
        task = asyncio.create_task(self._close_now(exchange))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def aclose(self) -> None:
        """Wait (bounded) for connections being closed."""
        if self._closing:
            await asyncio.wait(set(self._closing), timeout=self.tuning.close_timeout_s)


def _exchange_time(stamp: Any) -> float | None:
    """ccxt's book `timestamp` (milliseconds of the venue's clock) in seconds; None when the
    venue gave none (Binance's REST depth, for one)."""
    if isinstance(stamp, bool) or not isinstance(stamp, int | float):
        return None
    return stamp / 1000.0


def _cancel_requested() -> bool:
    """True when the running task itself is being cancelled (the app stopping the feed), as
    opposed to ccxt cancelling the future it was awaiting."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _session_error(done: set[asyncio.Task[None]]) -> Exception:
    """The error that ends a websocket session, from the tasks that finished.

    The symbol that took the connection down is preferred over the watches ccxt cancelled
    with it, so it is the one kept apart next session. A task cancelled from outside has no
    exception to read (task.exception() would raise CancelledError and end the venue's whole
    run as if the app had stopped it)."""
    errors = [t.exception() for t in done if not t.cancelled()]
    found = [e for e in errors if isinstance(e, Exception)]
    found.sort(key=lambda e: not isinstance(e, SymbolFailed))
    return found[0] if found else WatchCancelled("a watch ended without an error; reconnecting")
