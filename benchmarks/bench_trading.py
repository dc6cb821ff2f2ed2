"""Paper execution budget: confirm -> logged, excluding the simulated latency.

Each sample executes a spatial route (2 legs) or a triangle (3 chained legs)
against 20-level books with a real TradeLog on disk (WAL, synchronous=FULL),
the latency sleep replaced by one that returns at once: what is left is the
broker's own work plus the one SQLite transaction, i.e. what the user waits
for beyond the venue latency. Budget (issue 4): paper_execute_ms_p95 <= 50.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from arbscope.engine.spatial import evaluate_spatial
from arbscope.engine.triangular import evaluate_triangle, find_triangles
from arbscope.models import BookKey, Level, Market, OrderBook, split_symbol
from arbscope.trading.balances import Balances
from arbscope.trading.broker import PaperBroker
from arbscope.trading.tradelog import TradeLog

SAMPLES = 300
T0 = 1_732_400_000.0


def _ladder(best: float, step: float, levels: int = 20) -> tuple[Level, ...]:
    return tuple((round(best + i * step, 6), 0.5 + 0.1 * i) for i in range(levels))


def _market(venue: str, symbol: str) -> Market:
    base, quote = split_symbol(symbol)
    return Market(venue=venue, symbol=symbol, base=base, quote=quote, taker_fee=0.001)


def _books(ts: float) -> dict[BookKey, OrderBook]:
    def make(venue: str, symbol: str, bid: float, ask: float, tick: float) -> OrderBook:
        return OrderBook(
            venue=venue, symbol=symbol, ts=ts,
            bids=_ladder(bid, -tick), asks=_ladder(ask, tick),
        )

    books = [
        make("alpha", "BTC/USDT", 99.0, 100.0, 0.01),
        make("beta", "BTC/USDT", 101.0, 101.5, 0.01),
        make("tri", "BTC/USDT", 99.9, 100.0, 0.01),
        make("tri", "ETH/BTC", 0.0499, 0.05, 0.00001),
        make("tri", "ETH/USDT", 5.10, 5.11, 0.001),
    ]
    return {b.key: b for b in books}


async def _no_latency(seconds: float) -> None:
    return None


def run() -> dict[str, float]:
    markets = {
        (v, s): _market(v, s)
        for v, s in [("alpha", "BTC/USDT"), ("beta", "BTC/USDT"), ("tri", "BTC/USDT"),
                     ("tri", "ETH/BTC"), ("tri", "ETH/USDT")]
    }
    books = _books(T0)
    route = next(
        r for r in find_triangles(m for k, m in markets.items() if k[0] == "tri")
        if r.route_id == "triangular:tri:USDT>BTC>ETH>USDT"
    )
    spatial = evaluate_spatial(
        books[("alpha", "BTC/USDT")], books[("beta", "BTC/USDT")],
        markets[("alpha", "BTC/USDT")], markets[("beta", "BTC/USDT")], 2.0, T0,
    )
    triangle = evaluate_triangle(
        route, {k[1]: b for k, b in books.items() if k[0] == "tri"},
        {k[1]: m for k, m in markets.items() if k[0] == "tri"}, 100.0, T0,
    )
    assert spatial is not None and triangle is not None
    timings: list[float] = []
    with tempfile.TemporaryDirectory() as folder, TradeLog(Path(folder) / "t.sqlite3") as log:
        starting = {"*": {"USDT": 1e9, "BTC": 1e6, "ETH": 1e6}}
        broker = PaperBroker(
            lambda key: books.get(key), markets.get, Balances(starting), log=log,
            sleep=_no_latency,
        )

        async def sample(i: int) -> None:
            # A new book each time, as after a venue update: the depth is whole again.
            books.update(_books(T0 + i))
            opportunity = spatial if i % 2 else triangle
            start = time.perf_counter()
            await broker.execute(opportunity)
            timings.append((time.perf_counter() - start) * 1000.0)

        async def all_samples() -> None:
            for i in range(SAMPLES):
                await sample(i)

        asyncio.run(all_samples())
    timings.sort()
    return {
        "paper_execute_ms_p50": statistics.median(timings),
        "paper_execute_ms_p95": timings[int(len(timings) * 0.95) - 1],
    }


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name:28} {value:9.3f}")
