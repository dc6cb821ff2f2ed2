"""Order book shapes of the simulated market: levels on real ticks, plausible depth.

Each (venue, symbol) keeps the shape of its two book sides between updates:
the distance of each level from the best price (whole ticks) and its size. An
update re-centres the shape on the new mid and re-draws a few sizes, as a real
book changes a few levels per message, so building a book costs two list
comprehensions rather than a fresh draw of every level.
"""

from __future__ import annotations

import math
import random

from arbscope.market.sim_venues import MarketSpec, VenueSpec, decimals_of
from arbscope.market.sim_world import Dislocation
from arbscope.models import Level

MIN_LEVELS = 20
MAX_LEVELS = 30
_REDRAWN_SIZES = 3
"""Sizes re-drawn per side per update (the first level in about half the updates)."""
_REGAP_CHANCE = 0.05
"""Chance per update that a side's level spacing is re-drawn."""
_SWEPT_LEVELS = 6
_SWEPT_FACTOR = 0.2
"""A swept side keeps a fifth of the size on its first levels until it refills."""

# Spread and depth relative to the venue's BTC market: alts and crosses are
# wider and thinner, EUR and USDC books thinner than USDT and USD ones.
_SPREAD_BY_BASE = {"BTC": 1.0, "ETH": 1.2, "SOL": 2.0}
_DEPTH_BY_BASE = {"BTC": 1.0, "ETH": 0.7, "SOL": 0.4}
_DEPTH_BY_QUOTE = {"USDT": 1.0, "USD": 1.0, "USDC": 0.5, "EUR": 0.35, "BTC": 0.3, "ETH": 0.2}


class SimBook:
    """One simulated (venue, symbol): its rules, its quote state and its book shape."""

    __slots__ = (
        "asks_offsets", "asks_sizes", "base", "basis", "bids_offsets", "bids_sizes",
        "dislocations", "gap_ticks", "interval_s", "next_ts", "noise", "noise_sigma",
        "noise_ts", "quote", "shape_sizes", "size_decimals", "spec", "spread_ticks",
        "swept_side", "swept_until", "symbol", "tick", "tick_decimals", "venue", "venue_spec",
    )

    def __init__(
        self, venue: VenueSpec, spec: MarketSpec, mid: float, quote_usd: float, hz: float,
        start_ts: float, rng: random.Random,
    ) -> None:
        self.venue = venue.name
        self.venue_spec = venue
        self.spec = spec
        self.symbol = spec.symbol
        self.base = spec.base
        self.quote = spec.quote
        self.tick = spec.tick
        self.tick_decimals = decimals_of(spec.tick)
        self.size_decimals = decimals_of(spec.amount_step)
        self.interval_s = 1.0 / hz
        self.next_ts = start_ts
        # A persistent basis well inside the spread: venues never agree to the tick.
        self.basis = (rng.random() - 0.5) * 0.6e-4
        self.noise = rng.gauss(0.0, 1.0) * venue.noise_bps * 1e-4
        self.noise_sigma = venue.noise_bps * 1e-4
        self.noise_ts = start_ts
        self.dislocations: list[Dislocation] = []
        self.swept_side = ""
        self.swept_until = 0.0

        spread_bps = venue.spread_bps * (1.0 if spec.is_fx else _SPREAD_BY_BASE.get(spec.base, 2.5))
        if spec.is_cross:
            spread_bps *= 1.5
        ticks_per_bp = mid * 1e-4 / spec.tick
        self.spread_ticks = max(1, round(spread_bps * ticks_per_bp))
        self.gap_ticks = max(1, round(self.spread_ticks * 0.6))

        depth_usd = venue.depth_usd * _DEPTH_BY_QUOTE.get(spec.quote, 1.0)
        depth_usd *= 1.5 if spec.is_fx else _DEPTH_BY_BASE.get(spec.base, 0.5)
        # Size in base currency of the fullest level (mid is quote per base).
        peak_size = depth_usd / (mid * quote_usd)
        levels = rng.randint(MIN_LEVELS, MAX_LEVELS)
        ramp = 0.7 + 0.8 * rng.random()
        decay = 4.0 + 3.0 * rng.random()
        # Size grows over the first levels (little sits at the touch), then thins.
        shape = [(1.0 + i / ramp) * math.exp(-i / decay) for i in range(levels)]
        top = max(shape)
        self.shape_sizes = [peak_size * s / top for s in shape]
        self.bids_offsets = self._draw_offsets(levels, rng)
        self.asks_offsets = self._draw_offsets(levels, rng)
        self.bids_sizes = [self._jittered(i, rng.random()) for i in range(levels)]
        self.asks_sizes = [self._jittered(i, rng.random()) for i in range(levels)]

    def _draw_offsets(self, levels: int, rng: random.Random) -> list[int]:
        """Ticks from the best price to each level: mostly one gap, sometimes two or three."""
        offsets = [0]
        gap = self.gap_ticks
        for _ in range(levels - 1):
            r = rng.random()
            offsets.append(offsets[-1] + gap * (1 + int(r * r * 3.0)))
        return offsets

    def _jittered(self, level: int, r: float) -> float:
        # One draw in 50 is a large resting order; the rest vary by +-65%.
        factor = 0.35 + 1.3 * r if r < 0.98 else 4.0
        return self._to_step(self.shape_sizes[level] * factor)

    def _to_step(self, size: float) -> float:
        step = self.spec.amount_step
        return round(max(1, round(size / step)) * step, self.size_decimals)

    def reshape(self, rng: random.Random) -> None:
        """Re-draw a few sizes (and now and then the spacing), as a real book changes."""
        levels = len(self.shape_sizes)
        draw = rng.random
        for sizes in (self.bids_sizes, self.asks_sizes):
            for _ in range(_REDRAWN_SIZES):
                # Squared: the levels near the touch change most often, as in a real book.
                r = draw()
                level = int(r * r * levels)
                sizes[level] = self._jittered(level, draw())
        if rng.random() < _REGAP_CHANCE:
            self.bids_offsets = self._draw_offsets(levels, rng)
        if rng.random() < _REGAP_CHANCE:
            self.asks_offsets = self._draw_offsets(levels, rng)

    def update_noise(self, now: float, rng: random.Random, tau_s: float = 3.0) -> float:
        """The venue's own quote noise (Ornstein-Uhlenbeck, exact step)."""
        dt = now - self.noise_ts
        if dt > 0:
            keep = math.exp(-dt / tau_s)
            self.noise = self.noise * keep + self.noise_sigma * math.sqrt(1.0 - keep * keep) * (
                rng.gauss(0.0, 1.0)
            )
            self.noise_ts = now
        return self.noise

    def levels(self, mid: float, now: float) -> tuple[tuple[Level, ...], tuple[Level, ...]]:
        """Both sides around `mid`, on the tick grid, never crossed."""
        tick = self.tick
        decimals = self.tick_decimals
        spread = self.spread_ticks
        best_bid = max(1, round(mid / tick - spread / 2.0))
        best_ask = best_bid + spread
        bids_offsets = self.bids_offsets
        if best_bid - bids_offsets[-1] < 1:  # a price near zero: keep the positive levels
            bids_offsets = [o for o in bids_offsets if best_bid - o >= 1]
        bid_prices = [round((best_bid - o) * tick, decimals) for o in bids_offsets]
        ask_prices = [round((best_ask + o) * tick, decimals) for o in self.asks_offsets]
        bid_sizes = self.bids_sizes
        ask_sizes = self.asks_sizes
        if self.swept_side and now < self.swept_until:
            if self.swept_side == "asks":
                ask_sizes = self._thinned(ask_sizes)
            else:
                bid_sizes = self._thinned(bid_sizes)
        return tuple(zip(bid_prices, bid_sizes, strict=False)), tuple(
            zip(ask_prices, ask_sizes, strict=False)
        )

    def _thinned(self, sizes: list[float]) -> list[float]:
        thin = [self._to_step(s * _SWEPT_FACTOR) for s in sizes[:_SWEPT_LEVELS]]
        return thin + sizes[_SWEPT_LEVELS:]
