"""Value an amount of one currency in another at book mids (exposures, fees).

Only for showing what left-over inventory is worth and for summing fees
charged in different currencies: mids are not executable prices, and no
conversion is invented where no market (or static rate from settings) joins
the two currencies.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping

from arbscope.models import OrderBook, split_symbol


class Marks:
    """A small rate graph: base -> quote at the mid of each book, plus static rates."""

    def __init__(
        self, books: Iterable[OrderBook], static_rates: Mapping[str, float] | None = None
    ) -> None:
        self._edges: dict[str, dict[str, float]] = {}
        for book in books:
            mid = book.mid
            if mid is not None:
                self._add(book.base, book.quote, mid)
        for pair, rate in (static_rates or {}).items():
            base, quote = split_symbol(pair)
            if rate > 0:
                self._edges.setdefault(base, {}).setdefault(quote, rate)
                self._edges.setdefault(quote, {}).setdefault(base, 1.0 / rate)

    def _add(self, base: str, quote: str, mid: float) -> None:
        # Books win over static rates: they are added first and setdefault keeps them.
        self._edges.setdefault(base, {})[quote] = mid
        self._edges.setdefault(quote, {})[base] = 1.0 / mid

    def rate(self, source: str, target: str) -> float | None:
        """Units of `target` per unit of `source` along the fewest conversions; None: no path."""
        if source == target:
            return 1.0
        seen = {source: 1.0}
        queue = deque([source])
        while queue:
            current = queue.popleft()
            for nxt, rate in self._edges.get(current, {}).items():
                if nxt in seen:
                    continue
                seen[nxt] = seen[current] * rate
                if nxt == target:
                    return seen[nxt]
                queue.append(nxt)
        return None

    def value(self, currency: str, amount: float, target: str) -> float | None:
        rate = self.rate(currency, target)
        return None if rate is None else amount * rate
