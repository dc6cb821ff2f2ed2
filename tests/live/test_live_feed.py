"""CcxtFeed through ccxt's own code against the fake Binance and Kraken serving recorded data."""

from __future__ import annotations

import pytest

from arbscope.market.ccxt_feed import CcxtFeed, LiveSetupError, LiveTuning
from arbscope.models import VenueState
from tests.live.conftest import FAST, start_feed, stop_feed, until, venue_settings
from tests.live.fake_exchange import FakeBinance, FakeKraken
from tests.live.recorded import (
    KrakenBook,
    apply_binance_diffs,
    binance_book,
    kraken_lasting_change,
    kraken_message_levels,
    recorded,
)


async def test_rest_snapshot_is_parsed_into_the_recorded_book(binance: FakeBinance) -> None:
    tuning = FAST.model_copy(update={"depth": 1000})
    settings = {"binance": venue_settings(binance, transport="rest")}
    running = await start_feed(CcxtFeed(["binance"], ["NKN/USDT"], settings, tuning))
    try:
        await until(lambda: ("binance", "NKN/USDT") in running.service.books, what="a REST book")
    finally:
        await stop_feed(running)
    book = running.service.books[("binance", "NKN/USDT")]
    bids, asks = binance_book("NKNUSDT")
    # The capture holds 609 bids and 1000 asks; every one must come through as sent.
    assert (len(book.bids), len(book.asks)) == (609, 1000)
    assert list(book.bids) == bids
    assert list(book.asks) == asks
    assert binance.requests["depth"] >= 1 and binance.ws_connections == 0


async def test_market_rules_and_fees_come_from_load_markets(
    binance: FakeBinance, kraken: FakeKraken
) -> None:
    settings = {
        "binance": venue_settings(binance, taker_fee=0.0005),
        "kraken": venue_settings(kraken),
    }
    feed = CcxtFeed(["binance", "kraken"], ["NKN/USDT", "XMR/USD"], settings, FAST)
    await feed.prepare()
    markets = {m.key: m for m in feed.markets()}
    nkn = markets[("binance", "NKN/USDT")]
    # exchangeInfo: tickSize 0.0001, stepSize 1, minQty 1, minNotional 10; the settings
    # override wins over Binance's 0.001 taker fee, the maker fee stays Binance's.
    assert (nkn.price_tick, nkn.amount_step) == (0.0001, 1.0)
    assert (nkn.min_amount, nkn.min_cost) == (1.0, 10.0)
    assert (nkn.taker_fee, nkn.maker_fee) == (0.0005, 0.001)
    xmr = markets[("kraken", "XMR/USD")]
    # AssetPairs XXMRZUSD: pair_decimals 2, lot_decimals 8, ordermin 0.05, fees 0.26 % / 0.16 %.
    assert (xmr.price_tick, xmr.amount_step, xmr.min_amount) == (0.01, 1e-08, 0.05)
    assert (xmr.taker_fee, xmr.maker_fee) == (0.0026, 0.0016)
    # Kraken publishes its assets without keys: their status reaches the risk checklist.
    assert feed.currencies()[("kraken", "XMR")].active is True
    assert feed.currencies()[("binance", "NKN")].withdraw is None  # Binance needs keys for it


async def test_binance_diffs_are_applied_in_order(binance: FakeBinance) -> None:
    binance.speed = 200.0
    settings = {"binance": venue_settings(binance)}
    running = await start_feed(CcxtFeed(["binance"], ["NKN/USDT"], settings, FAST))
    diffs = recorded().binance_diffs["NKNUSDT"]
    try:
        await until(lambda: binance.frames_sent == len(diffs), what="every recorded diff sent")
        # The book a correct client holds: the snapshot, diffs with u <= lastUpdateId
        # dropped, every later one applied in order (Binance's documented recipe).
        want_bids, want_asks = apply_binance_diffs("NKNUSDT")

        def settled() -> bool:
            book = running.service.books.get(("binance", "NKN/USDT"))
            return book is not None and (list(book.bids), list(book.asks)) == (want_bids, want_asks)

        await until(settled, what="the book after the last diff")
    finally:
        await stop_feed(running)
    assert running.service.of("binance", "error") == []
    assert binance.ws_connections == 1 and binance.requests["depth"] == 1


async def test_kraken_snapshot_and_updates_with_checksums(kraken: FakeKraken) -> None:
    kraken.speed = 100.0
    settings = {"kraken": venue_settings(kraken)}
    running = await start_feed(CcxtFeed(["kraken"], ["XMR/USD"], settings, FAST))
    frames = recorded().kraken_frames["XMR/USD"]
    expected = KrakenBook()
    for frame in frames:
        levels, checksum = kraken_message_levels(frame.data)
        for side, key in (("a", "as"), ("b", "bs"), ("a", "a"), ("b", "b")):
            expected.apply(side, levels.get(key, []))
        expected.truncate()
        # Our book arithmetic reproduces the checksum Kraken sent with each update.
        assert checksum is None or expected.checksum() == int(checksum)
    want_asks = [(float(p), float(q)) for p, q in expected.top("a", 10)]
    want_bids = [(float(p), float(q)) for p, q in expected.top("b", 10)]
    try:

        def settled() -> bool:
            book = running.service.books.get(("kraken", "XMR/USD"))
            return book is not None and (list(book.asks), list(book.bids)) == (want_asks, want_bids)

        await until(settled, what="the top ten levels after the last update")
    finally:
        await stop_feed(running)
    # Every book passed arbscope's checksum check: no error, one connection.
    assert running.service.of("kraken", "error") == []
    assert kraken.ws_connections == 1


async def test_binance_sequence_gap_triggers_a_resync(binance: FakeBinance) -> None:
    binance.loop = True  # the stream never ends, whenever the gap comes
    tuning = FAST.model_copy(update={"silence_timeout_s": 5.0})
    settings = {"binance": venue_settings(binance)}
    running = await start_feed(CcxtFeed(["binance"], ["NKN/USDT"], settings, tuning))
    service = running.service
    try:
        await until(lambda: len(service.of("binance", "book")) >= 2, what="live books")
        binance.skip_next_diff("NKNUSDT")
        await until(lambda: service.of("binance", "error"), what="the gap to be noticed")
        gap_at = service.of("binance", "error")[0].at
        await until(
            lambda: service.of("binance", "book", after=gap_at), what="books after the resync"
        )
    finally:
        await stop_feed(running)
    # ccxt sees U != previous u + 1 and raises its ChecksumError; arbscope reconnects
    # and starts again from a fresh REST snapshot.
    assert "ChecksumError" in service.of("binance", "error")[0].detail
    assert binance.ws_connections == 2 and binance.requests["depth"] == 2


async def test_kraken_lost_update_is_caught_by_the_checksum(kraken: FakeKraken) -> None:
    # An update whose change no later message overwrites never reaches the client:
    # from then on the venue's checksum cannot match the client's book.
    lost = kraken_lasting_change("XMR/USD")
    kraken.lose_frame("XMR/USD", lost)
    tuning = FAST.model_copy(update={"silence_timeout_s": 5.0})
    settings = {"kraken": venue_settings(kraken)}
    running = await start_feed(CcxtFeed(["kraken"], ["XMR/USD"], settings, tuning))
    service = running.service
    try:
        await until(lambda: service.of("kraken", "error"), what="the lost update to be noticed")
        lost_at = service.of("kraken", "error")[0].at
        await until(
            lambda: service.of("kraken", "book", after=lost_at), what="books after the resync"
        )
    finally:
        await stop_feed(running)
    assert "checksum" in service.of("kraken", "error")[0].detail
    assert kraken.ws_connections == 2
    # The book that disagreed with its checksum was never handed to the service.
    assert service.of("kraken", "rejected") == []


async def test_credentials_are_refused_before_anything_connects(binance: FakeBinance) -> None:
    from arbscope.storage.settings import VenueSettings

    with_keys = VenueSettings.model_construct(
        ccxt_options={**binance.ccxt_options(), "apiKey": "k", "secret": "s"}
    )
    refused = r"ccxt_options\.apiKey: 'apiKey' is a ccxt credential.*ccxt_options\.secret: "
    with pytest.raises(LiveSetupError, match=refused):
        CcxtFeed(["binance"], ["NKN/USDT"], {"binance": with_keys}, FAST)
    # ccxt also reads snake_case keys as credentials (api_key -> apiKey).
    snake = venue_settings(binance)
    snake.ccxt_options["api_key"] = "k"
    with pytest.raises(LiveSetupError, match="never trades for real"):
        CcxtFeed(["binance"], ["NKN/USDT"], {"binance": snake}, FAST)
    assert sum(binance.requests.values()) == 0 and binance.ws_connections == 0


def test_unknown_venue_gets_a_did_you_mean() -> None:
    with pytest.raises(LiveSetupError, match="unknown venue 'krakn' — did you mean 'kraken'\\?"):
        CcxtFeed(["binance", "krakn"], ["BTC/USDT"], {}, FAST)


async def test_unknown_symbol_gets_a_did_you_mean(binance: FakeBinance) -> None:
    feed = CcxtFeed(["binance"], ["NKN/USDTT"], {"binance": venue_settings(binance)}, FAST)
    did_you_mean = "unknown symbol 'NKN/USDTT' on binance — did you mean 'NKN/USDT'"
    with pytest.raises(LiveSetupError, match=did_you_mean):
        await feed.prepare()


async def test_a_venue_unreachable_at_start_is_retried_until_it_answers() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = FakeBinance(speed=50.0)
    server.port = port
    feed = CcxtFeed(["binance"], ["NKN/USDT"], {"binance": venue_settings(server)}, FAST)
    unreachable = await feed.prepare()
    assert "binance" in unreachable  # nothing listens yet: noted, not fatal
    running = await start_feed(feed, prepare=False)
    service = running.service
    try:
        # The first error is prepare()'s reason, shown from the start; the second is the
        # running feed's own failed load.
        await until(lambda: len(service.of("binance", "error")) >= 2, what="the failed first load")
        assert service.state("binance") is VenueState.DOWN
        await server.start(port)
        await until(lambda: service.of("binance", "book"), what="books once the venue answers")
    finally:
        await stop_feed(running)
        await server.stop()
    assert not running.task.done() or running.task.cancelled()


def test_tuning_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        LiveTuning(backoff_initial_s=0)
