"""Fixtures for live-feed tests: the fake venues, a tracing market service, fast timings."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

import pytest

from arbscope.market.base import Feed, RawLevels
from arbscope.market.ccxt_feed import CcxtFeed, LiveTuning
from arbscope.market.service import MarketService
from arbscope.models import VenueState
from arbscope.storage.settings import VenueSettings
from tests.live.fake_exchange import FakeBinance, FakeKraken
from tests.live.fake_kucoin import FakeKuCoin

FAST = LiveTuning(
    backoff_initial_s=0.05,
    backoff_max_s=0.2,
    backoff_jitter=0.0,
    # Long enough that a loaded machine never mistakes its own pauses for a silent venue.
    silence_timeout_s=3.0,
    poll_interval_s=0.05,
    close_timeout_s=1.0,
)
"""Short waits so a test sees failures and recoveries within a second or two."""


@dataclass
class Event:
    at: float
    venue: str
    kind: str
    """"book", "rejected", "state", "error"."""
    detail: str = ""


class TracingService(MarketService):
    """The real MarketService, also remembering every call in order."""

    def __init__(self, feeds: Sequence[Feed], clock: Callable[[], float] = time.time) -> None:
        # Every level ccxt holds: these tests follow ccxt's books level for level (the
        # depth cap is the service's own, tested in tests/market/test_service.py).
        super().__init__(feeds, clock=clock, max_book_age=lambda venue: 5.0,
                         book_depth=lambda venue: 100_000)
        self.events: list[Event] = []

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
        accepted = super().submit(venue, symbol, ts, bids, asks, exchange_ts=exchange_ts)
        # A rejected book's event carries the service's reason.
        kind, detail = ("book", symbol) if accepted else ("rejected", self._reason(venue))
        self.events.append(Event(time.monotonic(), venue, kind, detail))
        return accepted

    def _reason(self, venue: str) -> str:
        return self.health()[venue].last_error or ""

    def set_state(self, venue: str, state: VenueState) -> None:
        super().set_state(venue, state)
        self.events.append(Event(time.monotonic(), venue, "state", state.value))

    def report_error(self, venue: str, message: str, next_retry_ts: float | None = None) -> None:
        super().report_error(venue, message, next_retry_ts)
        self.events.append(Event(time.monotonic(), venue, "error", message))

    def of(self, venue: str, kind: str, after: float = 0.0) -> list[Event]:
        return [e for e in self.events if e.venue == venue and e.kind == kind and e.at >= after]


async def until(condition: Callable[[], bool], timeout: float = 90.0, what: str = "") -> None:
    """Wait for `condition`, polling; fail the test (not hang) after `timeout` seconds.

    The timeout only guards against a hang: it is far above what a loaded 2-core machine
    needs, so a slow machine waits longer instead of failing."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what or condition}")
        await asyncio.sleep(0.02)


@pytest.fixture
async def binance() -> AsyncIterator[FakeBinance]:
    server = await FakeBinance(speed=20.0).start()
    yield server
    await server.stop()


@pytest.fixture
async def kraken() -> AsyncIterator[FakeKraken]:
    server = await FakeKraken(speed=20.0).start()
    yield server
    await server.stop()


@pytest.fixture
async def kucoin() -> AsyncIterator[FakeKuCoin]:
    server = await FakeKuCoin(speed=5.0).start()
    yield server
    await server.stop()


def venue_settings(
    server: FakeBinance | FakeKraken | FakeKuCoin, **fields: object
) -> VenueSettings:
    """Settings pointing ccxt at `server`, exactly as a user writes them for a test host."""
    return VenueSettings.model_validate({"ccxt_options": server.ccxt_options(), **fields})


@dataclass
class Running:
    feed: CcxtFeed
    service: TracingService
    task: asyncio.Task[None]


async def start_feed(
    feed: CcxtFeed, prepare: bool = True, clock: Callable[[], float] = time.time
) -> Running:
    if prepare:
        await feed.prepare()
    service = TracingService([feed], clock)
    task = asyncio.create_task(feed.run(service))
    return Running(feed, service, task)


async def stop_feed(running: Running) -> None:
    running.task.cancel()
    await asyncio.gather(running.task, return_exceptions=True)
