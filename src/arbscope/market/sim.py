"""The embedded simulated market: arbscope's default source of books.

`SimMarket` is a pure, deterministic world model: given a seed and the
sequence of times it is stepped to, it always produces the same books. It uses
its own `random.Random(seed)` and never reads the wall clock. `SimFeed` wraps
it as a `Feed` that steps it on a timer.

What it simulates (see sim_venues, sim_world, sim_books):

* six venues named and priced after real ones, with their base-tier fees,
  their real symbol lists and market rules;
* one fair USD price per asset, a random walk with jumps, that each venue sees
  with its own latency and noise;
* every second or two a dislocation, drawn in turn from a shuffled bag so that
  every kind comes round within a few seconds:
  - `venue_lag`: an asset jumps and one venue keeps quoting the old price for
    a few seconds (spatial, cross-currency and statistical routes open);
  - `cross_lag`: an asset jumps and one venue's crypto cross (ETH/BTC ...)
    lags it (triangular routes on that venue);
  - `fx_lag`: an FX market (EUR/USD, USDT/USD, EUR/USDT ...) on one venue
    is off the fair rate (cross-currency and triangular routes);
  - `sweep`: a large order sweeps one side of a book and moves its price
    until the book refills (spatial and statistical).
  Sizes are log-uniform, so many dislocations are smaller than the fees of the
  routes they open and some are comfortably larger.
"""

from __future__ import annotations

import asyncio
import difflib
import math
import random
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence

from arbscope.market.base import BookSink
from arbscope.market.sim_books import SimBook
from arbscope.market.sim_venues import CRYPTO, MARKETS, VENUES, all_symbols, networks_of
from arbscope.market.sim_world import Dislocation, FairPrices, SimEvent, total_offset
from arbscope.models import AssetNetwork, Market, OrderBook, VenueState

EVENT_KINDS = ("venue_lag", "cross_lag", "fx_lag", "sweep")
_EVENT_GAP_S = (1.0, 2.5)
"""Seconds between two dislocations (uniform). Kinds are drawn from a shuffled
bag of all four, so a kind waits at most 7 draws: 17.5 s."""
_MIN_BPS, _MAX_BPS = 6.0, 80.0
"""Dislocation sizes, drawn log-uniform: the median (~22 bps) is about the
round-trip fee of the cheap venues, so roughly half open a profitable route
there and few do on the expensive ones."""
_MAX_EVENTS_PER_STEP = 8
"""After a long pause between steps, old dislocations would have decayed anyway."""
_QUOTE_NOISE_TAU_S = 3.0


class SimMarket:
    """A deterministic simulated market of several venues."""

    def __init__(
        self,
        seed: int = 7,
        start_ts: float = 1_732_400_000.0,
        symbols: Sequence[str] | None = None,
        *,
        rate_scale: float = 1.0,
    ) -> None:
        """`symbols` limits the market to those symbols (None: all; case does not
        matter; a ValueError names the known ones). `rate_scale` multiplies every
        book's update rate (benchmarks push the sim with it)."""
        if not rate_scale > 0:
            raise ValueError(f"rate_scale {rate_scale!r} must be a positive number (1.0 is normal)")
        wanted = _checked_symbols(symbols)
        self._rng = random.Random(seed)
        self._start_ts = start_ts
        self._now: float | None = None
        self._fair = FairPrices(start_ts)
        self._books: list[SimBook] = []
        for venue in VENUES:
            for spec in MARKETS[venue.name]:
                if wanted is not None and spec.symbol not in wanted:
                    continue
                quote_usd = self._fair.usd(spec.quote)
                mid = self._fair.usd(spec.base) / quote_usd
                lo, hi = venue.hz
                quiet = spec.is_fx or spec.is_cross or spec.quote in ("EUR", "USDC")
                hz = (lo + (hi - lo) * self._rng.random()) * (0.5 if quiet else 1.0) * rate_scale
                self._books.append(
                    SimBook(venue, spec, mid, quote_usd, hz, start_ts, self._rng)
                )
        self._venue_lag = {venue.name: venue.lag_s for venue in VENUES}
        # One shared list per (venue, asset): a venue_lag offset moves every
        # market of that venue that trades the asset.
        self._asset_offsets: dict[tuple[str, str], list[Dislocation]] = {}
        self._bag: list[str] = []
        self._next_event_ts = start_ts + self._event_gap()
        self.events: deque[SimEvent] = deque(maxlen=200)
        """The most recent dislocations injected, oldest first."""

    # -- what the market is -------------------------------------------------

    def markets(self) -> list[Market]:
        """Trading rules of every simulated (venue, symbol)."""
        return [
            Market(
                venue=book.venue,
                symbol=book.symbol,
                base=book.base,
                quote=book.quote,
                taker_fee=book.venue_spec.taker_fee,
                maker_fee=book.venue_spec.maker_fee,
                price_tick=book.spec.tick,
                amount_step=book.spec.amount_step,
                min_amount=book.spec.min_amount,
                min_cost=book.spec.min_cost,
                base_networks=tuple(
                    AssetNetwork(network=network) for network in networks_of(book.venue, book.base)
                ),
            )
            for book in self._books
        ]

    @property
    def venues(self) -> tuple[str, ...]:
        """Venues with at least one market (after the `symbols` filter)."""
        listed = {book.venue for book in self._books}
        return tuple(venue.name for venue in VENUES if venue.name in listed)

    @property
    def symbols(self) -> tuple[str, ...]:
        """All symbols any venue lists (after the `symbols` filter), sorted."""
        return tuple(sorted({book.symbol for book in self._books}))

    @property
    def now(self) -> float:
        """Time of the last step (the start time before the first)."""
        return self._start_ts if self._now is None else self._now

    def fair_usd(self, asset: str) -> float:
        """The current fair value of `asset` in USD (what every venue is anchored to)."""
        return self._fair.usd(asset)

    # -- time ------------------------------------------------------------------

    def step(self, now: float) -> list[OrderBook]:
        """Advance the world to `now`; returns the books that changed (each once).

        The first step returns every book. A `now` not after the previous one
        changes nothing.
        """
        if self._now is not None and now <= self._now:
            return []
        dt = max(0.0, now - self.now)
        self._now = now
        rng = self._rng
        self._fair.advance(dt, rng)
        fired = 0
        while self._next_event_ts <= now:
            if fired < _MAX_EVENTS_PER_STEP:
                self._fire(self._next_event_ts)
                fired += 1
            self._next_event_ts += self._event_gap()
            if fired >= _MAX_EVENTS_PER_STEP and self._next_event_ts <= now:
                self._next_event_ts = now + self._event_gap()
        self._fair.record(now)

        views: dict[str, tuple[float, ...]] = {}
        changed: list[OrderBook] = []
        for book in self._books:
            if book.next_ts > now:
                continue
            interval = book.interval_s * (0.5 + rng.random())
            book.next_ts = max(book.next_ts + interval, now + 0.2 * interval)
            view = views.get(book.venue)
            if view is None:
                view = views[book.venue] = self._fair.seen_at(now - self._venue_lag[book.venue])
            log_mid = (
                self._seen_log_usd(book.venue, book.base, view, now)
                - self._seen_log_usd(book.venue, book.quote, view, now)
                + book.basis
                + book.update_noise(now, rng, _QUOTE_NOISE_TAU_S)
            )
            if book.dislocations:
                log_mid += total_offset(book.dislocations, now)
            book.reshape(rng)
            bids, asks = book.levels(math.exp(log_mid), now)
            changed.append(OrderBook.from_feed(book.venue, book.symbol, now, bids, asks))
        return changed

    def run_for(self, seconds: float, dt: float = 0.1) -> Iterator[tuple[float, list[OrderBook]]]:
        """Step `seconds` of simulated time in steps of `dt`: yields (now, changed books).

        Times are computed as start + i * dt, so long runs do not drift.
        """
        if not (dt > 0 and seconds >= 0):
            raise ValueError(f"run_for needs seconds >= 0 and dt > 0, got {seconds!r}, {dt!r}")
        origin = self.now
        steps = math.floor(seconds / dt + 1e-9)
        first = 0 if self._now is None else 1
        for i in range(first, steps + 1):
            now = origin + i * dt
            yield now, self.step(now)

    # -- dislocations ---------------------------------------------------------

    def _seen_log_usd(self, venue: str, asset: str, view: tuple[float, ...], now: float) -> float:
        if asset == "USD":
            return 0.0
        logs = view[self._fair.index[asset]]
        offsets = self._asset_offsets.get((venue, asset))
        if offsets:
            logs += total_offset(offsets, now)
        return logs

    def _event_gap(self) -> float:
        lo, hi = _EVENT_GAP_S
        return lo + (hi - lo) * self._rng.random()

    def _magnitude(self) -> float:
        """Signed log size of a dislocation, log-uniform in [_MIN_BPS, _MAX_BPS]."""
        bps = _MIN_BPS * math.exp(math.log(_MAX_BPS / _MIN_BPS) * self._rng.random())
        return bps * 1e-4 * self._rng.choice((-1.0, 1.0))

    def _fire(self, ts: float) -> None:
        if not self._bag:
            self._bag = list(EVENT_KINDS)
            self._rng.shuffle(self._bag)
        kind = self._bag.pop()
        rng = self._rng
        size = self._magnitude()
        hold = 1.0 + 2.5 * rng.random()
        if kind == "venue_lag":
            candidates = [b for b in self._books if b.base in CRYPTO]
            if not candidates:
                return
            lagging = rng.choice(candidates)
            asset = lagging.base
            self._fair.jump(asset, size)
            offsets = self._asset_offsets.setdefault((lagging.venue, asset), [])
            offsets.append(Dislocation(-size, ts + hold, tau_s=0.5))
            self._log(ts, kind, lagging.venue, asset, -size, hold)
        elif kind == "cross_lag":
            candidates = [b for b in self._books if b.spec.is_cross]
            if not candidates:
                return
            book = rng.choice(candidates)
            mover = rng.choice((book.base, book.quote))
            self._fair.jump(mover, size)
            # The pair should have moved by +size (base moved) or -size (quote
            # moved); lagging leaves it where it was.
            offset = -size if mover == book.base else size
            book.dislocations.append(Dislocation(offset, ts + hold, tau_s=0.5))
            self._log(ts, kind, book.venue, book.symbol, offset, hold)
        elif kind == "fx_lag":
            candidates = [b for b in self._books if b.spec.is_fx]
            if not candidates:
                return
            book = rng.choice(candidates)
            book.dislocations.append(Dislocation(size, ts + hold, tau_s=0.5))
            self._log(ts, kind, book.venue, book.symbol, size, hold)
        else:  # sweep
            candidates = [b for b in self._books if not b.spec.is_fx]
            if not candidates:
                return
            book = rng.choice(candidates)
            hold = 0.3 + 1.2 * rng.random()
            book.dislocations.append(Dislocation(size, ts + hold, tau_s=0.8))
            # A buy sweep took the asks (price up); a sell sweep took the bids.
            book.swept_side = "asks" if size > 0 else "bids"
            book.swept_until = ts + hold
            book.next_ts = min(book.next_ts, ts)  # the sweep is itself a book update
            self._log(ts, kind, book.venue, book.symbol, size, hold)

    def _log(self, ts: float, kind: str, venue: str, target: str, size: float, hold: float) -> None:
        self.events.append(SimEvent(ts, kind, venue, target, round(size * 1e4, 2), round(hold, 2)))


def _checked_symbols(symbols: Sequence[str] | None) -> frozenset[str] | None:
    """The wanted symbols, upper-cased; a ValueError names what is known."""
    if symbols is None:
        return None
    if isinstance(symbols, str):
        symbols = [s for s in symbols.split(",") if s.strip()]
    known = all_symbols()
    wanted = [s.strip().upper() for s in symbols]
    if not wanted:
        raise ValueError(f"no symbols given; the simulated market lists: {', '.join(known)}")
    for symbol in wanted:
        if symbol not in known:
            close = difflib.get_close_matches(symbol, known, n=3, cutoff=0.5)
            hint = ""
            if close:
                options = f"{', '.join(close[:-1])} or {close[-1]}" if len(close) > 1 else close[0]
                hint = f" Did you mean {options}?"
            raise ValueError(
                f"unknown symbol {symbol!r} for the simulated market.{hint} "
                f"Known symbols: {', '.join(known)}"
            )
    return frozenset(wanted)


class SimFeed:
    """The simulated market as a Feed: steps a SimMarket every `tick_s` of `clock`."""

    name = "SIM"

    def __init__(
        self,
        seed: int = 7,
        symbols: Sequence[str] | None = None,
        clock: Callable[[], float] = time.time,
        tick_s: float = 0.1,
        *,
        rate_scale: float = 1.0,
    ) -> None:
        if not tick_s > 0:
            raise ValueError(f"tick_s {tick_s!r} must be a positive number of seconds")
        self._clock = clock
        self._tick_s = tick_s
        self.market = SimMarket(seed=seed, start_ts=clock(), symbols=symbols, rate_scale=rate_scale)

    @property
    def venues(self) -> tuple[str, ...]:
        return self.market.venues

    def markets(self) -> list[Market]:
        return self.market.markets()

    async def run(self, sink: BookSink) -> None:
        """Publish every changed book each tick until cancelled; venues go live on their first."""
        live: set[str] = set()
        while True:
            for book in self.market.step(self._clock()):
                sink.submit(book.venue, book.symbol, book.ts, book.bids, book.asks)
                if book.venue not in live:
                    live.add(book.venue)
                    sink.set_state(book.venue, VenueState.LIVE)
            await asyncio.sleep(self._tick_s)
