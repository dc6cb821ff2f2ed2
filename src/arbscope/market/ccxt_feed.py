"""CcxtFeed: live order books from real exchanges through ccxt (the "LIVE" source).

Construction checks what can be checked without a network (venue names,
credentials, transports) and raises `LiveSetupError` for anything that cannot
work. `prepare()` loads each venue's markets and checks the symbols against
them ("did you mean"); a venue that cannot be reached then is kept and
retried while running. `run()` runs one `VenueFeed` per venue: websocket
books through ccxt's pro layer, or REST polling, with reconnects that never
end the app.

ccxt is imported inside functions only: `--sim` and `--replay` never load it.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence

from arbscope.market.base import BookSink
from arbscope.market.ccxt_markets import CurrencyInfo
from arbscope.market.ccxt_tuning import LiveTuning, Sleep, describe_error
from arbscope.market.ccxt_venue import VenueFeed
from arbscope.market.transfers import transfers_from_currencies
from arbscope.market.venues import (
    LiveSetupError,
    check_credentials,
    check_symbols,
    check_transport,
    check_venues,
    normalize_symbol,
    websocket_host_problem,
)
from arbscope.models import BookKey, Market, TransferInfo
from arbscope.storage.settings import VenueSettings

__all__ = ["DEFAULT_LIVE_SYMBOLS", "CcxtFeed", "LiveSetupError", "LiveTuning"]

DEFAULT_LIVE_SYMBOLS = ("BTC/USDT", "ETH/USDT", "ETH/BTC")
"""Watched when no --symbols or --watchlist is given: listed by nearly every spot venue."""


class CcxtFeed:
    """Implements `market.base.Feed` for live venues; name "LIVE"."""

    name = "LIVE"

    def __init__(
        self,
        venues: Sequence[str],
        symbols: Sequence[str],
        venue_settings: Mapping[str, VenueSettings] | None = None,
        tuning: LiveTuning | None = None,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        """Raises LiveSetupError for an unknown venue, credentials, or a transport the
        venue cannot provide. `symbols` are ccxt unified symbols; every venue watches
        those it lists."""
        from arbscope.market.venues import ccxt_venues, websocket_venues

        names = check_venues(list(venues), ccxt_venues())
        settings = dict(venue_settings or {})
        with_websocket = websocket_venues()
        self.tuning = tuning or LiveTuning()
        requested = [normalize_symbol(s) for s in symbols if s.strip()]
        if not requested:
            raise LiveSetupError("live markets need symbols, for example --symbols BTC/USDT")
        rng = rng or random.Random()
        self._venues: dict[str, VenueFeed] = {}
        for venue in names:
            chosen = settings.get(venue) or VenueSettings()
            check_credentials(venue, chosen.ccxt_options)
            check_transport(
                venue,
                chosen.transport,
                venue in with_websocket,
                has_rest=True,
                websocket_problem=websocket_host_problem(venue, chosen.ccxt_options),
            )
            self._venues[venue] = VenueFeed(
                venue,
                requested,
                chosen,
                self.tuning,
                has_websocket=venue in with_websocket,
                clock=clock,
                sleep=sleep,
                # One stream per venue, so venues do not retry in step.
                rng=random.Random(rng.random()),
            )
        self.requested: tuple[str, ...] = tuple(dict.fromkeys(requested))
        self.unreachable: dict[str, str] = {}
        """Venues whose markets could not be loaded by `prepare`, with the error."""

    # --- Feed ------------------------------------------------------------------------------

    @property
    def venues(self) -> tuple[str, ...]:
        return tuple(self._venues)

    def markets(self) -> list[Market]:
        """Rules of every (venue, symbol) watched, as far as markets are loaded."""
        return [market for feed in self._venues.values() for market in feed.markets()]

    async def run(self, sink: BookSink) -> None:
        """One task per venue until cancelled; no venue's failure stops the others."""
        for venue, error in self.unreachable.items():
            # Known since prepare(): the venue's health says why from the first moment,
            # not only once its first retry fails (a short `record --live` can end first).
            sink.report_error(venue, error)
        tasks = [asyncio.create_task(feed.run(sink)) for feed in self._venues.values()]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    # --- beyond Feed -----------------------------------------------------------------------

    def venue_symbols(self) -> dict[str, tuple[str, ...]]:
        """What each venue watches."""
        return {venue: feed.symbols for venue, feed in self._venues.items()}

    def transports(self) -> dict[str, str]:
        """Per venue: "websocket", "rest", "rest (fallback)" while `auto` has given up on the
        websocket, or "rest (no websocket URL)" when the settings redirect REST only."""
        return {venue: _transport_shown(feed) for venue, feed in self._venues.items()}

    def notes(self) -> dict[str, str]:
        """Per venue, why it does not use the transport one would expect (none: empty)."""
        return {
            venue: feed.transport_note
            for venue, feed in self._venues.items()
            if feed.transport_note is not None
        }

    def currencies(self) -> dict[BookKey, CurrencyInfo]:
        """(venue, currency code) -> withdrawal fee and deposit/withdraw flags, for the
        currencies of the watched symbols, where the venue publishes them without keys."""
        return {
            (venue, code): info
            for venue, feed in self._venues.items()
            for code, info in feed.currencies().items()
        }

    def transfers(self) -> dict[BookKey, TransferInfo]:
        """`currencies()` as the risk checklist reads them (this feed is a TransferSource)."""
        return transfers_from_currencies(self.currencies())

    async def prepare(self) -> dict[str, str]:
        """Load every venue's markets and check the symbols; LiveSetupError if they cannot work.

        Returns the venues that could not be reached, with the error; they are retried
        (and their symbols checked) once running.
        """
        feeds = list(self._venues.values())
        results = await asyncio.gather(*(f.load_markets() for f in feeds), return_exceptions=True)
        unreachable: dict[str, str] = {}
        for feed, result in zip(feeds, results, strict=True):
            if isinstance(result, BaseException):
                if not isinstance(result, Exception):
                    raise result
                unreachable[feed.venue] = describe_error(result)
        listed = {f.venue: f.listed_symbols() for f in feeds if f.markets_loaded}
        # With a venue unreachable, a symbol the others lack may still be its own.
        chosen = check_symbols(self.requested, listed, complete=not unreachable)
        for venue, symbols in chosen.items():
            self._venues[venue].select(symbols)
        self.unreachable = unreachable
        return unreachable

    def prepare_blocking(self) -> dict[str, str]:
        """`prepare()` from synchronous code (the CLI), in an event loop of its own."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.prepare())
        # Called from inside a running loop: a thread keeps that loop responsive.
        outcome: dict[str, dict[str, str] | BaseException] = {}

        def work() -> None:
            try:
                outcome["value"] = asyncio.run(self.prepare())
            except BaseException as exc:
                outcome["error"] = exc

        thread = threading.Thread(target=work, name="arbscope-load-markets")
        thread.start()
        thread.join()
        if "error" in outcome:
            error = outcome["error"]
            assert isinstance(error, BaseException)
            raise error
        value = outcome["value"]
        assert isinstance(value, dict)
        return value


def _transport_shown(feed: VenueFeed) -> str:
    if feed.fell_back:
        return f"{feed.transport} (fallback)"
    if feed.transport_note is not None:
        return f"{feed.transport} (no websocket URL)"
    return feed.transport
