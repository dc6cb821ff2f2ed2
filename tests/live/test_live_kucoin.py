"""KuCoin through ccxt pro against the fake KuCoin: bullet token, welcome, ack, level-2."""

from __future__ import annotations

from arbscope.market.ccxt_feed import CcxtFeed
from tests.live.conftest import FAST, start_feed, stop_feed, until, venue_settings
from tests.live.fake_kucoin import FakeKuCoin

SYMBOLS = {"BTC/USDT": "BTC-USDT", "ETH/USDT": "ETH-USDT"}


async def test_kucoin_websocket_books_match_the_servers(kucoin: FakeKuCoin) -> None:
    # The stream goes quiet after its updates; a long silence limit keeps the session.
    tuning = FAST.model_copy(update={"silence_timeout_s": 30.0})
    settings = {"kucoin": venue_settings(kucoin, transport="websocket")}
    feed = CcxtFeed(["kucoin"], list(SYMBOLS), settings, tuning)
    running = await start_feed(feed)
    service = running.service
    try:
        await until(
            lambda: kucoin.frames_sent == kucoin.updates * len(SYMBOLS), what="every update sent"
        )

        def settled() -> bool:
            for symbol, market_id in SYMBOLS.items():
                book = service.books.get(("kucoin", symbol))
                bids, asks = kucoin.book_of(market_id)
                want = ([(float(p), float(q)) for p, q in bids],
                        [(float(p), float(q)) for p, q in asks])
                if book is None or (list(book.bids), list(book.asks)) != want:
                    return False
            return True

        # Snapshot after five cached updates, then every later update applied in order.
        await until(settled, what="both books equal to the server's after the last update")
    finally:
        await stop_feed(running)
    assert service.of("kucoin", "error") == []
    assert feed.transports() == {"kucoin": "websocket"}
    # One token, one connection (the endpoint the token named), one topic per symbol.
    assert kucoin.tokens_issued == 1 and kucoin.ws_connections == 1
    assert sorted(kucoin.topics) == ["/market/level2:BTC-USDT", "/market/level2:ETH-USDT"]
    assert kucoin.requests["level2"] == len(SYMBOLS)


async def test_kucoin_auto_streams_from_the_endpoint_its_rest_host_names(
    kucoin: FakeKuCoin,
) -> None:
    # Only the REST host is given: KuCoin's websocket URL comes from that host's token
    # answer, so auto streams (no fallback) and never reaches kucoin.com.
    tuning = FAST.model_copy(update={"silence_timeout_s": 30.0})
    feed = CcxtFeed(["kucoin"], ["BTC/USDT"], {"kucoin": venue_settings(kucoin)}, tuning)
    running = await start_feed(feed)
    try:
        await until(lambda: running.service.of("kucoin", "book"), what="a websocket book")
    finally:
        await stop_feed(running)
    assert feed.transports() == {"kucoin": "websocket"} and kucoin.ws_connections == 1
    assert running.service.of("kucoin", "error") == []


async def test_a_suspended_kucoin_pair_gets_a_connection_of_its_own() -> None:
    # ccxt closes the whole connection when one symbol's snapshot keeps failing, which
    # takes the healthy symbol down too: the first to fail then waits apart.
    server = await FakeKuCoin(speed=5.0, updates=10**6).start()
    server.delisted.add("BTC-USDT")
    tuning = FAST.model_copy(update={"silence_timeout_s": 30.0})
    settings = {"kucoin": venue_settings(server, transport="websocket")}
    running = await start_feed(CcxtFeed(["kucoin"], list(SYMBOLS), settings, tuning))
    service = running.service
    try:
        await until(lambda: server.requests["level2 BTC-USDT 404"] >= 6, what="retries")
        since = service.of("kucoin", "book")[-1].at if service.of("kucoin", "book") else 0.0
        await until(
            lambda: len(service.of("kucoin", "book", after=since)) >= 5, what="ETH books go on"
        )
        health = service.health()["kucoin"]
        assert health.down_symbols == ("BTC/USDT",) and health.state.value == "live"
    finally:
        await stop_feed(running)
        await server.stop()
    assert {e.detail for e in service.of("kucoin", "book")} == {"ETH/USDT"}
