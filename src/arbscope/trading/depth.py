"""Depth the user's own paper fills have taken, until the book next updates.

A paper fill does not change the venue's book, so without this ledger a
second confirmation a moment later would take the same liquidity again. Each
(venue, symbol) remembers the receive time of the book it was taken from; when
a newer book arrives, the venue has had its say and what was taken is
forgotten.
"""

from __future__ import annotations

from collections.abc import Iterable

from arbscope.models import BookKey, Level, OrderBook, Side

_EPS = 1e-12


class DepthLedger:
    """Consumed size per (book key, book ts, side taken, price level)."""

    def __init__(self) -> None:
        self._taken: dict[BookKey, tuple[float, dict[tuple[Side, float], float]]] = {}

    def copy(self) -> DepthLedger:
        """An independent copy (the broker works on one until the trade log commits)."""
        other = DepthLedger()
        other._taken = {key: (ts, dict(taken)) for key, (ts, taken) in self._taken.items()}
        return other

    def _current(self, book: OrderBook) -> dict[tuple[Side, float], float] | None:
        entry = self._taken.get(book.key)
        if entry is None:
            return None
        ts, taken = entry
        if ts != book.ts:
            # A different book (newer, or a replay rewinding): its depth is the venue's word.
            del self._taken[book.key]
            return None
        return taken

    def levels(self, book: OrderBook, taker_side: Side) -> tuple[Level, ...]:
        """The side a taker order hits (asks for a buy, bids for a sell), minus what we took."""
        levels = book.asks if taker_side is Side.BUY else book.bids
        taken = self._current(book)
        if not taken:
            return levels
        left: list[Level] = []
        for price, size in levels:
            remaining = size - taken.get((taker_side, price), 0.0)
            if remaining > _EPS * max(1.0, size):
                left.append((price, remaining))
        return tuple(left)

    def take(self, book: OrderBook, taker_side: Side, fills: Iterable[tuple[float, float]]) -> None:
        """Remember (price, amount) fills taken from `book` on `taker_side`."""
        taken = self._current(book)
        if taken is None:
            taken = {}
            self._taken[book.key] = (book.ts, taken)
        for price, amount in fills:
            slot = (taker_side, price)
            taken[slot] = taken.get(slot, 0.0) + amount

    def visible_book(self, book: OrderBook) -> OrderBook:
        """`book` as the user's next order would see it (for tickets and checklists)."""
        if not self._current(book):
            return book
        return book.model_copy(
            update={"asks": self.levels(book, Side.BUY), "bids": self.levels(book, Side.SELL)}
        )

    def taken(self, key: BookKey) -> float:
        """Total base taken from the current book of `key` (both sides), 0 when none."""
        entry = self._taken.get(key)
        return sum(entry[1].values()) if entry else 0.0
