"""Recent mid volatility per book, for the checklist and the ticket's expected slippage.

An exponentially weighted variance of log mid returns per second: each new
mid adds r^2 / dt (r = log(mid / previous mid), dt in seconds) with weight
1 - exp(-dt / tau), so old moves fade with a half-life in seconds whatever the
update rate. O(1) per book; the app feeds it the books it already has.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from arbscope.models import BookKey, OrderBook


class VolatilityTracker:
    """sigma of mid log returns per book, in bps per sqrt(second)."""

    def __init__(self, half_life_s: float = 30.0, min_samples: int = 3) -> None:
        if not half_life_s > 0:
            raise ValueError(f"half_life_s must be positive, got {half_life_s!r}")
        self._tau = half_life_s / math.log(2.0)
        self._min_samples = min_samples
        # key -> (last ts, last mid, variance per second, returns seen)
        self._state: dict[BookKey, tuple[float, float, float, int]] = {}

    def update(self, book: OrderBook) -> None:
        mid = book.mid
        if mid is None:
            return
        state = self._state.get(book.key)
        if state is None:
            self._state[book.key] = (book.ts, mid, 0.0, 0)
            return
        ts, last_mid, variance, count = state
        dt = book.ts - ts
        if dt <= 0:
            # The same book again, or out of order: no time passed, nothing to learn.
            return
        r = math.log(mid / last_mid)
        weight = 1.0 - math.exp(-dt / self._tau)
        sample = r * r / dt
        variance = sample if count == 0 else variance + weight * (sample - variance)
        self._state[book.key] = (book.ts, mid, variance, count + 1)

    def update_many(self, books: Iterable[OrderBook]) -> None:
        for book in books:
            self.update(book)

    def sigma_bps(self, key: BookKey) -> float | None:
        """None until `min_samples` returns were seen for this book."""
        state = self._state.get(key)
        if state is None or state[3] < self._min_samples:
            return None
        return math.sqrt(state[2]) * 1e4

    def snapshot(self) -> dict[BookKey, float]:
        """Every book with a trusted figure (what RiskContext.volatility takes)."""
        result: dict[BookKey, float] = {}
        for key in self._state:
            sigma = self.sigma_bps(key)
            if sigma is not None:
                result[key] = sigma
        return result
