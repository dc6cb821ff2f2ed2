"""ccxt closes a websocket connection by cancelling every watch pending on it.

That CancelledError was not asked for by the app: seen on the fake KuCoin, a suspended
pair's failed snapshot made ccxt close the shared connection, the healthy symbol's watch
ended "cancelled", and reading that task's exception re-raised CancelledError into the
venue's run, which ended as if the app had stopped it (no error, no reconnect, ever)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from arbscope.market.ccxt_symbols import SymbolFailed
from arbscope.market.ccxt_tuning import LiveTuning, WatchCancelled
from arbscope.market.ccxt_venue import VenueFeed, _session_error
from arbscope.storage.settings import VenueSettings


class _ClosingExchange:
    """Stands in for ccxt's exchange at the one point that matters: its pending watch
    future is cancelled by the connection's close, as ccxt's Client.close() does."""

    def __init__(self) -> None:
        self.pending: asyncio.Future[Any] | None = None

    async def watch_order_book(self, symbol: str, limit: Any = None) -> Any:
        self.pending = asyncio.get_running_loop().create_future()
        return await self.pending


async def _failed(error: Exception) -> None:
    raise error


async def _settled(*tasks: asyncio.Task[None]) -> None:
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_watch_cancelled_by_ccxt_is_a_failure_not_a_stop(venue: VenueFeed) -> None:
    exchange = _ClosingExchange()
    task = asyncio.create_task(venue._watch_books(exchange, "ETH/USDT", None, None))
    while exchange.pending is None:
        await asyncio.sleep(0)
    exchange.pending.cancel()  # ccxt closing the connection
    with pytest.raises(WatchCancelled, match="ETH/USDT: ccxt closed the connection"):
        await task


async def test_the_app_stopping_the_feed_still_stops_it(venue: VenueFeed) -> None:
    exchange = _ClosingExchange()
    task = asyncio.create_task(venue._watch_books(exchange, "ETH/USDT", None, None))
    while exchange.pending is None:
        await asyncio.sleep(0)
    task.cancel()  # the app stopping: the task itself is being cancelled
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()


@pytest.mark.parametrize("cancelled_first", [True, False])
async def test_the_symbol_that_failed_ends_the_session_not_a_cancelled_watch(
    cancelled_first: bool,
) -> None:
    culprit = SymbolFailed("BTC/USDT", "suspended", "BTC/USDT")
    failed = asyncio.create_task(_failed(culprit))
    cancelled = asyncio.create_task(asyncio.sleep(3600))
    cancelled.cancel()
    await _settled(failed, cancelled)
    done = {cancelled, failed} if cancelled_first else {failed, cancelled}
    assert _session_error(done) is culprit


async def test_a_session_whose_watches_were_all_cancelled_says_so() -> None:
    cancelled = asyncio.create_task(asyncio.sleep(3600))
    cancelled.cancel()
    await _settled(cancelled)
    assert isinstance(_session_error({cancelled}), WatchCancelled)


class _CancelToError:
    """An exchange whose load_markets turns the task's cancellation into its own error, as
    a swallowed cancel looks from the venue's loop (3.11's wait_for race, or a library)."""

    def __init__(self) -> None:
        self.calls = 0

    def open(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def load_markets(self) -> None:
        self.calls += 1
        try:
            await asyncio.get_running_loop().create_future()  # never answers
        except asyncio.CancelledError:
            raise ConnectionError("request aborted") from None


class _BackedOff(BaseException):
    pass


class _Sink:
    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None  # set_state, report_error, ...


async def test_a_cancel_swallowed_on_the_way_still_stops_the_venue() -> None:
    # Seen once in a loaded test run: `record --live` against a dead venue never ended, its
    # venue task "cancelling" but asleep in a retry back-off, and stop() waited on it forever.
    exchange = _CancelToError()
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        raise _BackedOff  # the venue is retrying; end it here rather than hang the test

    venue = VenueFeed(
        "binance", ["BTC/USDT"], VenueSettings(transport="rest"), LiveTuning(),
        has_websocket=False, sleep=sleep,
    )
    venue.new_exchange = lambda: exchange  # type: ignore[method-assign]
    task = asyncio.create_task(venue.run(_Sink()))  # type: ignore[arg-type]
    while exchange.calls == 0:
        await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled()
    assert slept == [] and exchange.calls == 1  # no back-off, no retry after the stop


@pytest.fixture
def venue() -> VenueFeed:
    return VenueFeed("kucoin", ["ETH/USDT"], VenueSettings(), LiveTuning(), has_websocket=True)
