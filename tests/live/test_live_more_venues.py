"""OKX, Bybit and Coinbase through ccxt's own code against their fakes, REST and websocket."""

from __future__ import annotations

import pytest

from arbscope.market.ccxt_feed import CcxtFeed
from tests.live.conftest import FAST, start_feed, stop_feed, until, venue_settings
from tests.live.fake_okx import FakeOKX
from tests.live.fake_streaming import StreamingFake
from tests.live.more_venues import VENUES, Venue

BY_NAME = pytest.mark.parametrize("venue", VENUES, ids=[v.name for v in VENUES])


def _floats(server: StreamingFake, market_id: str) -> tuple[list[tuple[float, float]], ...]:
    bids, asks = server.book_of(market_id)
    return [(float(p), float(q)) for p, q in bids], [(float(p), float(q)) for p, q in asks]


@BY_NAME
async def test_rest_books_are_the_recorded_levels(venue: Venue) -> None:
    server = await venue.make(speed=5.0).start()
    settings = {venue.name: venue_settings(server, transport="rest")}
    running = await start_feed(CcxtFeed([venue.name], list(venue.symbols), settings, FAST))
    service = running.service
    try:
        await until(
            lambda: all((venue.name, s) in service.books for s in venue.symbols),
            what="a REST book of every symbol",
        )
    finally:
        await stop_feed(running)
        await server.stop()
    # Nothing streamed: the REST books are the seeded (recorded) levels, level for level.
    for symbol, market_id in venue.symbols.items():
        book = service.books[(venue.name, symbol)]
        assert (list(book.bids), list(book.asks)) == _floats(server, market_id)
        assert len(book.bids) >= 1 and book.bids[0][0] < book.asks[0][0]
    assert server.ws_connections == 0 and server.requests[venue.book_route] >= len(venue.symbols)
    assert service.of(venue.name, "error") == []


@BY_NAME
async def test_websocket_books_match_the_servers_after_every_update(venue: Venue) -> None:
    server = await venue.make(speed=5.0).start()
    # The stream goes quiet after its updates; a long silence limit keeps the session.
    tuning = FAST.model_copy(update={"silence_timeout_s": 30.0})
    settings = {venue.name: venue_settings(server, transport="websocket")}
    feed = CcxtFeed([venue.name], list(venue.symbols), settings, tuning)
    running = await start_feed(feed)
    service = running.service
    try:
        await until(
            lambda: server.frames_sent == server.updates * len(venue.symbols),
            what="every update sent",
        )

        def settled() -> bool:
            for symbol, market_id in venue.symbols.items():
                book = service.books.get((venue.name, symbol))
                if book is None or (list(book.bids), list(book.asks)) != _floats(server, market_id):
                    return False
            return True

        await until(settled, what="every book equal to the server's after the last update")
    finally:
        await stop_feed(running)
        await server.stop()
    assert service.of(venue.name, "error") == []
    assert feed.transports() == {venue.name: "websocket"}
    assert sorted(m for m in venue.symbols.values()) == sorted(
        t.split(":")[-1] for t in server.topics
    )
    # Every change reached the book: more books than symbols were published.
    assert len(service.of(venue.name, "book")) > len(venue.symbols)


async def test_an_okx_sequence_gap_is_reported_and_resynchronised() -> None:
    # Each subscription streams 60 changes, 50 ms apart, then goes quiet, and a long
    # silence limit keeps the session: the book can be compared once the resync is done.
    server = await FakeOKX(speed=1.0, updates=60).start()
    tuning = FAST.model_copy(update={"silence_timeout_s": 30.0})
    settings = {"okx": venue_settings(server, transport="websocket")}
    running = await start_feed(CcxtFeed(["okx"], ["BTC/USDT"], settings, tuning))
    service = running.service
    try:
        await until(lambda: service.of("okx", "book"), what="okx live")
        subscribed = len(server.topics)
        server.gap_next.add("BTC-USDT")
        await until(lambda: service.of("okx", "error"), what="the gap reported")
        failed_at = service.of("okx", "error")[0].at
        # A fresh subscription (so a fresh snapshot), then books again.
        await until(lambda: len(server.topics) > subscribed, what="a new subscription")
        await until(lambda: service.of("okx", "book", after=failed_at), what="books again")

        def settled() -> bool:
            book = service.books.get(("okx", "BTC/USDT"))
            want = _floats(server, "BTC-USDT")
            return book is not None and (list(book.bids), list(book.asks)) == want

        await until(
            lambda: server.streams_started >= 2 and server.streams_ended == server.streams_started,
            what="the resync's updates all sent",
        )
        # Every change after the resync reached the book.
        await until(settled, what="the book equal to the server's again")
    finally:
        await stop_feed(running)
        await server.stop()
    assert "InvalidNonce" in service.of("okx", "error")[0].detail


# The `parsedResponse` ccxt recorded beside each answer in its static test data.
RECORDED_PARSE = {
    "okx": ([(67973.3, 0.05), (67973.2, 0.00725939)],
            [(67973.4, 1.40848059), (67975.9, 0.08292002)]),
    "bybit": ([(29861.0, 0.00101), (29829.3, 0.000667)],
              [(29971.81, 0.001161), (29988.93, 0.112648)]),
}


@pytest.mark.parametrize("venue", [v for v in VENUES if v.name in RECORDED_PARSE],
                         ids=lambda v: v.name)
async def test_rest_book_is_what_ccxts_recording_says_it_parses_to(venue: Venue) -> None:
    server = await venue.make(speed=5.0).start()
    settings = {venue.name: venue_settings(server, transport="rest")}
    running = await start_feed(CcxtFeed([venue.name], ["BTC/USDT"], settings, FAST))
    try:
        await until(lambda: (venue.name, "BTC/USDT") in running.service.books, what="a book")
    finally:
        await stop_feed(running)
        await server.stop()
    book = running.service.books[(venue.name, "BTC/USDT")]
    assert (list(book.bids), list(book.asks)) == RECORDED_PARSE[venue.name]
