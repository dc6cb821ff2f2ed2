"""Every spelling of a credential is refused, by the settings file and by the feed, and no
secret ever reaches a venue (the fake Binance records every request it gets)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from arbscope.cli import run
from arbscope.market.ccxt_feed import CcxtFeed, LiveSetupError
from arbscope.market.venues import check_credentials
from arbscope.storage import paths
from arbscope.storage.credentials import REQUIRED_CREDENTIALS, ccxt_attribute_name
from arbscope.storage.settings import VenueSettings, load_settings
from tests.live.conftest import FAST, start_feed, stop_feed, until, venue_settings
from tests.live.fake_exchange import FakeBinance

SECRET = "SECRET-4f9a"
"""The value every refused option carries: it must never reach a server."""

# Spellings ccxt's constructor turns into the credential itself (it camel-cases every
# name with an inner underscore: api__key -> api + "" + Key).
CCXT_SPELLINGS = {
    "apiKey": "apiKey",
    "api_key": "apiKey",
    "api_Key": "apiKey",
    "api__key": "apiKey",
    "secret": "secret",
    "uid": "uid",
    "accountId": "accountId",
    "account_id": "accountId",
    "login": "login",
    "password": "password",
    "twofa": "twofa",
    "privateKey": "privateKey",
    "private_key": "privateKey",
    "private_Key": "privateKey",
    "walletAddress": "walletAddress",
    "wallet_address": "walletAddress",
    "wallet_Address": "walletAddress",
    "token": "token",
}

# Where else a secret could hide: other spellings, exchange options, headers.
OTHER_PLACES: list[tuple[str, ...]] = [
    ("API_KEY",),
    ("Api-Key",),
    ("PrivateKey",),
    ("options", "privateKey"),
    ("options", "apiKey"),
    ("options", "sessionToken"),
    ("options", "passphrase"),
    ("options", "ws", "options", "headers", "X-MBX-APIKEY"),
    ("headers", "KC-API-KEY"),
    ("headers", "X-MBX-APIKEY"),
    ("headers", "Authorization"),
    ("headers", "Cookie"),
    ("userAgent", "X-API-KEY"),
]
EVERY_PLACE = [(name,) for name in CCXT_SPELLINGS] + OTHER_PLACES


def nested(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    out: Any = value
    for part in reversed(path):
        out = {part: out}
    assert isinstance(out, dict)
    return out


def test_the_list_is_ccxts_own() -> None:
    import ccxt

    assert set(ccxt.Exchange.requiredCredentials) <= set(REQUIRED_CREDENTIALS)


@pytest.mark.parametrize(("spelling", "credential"), sorted(CCXT_SPELLINGS.items()))
def test_each_spelling_really_is_a_ccxt_credential(spelling: str, credential: str) -> None:
    import ccxt

    # What the refusal guards against: ccxt takes the spelling as the credential itself.
    exchange = ccxt.hyperliquid({spelling: SECRET})
    assert getattr(exchange, credential) == SECRET
    assert ccxt_attribute_name(spelling) == credential


@pytest.mark.parametrize("path", EVERY_PLACE, ids=".".join)
def test_every_spelling_is_refused_by_settings_and_feed(path: tuple[str, ...]) -> None:
    options = {"timeout": 1000, **nested(path, SECRET)}
    with pytest.raises(ValidationError) as raised:
        VenueSettings(ccxt_options=options)
    (error,) = raised.value.errors()
    # The error sits on the key itself, so the file's problem points at its line.
    assert error["loc"] == ("ccxt_options", *path)
    assert SECRET not in str(raised.value)  # a secret is never echoed back
    with pytest.raises(LiveSetupError, match="never trades for real") as refused:
        check_credentials("binance", options)
    assert f"venues.binance.ccxt_options.{'.'.join(path)}:" in str(refused.value)


def test_harmless_options_and_headers_pass() -> None:
    options = {
        "timeout": 1000,
        "rateLimit": 50,
        "headers": {"User-Agent": "arbscope", "accept-language": "en"},
        "options": {"fetchMarkets": {"types": ["spot"]}, "defaultType": "spot"},
        "urls": {"api": {"public": "http://127.0.0.1:1/api"}},
        "httpProxy": "http://me:proxypass@127.0.0.1:3128",  # the proxy's login, not the venue's
    }
    check_credentials("binance", options)
    assert VenueSettings(ccxt_options=options).ccxt_options == options


def test_a_url_with_a_login_is_refused() -> None:
    options = {"urls": {"api": {"public": f"http://user:{SECRET}@127.0.0.1:1/api"}}}
    with pytest.raises(LiveSetupError, match=r"urls\.api\.public: this URL carries a user name"):
        check_credentials("binance", options)


def test_config_check_names_each_key_and_its_line(capsys: pytest.CaptureFixture[str]) -> None:
    text = (
        "[venues.hyperliquid]\n"                           # 1
        'transport = "rest"\n'                             # 2
        "[venues.hyperliquid.ccxt_options]\n"              # 3
        "timeout = 1000\n"                                 # 4
        f'private_Key = "{SECRET}"\n'                      # 5: ccxt reads it as privateKey
        f'wallet_Address = "{SECRET}"\n'                   # 6: ... and walletAddress
        "[venues.kucoin.ccxt_options]\n"                   # 7
        f'headers = {{ "KC-API-KEY" = "{SECRET}" }}\n'     # 8: sent with every request
    )
    paths.settings_file().parent.mkdir(parents=True)
    paths.settings_file().write_text(text)
    by_line = {p.line: p.message for p in load_settings().problems}
    assert set(by_line) == {5, 6, 8}
    assert by_line[5].startswith(
        "venues.hyperliquid.ccxt_options.private_Key: ccxt reads 'private_Key' as its "
        "credential 'privateKey'"
    )
    assert "'wallet_Address' as its credential 'walletAddress'" in by_line[6]
    assert by_line[8].startswith(
        "venues.kucoin.ccxt_options.headers.KC-API-KEY: the header 'KC-API-KEY' would be sent"
    )
    assert "User-Agent" in by_line[8]
    status = run(["config", "check"])
    _, err = capsys.readouterr()
    assert status == 2
    assert f"{paths.settings_file()}, line 5: venues.hyperliquid.ccxt_options.private_Key" in err
    assert SECRET not in err


@pytest.mark.parametrize("path", EVERY_PLACE, ids=".".join)
async def test_the_feed_refuses_before_any_request(
    binance: FakeBinance, path: tuple[str, ...]
) -> None:
    options = {**binance.ccxt_options(), **nested(path, SECRET)}
    # Settings built around the file's check (model_construct) meet the feed's own.
    settings = {"binance": VenueSettings.model_construct(ccxt_options=options)}
    with pytest.raises(LiveSetupError, match="never trades for real"):
        CcxtFeed(["binance"], ["NKN/USDT"], settings, FAST)
    assert binance.seen == []


@pytest.mark.parametrize("spelling", sorted(CCXT_SPELLINGS))
async def test_a_credential_past_both_checks_still_never_reaches_the_venue(
    binance: FakeBinance, spelling: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Should both option checks ever miss a spelling, the exchange ccxt built is
    # inspected before it is used: it holds a credential, so it sends nothing.
    monkeypatch.setattr("arbscope.market.ccxt_feed.check_credentials", lambda *_: None)
    options = {**binance.ccxt_options(), spelling: SECRET}
    settings = {"binance": VenueSettings.model_construct(ccxt_options=options)}
    running = await start_feed(CcxtFeed(["binance"], ["NKN/USDT"], settings, FAST), False)
    try:
        await until(lambda: running.service.of("binance", "error"), what="the refusal")
    finally:
        await stop_feed(running)
    error = running.service.of("binance", "error")[0].detail
    assert "CredentialsRefused" in error and CCXT_SPELLINGS[spelling] in error
    assert binance.seen == []


async def test_allowed_headers_reach_the_venue(
    binance: FakeBinance,
) -> None:
    options = {**binance.ccxt_options(), "headers": {"Accept-Language": "x-arbscope"}}
    settings = {"binance": venue_settings(binance, ccxt_options=options)}
    running = await start_feed(CcxtFeed(["binance"], ["NKN/USDT"], settings, FAST))
    try:
        await until(lambda: running.service.of("binance", "book"), what="a book")
    finally:
        await stop_feed(running)
    # The recorder sees the header that was allowed: the empty records above are real.
    assert any("Accept-Language: x-arbscope" in request for request in binance.seen)
