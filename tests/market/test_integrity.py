"""Each venue's integrity method, as ccxt and arbscope apply it, and the gaps venue health
counts (resyncs per hour, the last gap), with time driven by an injected clock."""

from __future__ import annotations

import ccxt.pro
import pytest

from arbscope.market.base import FeedGap
from arbscope.market.ccxt_integrity import integrity_method
from arbscope.market.service import MarketService
from arbscope.models import IntegrityMethod
from tests.market.test_service import FakeClock, ScriptedFeed


@pytest.mark.parametrize(
    ("venue", "method"),
    [
        ("binance", IntegrityMethod.SEQUENCE),  # each diff's U follows the last u
        ("binanceus", IntegrityMethod.SEQUENCE),  # built on binance's class
        ("gate", IntegrityMethod.SEQUENCE),
        ("okx", IntegrityMethod.SEQUENCE),  # prevSeqId; ccxt never checks OKX's checksum
        ("kraken", IntegrityMethod.CHECKSUM),  # arbscope's own CRC32 (ccxt's is off)
        ("bitfinex", IntegrityMethod.CHECKSUM),  # ccxt's CRC32
        ("kucoin", IntegrityMethod.NONE),  # sequences only line the snapshot up
        ("bybit", IntegrityMethod.NONE),
        ("coinbase", IntegrityMethod.NONE),
    ],
)
def test_the_websocket_integrity_method_of_each_venue(
    venue: str, method: IntegrityMethod
) -> None:
    assert integrity_method(getattr(ccxt.pro, venue)(), websocket=True) is method


def test_rest_polling_is_snapshots_only_and_a_switched_off_check_is_none() -> None:
    assert integrity_method(ccxt.pro.okx(), websocket=False) is IntegrityMethod.SNAPSHOTS
    switched_off = ccxt.pro.binance({"options": {"watchOrderBook": {"checksum": False}}})
    assert integrity_method(switched_off, websocket=True) is IntegrityMethod.NONE
    # Kraken's check is arbscope's: ccxt's option does not turn it off.
    kraken = ccxt.pro.kraken({"options": {"watchOrderBook": {"checksum": False}}})
    assert integrity_method(kraken, websocket=True) is IntegrityMethod.CHECKSUM


def test_resyncs_per_hour_count_the_gaps_of_the_last_hour() -> None:
    clock = FakeClock(10_000.0)
    service = MarketService([ScriptedFeed("alpha")], clock=clock)
    service.report_gap(FeedGap("resync", "alpha", 10_000.0, "BTC/USDT", "sequence gap"))
    service.report_gap(FeedGap("disconnect", "alpha", 11_800.0, reason="connection reset"))
    service.report_gap(FeedGap("resync", "alpha", 13_500.0, "ETH/USDT", "checksum"))
    clock.now = 13_599.0
    health = service.health()["alpha"]
    assert health.resyncs_last_hour == 3  # 10000, 11800 and 13500 are all after 9999
    assert health.last_gap_ts == 13_500.0
    assert health.last_gap == "resync ETH/USDT: checksum"
    clock.now = 13_600.0  # 10000 is now exactly an hour ago: out of the window
    assert service.health()["alpha"].resyncs_last_hour == 2
    clock.now = 17_200.0  # 3600 s after the last one
    health = service.health()["alpha"]
    assert health.resyncs_last_hour == 0
    assert health.last_gap == "resync ETH/USDT: checksum"  # the last gap stays shown


def test_the_integrity_method_a_feed_declares_is_in_venue_health() -> None:
    service = MarketService([ScriptedFeed("alpha")], clock=FakeClock())
    assert service.health()["alpha"].integrity is None  # not said (sim, replay)
    service.set_integrity("alpha", IntegrityMethod.SEQUENCE)
    assert service.health()["alpha"].integrity is IntegrityMethod.SEQUENCE
