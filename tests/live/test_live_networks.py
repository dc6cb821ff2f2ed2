"""Networks a venue publishes for its currencies (KuCoin's public `/api/v3/currencies`,
through ccxt) reach the markets, and keep one ticker on two venues apart when they share
no network for it."""

from __future__ import annotations

from typing import Any

from arbscope.engine.calculator import OpportunityCalculator
from arbscope.engine.config import EngineConfig
from arbscope.market.ccxt_feed import CcxtFeed
from arbscope.models import AssetNetwork, Market, OrderBook
from tests.live.conftest import FAST, venue_settings
from tests.live.fake_kucoin import FakeKuCoin

T0 = 1_732_400_000.0
TOKEN = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
"""The contract of the token KuCoin lists as "ETH" in this test (mixed case, as served)."""


def chain(name: str, chain_id: str, contract: str = "") -> dict[str, Any]:
    """One entry of a KuCoin currency's `chains`, in the venue's wire format."""
    return {
        "chainName": name, "chainId": chain_id, "withdrawalMinSize": "0.001",
        "depositMinSize": None, "withdrawFeeRate": "0", "withdrawalMinFee": "0.0005",
        "isWithdrawEnabled": True, "isDepositEnabled": True, "confirms": 3,
        "preConfirms": 1, "withdrawPrecision": 8, "maxWithdraw": None, "maxDeposit": None,
        "needTag": False, "contractAddress": contract,
    }


def other(venue: str, symbol: str, *networks: AssetNetwork) -> Market:
    base, quote = symbol.split("/")
    return Market(venue=venue, symbol=symbol, base=base, quote=quote, taker_fee=0.001,
                  base_networks=networks)


def book(venue: str, symbol: str, bid: float, ask: float) -> OrderBook:
    return OrderBook(venue=venue, symbol=symbol, ts=T0, bids=((bid, 1.0),), asks=((ask, 1.0),))


async def test_published_chains_reach_the_markets_and_two_contracts_are_not_paired(
    kucoin: FakeKuCoin,
) -> None:
    kucoin.chains = {
        "BTC": [chain("BTC", "btc")],
        "ETH": [chain("ERC20", "eth", TOKEN)],
        "USDT": [chain("ERC20", "eth", "0xdAC17F958D2ee523a2206206994597C13D831ec7"),
                 chain("TRC20", "trx", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")],
    }
    feed = CcxtFeed(["kucoin"], ["BTC/USDT", "ETH/USDT"], {"kucoin": venue_settings(kucoin)},
                    FAST)
    await feed.prepare()
    assert kucoin.requests["currencies"] >= 1
    found = {m.symbol: m for m in feed.markets()}
    # ccxt names the chains by its unified codes; contracts are kept in lower case.
    assert found["BTC/USDT"].base_networks == (AssetNetwork(network="BTC"),)
    assert found["ETH/USDT"].base_networks == (
        AssetNetwork(network="ERC20", contract=TOKEN.lower()),
    )

    markets = [
        *found.values(),
        other("beta", "BTC/USDT", AssetNetwork(network="BTC")),
        # beta's ETH is another token on the same network: a different contract.
        other("beta", "ETH/USDT",
              AssetNetwork(network="ERC20", contract="0x2170ed0880ac9a755fd29b2688956bd959f933f8")),
        other("gamma", "ETH/USDT"),  # publishes no networks: paired as before
    ]
    calc = OpportunityCalculator(EngineConfig(), markets)
    # kucoin asks 100 for both while beta and gamma bid 110: every pairing would pay.
    calc.update([
        book("kucoin", "BTC/USDT", 99.0, 100.0), book("beta", "BTC/USDT", 110.0, 111.0),
        book("kucoin", "ETH/USDT", 99.0, 100.0), book("beta", "ETH/USDT", 110.0, 111.0),
        book("gamma", "ETH/USDT", 110.0, 111.0),
    ], T0)
    opened = {o.route_id for o in calc.opportunities(T0) if o.kind.value == "spatial"}
    assert opened == {
        "spatial:BTC/USDT:kucoin>beta",
        "spatial:ETH/USDT:kucoin>gamma",
    }


async def test_a_venue_without_chains_keeps_todays_pairing(kucoin: FakeKuCoin) -> None:
    feed = CcxtFeed(["kucoin"], ["BTC/USDT"], {"kucoin": venue_settings(kucoin)}, FAST)
    await feed.prepare()
    [market] = feed.markets()
    assert market.base_networks == ()
    calc = OpportunityCalculator(
        EngineConfig(), [market, other("beta", "BTC/USDT", AssetNetwork(network="LN"))]
    )
    assert calc.route_counts()["spatial"] == 2
