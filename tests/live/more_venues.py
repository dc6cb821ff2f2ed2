"""The OKX, Bybit and Coinbase fakes as the tests use them: how to start each, its
symbols and market ids, and which REST route serves its books."""

from __future__ import annotations

from dataclasses import dataclass

from tests.live.fake_bybit import FakeBybit
from tests.live.fake_coinbase import FakeCoinbase
from tests.live.fake_okx import FakeOKX
from tests.live.fake_streaming import StreamingFake


@dataclass(frozen=True)
class Venue:
    name: str
    make: type[StreamingFake]
    symbols: dict[str, str]
    """Unified symbol: the venue's market id."""
    book_route: str
    """The route name the fake counts REST book requests under (for `fail`)."""


VENUES = [
    Venue("okx", FakeOKX, {"BTC/USDT": "BTC-USDT", "ETH/BTC": "ETH-BTC"}, "books"),
    Venue("bybit", FakeBybit, {"BTC/USDT": "BTCUSDT"}, "orderbook"),
    Venue("coinbase", FakeCoinbase, {"BTC/USDT": "BTC-USDT"}, "product_book"),
]
