"""Statistical arbitrage: mean reversion of the spread between two venues.

For one symbol listed on two venues A < B (sorted by name) the tracked series
is x = log(mid_A / mid_B). A time-windowed rolling mean and standard deviation
of x give z = (x - mean) / std for the newest sample. When abs(z) >= entry_z
the spread is expected to revert: z > 0 means A is rich (sell on A, buy on B),
z < 0 the reverse. The position is expected to close once abs(z) <= exit_z.

This is an *expectation*, never a risk-free edge: the opportunity says so in
its detail, and its gross figure is the expected reversion, not a locked-in
price difference. Its net is what that reversion leaves after crossing both
books' spreads on the way in and on the way out, and after the round-trip fees
(engine/statistical_net.py says how, and why the exit crossing is taken from
the current books).

Conventions (pinned by tests):

* The window holds the samples whose time is within `window_s` seconds of the
  newest sample: ts > newest_ts - window_s. Expiry follows sample time, not the
  wall clock, so the same samples give the same statistics whenever they are
  read (the calculator's full recompute relies on it).
* Sample times never go backwards: a sample older than the newest one is
  recorded at the newest time (books of two venues arrive in any order).
* `std` is the population standard deviation (divide by n) of the window, the
  newest sample included.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import combinations

from arbscope.engine.config import EngineConfig
from arbscope.engine.fills import Fill, taker_leg
from arbscope.engine.route_index import ALWAYS_SLOT, ONE_SLOT, BuildContext, KindSpec, Route
from arbscope.engine.statistical_net import ExpectedNet, expected_net_at, max_expected_size
from arbscope.models import (
    BookKey,
    Kind,
    Leg,
    Market,
    Opportunity,
    OrderBook,
    Side,
    StatisticalRoute,
)

EXPECTED_NOTE = "expected (not risk-free)"
"""What `detail["expected"]` says on every statistical opportunity."""

_REBUILD_SLACK = 32
"""Removals beyond the window length before the running sums are rebuilt."""


class RollingStats:
    """Mean and population standard deviation of the samples of the last `window_s` seconds.

    O(1) amortized per sample: a deque of (ts, value) and running sums of
    (value - shift). `shift` is a value near the mean, so the sums stay small and
    sum_sq / n - (sum / n)^2 does not cancel catastrophically. Removing samples
    leaves rounding dust in the sums; they are rebuilt from the deque (with a
    fresh shift = current mean) after as many removals as the window holds,
    which keeps the cost amortized O(1) and the error bounded.
    """

    __slots__ = ("_last_ts", "_removed", "_samples", "_shift", "_sum", "_sum_sq", "_window_s")

    def __init__(self, window_s: float) -> None:
        self._window_s = _checked_window(window_s)
        self._samples: deque[tuple[float, float]] = deque()
        self._shift = 0.0
        self._sum = 0.0
        self._sum_sq = 0.0
        self._last_ts = -math.inf
        self._removed = 0

    @property
    def window_s(self) -> float:
        return self._window_s

    def set_window(self, window_s: float) -> None:
        """Change the window length; a shorter window drops its old samples at once."""
        self._window_s = _checked_window(window_s)
        if self._samples:
            self._expire(self._last_ts - self._window_s)

    def clear(self) -> None:
        self._samples.clear()
        self._sum = self._sum_sq = 0.0
        self._last_ts = -math.inf
        self._removed = 0

    def add(self, ts: float, value: float) -> None:
        """Record `value` at time `ts` and drop the samples that left the window."""
        if not (math.isfinite(ts) and math.isfinite(value)):
            raise ValueError(f"sample ({ts!r}, {value!r}) must be two finite numbers")
        if ts < self._last_ts:
            ts = self._last_ts
        samples = self._samples
        if not samples:
            # A fresh shift: the first sample is as good a guess of the mean as any.
            self._shift = value
            self._sum = self._sum_sq = 0.0
        d = value - self._shift
        samples.append((ts, value))
        self._sum += d
        self._sum_sq += d * d
        self._last_ts = ts
        if samples[0][0] <= ts - self._window_s:
            self._expire(ts - self._window_s)

    def _expire(self, cutoff: float) -> None:
        samples = self._samples
        shift = self._shift
        removed = 0
        while samples and samples[0][0] <= cutoff:
            d = samples.popleft()[1] - shift
            self._sum -= d
            self._sum_sq -= d * d
            removed += 1
        self._removed += removed
        if self._removed > len(samples) + _REBUILD_SLACK:
            self._rebuild()

    def _rebuild(self) -> None:
        samples = self._samples
        self._removed = 0
        if not samples:
            self._sum = self._sum_sq = 0.0
            return
        self._shift = self.mean
        shift = self._shift
        total = 0.0
        total_sq = 0.0
        for _, value in samples:
            d = value - shift
            total += d
            total_sq += d * d
        self._sum = total
        self._sum_sq = total_sq

    @property
    def count(self) -> int:
        return len(self._samples)

    @property
    def last_ts(self) -> float:
        """Time of the newest sample (-inf before the first)."""
        return self._last_ts

    @property
    def mean(self) -> float:
        n = len(self._samples)
        if n == 0:
            return math.nan
        return self._shift + self._sum / n

    @property
    def variance(self) -> float:
        """Population variance (divide by n); 0.0 for fewer than two samples."""
        n = len(self._samples)
        if n < 2:
            return 0.0
        m = self._sum / n
        # Rounding can leave a tiny negative where the true value is 0.
        return max(0.0, self._sum_sq / n - m * m)

    @property
    def std(self) -> float:
        return math.sqrt(self.variance)

    def z_score(self, value: float, min_samples: int) -> float | None:
        """(value - mean) / std, or None with fewer than `min_samples` samples or std 0."""
        if len(self._samples) < min_samples:
            return None
        std = self.std
        if std <= 0.0:
            return None
        return (value - self.mean) / std

    def values(self) -> list[float]:
        """The samples in the window, oldest first (for tests and inspection)."""
        return [value for _, value in self._samples]


def _checked_window(window_s: float) -> float:
    if not (math.isfinite(window_s) and window_s > 0):
        raise ValueError(f"window {window_s!r} must be a positive number of seconds")
    return float(window_s)


def statistical_route_id(symbol: str, venue_a: str, venue_b: str) -> str:
    """`"statistical:BTC/USDT:binance~okx"`: one id per pair, whichever way the signal points."""
    return f"statistical:{symbol}:{venue_a}~{venue_b}"


@dataclass(slots=True, eq=False)
class SpreadPair:
    """The running state of log(mid_A / mid_B) for one symbol on venues A < B."""

    symbol: str
    venue_a: str
    venue_b: str
    window_s: float
    route_id: str = ""
    stats: RollingStats = field(init=False)
    last_x: float = math.nan
    """The newest sample of x."""
    sampled_books: tuple[OrderBook, OrderBook] | None = None
    """The (A, B) books the newest sample was taken from; the signal is only
    valid while both are still the current books."""
    route: StatisticalRoute = field(init=False)
    """The pair as an opportunity names it."""

    def __post_init__(self) -> None:
        if not self.venue_a < self.venue_b:
            raise ValueError(
                f"statistical pair needs venue_a < venue_b, got {self.venue_a!r}, {self.venue_b!r}"
            )
        self.stats = RollingStats(self.window_s)
        if not self.route_id:
            self.route_id = statistical_route_id(self.symbol, self.venue_a, self.venue_b)
        self.route = StatisticalRoute(
            route_id=self.route_id, symbol=self.symbol, venue_a=self.venue_a, venue_b=self.venue_b
        )

    def sample(self, book_a: OrderBook, book_b: OrderBook) -> bool:
        """Add x from the two books (at the newer book's time); False when a mid is missing."""
        mid_a = book_a.mid
        mid_b = book_b.mid
        if mid_a is None or mid_b is None:
            return False
        self.add(max(book_a.ts, book_b.ts), math.log(mid_a / mid_b), book_a, book_b)
        return True

    def add(self, ts: float, x: float, book_a: OrderBook, book_b: OrderBook) -> None:
        """Add a precomputed x (the calculator caches log mids); a non-finite one is skipped.

        Books are range-checked at the door, but a sample that still overflows (x from
        mids at the range's ends) must cost one point of the series, not the scan.
        """
        if not (math.isfinite(ts) and math.isfinite(x)):
            return
        self.stats.add(ts, x)
        self.last_x = x
        self.sampled_books = (book_a, book_b)

    def clear(self) -> None:
        self.stats.clear()
        self.last_x = math.nan
        self.sampled_books = None


def evaluate_statistical(
    pair: SpreadPair,
    book_a: OrderBook,
    book_b: OrderBook,
    market_a: Market,
    market_b: Market,
    config: EngineConfig,
    target_size: float | None,
    now: float,
) -> Opportunity | None:
    """The entry signal of `pair` on its current books, or None when there is none.

    `target_size` is in base currency; None (no valuation of the base) sizes at
    the top level: the smaller of the best ask and best bid sizes the legs hit.
    Figures (engine/statistical_net.py, the one place they are computed):
    gross_bps = abs(x - mean) * 1e4, the expected reversion; the net is that
    reversion on the entry notional minus the entry crossing (both entry walks
    against the mids), minus the expected exit crossing (the closing orders
    walked at the same size on the current books' other sides), minus round-trip
    fees; net_bps = net / notional * 1e4. max_size is the largest size whose
    expected net is still > 0.
    """
    books = pair.sampled_books
    if books is None or books[0] is not book_a or books[1] is not book_b:
        return None
    stats = pair.stats
    x = pair.last_x
    z = stats.z_score(x, config.stat_min_samples)
    if z is None or abs(z) < config.stat_entry_z:
        return None
    if z > 0:  # A is rich: sell on A, buy on B
        buy_book, sell_book, buy_market, sell_market = book_b, book_a, market_b, market_a
    else:
        buy_book, sell_book, buy_market, sell_market = book_a, book_b, market_a, market_b
    if not buy_book.asks or not sell_book.bids:
        return None
    if target_size is None:
        target_size = min(buy_book.asks[0][1], sell_book.bids[0][1])
    mean = stats.mean
    gross_bps = abs(x - mean) * 1e4
    found = expected_net_at(buy_book, sell_book, buy_market, sell_market, target_size, gross_bps)
    if found is None:
        return None
    buy, sell = found.buy, found.sell
    notional = buy.cost
    max_size, net_at_max = max_expected_size(
        buy_book, sell_book, buy_market, sell_market, gross_bps
    )
    return Opportunity(
        kind=Kind.STATISTICAL,
        route=pair.route,
        route_id=pair.route_id,
        legs=_legs(buy_book, sell_book, found, buy_market, sell_market),
        size=buy.amount,
        max_size=max_size,
        size_currency=buy_market.base,
        profit_currency=buy_market.quote,
        notional=notional,
        buy_vwap=buy.vwap,
        sell_vwap=sell.vwap,
        gross_bps=gross_bps,
        fees=found.fees,
        net_profit=found.net,
        net_bps=found.net / notional * 1e4,
        net_profit_at_max=net_at_max,
        waterfall=found.waterfall(buy_book.venue, sell_book.venue),
        ts=now,
        book_ts=(buy_book.ts, sell_book.ts),
        z_score=z,
        detail={
            "expected": EXPECTED_NOTE,
            "x": x,
            "mean": mean,
            "std": stats.std,
            "entry_z": config.stat_entry_z,
            "exit_z": config.stat_exit_z,
            "exit": f"close when abs(z) <= {config.stat_exit_z:g}",
            "window_s": stats.window_s,
            "samples": float(stats.count),
            "rich_venue": sell_book.venue,
            **_crossing_detail(found),
        },
    )


def _crossing_detail(found: ExpectedNet) -> dict[str, float | str]:
    return {
        "entry_spread_bps": found.entry_spread_bps,
        "exit_spread_bps": found.exit_spread_bps,
        "entry_crossing": found.entry_crossing,
        "exit_crossing": found.exit_crossing,
    }


def _legs(
    buy_book: OrderBook,
    sell_book: OrderBook,
    found: ExpectedNet,
    buy_market: Market,
    sell_market: Market,
) -> tuple[Leg, Leg]:
    return (
        _leg(buy_book, Side.BUY, found.buy, buy_market.taker_fee),
        _leg(sell_book, Side.SELL, found.sell, sell_market.taker_fee),
    )


def _leg(book: OrderBook, side: Side, fill: Fill, fee_rate: float) -> Leg:
    """The entry order; its fee is the entry half of the round trip."""
    return taker_leg(book.venue, book.symbol, side, fill, fee_rate)


def resize_statistical(
    opportunity: Opportunity,
    size: float,
    books: Mapping[BookKey, OrderBook],
    markets: Mapping[BookKey, Market],
    now: float = 0.0,
    config: EngineConfig | None = None,
) -> Opportunity | None:
    """The position re-walked at `size`, the expected edge (gross_bps) kept.

    A signal cannot be re-derived without its rolling window, but its edge, the
    distance of the spread from its mean, does not depend on size; the crossings
    and fees are re-walked on the current books by the same `expected_net` the
    calculator uses. None when the size rounds to nothing or an order would
    break a market's minimums.
    """
    buy_key = (opportunity.legs[0].venue, opportunity.legs[0].symbol)
    sell_key = (opportunity.legs[1].venue, opportunity.legs[1].symbol)
    buy_book, sell_book = books[buy_key], books[sell_key]
    buy_market, sell_market = markets[buy_key], markets[sell_key]
    gross_bps = opportunity.gross_bps
    found = expected_net_at(buy_book, sell_book, buy_market, sell_market, size, gross_bps)
    if found is None:
        return None
    buy, sell = found.buy, found.sell
    max_size, net_at_max = max_expected_size(
        buy_book, sell_book, buy_market, sell_market, gross_bps
    )
    return opportunity.model_copy(
        update={
            "legs": _legs(buy_book, sell_book, found, buy_market, sell_market),
            "size": buy.amount,
            "max_size": max_size,
            "notional": buy.cost,
            "buy_vwap": buy.vwap,
            "sell_vwap": sell.vwap,
            "fees": found.fees,
            "net_profit": found.net,
            "net_bps": found.net / buy.cost * 1e4,
            "net_profit_at_max": net_at_max,
            "waterfall": found.waterfall(buy_book.venue, sell_book.venue),
            "book_ts": (buy_book.ts, sell_book.ts),
            "detail": {**opportunity.detail, **_crossing_detail(found)},
        }
    )


def _spec_build(context: BuildContext) -> Iterator[Route]:
    pairs = context.state
    for symbol, venues in context.by_symbol.items():
        for venue_a, venue_b in combinations(venues, 2):
            route_id = statistical_route_id(symbol, venue_a, venue_b)
            pair = pairs.get(route_id)
            if pair is None:
                pair = SpreadPair(symbol, venue_a, venue_b, context.config.stat_window_s, route_id)
                pairs[route_id] = pair
            market = context.markets[(venue_a, symbol)]
            yield Route(
                route_id, STATISTICAL, pair.route.keys, (ALWAYS_SLOT, ONE_SLOT),
                market.base, market.quote, pair,
            )


def _spec_evaluate(
    route: Route,
    books: Mapping[BookKey, OrderBook],
    markets: Mapping[BookKey, Market],
    config: EngineConfig,
    target: float | None,
    now: float,
) -> Opportunity | None:
    key_a, key_b = route.keys
    return evaluate_statistical(
        route.payload, books[key_a], books[key_b], markets[key_a], markets[key_b],
        config, target, now,
    )


STATISTICAL = KindSpec(
    kind=Kind.STATISTICAL,
    short="stat",
    label="statistical",
    build=_spec_build,
    evaluate=_spec_evaluate,
    resize=resize_statistical,
    moves_inventory=False,
    inventory_note="the position closes on the same venues",
    sampled=True,
    expected=True,
)
