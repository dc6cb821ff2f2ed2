"""The venue-independent fault tests, run against the OKX, Bybit and Coinbase fakes: each
failure degrades that venue, then it recovers, while a healthy Binance runs on.

The faulty fake streams for the whole test; timings are shortened through LiveTuning
(FAST) and ccxt's `timeout` option, as a user would set them for a test host.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from arbscope.market.ccxt_feed import CcxtFeed
from arbscope.models import VenueState
from tests.live.conftest import (
    FAST,
    Running,
    TracingService,
    stop_feed,
    until,
    venue_settings,
)
from tests.live.fake_exchange import FakeBinance, FakeVenue, Fault
from tests.live.fake_streaming import StreamingFake
from tests.live.more_venues import VENUES, Venue

HEALTHY = "binance"
HEALTHY_SYMBOL = "NKN/USDT"


@pytest.fixture(params=VENUES, ids=[v.name for v in VENUES])
async def pair(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Venue, StreamingFake]]:
    venue: Venue = request.param
    # Streams (almost) forever: one change every 25 ms per symbol.
    faulty = await venue.make(speed=2.0, updates=10**6).start()
    # Recorded gaps reach 1.3 s: at 8x the healthy venue updates every 0.16 s at worst.
    healthy = await FakeBinance(speed=8.0, loop=True).start()
    request.node.healthy = healthy
    yield venue, faulty
    await faulty.stop()
    await healthy.stop()


async def _run(
    request: pytest.FixtureRequest, venue: Venue, faulty: FakeVenue, transport: str
) -> Running:
    """Both venues in one service, each in a feed of its own: the recorded Binance lists
    the same pairs, and each venue must watch only its own."""
    healthy: FakeVenue = request.node.healthy
    symbol = next(iter(venue.symbols))
    feeds = [
        CcxtFeed([venue.name], [symbol], {venue.name: venue_settings(faulty, transport=transport)},
                 FAST),
        CcxtFeed([HEALTHY], [HEALTHY_SYMBOL], {HEALTHY: venue_settings(healthy)}, FAST),
    ]
    for feed in feeds:
        await feed.prepare()
    service = TracingService(feeds)
    tasks = [asyncio.create_task(feed.run(service)) for feed in feeds]
    running = Running(feeds[0], service, asyncio.ensure_future(asyncio.gather(*tasks)))
    for name in (venue.name, HEALTHY):
        await until(lambda name=name: running.service.of(name, "book"), what=f"{name} live")
    return running


async def _degraded_then_recovered(running: Running, faulty: str, since: float) -> str:
    """Wait for the faulty venue's error and its next book; check the other venue ran on."""
    service = running.service
    await until(lambda: service.of(faulty, "error", after=since), what=f"{faulty} to fail")
    failed_at = service.of(faulty, "error", after=since)[0].at
    assert "down" in [e.detail for e in service.of(faulty, "state", after=since)]
    assert service.health()[faulty].next_retry_ts is not None
    await until(lambda: service.of(faulty, "book", after=failed_at), what=f"{faulty} to recover")
    recovered_at = service.of(faulty, "book", after=failed_at)[0].at
    assert service.of(HEALTHY, "error", after=since) == []
    during = [e for e in service.of(HEALTHY, "book", after=failed_at) if e.at <= recovered_at]
    assert during, f"{HEALTHY} published nothing while {faulty} was down"
    assert not running.task.done(), "the feed must outlive any venue failure"
    assert service.state(faulty) is VenueState.LIVE
    return service.of(faulty, "error", after=since)[0].detail


# What each fault is reported as, whatever the venue: ccxt's reading of it, or arbscope's
# own when ccxt reads an error page as a book with no levels.
REPORTED = {
    Fault.RATE_LIMITED: ("RateLimitExceeded",),
    Fault.SERVER_ERROR: ("ExchangeNotAvailable", "500 Internal Server Error"),
    Fault.HTML_PAGE: ("EmptyBook", "no levels"),
    Fault.MALFORMED_JSON: ("EmptyBook", "no levels"),
    # OKX's code 50001 is OnMaintenance in ccxt, Bybit's and Coinbase's a plain ExchangeError.
    Fault.MAINTENANCE: (),
    Fault.NO_ANSWER: ("RequestTimeout",),
}


@pytest.mark.parametrize("fault", list(REPORTED), ids=[f.name.lower() for f in REPORTED])
async def test_rest_failure_degrades_then_recovers(
    request: pytest.FixtureRequest, pair: tuple[Venue, StreamingFake], fault: Fault
) -> None:
    venue, faulty = pair
    running = await _run(request, venue, faulty, "rest")
    served = faulty.requests[venue.book_route]
    try:
        since = time.monotonic()
        # Three in a row keep the venue down long enough to watch the other one run on
        # (one unanswered request already takes the 1.5 s ccxt timeout of the test host).
        times = 1 if fault is Fault.NO_ANSWER else 3
        faulty.fail(venue.book_route, fault, times=times)
        detail = await _degraded_then_recovered(running, venue.name, since)
    finally:
        await stop_feed(running)
    assert all(word in detail for word in REPORTED[fault]), detail
    if fault is Fault.MAINTENANCE:
        # The venue's own words reach the status bar.
        said = [v for v in faulty.maintenance_body().values() if isinstance(v, str) and " " in v]
        assert said and all(text in detail for text in said), detail
    # Books were served again after the faults: the venue came back on its own REST host.
    assert faulty.requests[venue.book_route] > served


async def test_dropped_websocket_reconnects_with_a_fresh_snapshot(
    request: pytest.FixtureRequest, pair: tuple[Venue, StreamingFake]
) -> None:
    venue, faulty = pair
    running = await _run(request, venue, faulty, "websocket")
    try:
        since = time.monotonic()
        assert faulty.drop_websockets() >= 1
        detail = await _degraded_then_recovered(running, venue.name, since)
    finally:
        await stop_feed(running)
    assert "NetworkError" in detail or "no book for" in detail, detail
    # A new connection, and every channel subscribed again (a fresh snapshot each).
    assert faulty.ws_connections >= 2
    assert len(faulty.topics) >= 2


async def test_malformed_frame_is_survived(
    request: pytest.FixtureRequest, pair: tuple[Venue, StreamingFake]
) -> None:
    venue, faulty = pair
    running = await _run(request, venue, faulty, "websocket")
    try:
        since = time.monotonic()
        await faulty.send_raw('{"data": [')
        detail = await _degraded_then_recovered(running, venue.name, since)
    finally:
        await stop_feed(running)
    # The guard makes ccxt's silent stop an error at once; the venue reconnects.
    assert "MalformedFrame" in detail and "JSONDecodeError" in detail, detail
    assert faulty.ws_connections >= 2


async def test_a_server_that_stops_answering_is_reconnected_once_it_answers(
    request: pytest.FixtureRequest, pair: tuple[Venue, StreamingFake]
) -> None:
    venue, faulty = pair
    running = await _run(request, venue, faulty, "websocket")
    service = running.service
    try:
        since = time.monotonic()
        faulty.stall()
        await until(lambda: service.of(venue.name, "error", after=since), what="silence")
        assert service.state(venue.name) is not VenueState.LIVE
        faulty.resume()
        detail = await _degraded_then_recovered(running, venue.name, since)
    finally:
        await stop_feed(running)
    assert "no book for" in detail, detail


@pytest.mark.parametrize("venue", VENUES, ids=[v.name for v in VENUES])
async def test_auto_transport_falls_back_to_rest_when_websockets_are_refused(
    venue: Venue,
) -> None:
    server = await venue.make(speed=2.0).start()
    server.refuse_websockets = True  # a proxy that does not pass websockets
    symbol = next(iter(venue.symbols))
    settings = {venue.name: venue_settings(server, transport="auto")}
    feed = CcxtFeed([venue.name], [symbol], settings, FAST)
    await feed.prepare()
    service = TracingService([feed])
    task = asyncio.ensure_future(feed.run(service))
    try:
        await until(lambda: service.of(venue.name, "book"), what="books by REST polling")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await server.stop()
    errors = [e.detail for e in service.of(venue.name, "error")]
    # FAST allows 3 websocket failures in a row; the third one says what happens next.
    assert len(errors) == 3 and "falling back to REST polling" in errors[-1], errors
    assert feed.transports() == {venue.name: "rest (fallback)"}
    assert server.ws_refused == 3 and server.ws_connections == 0
    assert server.requests[venue.book_route] >= 1
