"""The live feed's currency facts become the risk checklist's transfer facts."""

from __future__ import annotations

from arbscope.engine.config import EngineConfig
from arbscope.market.base import TransferSource
from arbscope.market.ccxt_feed import CcxtFeed
from arbscope.market.ccxt_markets import CurrencyInfo, NetworkInfo, currency_from_ccxt
from arbscope.market.scanner import Scanner
from arbscope.market.sim import SimFeed
from arbscope.market.transfers import transfer_from_currency
from arbscope.models import TransferInfo


def test_cheapest_open_network_fee_and_flags() -> None:
    info = CurrencyInfo(
        venue="kraken",
        code="USDT",
        networks=(
            # Cheapest of all, but closed for withdrawal: not a way out.
            NetworkInfo(network="TRC20", withdraw_fee=0.5, deposit=True, withdraw=False),
            NetworkInfo(network="ERC20", withdraw_fee=4.0, deposit=False, withdraw=True),
            NetworkInfo(network="SOL", withdraw_fee=1.0, deposit=False, withdraw=None),
        ),
    )
    assert transfer_from_currency(info) == TransferInfo(
        venue="kraken", asset="USDT", withdraw_fee=1.0, can_withdraw=True, can_deposit=True
    )


def test_every_network_closed_means_closed_and_silence_means_unknown() -> None:
    closed = CurrencyInfo(
        venue="okx",
        code="BTC",
        withdraw_fee=0.0002,
        networks=(
            NetworkInfo(network="BTC", withdraw_fee=0.0002, deposit=False, withdraw=False),
            NetworkInfo(network="LN", withdraw_fee=0.00001, deposit=False, withdraw=False),
        ),
    )
    fact = transfer_from_currency(closed)
    assert (fact.can_withdraw, fact.can_deposit) == (False, False)
    # No open network: the currency's own fee is all there is.
    assert fact.withdraw_fee == 0.0002
    silent = transfer_from_currency(CurrencyInfo(venue="okx", code="ETH"))
    assert silent == TransferInfo("okx", "ETH", None, None, None)


def test_currency_level_flags_from_a_ccxt_structure_without_networks() -> None:
    raw = {"fee": 0.0005, "withdraw": False, "deposit": True}
    info = currency_from_ccxt("bitstamp", "BTC", raw)
    assert transfer_from_currency(info) == TransferInfo("bitstamp", "BTC", 0.0005, False, True)


def test_the_live_feeds_transfers_travel_in_every_snapshot() -> None:
    class FakeLive(CcxtFeed):
        def __init__(self) -> None:  # no venues, no network
            self._venues = {}

        def currencies(self) -> dict[tuple[str, str], CurrencyInfo]:
            return {("binance", "BTC"): CurrencyInfo(venue="binance", code="BTC", withdraw=False)}

    live = FakeLive()
    assert isinstance(live, TransferSource)
    assert not isinstance(SimFeed(seed=3), TransferSource)
    scanner = Scanner([SimFeed(seed=3), live], EngineConfig(), clock=lambda: 1000.0)
    expected = {("binance", "BTC"): TransferInfo("binance", "BTC", None, False, None)}
    assert scanner.step().transfers == expected


def test_a_market_without_a_live_feed_says_nothing_about_transfers() -> None:
    scanner = Scanner([SimFeed(seed=3)], EngineConfig(), clock=lambda: 1000.0)
    assert scanner.step().transfers == {}
