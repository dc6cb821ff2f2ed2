"""Submit budget: what the market service spends on one book, validation included.

`MarketService.submit` is timed as every feed calls it, with ccxt-shaped input (a list
of [price, size] lists a side) and the default depth cap (50 levels a side), at 50
levels a side and at 1,000 (Binance's depth in ccxt: the cap keeps its first 50).
Each figure is the median over ROUNDS rounds of SAMPLES books; `_spread` is the
largest minus the smallest round's value, the spread over runs. For reference, not
budgeted: the same at 1,000 levels without the cap, and the full pydantic model alone.

Budget (issue 15): service_submit_us_p50_50_levels <= 15,
service_submit_us_p50_1000_levels <= 100. A figure over its budget is printed as a
MISS on stderr and counted in `service_submit_budget_misses`.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable

from arbscope.market.service import MarketService
from arbscope.models import OrderBook

ROUNDS = 5
SAMPLES = 2_000
T0 = 1_732_400_000.0

BUDGETS = {
    "service_submit_us_p50_50_levels": 15.0,
    "service_submit_us_p50_1000_levels": 100.0,
}
"""Upper bound of each budgeted figure, microseconds."""


def _ladder(best: float, step: float, levels: int) -> list[list[float]]:
    # Lists of lists, as ccxt holds its books.
    return [[round(best + i * step, 8), 0.25 + 0.001 * i] for i in range(levels)]


def _timed(call: Callable[[int], object], samples: int) -> list[float]:
    clock = time.perf_counter_ns
    timings = []
    for i in range(samples):
        started = clock()
        call(i)
        timings.append((clock() - started) / 1000.0)
    return timings


def _submit(levels: int, book_depth: int | None) -> Callable[[int], object]:
    service = MarketService([], book_depth=None if book_depth is None else lambda v: book_depth)
    bids, asks = _ladder(60_000.0, -0.1, levels), _ladder(60_000.1, 0.1, levels)
    service.submit("binance", "BTC/USDT", T0, bids, asks)  # the venue's first book, set up

    def submit(i: int) -> object:
        if not service.submit("binance", "BTC/USDT", T0 + i, bids, asks):
            raise RuntimeError(service.health()["binance"].last_error)
        return None

    return submit


def _model(levels: int) -> Callable[[int], object]:
    bids, asks = _ladder(60_000.0, -0.1, levels), _ladder(60_000.1, 0.1, levels)
    return lambda i: OrderBook(venue="binance", symbol="BTC/USDT", ts=T0 + i, bids=bids, asks=asks)


def _figures(name: str, make: Callable[[], Callable[[int], object]]) -> dict[str, float]:
    """p50 and p99 of `name`, each the median of its rounds, with their spread."""
    p50s, p99s = [], []
    for _ in range(ROUNDS):
        ordered = sorted(_timed(make(), SAMPLES))
        p50s.append(statistics.median(ordered))
        p99s.append(ordered[int(len(ordered) * 0.99)])
    p50, p99 = name.format(p="p50"), name.format(p="p99")
    return {
        p50: statistics.median(p50s),
        f"{p50}_spread": max(p50s) - min(p50s),
        p99: statistics.median(p99s),
        f"{p99}_spread": max(p99s) - min(p99s),
    }


def run() -> dict[str, float]:
    figures: dict[str, float] = {"load_average_1m": os.getloadavg()[0]}
    figures |= _figures("service_submit_us_{p}_50_levels", lambda: _submit(50, None))
    figures |= _figures("service_submit_us_{p}_1000_levels", lambda: _submit(1_000, None))
    figures |= _figures(
        "service_submit_uncapped_us_{p}_1000_levels", lambda: _submit(1_000, 1_000)
    )
    figures |= _figures("orderbook_model_us_{p}_50_levels", lambda: _model(50))
    misses = 0
    for name, limit in BUDGETS.items():
        if figures[name] > limit:
            misses += 1
            print(f"MISS {name} = {figures[name]:.1f} us, budget <= {limit:g} us",
                  file=sys.stderr)
    figures["service_submit_budget_misses"] = misses
    return figures


if __name__ == "__main__":
    for figure, value in run().items():
        print(f"{figure:48} {value:12.2f}")
