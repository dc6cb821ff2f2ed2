"""The simulated world behind the books: one fair price per asset, and dislocations.

Every venue quotes the same fair prices, seen through its own latency and
noise. Opportunities come from the ways real venues fall out of line for a
moment, each modelled as a `Dislocation`: an offset in log price that holds for
a few seconds and then decays back to zero as arbitrageurs close it.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass

from arbscope.market.sim_venues import INITIAL_USD


@dataclass(frozen=True, slots=True)
class AssetProcess:
    """How one asset's fair USD price moves."""

    vol_bps: float
    """Random-walk volatility, basis points per square root of a second."""
    beta_btc: float = 0.0
    """Correlation of its moves with BTC's (crypto moves together)."""
    jump_rate: float = 0.0
    """Background jumps per second (news, a large order somewhere)."""
    jump_bps: float = 0.0
    """Typical size of a background jump."""
    peg_std_bps: float | None = None
    """Pegged assets (stablecoins) wander around their start value with this
    standard deviation instead of walking away from it."""
    peg_reversion_s: float = 20.0


# BTC's ~1.2 bps per sqrt(s) is about 70% a year: livelier than a quiet day,
# so that a minute of the sim shows movement, not a frozen screen.
ASSET_PROCESSES: dict[str, AssetProcess] = {
    "BTC": AssetProcess(vol_bps=1.2, jump_rate=1 / 30, jump_bps=10.0),
    "ETH": AssetProcess(vol_bps=1.5, beta_btc=0.8, jump_rate=1 / 30, jump_bps=12.0),
    "SOL": AssetProcess(vol_bps=2.0, beta_btc=0.7, jump_rate=1 / 25, jump_bps=15.0),
    "EUR": AssetProcess(vol_bps=0.12, jump_rate=1 / 120, jump_bps=4.0),
    "USDT": AssetProcess(vol_bps=0.0, peg_std_bps=0.6),
    "USDC": AssetProcess(vol_bps=0.0, peg_std_bps=0.4),
}

ASSETS: tuple[str, ...] = tuple(ASSET_PROCESSES)

_HISTORY_S = 1.0
"""How much fair-price history is kept: more than the slowest venue's lag."""


class FairPrices:
    """Log USD fair price of every asset, with a short history for lagged views."""

    def __init__(self, start_ts: float) -> None:
        self.index: dict[str, int] = {asset: i for i, asset in enumerate(ASSETS)}
        self._start_logs = [math.log(INITIAL_USD[asset]) for asset in ASSETS]
        self.logs: list[float] = list(self._start_logs)
        self._history: deque[tuple[float, tuple[float, ...]]] = deque()
        self._history.append((start_ts, tuple(self.logs)))

    def advance(self, dt: float, rng: random.Random) -> list[tuple[str, float]]:
        """Move every price on by `dt` seconds; returns the background jumps (asset, log size)."""
        if dt <= 0:
            return []
        root = math.sqrt(dt)
        btc_shock = rng.gauss(0.0, 1.0)
        jumps: list[tuple[str, float]] = []
        for i, asset in enumerate(ASSETS):
            process = ASSET_PROCESSES[asset]
            if process.peg_std_bps is not None:
                # Exact Ornstein-Uhlenbeck step around the peg.
                keep = math.exp(-dt / process.peg_reversion_s)
                deviation = self.logs[i] - self._start_logs[i]
                noise = process.peg_std_bps * 1e-4 * math.sqrt(1.0 - keep * keep)
                self.logs[i] = self._start_logs[i] + deviation * keep + noise * rng.gauss(0.0, 1.0)
                continue
            beta = process.beta_btc
            if asset == "BTC":
                shock = btc_shock
            else:
                shock = beta * btc_shock + math.sqrt(1.0 - beta * beta) * rng.gauss(0.0, 1.0)
            self.logs[i] += process.vol_bps * 1e-4 * root * shock
            if process.jump_rate and rng.random() < 1.0 - math.exp(-process.jump_rate * dt):
                size = process.jump_bps * 1e-4 * (0.5 + rng.random()) * rng.choice((-1.0, 1.0))
                self.logs[i] += size
                jumps.append((asset, size))
        return jumps

    def jump(self, asset: str, log_size: float) -> None:
        self.logs[self.index[asset]] += log_size

    def record(self, now: float) -> None:
        """Keep the current prices as of `now`, for venues that see them later."""
        history = self._history
        history.append((now, tuple(self.logs)))
        while len(history) > 2 and history[1][0] < now - _HISTORY_S:
            history.popleft()

    def seen_at(self, ts: float) -> tuple[float, ...]:
        """Prices as they were at `ts` (the newest recorded no later than `ts`)."""
        for recorded_ts, logs in reversed(self._history):
            if recorded_ts <= ts:
                return logs
        return self._history[0][1]

    def usd(self, asset: str) -> float:
        return 1.0 if asset == "USD" else math.exp(self.logs[self.index[asset]])


class Dislocation:
    """A log-price offset that holds, then decays with time constant `tau_s`."""

    __slots__ = ("amount", "hold_until", "tau_s")

    def __init__(self, amount: float, hold_until: float, tau_s: float) -> None:
        self.amount = amount
        self.hold_until = hold_until
        self.tau_s = tau_s

    def value(self, now: float) -> float:
        if now <= self.hold_until:
            return self.amount
        return self.amount * math.exp(-(now - self.hold_until) / self.tau_s)

    def expired(self, now: float) -> bool:
        # Six time constants leave 0.25% of the offset: well under a tick.
        return now > self.hold_until + 6.0 * self.tau_s


def total_offset(dislocations: list[Dislocation], now: float) -> float:
    """Sum of the live offsets; drops the expired ones from the list in place."""
    total = 0.0
    expired = False
    for dislocation in dislocations:
        if dislocation.expired(now):
            expired = True
        else:
            total += dislocation.value(now)
    if expired:
        dislocations[:] = [d for d in dislocations if not d.expired(now)]
    return total


@dataclass(frozen=True, slots=True)
class SimEvent:
    """One dislocation the sim injected: for the curious, and for tests."""

    ts: float
    kind: str
    """`venue_lag`, `cross_lag`, `fx_lag` or `sweep`."""
    venue: str
    target: str
    """The asset (venue_lag) or symbol the dislocation is on."""
    bps: float
    """Signed size of the offset, basis points."""
    hold_s: float
