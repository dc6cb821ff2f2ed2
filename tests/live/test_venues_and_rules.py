"""Venue/symbol checks, credential refusal, ccxt market rules and back-off: no network."""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys

import pytest

from arbscope.market.ccxt_checksum import kraken_checksum
from arbscope.market.ccxt_markets import (
    DECIMAL_PLACES,
    SIGNIFICANT_DIGITS,
    TICK_SIZE,
    currency_from_ccxt,
    market_from_ccxt,
    step_from_precision,
)
from arbscope.market.ccxt_retry import Backoff
from arbscope.market.venues import (
    LiveSetupError,
    check_credentials,
    check_symbols,
    check_transport,
    check_venues,
    close_match,
    parse_venue_list,
)
from arbscope.storage.settings import VenueSettings
from tests.live.recorded import KrakenBook, kraken_message_levels, recorded

KNOWN = ("binance", "binanceus", "kraken", "krakenfutures", "okx", "coinbase")


def test_venue_near_miss_gets_a_did_you_mean() -> None:
    with pytest.raises(LiveSetupError) as raised:
        check_venues(["binance", "krakn"], KNOWN)
    assert str(raised.value).startswith("unknown venue 'krakn' — did you mean 'kraken'?")


def test_every_unknown_venue_is_named_and_a_far_miss_gets_examples() -> None:
    with pytest.raises(LiveSetupError) as raised:
        check_venues(["okz", "nosuchplace"], KNOWN)
    text = str(raised.value)
    assert "unknown venue 'okz' — did you mean 'okx'?" in text
    assert "unknown venue 'nosuchplace'" in text  # nothing close: no suggestion
    assert "'nosuchplace' — did you mean" not in text
    assert "such as binance, kraken, okx, coinbase" in text


def test_venue_list_is_trimmed_lowered_and_deduplicated() -> None:
    assert parse_venue_list(" Binance, kraken ,binance,") == ["binance", "kraken"]
    with pytest.raises(LiveSetupError, match="at least one venue"):
        parse_venue_list(" , ")


def test_close_match_ignores_case() -> None:
    assert close_match("btc/usdt", ["BTC/USDT", "ETH/USDT"]) == "BTC/USDT"
    assert close_match("zzz", ["BTC/USDT"]) is None


def test_symbols_are_checked_against_every_venue() -> None:
    listed = {"binance": {"BTC/USDT", "ETH/USDT"}, "kraken": {"BTC/USD", "ETH/USDT"}}
    # A symbol some venues lack is fine: each venue watches what it lists.
    chosen = check_symbols(["btc/usdt", "ETH/USDT", "BTC/USD"], listed)
    assert chosen == {"binance": ["BTC/USDT", "ETH/USDT"], "kraken": ["ETH/USDT", "BTC/USD"]}
    hint = "unknown symbol 'BTC/USDTT' on binance, kraken — did you mean 'BTC/USDT'"
    with pytest.raises(LiveSetupError, match=hint):
        check_symbols(["BTC/USDTT"], listed)


def test_with_a_venue_unreachable_its_symbols_are_not_refused_yet() -> None:
    listed = {"binance": {"BTC/USDT"}}  # kraken's markets could not be loaded
    assert check_symbols(["BTC/USDT", "XMR/USD"], listed, complete=False) == {
        "binance": ["BTC/USDT"]
    }
    with pytest.raises(LiveSetupError, match="unknown symbol 'XMR/USD'"):
        check_symbols(["BTC/USDT", "XMR/USD"], listed)


def test_a_venue_listing_none_of_the_symbols_cannot_work() -> None:
    listed = {"binance": {"BTC/USDT"}, "kraken": {"BTC/USD"}}
    with pytest.raises(LiveSetupError, match="kraken lists none of BTC/USDT"):
        check_symbols(["BTC/USDT"], listed)


@pytest.mark.parametrize("key", ["apiKey", "secret", "password", "uid", "privateKey",
                                 "walletAddress", "token", "api_key", "private_key"])
def test_every_credential_key_is_refused(key: str) -> None:
    with pytest.raises(LiveSetupError, match="never trades for real"):
        check_credentials("binance", {"timeout": 1000, key: "x"})
    check_credentials("binance", {"timeout": 1000, "urls": {"api": {}}})  # no credentials: fine


def test_settings_file_refuses_credentials_too() -> None:
    # The settings model refuses them when the file loads; the feed checks again for
    # settings built by other means (model_construct, snake_case keys).
    with pytest.raises(ValueError, match="apiKey"):
        VenueSettings(ccxt_options={"apiKey": "k"})


def test_transport_that_cannot_work_is_refused() -> None:
    no_websocket = r"no websocket order books in ccxt; set venues\.bitso\.transport"
    with pytest.raises(LiveSetupError, match=no_websocket):
        check_transport("bitso", "websocket", has_websocket=False, has_rest=True)
    check_transport("bitso", "auto", has_websocket=False, has_rest=True)
    with pytest.raises(LiveSetupError, match="did you mean 'rest'"):
        check_transport("binance", "rests", has_websocket=True, has_rest=True)


def test_precision_modes_become_steps() -> None:
    assert step_from_precision(0.01, TICK_SIZE) == 0.01
    assert step_from_precision(3, DECIMAL_PLACES) == 0.001  # 3 decimals -> 10**-3
    assert step_from_precision(5, SIGNIFICANT_DIGITS) is None  # no fixed increment
    assert step_from_precision(None, TICK_SIZE) is None


def test_market_rules_from_a_ccxt_market() -> None:
    ccxt_market = {
        "symbol": "ETH/BTC", "base": "ETH", "quote": "BTC", "taker": 0.001, "maker": None,
        "precision": {"price": 1e-06, "amount": 0.0001},
        "limits": {"amount": {"min": 0.0001}, "cost": {"min": 0.0001}},
    }
    market = market_from_ccxt("binance", ccxt_market, TICK_SIZE, {"maker": 0.0008})
    assert market is not None
    assert (market.taker_fee, market.maker_fee) == (0.001, 0.0008)  # maker from the schedule
    assert (market.price_tick, market.amount_step, market.min_amount, market.min_cost) == (
        1e-06, 0.0001, 0.0001, 0.0001)
    overridden = market_from_ccxt(
        "binance", ccxt_market, TICK_SIZE, None, VenueSettings(taker_fee=0.00075, maker_fee=0.0)
    )
    assert overridden is not None and (overridden.taker_fee, overridden.maker_fee) == (0.00075, 0.0)
    unknown_fee = market_from_ccxt("x", {"symbol": "A/B"}, TICK_SIZE)
    assert unknown_fee is not None and unknown_fee.taker_fee == 0.002  # never flatters a route
    assert market_from_ccxt("x", {"symbol": "not-a-pair"}, TICK_SIZE) is None


def test_currency_withdrawal_facts() -> None:
    info = currency_from_ccxt("kucoin", "USDT", {
        "active": True, "deposit": True, "withdraw": False, "fee": 1.0,
        "networks": {"TRC20": {"fee": 1.0, "deposit": True, "withdraw": False},
                     "ERC20": {"fee": 6.5, "deposit": True, "withdraw": True}},
    })
    assert (info.withdraw_fee, info.deposit, info.withdraw) == (1.0, True, False)
    assert [(n.network, n.withdraw_fee, n.withdraw) for n in info.networks] == [
        ("ERC20", 6.5, True), ("TRC20", 1.0, False)]
    unknown = currency_from_ccxt("binance", "NKN", {"id": "NKN"})
    assert not unknown.transfer_known and unknown.withdraw_fee is None


@pytest.mark.parametrize("pair", ["XMR/USD", "ETH/CHF"])
def test_kraken_checksum_reproduces_every_checksum_kraken_sent(pair: str) -> None:
    # The recorded v1 feed writes XMR/USD prices with 8 decimals and ETH/CHF with 5
    # (quantities with 8): arbscope's check, fed floats and those precisions, must give
    # Kraken's own CRC for every update.
    frames = recorded().kraken_frames[pair]
    book = KrakenBook()
    checked = 0
    for frame in frames:
        levels, expected = kraken_message_levels(frame.data)
        for side, key in (("a", "as"), ("b", "bs"), ("a", "a"), ("b", "b")):
            book.apply(side, levels.get(key, []))
        book.truncate()
        if expected is None:
            continue
        price_decimals = len(book.top("a", 1)[0][0].split(".")[1])
        asks = [(float(p), float(q)) for p, q in book.top("a", 10)]
        bids = [(float(p), float(q)) for p, q in book.top("b", 10)]
        assert kraken_checksum(asks, bids, price_decimals, 8) == int(expected)
        checked += 1
    assert checked == len(frames) - 1  # every update carried one


def test_backoff_doubles_up_to_the_cap_and_resets() -> None:
    backoff = Backoff(initial_s=1.0, max_s=10.0, jitter=0.0)
    assert [backoff.next_delay() for _ in range(6)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    backoff.reset()
    assert backoff.next_delay() == 1.0


def test_backoff_jitter_stays_within_its_spread() -> None:
    backoff = Backoff(initial_s=2.0, max_s=2.0, jitter=0.25, rng=random.Random(3))
    delays = [backoff.next_delay() for _ in range(200)]
    # 2 s spread by +-25 %: every delay in [1.5, 2.5], and they differ (no lockstep).
    assert all(1.5 <= d <= 2.5 for d in delays) and len(set(delays)) > 100


async def test_retries_wait_the_back_off_with_an_injected_sleep() -> None:
    from arbscope.market.ccxt_feed import CcxtFeed, LiveTuning
    from tests.live.conftest import TracingService

    waits: list[float] = []
    clock = [1000.0]

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += seconds
        if len(waits) == 4:
            raise asyncio.CancelledError  # enough: stop the feed here

    # Nothing listens on port 9: every market load fails at once.
    dead = {"urls": {"api": {"public": "http://127.0.0.1:9/api/v3"}}, "timeout": 500}
    tuning = LiveTuning(backoff_initial_s=1.0, backoff_max_s=4.0, backoff_jitter=0.0)
    settings = {"binance": VenueSettings(ccxt_options=dead, transport="rest")}
    feed = CcxtFeed(
        ["binance"], ["BTC/USDT"], settings, tuning, clock=lambda: clock[0], sleep=fake_sleep
    )
    service = TracingService([feed])
    with pytest.raises(asyncio.CancelledError):
        await feed.run(service)
    assert waits == [1.0, 2.0, 4.0, 4.0]
    # Each error says when the next try is: the clock at the error plus the wait.
    health = service.health()["binance"]
    assert health.errors == 4 and health.next_retry_ts == 1000.0 + 1 + 2 + 4 + 4
    assert "ExchangeNotAvailable" in (health.last_error or "")


def test_sim_and_replay_never_import_ccxt(tmp_path: object) -> None:
    code = (
        "import json, sys\n"
        "from arbscope.cli import run\n"
        "import arbscope.market, arbscope.market.ccxt_feed, arbscope.market.venues\n"
        "status = run(['scan', '--sim', '--duration', '0.2', '--json'])\n"
        "print(json.dumps([status, sorted(m for m in sys.modules if m.split('.')[0] == 'ccxt')]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    status, loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert status == 0 and loaded == []
