"""The calculator's index: every route, the books it reads, and cheap top-of-book bounds.

Rate slots. Each market's book has two slots in one flat list: its best bid
(quote received per base sold) and 1 / best ask (base received per quote
spent); 0.0 while the side is empty or the book unknown. Every converting
direction (have -> want, e.g. USDT -> BTC) also has a slot holding the best
rate of all the book slots that convert that way, on any venue. Slot 0 holds
1.0 and slot 1 +inf.

A route's top-of-book rate before fees is the product of its slots (one per
leg; 1.0 pads a two-leg route; +inf marks a route without such a bound). The
evaluators return None whenever that rate is <= 1, so a product clearly below
1 means "closed" without calling them. A *bucket* groups the routes of one
book that share a bound made of that book's slot and conversion bests: one
comparison rules out, say, every spatial route that buys on the book.

Fee floors. A route is worth walking in depth only if it can reach the
near-miss threshold, `min_net_bps - near_miss_bps` (`EngineConfig.near_miss_floor_bps`),
after the taker fees of the books it always trades on. Walking depth, rounding and
fees only lower a route's edge below its top-of-book rate, so a route whose top
rate is below `fee_floor(fees, threshold)` cannot reach the threshold and is
closed unseen; a bucket's floor is the lowest of its routes'. The calculator
drops, after evaluation, whatever ends below the threshold, so a bounded search
and an exhaustive one return the same opportunities (a property test holds them
equal).

A route may read more books than it needs (`Route.needs`): a cross-currency
conversion reads every FX book that could close it and closes through the best
one of the moment; only the books it needs must be fresh.

What a kind contributes (its routes, their slots and bucket bounds, its
evaluator and resizer) is its `KindSpec`; `engine.kinds` registers them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from arbscope.engine.config import EngineConfig
from arbscope.engine.suspect import route_unpaired
from arbscope.models import BookKey, Kind, Market, Opportunity, OrderBook, Side

ONE_SLOT = 0
ALWAYS_SLOT = 1
EDGE_FLOOR = 1.0 - 1e-9
"""Top rates below this are closed unseen; the margin absorbs the rounding
difference between multiplying by 1/ask and the evaluators' own comparisons."""

Slots = tuple[int, ...]
"""Rate slots whose product bounds a route's top-of-book rate (at least two)."""

Placement = tuple[BookKey, object, Slots]
"""(book, bucket label, bound): the bucket of that book a route joins, and its bound."""


WIDEST = 4
"""Most slots a bound has. The hot loop multiplies exactly this many rates (padding with
the 1.0 of `ONE_SLOT`, exact): an unrolled product is twice as fast as a generic one."""

Padded = tuple[int, int, int, int]


def fee_floor(fees: Iterable[float], threshold_bps: float) -> float:
    """The lowest top-of-book rate before fees at which a route paying `fees` (taker
    fractions, one per leg) can still reach `threshold_bps` net.

    With F = prod(1 + fee), a route's net edge at any size is at most its top rate
    P over F, less 1 (a fee taken from a leg's proceeds, 1 - f, is at most
    1 / (1 + f); one added to the cost is exactly 1 + f): reaching T = threshold / 1e4
    needs P >= (1 + T) * F, and P >= F + T when T > 0 (the lower of the two, so the
    floor never rules out a route that reaches T). Never below 1: no evaluator returns
    a route whose top rate does not beat 1.
    """
    growth = math.prod(1.0 + fee for fee in fees)
    threshold = threshold_bps / 1e4
    floor = (1.0 + threshold) * growth if threshold <= 0 else growth + threshold
    return max(floor, 1.0) * EDGE_FLOOR


def padded(slots: Slots) -> Padded:
    """`slots` padded to `WIDEST` with `ONE_SLOT`."""
    if len(slots) > WIDEST:
        raise ValueError(
            f"a bound of {len(slots)} slots is wider than {WIDEST}: raise route_index.WIDEST"
        )
    a, b, c, d = (*slots, *(ONE_SLOT,) * (WIDEST - len(slots)))
    return a, b, c, d


@dataclass(slots=True, eq=False)
class Route:
    """One route, its bounds, and its last result."""

    route_id: str
    spec: KindSpec
    keys: tuple[BookKey, ...]
    """The books it reads."""
    slots: Slots
    size_currency: str
    profit_currency: str
    payload: Any
    """What the kind's evaluator reads: its typed route (statistical: the pair's state)."""
    placements: tuple[Placement, ...] = ()
    """The buckets it joins; empty: one bucket of its own per book, bound by `slots`."""
    needs: tuple[BookKey, ...] = ()
    """The books it always trades on, which must be fresh; empty: all of `keys`. The
    others are alternatives its evaluator chooses from (it skips stale ones)."""
    floor: float = EDGE_FLOOR
    """Top rate below which it cannot reach the near-miss threshold (`fee_floor`)."""
    opportunity: Opportunity | None = None
    expiry: float = -math.inf
    """When the first of the books behind `opportunity` gets too old."""
    buckets: list[Bucket] = field(default_factory=list)
    wide: Padded = field(init=False)
    """`slots` padded to `WIDEST`, for the calculator's unrolled product."""

    def __post_init__(self) -> None:
        self.wide = padded(self.slots)

    @property
    def kind(self) -> Kind:
        return self.spec.kind

    @property
    def needed(self) -> tuple[BookKey, ...]:
        return self.needs or self.keys


@dataclass(slots=True, eq=False)
class Bucket:
    """Routes of one book that a single bound can rule out together."""

    bound: Slots
    routes: list[Route] = field(default_factory=list)
    open: int = 0
    """How many of `routes` hold an opportunity (a ruled-out bucket with none costs nothing)."""
    floor: float = math.inf
    """The lowest `Route.floor` of `routes`."""
    alternative: bool = False
    """Its book is one its routes may choose (not one they need): ruled out, it cannot
    close them, only send the open ones to be evaluated again."""
    wide: Padded = field(init=False)

    def __post_init__(self) -> None:
        self.wide = padded(self.bound)


@dataclass(frozen=True, slots=True)
class BuildContext:
    """What a kind builds its routes from."""

    markets: Mapping[BookKey, Market]
    config: EngineConfig
    table: RateTable
    by_symbol: Mapping[str, list[str]]
    """Symbol -> venues listing it, sorted."""
    by_venue: Mapping[str, list[Market]]
    """Venue -> its markets, sorted by symbol."""
    state: dict[str, Any]
    """Route id -> state a kind keeps across rebuilds (statistical windows)."""


Evaluator = Callable[
    [Route, Mapping[BookKey, OrderBook], Mapping[BookKey, Market], EngineConfig, float | None,
     float],
    Opportunity | None,
]
"""(route, books, markets, config, target size or None, now) -> the opportunity or None."""

Resizer = Callable[
    [Opportunity, float, Mapping[BookKey, OrderBook], Mapping[BookKey, Market], float,
     EngineConfig],
    Opportunity | None,
]
"""(opportunity, size, books, markets, now, config) -> the route at that size, or None."""


@dataclass(frozen=True, slots=True)
class KindSpec:
    """Everything one kind of opportunity brings: the rest of arbscope iterates these."""

    kind: Kind
    short: str
    """The opportunities table's kind column (5 characters at most)."""
    label: str
    """What its toggle is called in the footer, the help and the palette."""
    build: Callable[[BuildContext], Iterable[Route]]
    """Its routes over the markets (an empty iterable when its setting leaves it off)."""
    evaluate: Evaluator
    resize: Resizer
    moves_inventory: bool
    """Risk hook: True when the bought base ends on another venue (a rebalancing cost)."""
    inventory_note: str = ""
    """Risk hook: the inventory item's reason when nothing has to move."""
    sampled: bool = False
    """Statistical: sampled on every update of its books rather than bounded by top rates."""
    expected: bool = False
    """Its net is an expectation, not what its legs lock in (statistical)."""


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
        return math.prod(rates[slot] for slot in slots)


class RouteIndex:
    """Every route of the enabled kinds, with the buckets of each book it reads."""

    def __init__(
        self,
        markets: Mapping[BookKey, Market],
        config: EngineConfig,
        table: RateTable,
        state: dict[str, Any],
        specs: Iterable[KindSpec],
    ) -> None:
        self.routes: dict[str, Route] = {}
        self.buckets_of: dict[BookKey, list[Bucket]] = {}
        """Buckets of price-bounded routes per book (sampled routes are not in them)."""
        self.pairs_of: dict[BookKey, list[Route]] = {}
        """Sampled (statistical) routes per book: sampled and checked on each update."""
        self.by_currency: dict[str, list[Route]] = {}
        """Routes sized or ranked in each currency (re-checked when its value moves)."""
        self._bucket_by_label: dict[tuple[BookKey, object], Bucket] = {}
        context = _context(markets, config, table, state)
        threshold = config.near_miss_floor_bps
        for route in self._build(context, specs):
            route.floor = fee_floor((markets[key].taker_fee for key in route.needed), threshold)
            self.routes[route.route_id] = route
            self._place(route)
            for currency in dict.fromkeys((route.size_currency, route.profit_currency)):
                self.by_currency.setdefault(currency, []).append(route)
        self._bucket_by_label.clear()

    @staticmethod
    def _build(context: BuildContext, specs: Iterable[KindSpec]) -> Iterator[Route]:
        kinds = context.config.kinds
        # Markets of one ticker that share no network are two assets (engine/suspect): no
        # route, and no state kept for one. Without published networks nothing is checked.
        networks = any(market.base_networks for market in context.markets.values())
        for spec in specs:
            if spec.kind not in kinds:
                continue
            for route in spec.build(context):
                if not networks or route_unpaired(route.keys, context.markets) is None:
                    yield route
                else:
                    context.state.pop(route.route_id, None)

    def _join(self, route: Route, key: BookKey, label: object, bound: Slots) -> None:
        bucket = self._bucket_by_label.get((key, label))
        if bucket is None:
            bucket = self._bucket_by_label[(key, label)] = Bucket(
                bound, alternative=key not in route.needed
            )
            self.buckets_of.setdefault(key, []).append(bucket)
        bucket.routes.append(route)
        bucket.floor = min(bucket.floor, route.floor)
        route.buckets.append(bucket)

    def _place(self, route: Route) -> None:
        if route.spec.sampled:
            for key in route.keys:
                self.pairs_of.setdefault(key, []).append(route)
        elif route.placements:
            for key, label, bound in route.placements:
                self._join(route, key, label, bound)
        else:
            for key in dict.fromkeys(route.keys):
                self._join(route, key, route.route_id, route.slots)


def _context(
    markets: Mapping[BookKey, Market], config: EngineConfig, table: RateTable, state: dict[str, Any]
) -> BuildContext:
    by_symbol: dict[str, list[str]] = {}
    by_venue: dict[str, list[Market]] = {}
    for venue, symbol in sorted(markets):
        by_symbol.setdefault(symbol, []).append(venue)
        by_venue.setdefault(venue, []).append(markets[(venue, symbol)])
    return BuildContext(markets, config, table, by_symbol, by_venue, state)


def route_counts(routes: Iterable[Route], kinds: Iterable[Kind]) -> dict[str, int]:
    counts = {kind.value: 0 for kind in kinds}
    for route in routes:
        counts[route.kind.value] += 1
    return counts
