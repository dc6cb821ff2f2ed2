"""Scanner: the one pipeline from feeds to snapshots, shared by `scan`, the monitor and tests.

Each step drains the books that changed since the last one into the
incremental calculator and freezes what a reader needs into a MarketSnapshot.
Readers take `scanner.snapshot` when they are ready (the monitor on its timer)
or register a listener to see every step (`scan` prints routes as they open).
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable, Sequence

from arbscope.engine.calculator import OpportunityCalculator
from arbscope.engine.config import EngineConfig
from arbscope.market.base import Feed, TransferSource
from arbscope.market.service import MarketService
from arbscope.models import MarketSnapshot, TransferInfo, VenueState

SnapshotListener = Callable[[MarketSnapshot], None]
"""Called with each new snapshot, right after the step that made it."""


def source_name(feeds: Sequence[Feed]) -> str:
    """What the status bar shows: "SIM", "REPLAY", "LIVE" (joined with + if mixed)."""
    return "+".join(dict.fromkeys(feed.name for feed in feeds)) or "NONE"


class Scanner:
    """MarketService + OpportunityCalculator, stepped every `interval_s` once started."""

    def __init__(
        self,
        feeds: Sequence[Feed],
        config: EngineConfig,
        clock: Callable[[], float] = time.time,
        interval_s: float = 0.05,
        calculator: OpportunityCalculator | None = None,
        book_depth: Callable[[str], int] | None = None,
    ) -> None:
        """
        clock: time of the market (a replay's clock for replays), used for book
            ages, staleness and opportunity timestamps.
        interval_s: seconds between steps once started; 0 steps at every turn of the
            event loop (an as-fast-as-possible replay yields once per batch).
        book_depth: levels kept per side of each venue's books (`Settings.book_depth`;
            None keeps the service's default).
        """
        self.clock = clock
        self.interval_s = interval_s
        self._config = config
        # Age limits follow set_config, so the service reads them through the scanner.
        self.service = MarketService(
            feeds, clock=clock, max_book_age=lambda venue: self._config.book_age_limit(venue),
            book_depth=book_depth,
        )
        self.calculator = calculator if calculator is not None else OpportunityCalculator(config)
        self.source = source_name(feeds)
        # Feeds that say what their venues allow for withdrawals (the live one).
        self._transfer_sources = [feed for feed in feeds if isinstance(feed, TransferSource)]
        self._markets_version = -1
        self._markets = self.service.markets()
        self._dropped: set[str] = set()
        self._listeners: list[SnapshotListener] = []
        self._task: asyncio.Task[None] | None = None
        self._failure: Exception | None = None
        self._snapshot = MarketSnapshot(
            ts=clock(),
            source=self.source,
            opportunities=(),
            books={},
            markets=self._markets,
            health=self.service.health(),
        )

    @property
    def config(self) -> EngineConfig:
        return self._config

    @property
    def snapshot(self) -> MarketSnapshot:
        """The newest snapshot (immutable; safe to keep)."""
        return self._snapshot

    def add_listener(self, listener: SnapshotListener) -> None:
        self._listeners.append(listener)

    def spread_z(self, route_id: str) -> float | None:
        """Current z of a statistical route, even below entry (for paper auto-close)."""
        return self.calculator.spread_z(route_id)

    def set_config(self, config: EngineConfig) -> None:
        """New user choices (e.g. trade size); the calculator re-evaluates every route."""
        self._config = config
        self.calculator.set_config(config)

    async def start(self) -> None:
        """Start the feeds and a task that steps every `interval_s`."""
        await self.service.start()
        if self._task is None:
            self._task = asyncio.create_task(self._step_forever(), name="scanner")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await self.service.stop()

    @property
    def failure(self) -> Exception | None:
        """What ended the stepping task (a listener or the calculator raised), if anything."""
        return self._failure

    async def _step_forever(self) -> None:
        try:
            while True:
                self.step()
                await asyncio.sleep(self.interval_s)
        except Exception as exc:
            self._failure = exc
            raise

    def _transfers(self) -> dict[tuple[str, str], TransferInfo]:
        found: dict[tuple[str, str], TransferInfo] = {}
        for source in self._transfer_sources:
            found.update(source.transfers())
        return found

    def step(self) -> MarketSnapshot:
        """Drain changed books into the calculator; build, keep and announce a snapshot."""
        now = self.clock()
        service = self.service
        if service.markets_version != self._markets_version:
            self._markets_version = service.markets_version
            self._markets = service.markets()
            self.calculator.set_markets(self._markets.values())
            # The route index is tens of thousands of long-lived objects; a full
            # garbage-collection pass over them stalled reads by ~100 ms (bench).
            # Freezing moves them out of the collector's way; an index replaced
            # later stays in memory, which is small next to the stalls it avoids.
            gc.collect()
            gc.freeze()
        # Before the changed books: a book changed after a gap is the next snapshot.
        for gap in service.drain_gaps():
            if gap.symbol is None:
                self.calculator.drop_venue(gap.venue)
            else:
                self.calculator.drop_book((gap.venue, gap.symbol))
        health = service.health()
        down = {venue for venue, h in health.items() if h.state is VenueState.DOWN}
        books = [book for book in service.drain_changed() if book.venue not in down]
        # A venue that comes back is fed again by its next books.
        self._dropped &= down
        for venue in down - self._dropped:
            self.calculator.drop_venue(venue)
            self._dropped.add(venue)
        if books:
            self.calculator.update(books, now)
        # Every part is already a validated model; validating the whole again would
        # cost ~100 times more than building it (hundreds of routes, 20 times a second).
        snapshot = MarketSnapshot.model_construct(
            ts=now,
            source=self.source,
            opportunities=tuple(self.calculator.opportunities(now)),
            books=dict(service.books),
            markets=self._markets,
            health=health,
            updates_per_second=sum(h.updates_per_second for h in health.values()),
            transfers=self._transfers(),
        )
        self._snapshot = snapshot
        for listener in self._listeners:
            listener(snapshot)
        return snapshot
