"""Live feed budget: our work per websocket message, and memory over a long run.

A fake Binance (tests/live/fake_exchange.py, in a process of its own so its
memory is not counted) replays the recorded NKNUSDT diffs and then streams
them again, renumbered, as fast as it can. CcxtFeed follows the book through
ccxt's own websocket code, exactly as against Binance. Measured:

* live_feed_overhead_us_p50 / _p99: time in `VenueFeed._publish` per message,
  i.e. our work once ccxt hands over its book (copying the levels, health
  bookkeeping, the hand-off to the sink), with a sink that only counts;
* live_feed_rss_mb_growth: resident memory at the end minus after a warm-up;
* live_ccxt_diffs_per_s: diffs ccxt applied per second (the stream's pace);
* live_feed_books_per_s: books ccxt handed over per second: when diffs arrive in
  bursts ccxt applies a whole burst before our task runs, so one hand-over carries
  many diffs and the book handed over is always the newest;
* live_service_submit_us_p50: for reference, the MarketService's validation of
  one such book (about 1600 levels, cut to the default 50 a side first),
  measured on the same books afterwards.

Budget: live_feed_overhead_us_p50 <= 20, live_feed_rss_mb_growth <= 20.
ARBSCOPE_BENCH_LIVE_S sets the streaming time (default 60 s; e.g. 5 for a quick run).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from arbscope.market.base import FeedGap, RawLevels
from arbscope.market.ccxt_feed import CcxtFeed, LiveTuning
from arbscope.market.ccxt_venue import VenueFeed
from arbscope.market.service import MarketService
from arbscope.models import IntegrityMethod, VenueState
from arbscope.storage.settings import VenueSettings

ROOT = Path(__file__).resolve().parent.parent
WARMUP_S = 3.0
SAMPLE_LIMIT = 2_000_000
"""Timings kept (a float each); beyond this the oldest half is dropped, keeping memory flat."""


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmRSS in /proc/self/status")


class CountingSink:
    """A BookSink that only counts: what is timed is the feed, not the service."""

    def __init__(self) -> None:
        self.books = 0
        self.last: tuple[str, str, float, RawLevels, RawLevels] | None = None

    def submit(
        self,
        venue: str,
        symbol: str,
        ts: float,
        bids: RawLevels,
        asks: RawLevels,
        *,
        exchange_ts: float | None = None,
    ) -> bool:
        self.books += 1
        # Only referenced: ccxt's lists, read once the run is over for the service figure.
        self.last = (venue, symbol, ts, bids, asks)
        return True

    def set_state(self, venue: str, state: VenueState) -> None:
        pass

    def report_error(self, venue: str, message: str, next_retry_ts: float | None = None) -> None:
        print(f"bench_live: {venue}: {message}", file=sys.stderr)

    def set_down_symbols(self, venue: str, symbols: Sequence[str]) -> None:
        pass

    def set_integrity(self, venue: str, method: IntegrityMethod) -> None:
        pass

    def report_gap(self, gap: FeedGap) -> None:
        print(f"bench_live: {gap.venue}: {gap.kind}: {gap.reason}", file=sys.stderr)


async def _measure(options: dict[str, Any], seconds: float) -> dict[str, float]:
    import ccxt.pro

    timings: list[float] = []
    original = VenueFeed._publish
    clock = time.perf_counter_ns
    diffs = [0]
    ccxt_handler = ccxt.pro.binance.handle_order_book

    def counted(self: Any, client: Any, message: Any) -> Any:
        diffs[0] += 1
        return ccxt_handler(self, client, message)

    def timed(self: VenueFeed, sink: Any, symbol: str, book: Any) -> None:
        started = clock()
        original(self, sink, symbol, book)
        timings.append((clock() - started) / 1000.0)
        if len(timings) > SAMPLE_LIMIT:
            del timings[: SAMPLE_LIMIT // 2]

    VenueFeed._publish = timed  # type: ignore[method-assign]
    ccxt.pro.binance.handle_order_book = counted
    try:
        settings = {"binance": VenueSettings(ccxt_options=options)}
        feed = CcxtFeed(["binance"], ["NKN/USDT"], settings, LiveTuning(silence_timeout_s=10.0))
        await feed.prepare()
        sink = CountingSink()
        task = asyncio.create_task(feed.run(sink))
        await asyncio.sleep(WARMUP_S)
        timings.clear()
        rss_start, books_start, started = _rss_mb(), sink.books, time.monotonic()
        diffs_start = diffs[0]
        await asyncio.sleep(seconds)
        rss_end, books_end, elapsed = _rss_mb(), sink.books, time.monotonic() - started
        diffs_end = diffs[0]
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    finally:
        VenueFeed._publish = original  # type: ignore[method-assign]
        ccxt.pro.binance.handle_order_book = ccxt_handler
    if not timings or sink.last is None:
        raise RuntimeError("no book reached the feed: is the fake server streaming?")
    ordered = sorted(timings)
    venue, symbol, ts, bids, asks = sink.last
    service = MarketService([])
    submit_us = []
    for _ in range(200):
        started_ns = clock()
        service.submit(venue, symbol, ts, bids, asks)
        submit_us.append((clock() - started_ns) / 1000.0)
    return {
        "live_feed_overhead_us_p50": statistics.median(ordered),
        "live_feed_overhead_us_p99": ordered[int(len(ordered) * 0.99)],
        "live_feed_rss_mb_growth": rss_end - rss_start,
        "live_feed_books_per_s": (books_end - books_start) / elapsed,
        "live_ccxt_diffs_per_s": (diffs_end - diffs_start) / elapsed,
        "live_service_submit_us_p50": statistics.median(submit_us),
    }


def run() -> dict[str, float]:
    seconds = float(os.environ.get("ARBSCOPE_BENCH_LIVE_S", "60"))
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.live.fake_exchange", "binance", "--speed", "0", "--loop"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        options = json.loads(server.stdout.readline())["ccxt_options"]
        return asyncio.run(_measure(options, seconds))
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name:32} {value:12.2f}")
