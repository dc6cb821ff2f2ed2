"""Book checksums ccxt does not check: Kraken's CRC32 over the top ten levels.

ccxt 4.5 ships Kraken's websocket checksum switched off (its check formats
floats without the pair's precision and failed on good books, ccxt issue
24461), which leaves a Kraken book with no guard against a lost update. Kraken
computes the checksum over price and quantity written with the pair's
precision (Kraken's "Book checksum (WebSocket v2)" guide), which ccxt's
markets carry, so arbscope checks it itself: a tap on the exchange's message
handler remembers the checksum each book message carried, and the feed
compares it with the book ccxt hands over.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from arbscope.market.ccxt_markets import decimals_of


def _digits(value: float, decimals: int) -> str:
    # Kraken: write with the pair's precision, drop the point, drop leading zeros.
    return f"{value:.{decimals}f}".replace(".", "").lstrip("0")


def kraken_checksum(
    asks: Sequence[Sequence[float]],
    bids: Sequence[Sequence[float]],
    price_decimals: int,
    amount_decimals: int,
) -> int:
    """CRC32 of the top ten asks (lowest first) then the top ten bids (highest first)."""
    parts = [
        _digits(level[0], price_decimals) + _digits(level[1], amount_decimals)
        for side in (asks, bids)
        for level in side[:10]
    ]
    return zlib.crc32("".join(parts).encode())


class KrakenChecksums:
    """Remembers the checksum of each Kraken book message and checks ccxt's book against it."""

    def __init__(self, markets: Mapping[str, Mapping[str, Any]]) -> None:
        self._decimals: dict[str, tuple[int, int]] = {}
        for symbol, market in markets.items():
            precision = market.get("precision") or {}
            price, amount = precision.get("price"), precision.get("amount")
            if isinstance(price, int | float) and isinstance(amount, int | float):
                self._decimals[symbol] = (decimals_of(float(price)), decimals_of(float(amount)))
        self.expected: dict[str, int] = {}
        """Symbol -> checksum carried by the newest book message."""

    def install(self, exchange: Any) -> None:
        """Wrap the exchange's message handler (before it opens a connection)."""
        handle: Callable[[Any, Any], Any] = exchange.handle_message
        expected = self.expected

        def tapped(client: Any, message: Any) -> Any:
            if isinstance(message, dict) and message.get("channel") == "book":
                for item in message.get("data") or ():
                    if isinstance(item, dict) and isinstance(item.get("checksum"), int):
                        expected[str(item.get("symbol"))] = item["checksum"]
            return handle(client, message)

        # ccxt passes `exchange.handle_message` to each websocket client it creates.
        exchange.handle_message = tapped

    def problem(self, symbol: str, book: Mapping[str, Any]) -> str | None:
        """Why ccxt's book for `symbol` disagrees with the venue's checksum, None if it agrees."""
        want = self.expected.get(symbol)
        decimals = self._decimals.get(symbol)
        if want is None or decimals is None:
            return None
        got = kraken_checksum(book["asks"], book["bids"], *decimals)
        if got == want:
            return None
        return f"{symbol}: book checksum {got} differs from the venue's {want} (an update was lost)"


def checksum_for(venue: str, markets: Mapping[str, Mapping[str, Any]]) -> KrakenChecksums | None:
    """The extra checksum check a venue needs, None when ccxt's own checks suffice."""
    return KrakenChecksums(markets) if venue == "kraken" else None
