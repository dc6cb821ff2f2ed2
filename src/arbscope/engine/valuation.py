"""What one unit of each currency is worth in the reference currency (sizing and ranking only).

Used for exactly two things: turning the trade notional (in the reference
currency) into each route's size, and filling `Opportunity.net_profit_ref` so
routes in different currencies can be ranked side by side. It is never used
to compare profits or to decide whether a route pays: that always happens in
the route's own currencies, through real markets.

Conventions:

* Values come from book mids, by a breadth-first walk over markets starting at
  the reference currency: value(ref) = 1; a market BASE/QUOTE with mid m gives
  value(BASE) = value(QUOTE) * m and value(QUOTE) = value(BASE) / m. The first
  path found wins; at each currency the markets are tried in sorted
  (venue, symbol) order, so the result does not depend on arrival order.
  Shortest paths (fewest conversions) are preferred by construction.
* Only markets whose book is usable (the caller's `mid_of` returns a mid)
  carry value; USDT is worth a USD only if some USDT/USD-like market says so.
* Sizing peers: when the walk from the reference leaves currencies unvalued
  (a watchlist of USDT pairs only has no path to USD), the reference's
  stablecoin peers (`SIZING_PEERS`: USD -> USDT, USDC) that are still unvalued
  are taken at par and the walk goes on from them. This is the one place a
  stablecoin counts as its peg, and only for turning "1,000 USD" into a size:
  without it the route would be sized at its whole profitable depth, which is
  the less honest answer. A real market (USDT/USD) always wins, because peers
  are seeded only after the walk through real markets is done.
* A currency with no path has no value: `value_of` returns None and the caller
  decides (the calculator then sizes the route without a target).
* `ValuationSnapshot.refresh` keeps a currency's previous value while the new
  one is within `tolerance` of it. Sizes and rankings do not need more
  precision, and a value that did not change does not force the routes sized
  in it to be re-evaluated: that keeps the calculator incremental.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType

from arbscope.models import BookKey, Market

DEFAULT_TOLERANCE = 0.01
"""Relative change of a currency's value below which the snapshot keeps the old value."""

DEFAULT_PERIOD_S = 1.0
"""Seconds of `now` between two refreshes of the snapshot."""

SIZING_PEERS: dict[str, tuple[str, ...]] = {"USD": ("USDT", "USDC")}
"""Currencies taken at par with the reference for sizing when no market links them."""

_Edge = tuple[BookKey, str, bool]
"""(market key, the currency reached, True when that currency is the market's base)."""


class ValuationGraph:
    """Currencies linked by the markets that trade one for the other."""

    __slots__ = ("_edges",)

    def __init__(self, markets: Iterable[Market] = ()) -> None:
        self._edges: dict[str, list[_Edge]] = {}
        self.set_markets(markets)

    def set_markets(self, markets: Iterable[Market]) -> None:
        edges: dict[str, list[_Edge]] = {}
        for market in sorted(markets, key=lambda m: (m.venue, m.symbol)):
            if market.base == market.quote:
                continue
            edges.setdefault(market.quote, []).append((market.key, market.base, True))
            edges.setdefault(market.base, []).append((market.key, market.quote, False))
        self._edges = edges

    @property
    def currencies(self) -> frozenset[str]:
        return frozenset(self._edges)

    def values(self, reference: str, mid_of: Callable[[BookKey], float | None]) -> dict[str, float]:
        """Value of every currency reachable from `reference` through markets with a mid."""
        values = {reference: 1.0}
        self._walk(values, deque([reference]), mid_of)
        for peer in SIZING_PEERS.get(reference, ()):
            if peer not in values and peer in self._edges:
                values[peer] = 1.0
                self._walk(values, deque([peer]), mid_of)
        return values

    def _walk(
        self,
        values: dict[str, float],
        queue: deque[str],
        mid_of: Callable[[BookKey], float | None],
    ) -> None:
        """Breadth-first from the queued currencies, valuing what they reach."""
        edges = self._edges
        while queue:
            currency = queue.popleft()
            here = values[currency]
            for key, other, other_is_base in edges.get(currency, ()):
                if other in values:
                    continue
                mid = mid_of(key)
                if mid is None or not (math.isfinite(mid) and mid > 0):
                    continue
                values[other] = here * mid if other_is_base else here / mid
                queue.append(other)


class ValuationSnapshot:
    """The values in force, refreshed at most once per `period_s` of the caller's clock."""

    __slots__ = ("_last_refresh", "_period_s", "_reference", "_tolerance", "_values")

    def __init__(
        self,
        reference: str,
        tolerance: float = DEFAULT_TOLERANCE,
        period_s: float = DEFAULT_PERIOD_S,
    ) -> None:
        if not reference:
            raise ValueError("reference currency must be a currency code such as USD")
        if not (0.0 <= tolerance < 1.0):
            raise ValueError(f"tolerance {tolerance!r} must be a fraction in [0, 1)")
        if not period_s >= 0.0:
            raise ValueError(f"period {period_s!r} must be a number of seconds >= 0")
        self._reference = reference
        self._tolerance = tolerance
        self._period_s = period_s
        self._values: dict[str, float] = {reference: 1.0}
        self._last_refresh = -math.inf

    @property
    def reference(self) -> str:
        return self._reference

    @property
    def values(self) -> Mapping[str, float]:
        """Currency -> value of one unit in the reference currency (a read-only view)."""
        return MappingProxyType(self._values)

    def value_of(self, currency: str) -> float | None:
        return self._values.get(currency)

    def target(self, notional: float, currency: str) -> float | None:
        """`notional` (reference currency) expressed in `currency`; None without a value."""
        value = self._values.get(currency)
        return None if value is None else notional / value

    def due(self, now: float) -> bool:
        return now >= self._last_refresh + self._period_s

    def invalidate(self) -> None:
        """Make the next `due` true (markets or the reference changed)."""
        self._last_refresh = -math.inf

    def refresh(self, now: float, fresh: Mapping[str, float]) -> set[str]:
        """Adopt `fresh` values, keeping old ones within tolerance; the currencies that changed."""
        self._last_refresh = now
        old = self._values
        merged: dict[str, float] = {}
        changed: set[str] = set()
        tolerance = self._tolerance
        for currency, value in fresh.items():
            previous = old.get(currency)
            if previous is not None and abs(value - previous) <= tolerance * previous:
                merged[currency] = previous
            else:
                merged[currency] = value
                changed.add(currency)
        changed.update(currency for currency in old if currency not in merged)
        merged[self._reference] = 1.0
        changed.discard(self._reference)
        self._values = merged
        return changed
