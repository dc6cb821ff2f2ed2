"""Scanner: the glue between MarketService and the calculator, and the snapshots it builds."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import cast

from arbscope.engine.calculator import OpportunityCalculator
from arbscope.engine.config import EngineConfig
from arbscope.market.base import BookSink
from arbscope.market.scanner import Scanner, source_name
from arbscope.models import Kind, Market, OrderBook, VenueState
from arbscope.storage.settings import Settings, VenueSettings

BIDS = [[100.0, 1.0]]
ASKS = [[101.0, 1.0]]


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class QuietFeed:
    """Knows its markets, publishes nothing by itself (tests submit through the service)."""

    def __init__(self, venue: str, name: str = "SIM") -> None:
        self.name = name
        self.venue = venue

    @property
    def venues(self) -> tuple[str, ...]:
        return (self.venue,)

    def markets(self) -> list[Market]:
        return [Market(venue=self.venue, symbol="BTC/USDT", base="BTC", quote="USDT",
                       taker_fee=0.001)]

    async def run(self, sink: BookSink) -> None:
        sink.submit(self.venue, "BTC/USDT", 1000.0, BIDS, ASKS)
        await asyncio.Event().wait()


class RecordingCalculator:
    """Stands in for OpportunityCalculator and remembers what the scanner told it."""

    def __init__(self) -> None:
        self.market_sets: list[set[tuple[str, str]]] = []
        self.updates: list[tuple[list[tuple[str, str, float]], float]] = []
        self.dropped: list[str] = []
        self.config: EngineConfig | None = None

    def set_markets(self, markets: Iterable[Market]) -> None:
        self.market_sets.append({m.key for m in markets})

    def set_config(self, config: EngineConfig) -> None:
        self.config = config

    def update(self, books: Iterable[OrderBook], now: float) -> None:
        self.updates.append((sorted((b.venue, b.symbol, b.ts) for b in books), now))

    def drop_venue(self, venue: str) -> None:
        self.dropped.append(venue)

    def opportunities(self, now: float) -> list[object]:
        return []


def make(feeds: list[QuietFeed], clock: Clock) -> tuple[Scanner, RecordingCalculator]:
    fake = RecordingCalculator()
    scanner = Scanner(feeds, EngineConfig(), clock=clock,
                      calculator=cast(OpportunityCalculator, fake))
    return scanner, fake


def test_step_drains_changed_books_into_the_calculator_once() -> None:
    clock = Clock(1000.5)
    scanner, calc = make([QuietFeed("alpha"), QuietFeed("beta")], clock)
    for ts in (1000.1, 1000.2, 1000.3):  # a burst: only the latest reaches the calculator
        scanner.service.submit("alpha", "BTC/USDT", ts, BIDS, ASKS)
    scanner.service.submit("beta", "BTC/USDT", 1000.4, BIDS, ASKS)
    snapshot = scanner.step()
    assert calc.updates == [
        ([("alpha", "BTC/USDT", 1000.3), ("beta", "BTC/USDT", 1000.4)], 1000.5)
    ]
    assert calc.market_sets == [{("alpha", "BTC/USDT"), ("beta", "BTC/USDT")}]
    assert snapshot.ts == 1000.5 and snapshot.source == "SIM"
    assert set(snapshot.books) == {("alpha", "BTC/USDT"), ("beta", "BTC/USDT")}
    assert snapshot.health["alpha"].state is VenueState.LIVE
    assert scanner.snapshot is snapshot
    again = scanner.step()  # nothing changed: no update, no re-sent markets
    assert len(calc.updates) == 1 and len(calc.market_sets) == 1
    assert scanner.snapshot is again and again.books == snapshot.books


def test_new_markets_are_sent_again_when_the_service_learns_them() -> None:
    scanner, calc = make([QuietFeed("alpha")], Clock())
    scanner.step()
    scanner.service.add_markets(
        [Market(venue="alpha", symbol="ETH/USDT", base="ETH", quote="USDT", taker_fee=0.001)]
    )
    snapshot = scanner.step()
    assert calc.market_sets[-1] == {("alpha", "BTC/USDT"), ("alpha", "ETH/USDT")}
    assert set(snapshot.markets) == {("alpha", "BTC/USDT"), ("alpha", "ETH/USDT")}


def test_a_down_venue_is_dropped_once_and_its_books_are_held_back() -> None:
    clock = Clock(1000.0)
    scanner, calc = make([QuietFeed("alpha"), QuietFeed("beta")], clock)
    scanner.service.submit("alpha", "BTC/USDT", 1000.0, BIDS, ASKS)
    scanner.service.submit("beta", "BTC/USDT", 1000.0, BIDS, ASKS)
    scanner.service.set_state("beta", VenueState.DOWN)
    scanner.step()
    scanner.step()
    assert calc.dropped == ["beta"]
    assert calc.updates[0][0] == [("alpha", "BTC/USDT", 1000.0)]
    # The venue comes back with a new book: it is fed again, and dropped again if it falls.
    scanner.service.submit("beta", "BTC/USDT", 1000.2, BIDS, ASKS)
    scanner.step()
    assert calc.updates[-1][0] == [("beta", "BTC/USDT", 1000.2)]
    scanner.service.set_state("beta", VenueState.DOWN)
    scanner.step()
    assert calc.dropped == ["beta", "beta"]


def test_set_config_reaches_the_calculator_and_the_age_limits() -> None:
    clock = Clock(1000.0)
    scanner, calc = make([QuietFeed("alpha")], clock)
    scanner.service.submit("alpha", "BTC/USDT", 1000.0, BIDS, ASKS)
    clock.now = 1003.0
    assert scanner.step().health["alpha"].state is VenueState.LIVE  # 3 s old, limit 5 s
    config = EngineConfig(trade_notional=250.0, max_book_age={"alpha": 2.0})
    scanner.set_config(config)
    assert calc.config == config and scanner.config == config
    assert scanner.step().health["alpha"].state is VenueState.STALE  # 3 s old, limit 2 s


async def test_start_steps_on_its_own_and_tells_listeners() -> None:
    scanner, calc = make([QuietFeed("alpha", name="REPLAY")], Clock())
    seen: list[float] = []
    scanner.add_listener(lambda snap: seen.append(snap.ts))
    scanner.interval_s = 0.001
    await scanner.start()
    try:
        async def first_update() -> None:
            while not calc.updates:
                await asyncio.sleep(0.005)

        await asyncio.wait_for(first_update(), 60.0)  # a bound against hangs only
    finally:
        await scanner.stop()
    assert calc.updates and calc.updates[0][0] == [("alpha", "BTC/USDT", 1000.0)]
    assert seen and scanner.snapshot.source == "REPLAY"


def test_source_name_joins_distinct_feed_names() -> None:
    assert source_name([QuietFeed("a"), QuietFeed("b")]) == "SIM"
    assert source_name([QuietFeed("a"), QuietFeed("b", name="LIVE")]) == "SIM+LIVE"


def test_with_the_real_calculator_a_crossing_becomes_a_spatial_opportunity() -> None:
    clock = Clock(1000.0)
    scanner = Scanner([QuietFeed("alpha"), QuietFeed("beta")], EngineConfig(), clock=clock)
    # beta bids 102 above alpha's ask 101: 99 bps gross, 20 bps of fees.
    scanner.service.submit("alpha", "BTC/USDT", 1000.0, [[100.0, 1.0]], [[101.0, 1.0]])
    scanner.service.submit("beta", "BTC/USDT", 1000.0, [[102.0, 1.0]], [[103.0, 1.0]])
    snapshot = scanner.step()
    spatial = [o for o in snapshot.opportunities if o.kind is Kind.SPATIAL]
    assert [o.route_id for o in spatial] == ["spatial:BTC/USDT:alpha>beta"]


def test_the_scanner_keeps_each_venue_to_the_depth_settings_give_it() -> None:
    # What monitor and scan pass: Settings.book_depth, here alpha 1 level, beta 3.
    settings = Settings(venues={"alpha": VenueSettings(book_depth=1)})
    scanner = Scanner([QuietFeed("alpha"), QuietFeed("beta")], EngineConfig(), clock=Clock(),
                      book_depth=lambda venue: 3 if venue == "beta" else settings.book_depth(venue))
    deep_bids = [[100.0 - i, 1.0] for i in range(5)]
    deep_asks = [[101.0 + i, 1.0] for i in range(5)]
    for venue in ("alpha", "beta"):
        assert scanner.service.submit(venue, "BTC/USDT", 1000.0, deep_bids, deep_asks)
    books = scanner.step().books
    assert len(books[("alpha", "BTC/USDT")].bids) == 1
    assert len(books[("beta", "BTC/USDT")].asks) == 3
    assert Settings().book_depth("gamma") == 50  # the default, for a venue never configured
