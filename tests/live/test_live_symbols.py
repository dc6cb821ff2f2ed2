"""One failing symbol never starves its venue; Retry-After; the websocket after a cool-down;
no websocket to a host the settings did not name."""

from __future__ import annotations

import asyncio
import math
import re
import time

import pytest

from arbscope.market.ccxt_feed import CcxtFeed, LiveSetupError
from arbscope.market.ccxt_guard import UnnamedHost, guard_hosts
from arbscope.market.ccxt_retry import Backoff, retry_after_seconds
from arbscope.models import VenueState
from tests.live.conftest import FAST, start_feed, stop_feed, until, venue_settings
from tests.live.fake_exchange import FakeBinance, Fault

HEALTHY, DELISTED = "NKN/USDT", "BLZ/ETH"


@pytest.mark.parametrize("transport", ["rest", "websocket"])
@pytest.mark.parametrize("order", [(DELISTED, HEALTHY), (HEALTHY, DELISTED)])
async def test_a_delisted_symbol_leaves_the_venue_live_for_the_others(
    binance: FakeBinance, transport: str, order: tuple[str, str]
) -> None:
    binance.loop = True  # the healthy symbol streams for the whole test
    binance.delisted.add("BLZETH")
    settings = {"binance": venue_settings(binance, transport=transport)}
    running = await start_feed(CcxtFeed(["binance"], list(order), settings, FAST))
    service = running.service
    try:
        await until(lambda: service.of("binance", "error"), what="the delisted symbol's error")
        failed_at = service.of("binance", "error")[0].at
        # Books of the healthy symbol keep coming after the other one failed ...
        await until(
            lambda: len(service.of("binance", "book", after=failed_at)) >= 3,
            what="healthy books after the failure",
        )
        # ... while the delisted one is retried on its own back-off.
        await until(
            lambda: binance.requests["depth BLZETH 404"] >= 2, what="the symbol retried"
        )
        health = service.health()["binance"]
        assert health.state is VenueState.LIVE
        assert health.down_symbols == (DELISTED,)
    finally:
        await stop_feed(running)
    errors = [e.detail for e in service.of("binance", "error")]
    assert errors and all(e.startswith(f"{DELISTED}: ") for e in errors), errors
    assert "the other symbols stay live" in errors[0]
    # The venue was never declared down, and only the healthy symbol has a book.
    assert "down" not in [e.detail for e in service.of("binance", "state")]
    assert {e.detail for e in service.of("binance", "book")} == {HEALTHY}


async def test_a_symbol_that_comes_back_is_live_again(binance: FakeBinance) -> None:
    binance.delisted.add("BLZETH")
    settings = {"binance": venue_settings(binance, transport="rest")}
    running = await start_feed(CcxtFeed(["binance"], [DELISTED, HEALTHY], settings, FAST))
    service = running.service
    try:
        await until(lambda: service.health()["binance"].down_symbols == (DELISTED,), what="down")
        binance.delisted.clear()
        await until(lambda: ("binance", DELISTED) in service.books, what="its book once back")
        assert service.health()["binance"].down_symbols == ()
    finally:
        await stop_feed(running)


async def test_every_symbol_down_is_a_venue_failure_naming_the_symbol(
    binance: FakeBinance,
) -> None:
    binance.delisted.update({"BLZETH", "NKNUSDT"})
    settings = {"binance": venue_settings(binance, transport="rest")}
    running = await start_feed(CcxtFeed(["binance"], [DELISTED, HEALTHY], settings, FAST))
    service = running.service
    try:
        await until(lambda: service.of("binance", "state") and service.state("binance")
                    is VenueState.DOWN, what="the venue down")
    finally:
        await stop_feed(running)
    last = service.of("binance", "error")[-1].detail
    # The first symbol's failure leaves the other live; the second's takes the venue down.
    assert last.startswith(f"{HEALTHY}: ") and service.health()["binance"].next_retry_ts


def test_retry_after_is_a_floor_over_the_own_schedule() -> None:
    backoff = Backoff(1.0, 60.0, 0.0)
    assert backoff.next_delay(at_least=0.5) == 1.0  # own schedule: 1 s is the lower bound
    assert backoff.next_delay(at_least=30.0) == 30.0  # 2 s by schedule, the venue asks 30
    assert backoff.next_delay() == 4.0  # the schedule goes on: 1, 2, 4
    # An HTTP date 12 s after now: 07:28:00 - 07:27:48.
    when = "Wed, 21 Oct 2015 07:28:00 GMT"
    now = 1445412468.0  # 2015-10-21 07:27:48 UTC
    assert retry_after_seconds(when, now) == 12.0
    assert retry_after_seconds("30", now) == 30.0
    assert retry_after_seconds("soon", now) is None and retry_after_seconds(None, now) is None


async def test_a_429_with_retry_after_is_honoured(binance: FakeBinance) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)  # the back-off, recorded instead of waited
        await asyncio.sleep(0)

    binance.retry_after = "30"
    binance.fail("depth", Fault.RATE_LIMITED)
    settings = {"binance": venue_settings(binance, transport="rest")}
    feed = CcxtFeed(["binance"], [HEALTHY], settings, FAST, sleep=sleep)
    running = await start_feed(feed)
    service = running.service
    try:
        await until(lambda: service.of("binance", "book"), what="books after the wait")
    finally:
        await stop_feed(running)
    # FAST's own schedule starts at 0.05 s; the venue asked for 30 s, so 30 s it is.
    assert waits == [30.0]
    (error,) = service.of("binance", "error")
    assert "429" in error.detail and "the venue asked to wait 30 s" in error.detail


async def test_auto_returns_to_the_websocket_after_its_cool_down(binance: FakeBinance) -> None:
    offset = [0.0]

    def clock() -> float:
        return time.time() + offset[0]

    started = time.time()
    binance.loop = True
    binance.refuse_websockets = True  # a proxy that does not pass websockets, for now
    settings = {"binance": venue_settings(binance, transport="auto", websocket_retry_s=300)}
    feed = CcxtFeed(["binance"], [HEALTHY], settings, FAST, clock=clock)
    running = await start_feed(feed, clock=clock)
    service = running.service
    try:
        await until(lambda: service.of("binance", "book"), what="books by REST polling")
        assert feed.transports() == {"binance": "rest (fallback)"}
        assert binance.ws_refused == 3 and binance.ws_connections == 0
        binance.refuse_websockets = False
        offset[0] += 300.0  # the cool-down passes
        await until(lambda: binance.ws_connections == 1, what="the websocket tried again")
        back_at = time.monotonic()
        await until(lambda: service.of("binance", "book", after=back_at), what="websocket books")
    finally:
        await stop_feed(running)
    errors = [e.detail for e in service.of("binance", "error")]
    assert "falling back to REST polling; the websocket is tried again in 300 s" in errors[2]
    # The venue's clock is real time + 300 s: the measured wait is the cool-down plus however
    # long this (possibly loaded) machine took between the fallback and the next poll.
    again = re.match(r"trying the websocket again after (\d+) s of REST polling", errors[3])
    assert again is not None, errors[3]
    assert 300 <= int(again.group(1)) <= 300 + math.ceil(time.time() - started) + 1
    assert feed.transports() == {"binance": "websocket"}


async def test_redirected_rest_without_a_websocket_url_polls_rest_and_says_why(
    binance: FakeBinance,
) -> None:
    options = {"urls": {"api": {"public": f"{binance.http}/api/v3"}}, "timeout": 1500}
    settings = {"binance": venue_settings(binance, ccxt_options=options)}
    feed = CcxtFeed(["binance"], [HEALTHY], settings, FAST)
    running = await start_feed(feed)
    try:
        await until(lambda: running.service.of("binance", "book"), what="books by REST")
    finally:
        await stop_feed(running)
    assert feed.transports() == {"binance": "rest (no websocket URL)"}
    (note,) = [e.detail for e in running.service.of("binance", "error")]
    assert "redirects REST but gives no websocket URL" in note and note == feed.notes()["binance"]
    assert binance.ws_connections == 0
    # Asked for the websocket outright, it cannot work without reaching the real host.
    websocket = {"binance": venue_settings(binance, ccxt_options=options, transport="websocket")}
    with pytest.raises(LiveSetupError, match="gives no websocket URL, so ccxt would stream"):
        CcxtFeed(["binance"], [HEALTHY], websocket, FAST)


async def test_a_websocket_to_a_host_nobody_named_is_refused(binance: FakeBinance) -> None:
    # A websocket URL is given, but not where ccxt looks for spot: spot still names
    # Binance's own host, which must never be contacted.
    options = {
        "urls": {"api": {"public": f"{binance.http}/api/v3", "ws": {"future": f"{binance.ws}/x"}}},
        "timeout": 1500,
    }
    settings = {"binance": venue_settings(binance, ccxt_options=options, transport="auto")}
    feed = CcxtFeed(["binance"], [HEALTHY], settings, FAST)
    running = await start_feed(feed)
    try:
        await until(lambda: running.service.of("binance", "book"), what="books by REST")
    finally:
        await stop_feed(running)
    errors = [e.detail for e in running.service.of("binance", "error")]
    assert "UnnamedHost" in errors[0] and "stream.binance.com" in errors[0]
    assert "settings do not name (they name 127.0.0.1)" in errors[0]
    assert feed.transports() == {"binance": "rest (fallback)"}


async def test_the_host_guard_refuses_before_connecting() -> None:
    import ccxt.pro

    exchange = ccxt.pro.binance()
    try:
        guard_hosts(exchange, frozenset({"127.0.0.1"}))
        with pytest.raises(UnnamedHost, match=r"stream\.binance\.com"):
            exchange.client("wss://stream.binance.com:9443/ws")
        assert exchange.clients == {}  # no client, so no connection, was made
        assert exchange.client("ws://127.0.0.1:1/ws").url == "ws://127.0.0.1:1/ws"
    finally:
        await exchange.close()


def test_the_readme_example_streams_only_from_the_hosts_it_names() -> None:
    import re
    import tomllib
    from pathlib import Path

    from arbscope.market.venues import named_hosts, websocket_host_problem
    from arbscope.storage.settings import Settings

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = re.search(r"```toml\n(\[venues\.binance\].*?)```", readme, re.S)
    assert block is not None
    settings = Settings.model_validate(tomllib.loads(block.group(1)))
    options = settings.venue("binance").ccxt_options
    assert named_hosts(options) == {"127.0.0.1"}
    assert websocket_host_problem("binance", options) is None  # it names the websocket too
    without_ws = {"urls": {"api": {"public": options["urls"]["api"]["public"]}}}
    assert websocket_host_problem("binance", without_ws) is not None
