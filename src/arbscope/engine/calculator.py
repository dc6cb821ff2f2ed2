"""The incremental opportunity calculator: a book update re-evaluates only the routes reading it.

Every route (spatial pair, triangle, cross-currency route, statistical pair)
is indexed by the (venue, symbol) books it reads. `update` looks at the routes
of the changed books; every other route keeps its last result. `recompute_all`
evaluates every route from the current books and gives the same opportunities
(tests hold the two paths equal).

Keeping the per-update work small: each book has two *rate slots* in one flat
list, its best bid (quote per base sold) and 1 / best ask (base per quote
spent). A route's top-of-book rate before fees is the product of three slots,
and every evaluator returns None when that rate is <= 1, so a product clearly
below 1 closes the route without calling anything. Routes are grouped in
*buckets* whose bound multiplies the changed book's slot with the best rate of
a whole conversion (USDT->BTC on any venue, kept as the maximum of its slots):
one comparison rules out every spatial route buying on the changed book, or
every cross route using it as the FX leg.

Books older than `config.book_age_limit(venue)` at the `now` of a call are not
used: an update already stale is skipped, and a route whose books age out
leaves `opportunities(now)` without any update. The valuation (sizing and
ranking only) is refreshed at most once per second of `now`; its values move
only beyond a tolerance (`valuation`), and the routes sized or ranked in a
currency whose value moved are re-evaluated then, so the result is always
what a full recompute gives.

A route whose size currency has no value is sized without a target: spatial,
triangular and cross-currency routes at their `max_size` (or, when nothing
pays after fees, the depth that pays before), statistical pairs at the top
level.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import combinations, permutations

from arbscope.engine.config import EngineConfig
from arbscope.engine.cross_currency import CrossRoute, evaluate_cross, find_cross_routes
from arbscope.engine.spatial import evaluate_spatial, spatial_route_id
from arbscope.engine.statistical import SpreadPair, evaluate_statistical, statistical_route_id
from arbscope.engine.triangular import TriangleRoute, evaluate_triangle, find_triangles
from arbscope.engine.valuation import ValuationGraph, ValuationSnapshot
from arbscope.models import BookKey, Kind, Market, Opportunity, OrderBook, Side

_ONE = 0
"""Rate slot that always holds 1.0 (routes with only two legs)."""
_ALWAYS = 1
"""Rate slot that always holds +inf: the route has no top-of-book pre-check."""
_EDGE_FLOOR = 1.0 - 1e-9
"""Top rates below this close a route unseen; the margin absorbs the rounding
difference between multiplying by 1/ask and the evaluators' own comparisons."""

_Payload = TriangleRoute | CrossRoute | SpreadPair | None


@dataclass(slots=True, eq=False)
class _Route:
    route_id: str
    kind: Kind
    keys: tuple[BookKey, ...]
    slots: tuple[int, int, int]
    size_currency: str
    profit_currency: str
    payload: _Payload = None
    opportunity: Opportunity | None = None
    expiry: float = -math.inf
    """When the first of the books behind `opportunity` becomes too old."""
    buckets: list[_Bucket] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class _Bucket:
    """Routes of one book that a single bound can rule out together."""

    bound: tuple[int, int, int]
    routes: list[_Route] = field(default_factory=list)
    open: int = 0
    """How many of `routes` hold an opportunity (a skipped bucket with none costs nothing)."""


class OpportunityCalculator:
    """Routes over the latest books; see the module docstring for the rules."""

    def __init__(self, config: EngineConfig, markets: Iterable[Market] = ()) -> None:
        self._config = config
        self._markets: dict[BookKey, Market] = {}
        self._books: dict[BookKey, OrderBook] = {}
        self._log_mid: dict[BookKey, float] = {}
        self._now = -math.inf
        self._graph = ValuationGraph()
        self._snapshot = ValuationSnapshot(config.reference_currency)
        self._pairs: dict[str, SpreadPair] = {}
        self._open: dict[str, _Route] = {}
        self._routes: dict[str, _Route] = {}
        self._index: dict[BookKey, list[_Bucket]] = {}
        self._pairs_of: dict[BookKey, list[_Route]] = {}
        self._by_currency: dict[str, list[_Route]] = {}
        self._slot_of: dict[BookKey, int] = {}
        self._rates: list[float] = [1.0, math.inf]
        self._group_of: list[int] = [-1, -1]
        self._members: dict[int, list[int]] = {}
        self._limits: dict[str, float] = {}
        self.set_markets(markets)

    # --- public API -------------------------------------------------------------------------

    @property
    def config(self) -> EngineConfig:
        return self._config

    def set_markets(self, markets: Iterable[Market]) -> None:
        """Add or replace market rules and rebuild the route index."""
        for market in markets:
            self._markets[market.key] = market
        self._graph.set_markets(self._markets.values())
        self._snapshot.invalidate()
        self._rebuild()

    def set_config(self, config: EngineConfig) -> None:
        """Adopt new choices (trade size, kinds, windows ...) and re-evaluate every route."""
        old, self._config = self._config, config
        if config.reference_currency != old.reference_currency:
            self._snapshot = ValuationSnapshot(config.reference_currency)
        self._snapshot.invalidate()
        if config.stat_window_s != old.stat_window_s:
            for pair in self._pairs.values():
                pair.stats.set_window(config.stat_window_s)
        self._rebuild()

    def update(self, books: Iterable[OrderBook], now: float) -> None:
        """Take new books and re-evaluate the routes that read them."""
        self._advance(now)
        stored = self._books
        limits = self._limits
        default_limit = self._config.default_max_book_age
        changed: dict[BookKey, None] = {}
        for book in books:
            key = (book.venue, book.symbol)
            old = stored.get(key)
            if old is not None and book.ts < old.ts:
                continue  # arrived out of order: the newer book stays
            if book.ts + limits.get(book.venue, default_limit) < now:
                continue  # already too old to use
            stored[key] = book
            self._store_rates(key, book)
            changed[key] = None
        if not changed:
            return
        self._sample_pairs(changed, now)
        rates = self._rates
        for key in changed:
            for bucket in self._index.get(key, ()):
                x, y, z = bucket.bound
                if rates[x] * rates[y] * rates[z] < _EDGE_FLOOR:
                    if bucket.open:
                        self._close_all(bucket.routes)
                    continue
                for route in bucket.routes:
                    a, b, c = route.slots
                    if rates[a] * rates[b] * rates[c] < _EDGE_FLOOR:
                        if route.opportunity is not None:
                            self._close(route)
                    else:
                        self._evaluate(route, now)

    def recompute_all(self, now: float) -> None:
        """Evaluate every route from the current books (statistical pairs from their windows)."""
        self._advance(now)
        for route in self._routes.values():
            self._check(route, now)

    def opportunities(self, now: float) -> list[Opportunity]:
        """The open routes whose books are all fresh at `now`, best net_bps first."""
        self._advance(now)
        found: list[Opportunity] = []
        for route in list(self._open.values()):
            if route.expiry < now or route.opportunity is None:
                self._close(route)
            else:
                found.append(route.opportunity)
        found.sort(key=lambda o: (-o.net_bps, o.route_id))
        return found

    def drop_venue(self, venue: str) -> None:
        """Forget a venue's books at once (it is down); its routes close until books return."""
        keys = [key for key in self._books if key[0] == venue]
        for key in keys:
            del self._books[key]
            self._log_mid.pop(key, None)
            slot = self._slot_of.get(key)
            if slot is not None:
                self._set_rate(slot, 0.0)
                self._set_rate(slot + 1, 0.0)
            for bucket in self._index.get(key, ()):
                if bucket.open:
                    self._close_all(bucket.routes)
        for pair in self._pairs.values():
            if venue in (pair.venue_a, pair.venue_b):
                pair.clear()  # a window across an outage would mix two market regimes

    def valuation(self) -> Mapping[str, float]:
        """Currency -> value of one unit in the reference currency (sizing and ranking only)."""
        return self._snapshot.values

    def route_counts(self) -> dict[str, int]:
        """How many routes of each kind are indexed (kinds switched off count 0)."""
        counts = {kind.value: 0 for kind in Kind}
        for route in self._routes.values():
            counts[route.kind.value] += 1
        return counts

    # --- evaluation -------------------------------------------------------------------------

    def _check(self, route: _Route, now: float) -> None:
        a, b, c = route.slots
        rates = self._rates
        if rates[a] * rates[b] * rates[c] < _EDGE_FLOOR:
            if route.opportunity is not None:
                self._close(route)
        else:
            self._evaluate(route, now)

    def _evaluate(self, route: _Route, now: float) -> None:
        books = self._books
        limits = self._limits
        default_limit = self._config.default_max_book_age
        expiry = math.inf
        for key in route.keys:
            book = books.get(key)
            if book is None:
                self._close(route)
                return
            book_expiry = book.ts + limits.get(key[0], default_limit)
            if book_expiry < now:
                self._close(route)
                return
            expiry = min(expiry, book_expiry)
        found = self._evaluate_kind(route, now)
        if found is None:
            self._close(route)
            return
        previous = route.opportunity
        # Still the same open run only if the previous result had not aged out meanwhile.
        opened = previous.opened_ts if previous is not None and route.expiry >= now else now
        value = self._snapshot.value_of(found.profit_currency)
        route.opportunity = found.model_copy(
            update={
                "opened_ts": opened,
                "net_profit_ref": None if value is None else found.net_profit * value,
            }
        )
        route.expiry = expiry
        if previous is None:
            self._open[route.route_id] = route
            for bucket in route.buckets:
                bucket.open += 1

    def _evaluate_kind(self, route: _Route, now: float) -> Opportunity | None:
        books, markets, config = self._books, self._markets, self._config
        target = self._snapshot.target(config.trade_notional, route.size_currency)
        payload = route.payload
        if route.kind is Kind.SPATIAL:
            buy, sell = route.keys
            return evaluate_spatial(
                books[buy], books[sell], markets[buy], markets[sell],
                math.inf if target is None else target, now,
                config.withdrawal_fees.get(route.size_currency),
            )
        if isinstance(payload, TriangleRoute):
            venue = payload.venue
            return evaluate_triangle(
                payload,
                {symbol: books[(venue, symbol)] for symbol in payload.symbols},
                {symbol: markets[(venue, symbol)] for symbol in payload.symbols},
                math.inf if target is None else target,
                now,
            )
        if isinstance(payload, CrossRoute):
            return evaluate_cross(
                payload, books, markets, math.inf if target is None else target, now,
                config.fx_static_rates,
            )
        if isinstance(payload, SpreadPair):
            key_a, key_b = route.keys
            return evaluate_statistical(
                payload, books[key_a], books[key_b], markets[key_a], markets[key_b],
                config, target, now,
            )
        raise AssertionError(f"route {route.route_id} has no evaluator")

    def _close(self, route: _Route) -> None:
        if route.opportunity is None:
            return
        route.opportunity = None
        route.expiry = -math.inf
        del self._open[route.route_id]
        for bucket in route.buckets:
            bucket.open -= 1

    def _close_all(self, routes: Iterable[_Route]) -> None:
        for route in routes:
            if route.opportunity is not None:
                self._close(route)

    def _advance(self, now: float) -> None:
        """Move the clock; refresh the valuation when due and re-evaluate what it moved."""
        self._now = max(self._now, now)
        snapshot = self._snapshot
        if not snapshot.due(now):
            return
        changed = snapshot.refresh(
            now, self._graph.values(snapshot.reference, lambda key: self._fresh_mid(key, now))
        )
        seen: set[str] = set()
        for currency in sorted(changed):
            for route in self._by_currency.get(currency, ()):
                if route.route_id not in seen:
                    seen.add(route.route_id)
                    self._check(route, now)

    def _fresh_mid(self, key: BookKey, now: float) -> float | None:
        book = self._books.get(key)
        if book is None or book.ts + self._config.book_age_limit(key[0]) < now:
            return None
        return book.mid

    # --- books, rates and statistical samples ------------------------------------------------

    def _store_rates(self, key: BookKey, book: OrderBook) -> None:
        bids, asks = book.bids, book.asks
        if bids and asks:
            self._log_mid[key] = math.log((bids[0][0] + asks[0][0]) * 0.5)
        else:
            self._log_mid[key] = math.nan
        slot = self._slot_of.get(key)
        if slot is not None:
            self._set_rate(slot, bids[0][0] if bids else 0.0)
            self._set_rate(slot + 1, 1.0 / asks[0][0] if asks else 0.0)

    def _set_rate(self, slot: int, rate: float) -> None:
        rates = self._rates
        old = rates[slot]
        rates[slot] = rate
        group = self._group_of[slot]
        best = rates[group]
        if rate >= best:
            rates[group] = rate
        elif old >= best:  # the best rate went down: find the new best
            rates[group] = max(rates[s] for s in self._members[group])

    def _sample_pairs(self, changed: Iterable[BookKey], now: float) -> None:
        """One sample per statistical pair per update, both books fresh and two-sided."""
        books, log_mid = self._books, self._log_mid
        limits = self._limits
        default_limit = self._config.default_max_book_age
        sampled: set[str] = set()
        for key in changed:
            for route in self._pairs_of.get(key, ()):
                if route.route_id in sampled:
                    continue
                sampled.add(route.route_id)
                key_a, key_b = route.keys
                book_a, book_b = books.get(key_a), books.get(key_b)
                if book_a is None or book_b is None:
                    continue
                if (
                    book_a.ts + limits.get(key_a[0], default_limit) < now
                    or book_b.ts + limits.get(key_b[0], default_limit) < now
                ):
                    continue
                x = log_mid[key_a] - log_mid[key_b]
                if x == x:  # NaN when a book is one-sided
                    pair = route.payload
                    assert isinstance(pair, SpreadPair)
                    pair.add(max(book_a.ts, book_b.ts), x, book_a, book_b)

    # --- the route index ---------------------------------------------------------------------

    def _rebuild(self) -> None:
        config = self._config
        self._limits = dict(config.max_book_age)
        previous = self._routes
        self._routes, self._open = {}, {}
        self._index, self._pairs_of, self._by_currency = {}, {}, {}
        self._build_slots()
        builder = _IndexBuilder(self)
        for route in self._all_routes():
            old = previous.get(route.route_id)
            if old is not None and old.opportunity is not None:
                # Keep the open run (opened_ts) across a rebuild; the recompute re-checks it.
                route.opportunity, route.expiry = old.opportunity, old.expiry
            self._routes[route.route_id] = route
            builder.add(route)
            for currency in {route.size_currency, route.profit_currency}:
                self._by_currency.setdefault(currency, []).append(route)
        for route in self._routes.values():
            if route.opportunity is not None:
                self._open[route.route_id] = route
                for bucket in route.buckets:
                    bucket.open += 1
        self.recompute_all(self._now)

    def _build_slots(self) -> None:
        """Two rate slots per market's book, then one slot per conversion holding its best."""
        keys = sorted(self._markets)
        self._slot_of = {key: 2 + 2 * i for i, key in enumerate(keys)}
        groups: dict[tuple[str, str], list[int]] = {}
        for key, slot in self._slot_of.items():
            market = self._markets[key]
            groups.setdefault((market.base, market.quote), []).append(slot)  # sell: bid
            groups.setdefault((market.quote, market.base), []).append(slot + 1)  # buy: 1/ask
        first_group = 2 + 2 * len(keys)
        self._group_slot = {conv: first_group + i for i, conv in enumerate(sorted(groups))}
        self._rates = [1.0, math.inf] + [0.0] * (2 * len(keys) + len(groups))
        self._group_of = [-1] * len(self._rates)
        self._members = {}
        for conv, slots in groups.items():
            group = self._group_slot[conv]
            self._members[group] = slots
            for slot in slots:
                self._group_of[slot] = group
        for key, book in self._books.items():
            self._store_rates(key, book)

    def _all_routes(self) -> Iterable[_Route]:
        kinds = self._config.kinds
        by_symbol: dict[str, list[str]] = {}
        by_venue: dict[str, list[Market]] = {}
        for venue, symbol in sorted(self._markets):
            by_symbol.setdefault(symbol, []).append(venue)
            by_venue.setdefault(venue, []).append(self._markets[(venue, symbol)])
        if Kind.SPATIAL in kinds:
            for symbol, venues in by_symbol.items():
                for buy, sell in permutations(venues, 2):
                    yield self._spatial_route(symbol, buy, sell)
        if Kind.TRIANGULAR in kinds:
            for venue_markets in by_venue.values():
                for triangle in find_triangles(venue_markets):
                    yield self._triangle_route(triangle)
        if Kind.CROSS_CURRENCY in kinds:
            for cross in find_cross_routes(self._markets.values(), self._config.fx_static_rates):
                yield self._cross_route(cross)
        if Kind.STATISTICAL in kinds:
            for symbol, venues in by_symbol.items():
                for venue_a, venue_b in combinations(venues, 2):
                    yield self._pair_route(symbol, venue_a, venue_b)

    def _side_slot(self, key: BookKey, side: Side) -> int:
        return self._slot_of[key] + (1 if side is Side.BUY else 0)

    def _spatial_route(self, symbol: str, buy: str, sell: str) -> _Route:
        market = self._markets[(buy, symbol)]
        buy_key, sell_key = (buy, symbol), (sell, symbol)
        return _Route(
            spatial_route_id(symbol, buy, sell), Kind.SPATIAL, (buy_key, sell_key),
            (self._side_slot(buy_key, Side.BUY), self._side_slot(sell_key, Side.SELL), _ONE),
            market.base, market.quote,
        )

    def _triangle_route(self, triangle: TriangleRoute) -> _Route:
        keys = tuple((triangle.venue, symbol) for symbol in triangle.symbols)
        s1, s2, s3 = (
            self._side_slot(key, side) for key, (_, side) in zip(keys, triangle.steps, strict=True)
        )
        return _Route(
            triangle.route_id, Kind.TRIANGULAR, keys, (s1, s2, s3),
            triangle.start, triangle.start, triangle,
        )

    def _cross_route(self, cross: CrossRoute) -> _Route:
        third = _ALWAYS if cross.fx is None else self._side_slot(*cross.fx)
        buy, sell = self._side_slot(cross.buy, Side.BUY), self._side_slot(cross.sell, Side.SELL)
        slots = (buy, sell, third)
        return _Route(
            cross.route_id, Kind.CROSS_CURRENCY, cross.keys, slots, cross.base, cross.start, cross
        )

    def _pair_route(self, symbol: str, venue_a: str, venue_b: str) -> _Route:
        route_id = statistical_route_id(symbol, venue_a, venue_b)
        pair = self._pairs.get(route_id)
        if pair is None:
            pair = SpreadPair(symbol, venue_a, venue_b, self._config.stat_window_s, route_id)
            self._pairs[route_id] = pair
        market = self._markets[(venue_a, symbol)]
        keys = ((venue_a, symbol), (venue_b, symbol))
        return _Route(
            route_id, Kind.STATISTICAL, keys, (_ALWAYS, _ONE, _ONE),
            market.base, market.quote, pair,
        )


class _IndexBuilder:
    """Puts each route into a bucket of every book it reads."""

    def __init__(self, calculator: OpportunityCalculator) -> None:
        self._calc = calculator
        self._buckets: dict[tuple[BookKey, object], _Bucket] = {}

    def _bucket(self, key: BookKey, label: object, bound: tuple[int, int, int]) -> _Bucket:
        bucket = self._buckets.get((key, label))
        if bucket is None:
            bucket = self._buckets[(key, label)] = _Bucket(bound)
            self._calc._index.setdefault(key, []).append(bucket)
        return bucket

    def _join(
        self, route: _Route, key: BookKey, label: object, bound: tuple[int, int, int]
    ) -> None:
        bucket = self._bucket(key, label, bound)
        bucket.routes.append(route)
        route.buckets.append(bucket)

    def _best(self, have: str, want: str) -> int:
        """Slot holding the best rate of converting `have` into `want` on any venue."""
        return self._calc._group_slot.get((have, want), _ONE)

    def add(self, route: _Route) -> None:
        calc = self._calc
        a, b, c = route.slots
        if route.kind is Kind.SPATIAL:
            buy, sell = route.keys
            market = calc._markets[buy]
            base, quote = market.base, market.quote
            self._join(route, buy, "buy", (a, self._best(base, quote), _ONE))
            self._join(route, sell, "sell", (self._best(quote, base), b, _ONE))
            return
        payload = route.payload
        if isinstance(payload, CrossRoute) and payload.fx is not None:
            buy_market, sell_market = calc._markets[payload.buy], calc._markets[payload.sell]
            start, base, other = payload.start, payload.base, sell_market.quote
            to_base, to_other, back = (
                self._best(start, base), self._best(base, other), self._best(other, start)
            )
            self._join(route, payload.buy, ("buy", other), (a, to_other, back))
            self._join(route, payload.sell, ("sell", start), (to_base, b, back))
            fx_label = ("fx", buy_market.symbol, sell_market.symbol)
            self._join(route, payload.fx[0], fx_label, (to_base, to_other, c))
            return
        if isinstance(payload, SpreadPair):
            for key in route.keys:
                calc._pairs_of.setdefault(key, []).append(route)
        for key in dict.fromkeys(route.keys):
            self._join(route, key, route.route_id, route.slots)
