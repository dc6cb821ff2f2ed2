"""Scale budget: routes, reads, updates and memory as the market grows, and a sustained rate.

The sweep builds the calculator benchmark's synthetic market (`bench_calculator`)
at several sizes, venues x symbols, each in a fresh interpreter so its resident
memory is its own, and drives it as that benchmark does: one book per update,
the clock 1 ms further each time, a read of `opportunities(now)` every 50 ms of
that clock. Books are made outside the timed parts (the feed's work); they are
made in small batches so the process holds only the market's own books.

Per size `VxS` (figures `scale_VxS_*`): routes (and the cross-currency ones),
read p50/p99 (ms) and update p50/p99 (us) in CPU time of the calculator's thread
(wall time on this shared machine would mostly measure the other processes),
peak RSS (MB), build time (ms).

Sustained (`sustained_10x50_*`): 12,000 book updates per second of the market's
clock on 10 x 50, taken as the Scanner takes them: every 50 ms step, one
`update` with the newest book of each market that changed, then one read. The
figure is the CPU time of those steps over the clock time they cover: the share
of one core the scanner's calculator needs to keep up (above 1.0 it falls behind).
It is measured with the shipped settings (min_net_bps -1000: every crossing before
fees is shown and walked) and again, as `sustained_10x50_paying_*`, with
min_net_bps 0, where routes that cannot come within the near-miss band after fees
are not walked. Book validation (the service's `submit`) is not in either.

Budget (issue 13): at 20 x 200 read p99 <= 20 ms, update p99 <= 300 us,
RSS <= 300 MB; at 10 x 50, 12,000 updates/s in at most half a core.

ARBSCOPE_BENCH_SCALE lists the sizes to run (default "5x50,10x50,10x200,20x50,20x200";
e.g. "5x50,10x50" to skip the slow large ones); ARBSCOPE_BENCH_SCALE_UPDATES sets the
measured updates per size (default 12,000).
"""

from __future__ import annotations

import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from arbscope.engine.calculator import OpportunityCalculator
from arbscope.engine.config import EngineConfig
from arbscope.models import BookKey, OrderBook
from benchmarks.bench_calculator import (
    READ_EVERY_S,
    T0,
    SyntheticMarket,
    TimedStream,
    _percentile,
)

SIZES = "5x50,10x50,10x200,20x50,20x200"
WARMUP_UPDATES = 3_000
MEASURED_UPDATES = 12_000
BATCH = 500
"""Books made ahead of timing at a time."""
STEP_S = 0.001
SUSTAINED_RATE = 12_000
SUSTAINED_STEP_S = 0.05
SUSTAINED_STEPS = 100
SUSTAINED_WARMUP_STEPS = 20


def _sizes() -> list[tuple[int, int]]:
    raw = os.environ.get("ARBSCOPE_BENCH_SCALE", SIZES)
    sizes = []
    for part in raw.split(","):
        venues, _, symbols = part.strip().partition("x")
        if not (venues.isdigit() and symbols.isdigit()):
            raise SystemExit(f"ARBSCOPE_BENCH_SCALE: {part!r} is not VENUESxSYMBOLS (e.g. 10x50)")
        sizes.append((int(venues), int(symbols)))
    return sizes


def _rss_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _built(
    venues: int, symbols: int, min_net_bps: float | None = None
) -> tuple[SyntheticMarket, OpportunityCalculator, float]:
    world = SyntheticMarket(venues=venues, symbols=symbols)
    config = EngineConfig(reference_currency="USD", trade_notional=1_000.0)
    if min_net_bps is not None:
        config = config.model_copy(update={"min_net_bps": min_net_bps})
    started = time.perf_counter()
    calc = OpportunityCalculator(config, world.markets)
    build_ms = (time.perf_counter() - started) * 1e3
    gc.collect()
    gc.freeze()  # as the Scanner does once the index is built
    calc.update([world.book(key, T0) for key in world.keys], T0)
    return world, calc, build_ms


def measure_size(venues: int, symbols: int) -> dict[str, float]:
    """One sweep point's figures (run in its own interpreter by `run`)."""
    world, calc, build_ms = _built(venues, symbols)
    now = next_read = T0
    for _ in range(WARMUP_UPDATES):
        now += STEP_S
        calc.update([world.step(now)], now)
        if now >= next_read:
            calc.opportunities(now)
            next_read = now + READ_EVERY_S
    measured = int(os.environ.get("ARBSCOPE_BENCH_SCALE_UPDATES", MEASURED_UPDATES))
    timed = TimedStream(next_read)
    clock = time.thread_time_ns  # CPU time: on a busy machine wall time measures the neighbours
    while len(timed.update_ns) < measured:
        batch = []
        for _ in range(min(BATCH, measured - len(timed.update_ns))):
            now += STEP_S
            batch.append(world.step(now))
        timed.feed(calc, batch, clock)
    update_ns, read_ns = timed.update_ns, timed.read_ns
    counts = calc.route_counts()
    updates = sorted(t / 1e3 for t in update_ns)
    reads = sorted(t / 1e6 for t in read_ns)
    name = f"scale_{venues}x{symbols}"
    return {
        f"{name}_routes": float(sum(counts.values())),
        f"{name}_routes_cross": float(counts.get("cross_currency", 0)),
        f"{name}_read_ms_p50": _percentile(reads, 0.50),
        f"{name}_read_ms_p99": _percentile(reads, 0.99),
        f"{name}_update_us_p50": _percentile(updates, 0.50),
        f"{name}_update_us_p99": _percentile(updates, 0.99),
        f"{name}_rss_mb": _rss_peak_mb(),
        f"{name}_build_ms": build_ms,
    }


def measure_sustained(
    venues: int = 10, symbols: int = 50, min_net_bps: float | None = None
) -> dict[str, float]:
    """CPU share of a core for `SUSTAINED_RATE` updates/s taken as the Scanner takes them
    (`min_net_bps`: the setting, default the shipped -1000: every crossing is shown)."""
    world, calc, _ = _built(venues, symbols, min_net_bps)
    per_step = round(SUSTAINED_RATE * SUSTAINED_STEP_S)
    now = T0
    step_cpu: list[float] = []
    for step in range(SUSTAINED_WARMUP_STEPS + SUSTAINED_STEPS):
        changed: dict[BookKey, OrderBook] = {}
        for i in range(per_step):
            book = world.step(now + SUSTAINED_STEP_S * (i + 1) / per_step)
            changed[(book.venue, book.symbol)] = book  # the service keeps the newest per book
        now += SUSTAINED_STEP_S
        started = time.thread_time()
        calc.update(list(changed.values()), now)
        calc.opportunities(now)
        if step >= SUSTAINED_WARMUP_STEPS:
            step_cpu.append(time.thread_time() - started)
    share = sum(step_cpu) / (SUSTAINED_STEPS * SUSTAINED_STEP_S)
    steps_ms = sorted(t * 1e3 for t in step_cpu)
    name = f"sustained_{venues}x{symbols}" + ("" if min_net_bps is None else "_paying")
    return {
        f"{name}_cpu_share": share,
        f"{name}_step_ms_p50": _percentile(steps_ms, 0.50),
        f"{name}_step_ms_p99": _percentile(steps_ms, 0.99),
        # Above one core the scanner cannot take the asked rate: the runner marks the run.
        f"{name}_rate_asked": float(SUSTAINED_RATE),
        f"{name}_rate_reached": SUSTAINED_RATE / max(1.0, share),
    }


def _child(what: str) -> dict[str, float]:
    """`what` ("sustained" or "VxS") measured in a fresh interpreter."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "figures.json"
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_scale", what, str(out)],
            cwd=Path(__file__).resolve().parent.parent, check=False,
        )
        if done.returncode != 0 or not out.exists():
            raise RuntimeError(f"bench_scale {what} failed (exit {done.returncode})")
        print(f"    scale {what} took {time.perf_counter() - started:.1f} s",
              file=sys.stderr, flush=True)
        figures: dict[str, float] = json.loads(out.read_text(encoding="utf-8"))
    return figures


def run() -> dict[str, float]:
    figures = _child("sustained")
    figures.update(_child("sustained_paying"))
    for venues, symbols in _sizes():
        figures.update(_child(f"{venues}x{symbols}"))
    return figures


def _main(what: str, out: str) -> int:
    if what == "sustained":
        figures = measure_sustained()
    elif what == "sustained_paying":
        figures = measure_sustained(min_net_bps=0.0)
    else:
        venues, _, symbols = what.partition("x")
        figures = measure_size(int(venues), int(symbols))
    Path(out).write_text(json.dumps(figures), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1], sys.argv[2]))
