"""The venue's own time travels beside the receive time, through ccxt's parsing of real wire
formats, and venue health turns the two into feed latency and clock skew."""

from __future__ import annotations

import pytest

from arbscope.market.ccxt_feed import CcxtFeed
from arbscope.models import IntegrityMethod
from tests.live.conftest import FAST, start_feed, stop_feed, until, venue_settings
from tests.live.fake_exchange import FakeBinance
from tests.live.more_venues import VENUES, Venue

VENUE_TIME = 1_732_400_000.125
"""What the fake venue's clock says on every book (sent as milliseconds: 1732400000125)."""

RECEIVED = 1_732_400_000.375
"""What our clock says when each book arrives: 250 ms after the venue stamped it."""

STAMPING = [v for v in VENUES if v.name in ("okx", "bybit")]


@pytest.mark.parametrize("transport", ["rest", "websocket"])
@pytest.mark.parametrize("venue", STAMPING, ids=[v.name for v in STAMPING])
async def test_the_venue_time_is_kept_beside_the_receive_time(
    venue: Venue, transport: str
) -> None:
    server = await venue.make(speed=5.0).start()
    server.exchange_clock = lambda: VENUE_TIME
    settings = {venue.name: venue_settings(server, transport=transport)}
    tuning = FAST.model_copy(update={"silence_timeout_s": 30.0})
    feed = CcxtFeed(
        [venue.name], list(venue.symbols), settings, tuning, clock=lambda: RECEIVED
    )
    running = await start_feed(feed, clock=lambda: RECEIVED)
    service = running.service
    try:
        await until(
            lambda: all((venue.name, s) in service.books for s in venue.symbols),
            what="a book of every symbol",
        )
    finally:
        await stop_feed(running)
        await server.stop()
    for symbol in venue.symbols:
        book = service.books[(venue.name, symbol)]
        assert (book.ts, book.exchange_ts) == (RECEIVED, VENUE_TIME)
    health = service.health()[venue.name]
    # Every sample is 1732400000.375 - 1732400000.125 = 0.25 s, so all three figures are.
    assert (health.latency_p50_s, health.latency_p95_s, health.clock_skew_s) == (
        0.25,
        0.25,
        0.25,
    )


async def test_a_venue_without_its_own_time_shows_no_latency(binance: FakeBinance) -> None:
    # Binance's REST depth carries no time: ccxt's book timestamp is None.
    settings = {"binance": venue_settings(binance, transport="rest")}
    running = await start_feed(CcxtFeed(["binance"], ["NKN/USDT"], settings, FAST))
    try:
        await until(lambda: ("binance", "NKN/USDT") in running.service.books, what="a book")
    finally:
        await stop_feed(running)
    assert running.service.books[("binance", "NKN/USDT")].exchange_ts is None
    health = running.service.health()["binance"]
    assert health.integrity is IntegrityMethod.SNAPSHOTS  # REST polling: whole books
    assert (health.latency_p50_s, health.latency_p95_s, health.clock_skew_s) == (
        None,
        None,
        None,
    )
