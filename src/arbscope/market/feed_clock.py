"""Feed latency and clock skew of one venue, from books that carry the venue's own time.

A book received at `ts` (our clock) that the venue stamped `exchange_ts` (its
clock) took `ts - exchange_ts` to reach us, give or take the difference of the
two clocks: that difference is the sample. The median and 95th percentile of
recent samples are the feed latency; the smallest sample is the clock skew
estimate (the delivery that took least: our clock's offset from the venue's
plus the shortest delay, the way NTP bounds an offset from one-way stamps).
A negative skew means the venue's clock is ahead of ours.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

LATENCY_SAMPLES = 256
"""Newest samples kept per venue: a few seconds of a busy websocket, minutes of REST."""


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted samples (fraction 0.5 is the median)."""
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass(slots=True)
class LatencyWindow:
    """The newest receive-minus-venue time differences of one venue."""

    samples: deque[float] = field(default_factory=lambda: deque(maxlen=LATENCY_SAMPLES))

    def add(self, received: float, exchange_ts: float) -> None:
        self.samples.append(received - exchange_ts)

    def figures(self) -> tuple[float | None, float | None, float | None]:
        """(p50, p95, skew) in seconds; all None before the first sample."""
        if not self.samples:
            return None, None, None
        ordered = sorted(self.samples)
        return percentile(ordered, 0.5), percentile(ordered, 0.95), ordered[0]
