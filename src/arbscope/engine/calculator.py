"""The incremental opportunity calculator: a book update looks only at the routes reading it.

Every route (spatial pair, triangle, cross-currency route, statistical pair)
is indexed by the (venue, symbol) books it reads (`route_index`). `update`
stores the new books and, for their routes only, either closes a route at
once (its top-of-book rate before fees is clearly <= 1, so no evaluator
would return anything) or marks it for evaluation. `opportunities(now)`
evaluates the marked routes, each once however many of its books changed
since the last read, and returns the open ones. `recompute_all(now)`
evaluates every route from the current books; the two paths give the same
opportunities (a property test holds them equal).

Statistical pairs take one sample of log(mid_A / mid_B) per `update` call in
which either book changed, both books being fresh and two-sided; the sample
time is the newer book's ts.

Routes are kept down to `config.near_miss_floor_bps` net (`min_net_bps` less
the near-miss band): one that cannot reach it after its fees even at the top of
its books is closed unseen (`route_index.fee_floor`), one that ends below it
after evaluation is closed.

Books older than `config.book_age_limit(venue)` at the `now` of a call are not
used: an update already stale is skipped (as is one older than the book
held), and an open route whose books age out leaves `opportunities(now)`
without any update.

The valuation (sizing and ranking only, see `valuation`) is refreshed when an
evaluation pass starts, at most once per second of `now`. Values move only
beyond a tolerance, and the routes sized or ranked in a currency whose value
moved are evaluated again, so every route's figures use the snapshot in
force. A route whose size currency has no value is sized without a target:
spatial, triangular and cross-currency routes at their `max_size` (or, when
nothing pays after fees, the depth that pays before), statistical pairs at
the top level.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from arbscope.engine.config import EngineConfig
from arbscope.engine.kinds import KINDS
from arbscope.engine.route_index import (
    Bucket,
    RateTable,
    Route,
    RouteIndex,
    route_counts,
)
from arbscope.engine.statistical import SpreadPair
from arbscope.engine.valuation import ValuationGraph, ValuationSnapshot
from arbscope.models import BookKey, Market, Opportunity, OrderBook


class OpportunityCalculator:
    """Routes over the latest books; see the module docstring for the rules."""

    def __init__(self, config: EngineConfig, markets: Iterable[Market] = ()) -> None:
        self._config = config
        self._limits = dict(config.max_book_age)
        self._markets: dict[BookKey, Market] = {}
        self._books: dict[BookKey, OrderBook] = {}
        self._log_mid: dict[BookKey, float] = {}
        self._now = -math.inf
        self._graph = ValuationGraph()
        self._snapshot = ValuationSnapshot(config.reference_currency)
        self._pairs: dict[str, SpreadPair] = {}
        self._z: dict[str, float] = {}
        """Route id -> z of each statistical pair's newest sample (read by `spread_z`)."""
        self._table = RateTable({})
        self._index = RouteIndex({}, config, self._table, self._pairs, KINDS)
        self._open: dict[str, Route] = {}
        self._dirty: dict[str, Route] = {}
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
        """Adopt new choices (trade size, kinds, windows ...); every route is evaluated again."""
        old, self._config = self._config, config
        self._limits = dict(config.max_book_age)
        if config.reference_currency != old.reference_currency:
            self._snapshot = ValuationSnapshot(config.reference_currency)
        self._snapshot.invalidate()
        if config.stat_window_s != old.stat_window_s:
            for pair in self._pairs.values():
                pair.stats.set_window(config.stat_window_s)
        self._rebuild()
        if (config.stat_window_s, config.stat_min_samples) != (
            old.stat_window_s, old.stat_min_samples
        ):
            self._refresh_z()

    def update(self, books: Iterable[OrderBook], now: float) -> None:
        """Store new books; close or mark for evaluation the routes that read them."""
        self._now = max(self._now, now)
        stored, limits = self._books, self._limits
        default_limit = self._config.default_max_book_age
        changed: dict[BookKey, None] = {}
        for book in books:
            key = (book.venue, book.symbol)
            held = stored.get(key)
            if held is not None and book.ts < held.ts:
                continue  # arrived out of order: the newer book stays
            if book.ts + limits.get(book.venue, default_limit) < now:
                continue  # already too old to use
            stored[key] = book
            bids, asks = book.bids, book.asks
            self._log_mid[key] = (
                math.log((bids[0][0] + asks[0][0]) * 0.5) if bids and asks else math.nan
            )
            self._table.set_book(key, book)
            changed[key] = None
        if changed:
            self._sample_pairs(changed, now)
            self._mark(changed)

    def recompute_all(self, now: float) -> None:
        """Evaluate every route from the current books (statistical pairs from their windows)."""
        self._advance(now)
        self._dirty.clear()
        for route in self._index.routes.values():
            self._check(route, now)

    def opportunities(self, now: float) -> list[Opportunity]:
        """The open routes whose books are all fresh at `now`, best net_bps first."""
        self._advance(now)
        dirty, self._dirty = self._dirty, {}
        for route in dirty.values():
            self._check(route, now)
        found: list[Opportunity] = []
        for route in list(self._open.values()):
            if route.expiry < now and route.needs:
                self._check(route, now)  # the alternative it chose aged out: another may close it
            if route.expiry < now or route.opportunity is None:
                self._close(route)
            else:
                found.append(route.opportunity)
        found.sort(key=lambda o: (-o.net_bps, o.route_id))
        return found

    def drop_venue(self, venue: str) -> None:
        """Forget a venue's books at once (it is down); its routes close until books return."""
        index = self._index
        for key in [key for key in self._books if key[0] == venue]:
            del self._books[key]
            self._log_mid.pop(key, None)
            self._table.set_book(key, None)
            for bucket in index.buckets_of.get(key, ()):
                if bucket.open:
                    self._rule_out(bucket)
            self._close_all(index.pairs_of.get(key, ()))
        for pair in self._pairs.values():
            if venue in (pair.venue_a, pair.venue_b):
                pair.clear()  # a window across an outage would mix two market regimes
                self._z.pop(pair.route_id, None)

    def drop_book(self, key: BookKey) -> None:
        """Forget one book at once (its feed is resynchronising it); its routes close until
        its next book."""
        if self._books.pop(key, None) is None:
            return
        self._log_mid.pop(key, None)
        self._table.set_book(key, None)
        index = self._index
        for bucket in index.buckets_of.get(key, ()):
            if bucket.open:
                self._close_all(bucket.routes)
        self._close_all(index.pairs_of.get(key, ()))

    def spread_z(self, route_id: str) -> float | None:
        """The z of a statistical pair's newest sample, whether or not it is past the entry.

        None for an unknown route, a pair with fewer than `stat_min_samples`
        samples or a flat window, and a pair whose last update had no usable
        books. The broker's auto-close reads it (`close_reverted`) to see a
        spread come back inside the exit band, where no opportunity shows it.

        O(1) and safe to call from another thread: it is one `dict.get` of a
        float the scanner's thread stored whole (one atomic operation under the
        GIL; floats are immutable), never the rolling window's running sums,
        which are only consistent between two of that thread's updates.
        """
        return self._z.get(route_id)

    def valuation(self) -> Mapping[str, float]:
        """Currency -> value of one unit in the reference currency (sizing and ranking only)."""
        return self._snapshot.values

    def route_counts(self) -> dict[str, int]:
        """How many routes of each kind are indexed (kinds switched off count 0)."""
        return route_counts(self._index.routes.values(), (spec.kind for spec in KINDS))

    # --- after an update --------------------------------------------------------------------

    def _mark(self, changed: Iterable[BookKey]) -> None:
        rates = self._table.rates
        dirty = self._dirty
        buckets_of = self._index.buckets_of
        for key in changed:
            for bucket in buckets_of.get(key, ()):
                w, x, y, z = bucket.wide
                if rates[w] * rates[x] * rates[y] * rates[z] < bucket.floor:
                    if bucket.open:
                        self._rule_out(bucket)
                    continue
                for route in bucket.routes:
                    a, b, c, d = route.wide
                    if rates[a] * rates[b] * rates[c] * rates[d] >= route.floor:
                        dirty[route.route_id] = route
                    elif route.opportunity is not None:
                        self._close(route)

    def _sample_pairs(self, changed: Iterable[BookKey], now: float) -> None:
        """One sample per pair and update; pairs without a signal close at once."""
        books, log_mid, limits = self._books, self._log_mid, self._limits
        config = self._config
        default_limit, min_samples, entry_z = (
            config.default_max_book_age, config.stat_min_samples, config.stat_entry_z
        )
        seen: set[str] = set()
        for key in changed:
            for route in self._index.pairs_of.get(key, ()):
                if route.route_id in seen:
                    continue
                seen.add(route.route_id)
                key_a, key_b = route.keys
                book_a, book_b = books.get(key_a), books.get(key_b)
                pair = route.payload
                x = log_mid[key_a] - log_mid[key_b] if book_a and book_b else math.nan
                if (
                    book_a is None
                    or book_b is None
                    or x != x  # NaN: a one-sided book has no mid
                    or book_a.ts + limits.get(key_a[0], default_limit) < now
                    or book_b.ts + limits.get(key_b[0], default_limit) < now
                    or not isinstance(pair, SpreadPair)
                ):
                    self._z.pop(route.route_id, None)
                    self._dirty[route.route_id] = route  # the evaluation will say None
                    continue
                pair.add(max(book_a.ts, book_b.ts), x, book_a, book_b)
                # The same test evaluate_statistical starts with.
                z = pair.stats.z_score(x, min_samples)
                if z is None:
                    self._z.pop(route.route_id, None)
                else:
                    self._z[route.route_id] = z
                if z is None or abs(z) < entry_z:
                    if route.opportunity is not None:
                        self._close(route)
                else:
                    self._dirty[route.route_id] = route

    # --- evaluation -------------------------------------------------------------------------

    def _check(self, route: Route, now: float) -> None:
        if self._table.top_rate(route.slots) < route.floor:
            if route.opportunity is not None:
                self._close(route)
        else:
            self._evaluate(route, now)

    def _evaluate(self, route: Route, now: float) -> None:
        books, limits = self._books, self._limits
        default_limit = self._config.default_max_book_age
        expiry = math.inf
        for key in route.needed:
            book = books.get(key)
            book_expiry = -math.inf if book is None else book.ts + limits.get(key[0], default_limit)
            if book_expiry < now:
                self._close(route)
                return
            expiry = min(expiry, book_expiry)
        found = self._evaluate_kind(route, now)
        if found is None or found.net_bps < self._config.near_miss_floor_bps:
            self._close(route)
            return
        if route.needs and found.route is not None:
            # It chose among alternatives: it lasts as long as the books it chose.
            for key in found.route.keys:
                book = books[key]
                expiry = min(expiry, book.ts + limits.get(key[0], default_limit))
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

    def _evaluate_kind(self, route: Route, now: float) -> Opportunity | None:
        config = self._config
        target = self._snapshot.target(config.trade_notional, route.size_currency)
        return route.spec.evaluate(route, self._books, self._markets, config, target, now)

    def _close(self, route: Route) -> None:
        if route.opportunity is None:
            return
        route.opportunity = None
        route.expiry = -math.inf
        del self._open[route.route_id]
        for bucket in route.buckets:
            bucket.open -= 1

    def _rule_out(self, bucket: Bucket) -> None:
        """Its book cannot make its routes pay: close them, or, when they only may choose
        that book, evaluate the open ones again (they may close through another)."""
        if not bucket.alternative:
            self._close_all(bucket.routes)
            return
        for route in bucket.routes:
            if route.opportunity is not None:
                self._dirty[route.route_id] = route

    def _close_all(self, routes: Iterable[Route]) -> None:
        for route in routes:
            if route.opportunity is not None:
                self._close(route)

    def _advance(self, now: float) -> None:
        """Move the clock; refresh the valuation when due and mark what it moved."""
        self._now = max(self._now, now)
        snapshot = self._snapshot
        if not snapshot.due(now):
            return
        changed = snapshot.refresh(
            now, self._graph.values(snapshot.reference, lambda key: self._fresh_mid(key, now))
        )
        for currency in changed:
            for route in self._index.by_currency.get(currency, ()):
                self._dirty[route.route_id] = route

    def _fresh_mid(self, key: BookKey, now: float) -> float | None:
        book = self._books.get(key)
        if book is None or book.ts + self._config.book_age_limit(key[0]) < now:
            return None
        return book.mid

    def _refresh_z(self) -> None:
        """The z of every pair again, after its window or minimum sample count changed."""
        min_samples = self._config.stat_min_samples
        for route_id, pair in self._pairs.items():
            z = pair.stats.z_score(pair.last_x, min_samples) if pair.last_x == pair.last_x else None
            if z is None:
                self._z.pop(route_id, None)
            else:
                self._z[route_id] = z

    def _rebuild(self) -> None:
        """A new index for new markets or kinds; open runs carry over, everything is re-checked."""
        previous = self._index.routes
        self._table = RateTable(self._markets)
        for key, book in self._books.items():
            self._table.set_book(key, book)
        self._index = RouteIndex(self._markets, self._config, self._table, self._pairs, KINDS)
        self._open = {}
        self._dirty = dict(self._index.routes)
        for route_id, route in self._index.routes.items():
            old = previous.get(route_id)
            if old is not None and old.opportunity is not None:
                route.opportunity, route.expiry = old.opportunity, old.expiry
                self._open[route_id] = route
                for bucket in route.buckets:
                    bucket.open += 1
