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
