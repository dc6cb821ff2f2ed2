"""The calculator's index: every route, the books it reads, and cheap top-of-book bounds.

Rate slots. Each market's book has two slots in one flat list: its best bid
(quote received per base sold) and 1 / best ask (base received per quote
spent); 0.0 while the side is empty or the book unknown. Every converting
direction (have -> want, e.g. USDT -> BTC) also has a slot holding the best
rate of all the book slots that convert that way, on any venue. Slot 0 holds
1.0 and slot 1 +inf.

A route's top-of-book rate before fees is the product of its three slots
(1.0 fills a two-leg route; +inf marks a route without such a bound). The
evaluators return None whenever that rate is <= 1, so a product clearly below
1 means "closed" without calling them. A *bucket* groups the routes of one
book that share a bound made of that book's slot and conversion bests: one
comparison rules out, say, every spatial route that buys on the book.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import combinations, permutations

from arbscope.engine.config import EngineConfig
from arbscope.engine.cross_currency import CrossRoute, find_cross_routes
from arbscope.engine.spatial import spatial_route_id
from arbscope.engine.statistical import SpreadPair, statistical_route_id
from arbscope.engine.triangular import TriangleRoute, find_triangles
from arbscope.models import BookKey, Kind, Market, Opportunity, OrderBook, Side

ONE_SLOT = 0
ALWAYS_SLOT = 1
EDGE_FLOOR = 1.0 - 1e-9
"""Top rates below this are closed unseen; the margin absorbs the rounding
difference between multiplying by 1/ask and the evaluators' own comparisons."""

Slots = tuple[int, int, int]


@dataclass(slots=True, eq=False)
class Route:
    """One route and its last result."""

    route_id: str
    kind: Kind
    keys: tuple[BookKey, ...]
    """The books it reads."""
    slots: Slots
    size_currency: str
    profit_currency: str
    payload: TriangleRoute | CrossRoute | SpreadPair | None = None
    opportunity: Opportunity | None = None
    expiry: float = -math.inf
    """When the first of the books behind `opportunity` gets too old."""
    buckets: list[Bucket] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class Bucket:
    """Routes of one book that a single bound can rule out together."""

    bound: Slots
    routes: list[Route] = field(default_factory=list)
    open: int = 0
    """How many of `routes` hold an opportunity (a ruled-out bucket with none costs nothing)."""


class RateTable:
    """The flat list of rate slots, kept up to date as books arrive."""

    def __init__(self, markets: Mapping[BookKey, Market]) -> None:
        keys = sorted(markets)
        self.slot_of: dict[BookKey, int] = {key: 2 + 2 * i for i, key in enumerate(keys)}
        groups: dict[tuple[str, str], list[int]] = {}
        for key, slot in self.slot_of.items():
            market = markets[key]
            groups.setdefault((market.base, market.quote), []).append(slot)  # sell at the bid
            groups.setdefault((market.quote, market.base), []).append(slot + 1)  # buy at the ask
        first = 2 + 2 * len(keys)
        self.best_slot = {conv: first + i for i, conv in enumerate(sorted(groups))}
        self.rates: list[float] = [1.0, math.inf] + [0.0] * (2 * len(keys) + len(groups))
        self._group_of = [-1] * len(self.rates)
        self._members: dict[int, list[int]] = {}
        for conv, slots in groups.items():
            best = self.best_slot[conv]
            self._members[best] = slots
            for slot in slots:
                self._group_of[slot] = best

    def side_slot(self, key: BookKey, side: Side) -> int:
        return self.slot_of[key] + (1 if side is Side.BUY else 0)

    def best(self, have: str, want: str) -> int:
        """Slot of the best rate converting `have` into `want` (1.0 when no market does)."""
        return self.best_slot.get((have, want), ONE_SLOT)

    def set_book(self, key: BookKey, book: OrderBook | None) -> None:
        slot = self.slot_of.get(key)
        if slot is None:
            return
        bids = book.bids if book is not None else ()
        asks = book.asks if book is not None else ()
        self._set(slot, bids[0][0] if bids else 0.0)
        self._set(slot + 1, 1.0 / asks[0][0] if asks else 0.0)

    def _set(self, slot: int, rate: float) -> None:
        rates = self.rates
        old = rates[slot]
        rates[slot] = rate
        best_slot = self._group_of[slot]
        best = rates[best_slot]
        if rate >= best:
            rates[best_slot] = rate
        elif old >= best:  # the best went down: look for the new one
            rates[best_slot] = max(rates[s] for s in self._members[best_slot])

    def top_rate(self, slots: Slots) -> float:
        rates = self.rates
        return rates[slots[0]] * rates[slots[1]] * rates[slots[2]]


class RouteIndex:
    """Every route of the enabled kinds, with the buckets of each book it reads."""

    def __init__(
        self,
        markets: Mapping[BookKey, Market],
        config: EngineConfig,
        table: RateTable,
        pairs: dict[str, SpreadPair],
    ) -> None:
        self._markets = markets
        self._config = config
        self._table = table
        self._pairs = pairs
        self.routes: dict[str, Route] = {}
        self.buckets_of: dict[BookKey, list[Bucket]] = {}
        """Buckets of price-bounded routes per book (statistical pairs are not in them)."""
        self.pairs_of: dict[BookKey, list[Route]] = {}
        """Statistical routes per book: sampled and checked on each update."""
        self.by_currency: dict[str, list[Route]] = {}
        """Routes sized or ranked in each currency (re-checked when its value moves)."""
        self._bucket_by_label: dict[tuple[BookKey, object], Bucket] = {}
        for route in self._build():
            self.routes[route.route_id] = route
            self._place(route)
            for currency in dict.fromkeys((route.size_currency, route.profit_currency)):
                self.by_currency.setdefault(currency, []).append(route)
        self._bucket_by_label.clear()

    # --- building the routes ----------------------------------------------------------------

    def _build(self) -> Iterator[Route]:
        kinds = self._config.kinds
        by_symbol: dict[str, list[str]] = {}
        by_venue: dict[str, list[Market]] = {}
        for venue, symbol in sorted(self._markets):
            by_symbol.setdefault(symbol, []).append(venue)
            by_venue.setdefault(venue, []).append(self._markets[(venue, symbol)])
        if Kind.SPATIAL in kinds:
            for symbol, venues in by_symbol.items():
                for buy, sell in permutations(venues, 2):
                    yield self._spatial(symbol, buy, sell)
        if Kind.TRIANGULAR in kinds:
            for venue_markets in by_venue.values():
                yield from map(self._triangle, find_triangles(venue_markets))
        if Kind.CROSS_CURRENCY in kinds:
            static = self._config.fx_static_rates
            yield from map(self._cross, find_cross_routes(self._markets.values(), static))
        if Kind.STATISTICAL in kinds:
            for symbol, venues in by_symbol.items():
                for venue_a, venue_b in combinations(venues, 2):
                    yield self._pair(symbol, venue_a, venue_b)

    def _spatial(self, symbol: str, buy: str, sell: str) -> Route:
        market = self._markets[(buy, symbol)]
        buy_key, sell_key = (buy, symbol), (sell, symbol)
        slots = (
            self._table.side_slot(buy_key, Side.BUY),
            self._table.side_slot(sell_key, Side.SELL),
            ONE_SLOT,
        )
        route_id = spatial_route_id(symbol, buy, sell)
        return Route(route_id, Kind.SPATIAL, (buy_key, sell_key), slots, market.base, market.quote)

    def _triangle(self, triangle: TriangleRoute) -> Route:
        keys = tuple((triangle.venue, symbol) for symbol in triangle.symbols)
        first, second, third = (
            self._table.side_slot(key, side)
            for key, (_, side) in zip(keys, triangle.steps, strict=True)
        )
        return Route(
            triangle.route_id, Kind.TRIANGULAR, keys, (first, second, third),
            triangle.start, triangle.start, triangle,
        )

    def _cross(self, cross: CrossRoute) -> Route:
        table = self._table
        # A static FX rate is not in the table: such routes are always evaluated.
        fx = ALWAYS_SLOT if cross.fx is None else table.side_slot(*cross.fx)
        slots = (table.side_slot(cross.buy, Side.BUY), table.side_slot(cross.sell, Side.SELL), fx)
        return Route(
            cross.route_id, Kind.CROSS_CURRENCY, cross.keys, slots, cross.base, cross.start, cross
        )

    def _pair(self, symbol: str, venue_a: str, venue_b: str) -> Route:
        route_id = statistical_route_id(symbol, venue_a, venue_b)
        pair = self._pairs.get(route_id)
        if pair is None:
            pair = SpreadPair(symbol, venue_a, venue_b, self._config.stat_window_s, route_id)
            self._pairs[route_id] = pair
        market = self._markets[(venue_a, symbol)]
        keys = ((venue_a, symbol), (venue_b, symbol))
        return Route(
            route_id, Kind.STATISTICAL, keys, (ALWAYS_SLOT, ONE_SLOT, ONE_SLOT),
            market.base, market.quote, pair,
        )

    # --- buckets ----------------------------------------------------------------------------

    def _join(self, route: Route, key: BookKey, label: object, bound: Slots) -> None:
        bucket = self._bucket_by_label.get((key, label))
        if bucket is None:
            bucket = self._bucket_by_label[(key, label)] = Bucket(bound)
            self.buckets_of.setdefault(key, []).append(bucket)
        bucket.routes.append(route)
        route.buckets.append(bucket)

    def _place(self, route: Route) -> None:
        best = self._table.best
        a, b, c = route.slots
        payload = route.payload
        if isinstance(payload, SpreadPair):
            for key in route.keys:
                self.pairs_of.setdefault(key, []).append(route)
        elif route.kind is Kind.SPATIAL:
            buy, sell = route.keys
            base, quote = route.size_currency, route.profit_currency
            self._join(route, buy, "buy", (a, best(base, quote), ONE_SLOT))
            self._join(route, sell, "sell", (best(quote, base), b, ONE_SLOT))
        elif isinstance(payload, CrossRoute) and payload.fx is not None:
            start, base = payload.start, payload.base
            other = self._markets[payload.sell].quote
            to_base, to_other, back = best(start, base), best(base, other), best(other, start)
            self._join(route, payload.buy, ("buy", other), (a, to_other, back))
            self._join(route, payload.sell, ("sell", start), (to_base, b, back))
            label = ("fx", payload.buy[1], payload.sell[1])
            self._join(route, payload.fx[0], label, (to_base, to_other, c))
        else:
            for key in dict.fromkeys(route.keys):
                self._join(route, key, route.route_id, route.slots)


def route_counts(routes: Iterable[Route]) -> dict[str, int]:
    counts = {kind.value: 0 for kind in Kind}
    for route in routes:
        counts[route.kind.value] += 1
    return counts
