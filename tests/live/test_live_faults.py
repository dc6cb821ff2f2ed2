"""Each failure a real venue shows degrades that venue, then it recovers; the other runs on.

Both fake venues loop their recordings so the healthy one streams for the
whole test; timings are shortened through LiveTuning (FAST) and ccxt's
`timeout` option, as a user would set them for a test host.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from arbscope.market.ccxt_feed import CcxtFeed, LiveTuning
from arbscope.models import VenueState
from tests.live.conftest import FAST, Running, start_feed, stop_feed, until, venue_settings
from tests.live.fake_exchange import FakeBinance, FakeKraken, FakeVenue, Fault

SYMBOLS = {"binance": "NKN/USDT", "kraken": "XMR/USD"}


@pytest.fixture
async def venues() -> AsyncIterator[dict[str, FakeVenue]]:
    servers: dict[str, FakeVenue] = {
        # Recorded gaps reach 1.3 s: at 8x the healthy venue updates every 0.16 s at worst.
        "binance": await FakeBinance(speed=8.0, loop=True).start(),
        "kraken": await FakeKraken(speed=8.0, loop=True).start(),
    }
    yield servers
    for server in servers.values():
        await server.stop()


async def _run_both(
    venues: dict[str, FakeVenue], rest_venue: str | None = None, tuning: LiveTuning = FAST
) -> Running:
    settings = {
        name: venue_settings(server, transport="rest" if name == rest_venue else "websocket")
        for name, server in venues.items()
    }
    feed = CcxtFeed(list(venues), list(SYMBOLS.values()), settings, tuning)
    running = await start_feed(feed)
    for name in venues:
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
    other = next(name for name in SYMBOLS if name != faulty)
    assert service.of(other, "error", after=since) == []
    # The healthy venue kept publishing while the faulty one was failing. The window runs
    # from the fault's start: the venue can be down for less time than the healthy one
    # takes between two books (a reconnect takes tens of milliseconds).
    during = [e for e in service.of(other, "book", after=since) if e.at <= recovered_at]
    assert during, f"{other} published nothing while {faulty} was failing"
    assert not running.task.done(), "the feed must outlive any venue failure"
    assert service.state(faulty) is VenueState.LIVE
    return service.of(faulty, "error", after=since)[0].detail


REST_ROUTES = {"binance": "depth", "kraken": "Depth"}


@pytest.mark.parametrize(
    ("faulty", "fault", "reported"),
    [
        ("binance", Fault.RATE_LIMITED, "429"),
        ("binance", Fault.SERVER_ERROR, "500"),
        ("binance", Fault.HTML_PAGE, "no levels"),
        ("binance", Fault.MALFORMED_JSON, "no levels"),
        ("binance", Fault.NO_ANSWER, "RequestTimeout"),
        ("kraken", Fault.MAINTENANCE, "EService:Unavailable"),
        ("kraken", Fault.RATE_LIMITED, "Too many requests"),
    ],
)
async def test_rest_failure_degrades_then_recovers(
    venues: dict[str, FakeVenue], faulty: str, fault: Fault, reported: str
) -> None:
    running = await _run_both(venues, rest_venue=faulty)
    try:
        since = time.monotonic()
        # Three in a row keep the venue down long enough to watch the other one run on
        # (one unanswered request already takes the 1.5 s ccxt timeout of the test host).
        venues[faulty].fail(REST_ROUTES[faulty], fault, times=1 if fault is Fault.NO_ANSWER else 3)
        detail = await _degraded_then_recovered(running, faulty, since)
    finally:
        await stop_feed(running)
    assert reported in detail


async def test_dropped_websocket_reconnects_with_a_fresh_snapshot(
    venues: dict[str, FakeVenue],
) -> None:
    running = await _run_both(venues)
    binance = venues["binance"]
    snapshots = binance.requests["depth"]
    try:
        since = time.monotonic()
        assert binance.drop_websockets() == 1
        detail = await _degraded_then_recovered(running, "binance", since)
    finally:
        await stop_feed(running)
    assert "NetworkError" in detail
    assert binance.ws_connections == 2 and binance.requests["depth"] == snapshots + 1


async def test_snapshot_rate_limited_after_a_reconnect_still_recovers(
    venues: dict[str, FakeVenue],
) -> None:
    # ccxt's three snapshot tries, rate-limited, take longer than FAST's silence limit.
    running = await _run_both(venues, tuning=FAST.model_copy(update={"silence_timeout_s": 4.0}))
    binance = venues["binance"]
    try:
        since = time.monotonic()
        # ccxt tries the snapshot 3 times itself; all fail, then arbscope backs off.
        binance.fail("depth", Fault.RATE_LIMITED, times=3)
        binance.drop_websockets()
        await _degraded_then_recovered(running, "binance", since)
    finally:
        await stop_feed(running)
    errors = [e.detail for e in running.service.of("binance", "error", after=since)]
    assert any("429" in e for e in errors), errors


async def test_malformed_frame_is_survived(venues: dict[str, FakeVenue]) -> None:
    running = await _run_both(venues)
    try:
        since = time.monotonic()
        await venues["kraken"].send_raw('{"channel": "book", "data": [')
        detail = await _degraded_then_recovered(running, "kraken", since)
    finally:
        await stop_feed(running)
    # ccxt's own reader would stop silently at the bad frame; the guard makes it an
    # error at once, and the venue reconnects without waiting for the silence timeout.
    assert "MalformedFrame" in detail and "JSONDecodeError" in detail


async def test_a_server_that_stops_answering_is_reconnected_once_it_answers(
    venues: dict[str, FakeVenue],
) -> None:
    running = await _run_both(venues)
    binance = venues["binance"]
    try:
        since = time.monotonic()
        binance.stall()
        await until(lambda: running.service.of("binance", "error", after=since), what="silence")
        # Still down while the server says nothing: tries keep failing, nothing crashes.
        assert running.service.state("binance") is not VenueState.LIVE
        binance.resume()
        detail = await _degraded_then_recovered(running, "binance", since)
    finally:
        await stop_feed(running)
    assert "no book for" in detail


async def test_auto_transport_falls_back_to_rest_polling(binance: FakeBinance) -> None:
    options = binance.ccxt_options()
    options["urls"]["api"]["ws"]["spot"] = f"{binance.ws}/blocked"  # a proxy refusing websockets
    settings = {"binance": venue_settings(binance, ccxt_options=options, transport="auto")}
    feed = CcxtFeed(["binance"], ["NKN/USDT"], settings, FAST)
    running = await start_feed(feed)
    try:
        await until(lambda: running.service.of("binance", "book"), what="books by REST polling")
    finally:
        await stop_feed(running)
    errors = [e.detail for e in running.service.of("binance", "error")]
    # FAST allows 3 websocket failures in a row; the third one says what happens next.
    assert len(errors) == 3 and "falling back to REST polling" in errors[-1]
    assert feed.transports() == {"binance": "rest (fallback)"}
    assert binance.requests["depth"] >= 1 and binance.ws_connections == 0


async def test_bad_data_is_rejected_counted_and_resynchronised(
    venues: dict[str, FakeVenue],
) -> None:
    running = await _run_both(venues)
    binance = venues["binance"]
    assert isinstance(binance, FakeBinance)
    service = running.service
    try:
        since = time.monotonic()
        # A bid at 0.40 USDT, far above every NKN ask (about 0.3525): a crossed book.
        binance.corrupt_next_diff("NKNUSDT", [["0.40000000", "100.00000000"]])
        detail = await _degraded_then_recovered(running, "binance", since)
    finally:
        await stop_feed(running)
    rejected = service.of("binance", "rejected", after=since)
    # FAST: three refused books in a row, then a fresh snapshot on a new connection.
    assert len(rejected) == 3 and "3 books in a row refused" in detail
    assert service.health()["binance"].books_rejected == 3
    assert all("crossed book: best bid 0.4 >=" in event.detail for event in rejected)
    book = service.books[("binance", "NKN/USDT")]
    assert book.bids[0][0] < 0.36 and binance.ws_connections == 2
