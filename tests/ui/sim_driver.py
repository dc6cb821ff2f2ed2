"""A deterministic market for UI tests: a real Scanner on a SimFeed the test steps by hand.

The scanner is never started (no task, no wall clock): `advance(seconds)`
moves a frozen clock, steps the simulated market to it, submits the changed
books to the scanner's MarketService and steps the scanner once, exactly
what the running feed and scanner tasks would do, only in the test's time.
"""

from __future__ import annotations

from arbscope.market.scanner import Scanner
from arbscope.market.sim import SimFeed
from arbscope.models import MarketSnapshot, VenueState
from arbscope.storage.settings import Settings

START_TS = 1_732_400_000.0


class FrozenClock:
    def __init__(self, now: float = START_TS) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class SteppedMarket:
    def __init__(self, seed: int = 7, settings: Settings | None = None,
                 symbols: list[str] | None = None) -> None:
        self.settings = settings or Settings(seed=seed)
        self.clock = FrozenClock()
        self.feed = SimFeed(seed=seed, symbols=symbols, clock=self.clock)
        self.scanner = Scanner([self.feed], self.settings.engine_config(), clock=self.clock)
        self._live: set[str] = set()

    def advance(self, seconds: float, dt: float = 0.1) -> MarketSnapshot:
        """Move the market `seconds` forward in `dt` steps; one scanner step per `dt`."""
        steps = max(1, round(seconds / dt))
        service = self.scanner.service
        for _ in range(steps):
            self.clock.now = round(self.clock.now + dt, 6)
            for book in self.feed.market.step(self.clock.now):
                service.submit(book.venue, book.symbol, book.ts, book.bids, book.asks)
                if book.venue not in self._live:
                    self._live.add(book.venue)
                    service.set_state(book.venue, VenueState.LIVE)
            self.scanner.step()
        return self.scanner.snapshot

    def until_open(self, max_seconds: float = 60.0, minimum: int = 3) -> MarketSnapshot:
        """Advance until at least `minimum` opportunities are open (bounded)."""
        waited = 0.0
        while waited < max_seconds:
            snapshot = self.advance(0.5)
            waited += 0.5
            if len(snapshot.opportunities) >= minimum:
                return snapshot
        raise AssertionError(f"fewer than {minimum} opportunities after {max_seconds} s")
