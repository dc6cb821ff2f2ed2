"""Calculator budget: one book update re-evaluates only its routes, fast.

A synthetic market of 10 venues x 50 symbols x 20 levels a side, quoted in
USDT, USD, USDC, EUR and BTC with FX markets (EUR/USD, USDT/USD, USDC/USDT
...), so every kind of route exists. Each venue's price of a symbol is the
common price times a small mean-reverting venue offset (a few bps), so the
statistical pairs see a stationary spread; now and then one book jumps
30-80 bps (a dislocation) and opens spatial, cross and statistical routes
until its offset decays. The clock advances 1 ms per update (1000 updates/s,
each book about twice a second) and, as the Scanner does, opportunities are
read every 50 ms of that clock: `update` only closes routes or marks them,
the read evaluates the marked ones, so its cost is reported too.

`run` measures it twice, with 4-leg cycles off (the default) and on
(`max_cycle_legs = 4`, figures named `calculator_4leg_*`); the second run
starts from a collected heap.

Budget (this 2-core machine): calculator_update_us_p50 <= 50,
calculator_update_us_p99 <= 500.
"""

from __future__ import annotations

import gc
import math
import random
import statistics
import time
from collections.abc import Callable

from arbscope.engine.calculator import OpportunityCalculator
from arbscope.engine.config import EngineConfig
from arbscope.models import BookKey, Level, Market, OrderBook

T0 = 1_732_400_000.0
LEVELS = 20
SYMBOLS_PER_VENUE = 50
WARMUP_UPDATES = 15_000
MEASURED_UPDATES = 30_000
RECOMPUTES = 15
STEP_S = 0.001
READ_EVERY_S = 0.05
DISLOCATION_RATE = 0.001
"""Chance that an update jumps its book by 30-80 bps (it decays over its next updates)."""

VENUES: dict[str, tuple[str, ...]] = {
    # venue: quote currencies in order of preference
    "binance": ("USDT", "USDC", "BTC", "EUR"),
    "bitfinex": ("USD", "USDT", "EUR", "BTC"),
    "bitstamp": ("USD", "EUR", "BTC"),
    "bybit": ("USDT", "USDC", "BTC"),
    "coinbase": ("USD", "USDC", "EUR", "BTC"),
    "gateio": ("USDT", "BTC"),
    "huobi": ("USDT", "BTC"),
    "kraken": ("USD", "EUR", "USDT", "BTC"),
    "kucoin": ("USDT", "BTC", "USDC"),
    "okx": ("USDT", "USDC", "BTC"),
}
FX: dict[str, tuple[str, ...]] = {
    "EUR/USD": ("bitfinex", "bitstamp", "coinbase", "kraken"),
    "USDT/USD": ("bitfinex", "kraken"),
    "USDC/USD": ("coinbase", "kraken"),
    "USDC/USDT": ("binance", "bybit", "kucoin", "okx"),
    "EUR/USDT": ("binance", "kraken"),
}
USD_VALUE = {"USD": 1.0, "USDT": 0.9995, "USDC": 1.0002, "EUR": 1.08, "BTC": 97_000.0}
ALTS = (
    "ETH", "SOL", "XRP", "ADA", "DOGE", "DOT", "LTC", "LINK", "AVAX", "TRX", "ATOM", "XLM",
    "BCH", "UNI", "ETC", "FIL", "APT", "ARB", "OP", "NEAR", "ICP", "AAVE", "MKR", "SUI",
    "INJ", "GRT",
)


def venue_table(count: int) -> dict[str, tuple[str, ...]]:
    """`count` venues: the ten of `VENUES`, then copies named `binance2` ... (same quotes)."""
    names = list(VENUES)
    table: dict[str, tuple[str, ...]] = {}
    for i in range(count):
        name = names[i % len(names)]
        table[name if i < len(names) else f"{name}{i // len(names) + 1}"] = VENUES[name]
    return table


def _original(venue: str) -> str:
    """The venue of `VENUES` a copy (`binance2`) was made from."""
    return venue.rstrip("0123456789")


def alts(symbols: int) -> tuple[str, ...]:
    """The alt bases `symbols` markets a venue need: `ALTS`, then made-up ones (`ALT27` ...)."""
    if symbols <= SYMBOLS_PER_VENUE:
        return ALTS  # the 10 x 50 market stays exactly what it always was
    return ALTS + tuple(f"ALT{i}" for i in range(len(ALTS), symbols))


def _symbols(venue: str, quotes: tuple[str, ...], count: int = SYMBOLS_PER_VENUE) -> list[str]:
    """FX markets, BTC in each quote, then alts in the first two quotes, `count` in all."""
    symbols = [fx for fx, listed in FX.items() if _original(venue) in listed]
    symbols += [f"BTC/{q}" for q in quotes if q != "BTC"]
    for base in alts(count):
        for quote in quotes[:2] if quotes[1] != "BTC" else (quotes[0], "BTC"):
            if len(symbols) < count:
                symbols.append(f"{base}/{quote}")
    return symbols


class SyntheticMarket:
    """Common USD prices, a mean-reverting offset per book, 20-level ladders.

    `venues` x `symbols` markets; the default 10 x 50 is the calculator budget's market.
    """

    def __init__(
        self, seed: int = 11, venues: int = len(VENUES), symbols: int = SYMBOLS_PER_VENUE
    ) -> None:
        self.rng = random.Random(seed)
        self.usd = dict(USD_VALUE)
        for base in alts(symbols):
            self.usd[base] = math.exp(self.rng.uniform(math.log(0.2), math.log(3_000.0)))
        self.markets: list[Market] = []
        for venue, quotes in venue_table(venues).items():
            fee = self.rng.choice((0.0005, 0.001, 0.0016, 0.0026))
            for symbol in _symbols(venue, quotes, symbols):
                base, quote = symbol.split("/")
                self.markets.append(
                    Market(venue=venue, symbol=symbol, base=base, quote=quote, taker_fee=fee)
                )
        self.keys: list[BookKey] = [m.key for m in self.markets]
        self.offset: dict[BookKey, float] = {key: 0.0 for key in self.keys}
        self.spread_bps = {key: self.rng.uniform(2.0, 10.0) for key in self.keys}

    def book(self, key: BookKey, ts: float) -> OrderBook:
        venue, symbol = key
        base, quote = symbol.split("/")
        mid = self.usd[base] / self.usd[quote] * (1.0 + self.offset[key])
        half = mid * self.spread_bps[key] / 2e4
        tick = mid * 1e-4
        return OrderBook(
            venue=venue, symbol=symbol, ts=ts,
            bids=self._ladder(mid - half, -tick, mid), asks=self._ladder(mid + half, tick, mid),
        )

    def _ladder(self, best: float, tick: float, mid: float) -> tuple[Level, ...]:
        """LEVELS levels one tick apart, each worth 400-6000 units of the quote."""
        rng = self.rng
        unit = 2_000.0 / mid
        return tuple((best + i * tick, unit * rng.uniform(0.2, 3.0)) for i in range(LEVELS))

    def step(self, ts: float) -> OrderBook:
        """Move the world a little and return one changed book."""
        rng = self.rng
        key = rng.choice(self.keys)
        base = key[1].split("/")[0]
        if base not in ("USD", "USDT", "USDC", "EUR"):
            self.usd[base] *= math.exp(rng.gauss(0.0, 1e-5))
        # Calm: a venue's offset is AR(1) with a stationary std of about 0.7 bps.
        offset = self.offset[key] * 0.7 + rng.gauss(0.0, 5e-5)
        if rng.random() < DISLOCATION_RATE:
            offset += rng.choice((-1.0, 1.0)) * rng.uniform(0.003, 0.008)
        self.offset[key] = offset
        return self.book(key, ts)


class TimedStream:
    """Books fed one at a time, each update timed, and a timed read every `READ_EVERY_S`
    of book time (as the scanner reads): the loop every calculator bench measures."""

    def __init__(self, next_read: float) -> None:
        self.next_read = next_read
        self.update_ns: list[int] = []
        self.read_ns: list[int] = []
        self.open_counts: list[int] = []

    def feed(
        self, calc: OpportunityCalculator, books: list[OrderBook], clock: Callable[[], int]
    ) -> None:
        for book in books:
            ts = book.ts
            started = clock()
            calc.update([book], ts)
            self.update_ns.append(clock() - started)
            if ts >= self.next_read:
                started = clock()
                found = calc.opportunities(ts)
                self.read_ns.append(clock() - started)
                self.open_counts.append(len(found))
                self.next_read = ts + READ_EVERY_S


def _percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, max(0, math.ceil(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def run() -> dict[str, float]:
    """The figures with 4-leg cycles off (the default), then on (`calculator_4leg_*`)."""
    figures = measure(max_cycle_legs=3)
    four = measure(max_cycle_legs=4)
    figures.update({k.replace("calculator_", "calculator_4leg_", 1): v for k, v in four.items()})
    return figures


def measure(max_cycle_legs: int) -> dict[str, float]:
    world = SyntheticMarket()
    config = EngineConfig(
        reference_currency="USD", trade_notional=1_000.0, max_cycle_legs=max_cycle_legs
    )
    build_started = time.perf_counter()
    calc = OpportunityCalculator(config, world.markets)
    build_ms = (time.perf_counter() - build_started) * 1e3
    # As market.scanner.Scanner does once the index is built: keeps full GC
    # passes over the long-lived route index out of the measured reads.
    gc.collect()
    gc.freeze()
    now = T0
    calc.update([world.book(key, now) for key in world.keys], now)
    next_read = now
    for _ in range(WARMUP_UPDATES):
        now += STEP_S
        calc.update([world.step(now)], now)
        if now >= next_read:
            calc.opportunities(now)
            next_read = now + READ_EVERY_S
    # Books are made before timing: building and validating them is the feed's work.
    stream = []
    for _ in range(MEASURED_UPDATES):
        now += STEP_S
        stream.append(world.step(now))
    timed = TimedStream(next_read)
    timed.feed(calc, stream, time.perf_counter_ns)
    timings_ns, read_ns, open_counts = timed.update_ns, timed.read_ns, timed.open_counts
    clock = time.perf_counter_ns
    recompute_ns: list[int] = []
    for _ in range(RECOMPUTES):
        started = clock()
        calc.recompute_all(now)
        recompute_ns.append(clock() - started)
    update_us = sorted(t / 1e3 for t in timings_ns)
    read_us = sorted(t / 1e3 for t in read_ns)
    counts = calc.route_counts()
    # Let the next measurement start from a heap without this index in it.
    del calc, stream
    gc.unfreeze()
    gc.collect()
    figures = {
        "calculator_update_us_p50": _percentile(update_us, 0.50),
        "calculator_update_us_p99": _percentile(update_us, 0.99),
        "calculator_update_us_max": update_us[-1],
        "calculator_update_us_mean": statistics.fmean(update_us),
        "calculator_read_us_p50": _percentile(read_us, 0.50),
        "calculator_read_us_p99": _percentile(read_us, 0.99),
        "calculator_full_recompute_us_p50": statistics.median(recompute_ns) / 1e3,
        "calculator_build_ms": build_ms,
        "calculator_books": float(len(world.keys)),
        "calculator_routes_total": float(sum(counts.values())),
        "calculator_open_mean": statistics.fmean(open_counts),
        "calculator_open_max": float(max(open_counts)),
    }
    for kind, count in counts.items():
        figures[f"calculator_routes_{kind}"] = float(count)
    return figures
