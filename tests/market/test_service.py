"""MarketService: validation, the latest-book store, health, feed tasks."""

from __future__ import annotations

import asyncio
import math

from arbscope.market.base import BookSink
from arbscope.market.service import MarketService
from arbscope.models import Market, OrderBook, VenueState


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class ScriptedFeed:
    """A feed that publishes given books, then waits (or raises, or returns)."""

    def __init__(
        self,
        venue: str,
        books: list[tuple[str, float, list[list[float]], list[list[float]]]] = (),  # type: ignore[assignment]
        then: str = "wait",
        symbols: tuple[str, ...] = ("BTC/USDT",),
    ) -> None:
        self.name = f"FAKE-{venue}"
        self.venue = venue
        self.books = list(books)
        self.then = then
        self.symbols = symbols
        self.published = asyncio.Event()

    @property
    def venues(self) -> tuple[str, ...]:
        return (self.venue,)

    def markets(self) -> list[Market]:
        return [
            Market(
                venue=self.venue,
                symbol=s,
                base=s.split("/")[0],
                quote=s.split("/")[1],
                taker_fee=0.001,
            )
            for s in self.symbols
        ]

    async def run(self, sink: BookSink) -> None:
        sink.set_state(self.venue, VenueState.CONNECTING)
        for symbol, ts, bids, asks in self.books:
            sink.submit(self.venue, symbol, ts, bids, asks)
        self.published.set()
        if self.then == "raise":
            raise ConnectionError("socket closed by peer")
        if self.then == "wait":
            await asyncio.Event().wait()


GOOD_BIDS = [[100.0, 1.0], [99.0, 2.0]]
GOOD_ASKS = [[101.0, 1.0], [102.0, 2.0]]


def test_submit_keeps_a_valid_book_and_rejects_bad_ones_with_a_count_and_reason() -> None:
    service = MarketService([ScriptedFeed("alpha")], clock=FakeClock())
    assert service.submit("alpha", "BTC/USDT", 1000.0, GOOD_BIDS, GOOD_ASKS)

    bad_books = {
        "crossed": ([[101.5, 1.0]], [[101.0, 1.0]]),
        "nan": ([[math.nan, 1.0]], GOOD_ASKS),
        "negative size": ([[100.0, -1.0]], GOOD_ASKS),
        "zero price": (GOOD_BIDS, [[0.0, 1.0]]),
        "mis-sorted bids": ([[99.0, 1.0], [100.0, 1.0]], GOOD_ASKS),
        "mis-sorted asks": (GOOD_BIDS, [[102.0, 1.0], [101.0, 1.0]]),
        "short level": ([[100.0]], GOOD_ASKS),
    }
    for bids, asks in bad_books.values():
        assert not service.submit("alpha", "BTC/USDT", 1001.0, bids, asks)
    assert not service.submit("alpha", "BTCUSDT", 1001.0, GOOD_BIDS, GOOD_ASKS)

    health = service.health()["alpha"]
    assert health.books_accepted == 1
    assert health.books_rejected == len(bad_books) + 1
    assert health.last_error is not None and "BASE/QUOTE" in health.last_error
    # The valid book is still the one kept, and only it was ever marked changed.
    kept = service.books[("alpha", "BTC/USDT")]
    assert kept.ts == 1000.0 and kept.bids == ((100.0, 1.0), (99.0, 2.0))
    assert [b.ts for b in service.drain_changed()] == [1000.0]


def test_rejection_reason_names_the_problem() -> None:
    service = MarketService([], clock=FakeClock())
    service.submit("alpha", "BTC/USDT", 1000.0, [[101.5, 1.0]], [[101.0, 1.0]])
    assert service.health()["alpha"].last_error == (
        "BTC/USDT: book rejected: crossed book: best bid 101.5 >= best ask 101.0"
    )


def test_drain_changed_collapses_a_burst_to_the_latest_book_per_key() -> None:
    service = MarketService([], clock=FakeClock())
    for i in range(10_000):
        price = 100.0 + (i % 50)
        service.submit("alpha", "BTC/USDT", 1000.0 + i, [[price, 1.0]], [[price + 1.0, 1.0]])
        if i % 2 == 0:
            service.submit("beta", "BTC/USDT", 1000.0 + i, [[price, 1.0]], [[price + 2.0, 1.0]])
    drained = {book.key: book for book in service.drain_changed()}
    assert set(drained) == {("alpha", "BTC/USDT"), ("beta", "BTC/USDT")}
    assert drained[("alpha", "BTC/USDT")].ts == 1000.0 + 9_999
    assert drained[("beta", "BTC/USDT")].ts == 1000.0 + 9_998
    assert service.drain_changed() == []  # the set was cleared
    assert service.health()["alpha"].books_accepted == 10_000


def test_listeners_see_every_accepted_book_in_order_and_no_rejected_one() -> None:
    service = MarketService([], clock=FakeClock())
    seen: list[OrderBook] = []
    service.add_listener(seen.append)
    service.submit("alpha", "BTC/USDT", 1.0, GOOD_BIDS, GOOD_ASKS)
    service.submit("alpha", "BTC/USDT", 2.0, [[101.5, 1.0]], [[101.0, 1.0]])
    service.submit("beta", "ETH/USDT", 3.0, GOOD_BIDS, GOOD_ASKS)
    assert [(b.venue, b.ts) for b in seen] == [("alpha", 1.0), ("beta", 3.0)]


def test_health_goes_connecting_live_stale_by_the_injected_clock() -> None:
    clock = FakeClock(1000.0)
    service = MarketService([ScriptedFeed("alpha")], clock=clock, max_book_age=lambda v: 5.0)
    assert service.health()["alpha"].state is VenueState.CONNECTING
    service.submit("alpha", "BTC/USDT", 1000.0, GOOD_BIDS, GOOD_ASKS)
    assert service.health()["alpha"].state is VenueState.LIVE
    clock.now = 1005.0  # exactly max age: still usable
    assert service.health()["alpha"].state is VenueState.LIVE
    clock.now = 1005.5
    health = service.health()["alpha"]
    assert health.state is VenueState.STALE
    assert health.age(clock.now) == 5.5
    service.submit("alpha", "BTC/USDT", 1005.4, GOOD_BIDS, GOOD_ASKS)
    assert service.health()["alpha"].state is VenueState.LIVE


def test_updates_per_second_counts_the_last_whole_second() -> None:
    clock = FakeClock(1000.2)
    service = MarketService([], clock=clock)
    for _ in range(7):
        service.submit("alpha", "BTC/USDT", clock.now, GOOD_BIDS, GOOD_ASKS)
    clock.now = 1001.3  # second 1000 is complete: 7 updates in it
    assert service.health()["alpha"].updates_per_second == 7.0
    assert service.updates_per_second() == 7.0
    clock.now = 1003.0  # nothing in second 1002
    assert service.health()["alpha"].updates_per_second == 0.0


def test_report_error_counts_retries_and_a_book_clears_the_retry_time() -> None:
    clock = FakeClock()
    service = MarketService([ScriptedFeed("alpha")], clock=clock)
    service.report_error("alpha", "timeout", next_retry_ts=1010.0)
    service.report_error("alpha", "timeout again")
    health = service.health()["alpha"]
    assert (health.errors, health.retries, health.next_retry_ts) == (2, 1, 1010.0)
    assert health.last_error == "timeout again"
    service.submit("alpha", "BTC/USDT", 1000.0, GOOD_BIDS, GOOD_ASKS)
    assert service.health()["alpha"].next_retry_ts is None


async def test_a_feed_that_raises_is_down_and_the_others_keep_running() -> None:
    clock = FakeClock(1000.0)
    healthy = ScriptedFeed("alpha", [("BTC/USDT", 1000.0, GOOD_BIDS, GOOD_ASKS)])
    broken = ScriptedFeed("beta", [("BTC/USDT", 1000.0, GOOD_BIDS, GOOD_ASKS)], then="raise")
    service = MarketService([healthy, broken], clock=clock)
    await service.start()
    try:
        # Generous bounds against a hang; the events, not the time, decide.
        await asyncio.wait_for(healthy.published.wait(), 30.0)
        await asyncio.wait_for(broken.published.wait(), 30.0)
        await asyncio.sleep(0)  # let beta's task record its failure
        health = service.health()
        assert health["alpha"].state is VenueState.LIVE
        assert health["beta"].state is VenueState.DOWN
        assert health["beta"].errors == 1
        assert health["beta"].last_error == "FAKE-beta feed stopped: socket closed by peer"
        assert [type(e) for _, e in service.feed_errors] == [ConnectionError]
        assert not service.finished  # alpha is still running
        # The healthy feed's venue still takes books.
        assert service.submit("alpha", "BTC/USDT", 1001.0, GOOD_BIDS, GOOD_ASKS)
    finally:
        await service.stop()


async def test_the_feed_can_declare_a_venue_down() -> None:
    service = MarketService([ScriptedFeed("alpha")], clock=FakeClock())
    service.submit("alpha", "BTC/USDT", 1000.0, GOOD_BIDS, GOOD_ASKS)
    service.set_state("alpha", VenueState.DOWN)
    assert service.state("alpha") is VenueState.DOWN


async def test_finished_once_every_finite_feed_has_ended() -> None:
    feed = ScriptedFeed("alpha", [("BTC/USDT", 1000.0, GOOD_BIDS, GOOD_ASKS)], then="return")
    service = MarketService([feed], clock=FakeClock())
    assert not service.finished  # not started yet
    await service.start()
    for _ in range(10):
        if service.finished:
            break
        await asyncio.sleep(0)
    assert service.finished
    assert service.feed_errors == []
    await service.stop()


def test_markets_come_from_the_feeds_and_later_additions_bump_the_version() -> None:
    feed = ScriptedFeed("alpha", symbols=("BTC/USDT",))
    service = MarketService([feed], clock=FakeClock())
    assert set(service.markets()) == {("alpha", "BTC/USDT")}
    version = service.markets_version
    # A feed that learns a symbol later: the service asks the feeds again when it meets it.
    feed.symbols = ("BTC/USDT", "ETH/USDT")
    service.submit("alpha", "ETH/USDT", 1000.0, GOOD_BIDS, GOOD_ASKS)
    assert set(service.markets()) == {("alpha", "BTC/USDT"), ("alpha", "ETH/USDT")}
    assert service.markets_version == version + 1
    # Adding the same rules again changes nothing.
    service.add_markets(feed.markets())
    assert service.markets_version == version + 1


def _ladder(best: float, step: float, levels: int) -> list[list[float]]:
    return [[best + i * step, 1.0] for i in range(levels)]


def test_a_deep_book_is_cut_to_the_venue_depth_before_validation() -> None:
    # 60 bids with a NaN size at level 55: beyond the default depth of 50 it is dropped
    # unread, so the book is kept, its first 50 levels only.
    bids = _ladder(100.0, -0.01, 60)
    bids[55][1] = math.nan
    asks = _ladder(100.01, 0.01, 3)
    default = MarketService([], clock=FakeClock())
    assert default.submit("alpha", "BTC/USDT", 1000.0, bids, asks)
    kept = default.books[("alpha", "BTC/USDT")]
    assert (len(kept.bids), len(kept.asks)) == (50, 3)
    assert kept.bids[49] == (bids[49][0], 1.0)
    # A venue allowed 60 levels reads level 55 too, and refuses the book for it.
    deep = MarketService(
        [], clock=FakeClock(), book_depth=lambda venue: 60 if venue == "deep" else 2
    )
    assert not deep.submit("deep", "BTC/USDT", 1000.0, bids, asks)
    assert deep.health()["deep"].last_error == (
        "BTC/USDT: book rejected: bids[55] size nan must be between 1e-12 and 1e+12"
    )
    assert deep.submit("shallow", "BTC/USDT", 1000.0, bids, asks)
    assert len(deep.books[("shallow", "BTC/USDT")].asks) == 2


def test_sizes_given_as_text_or_booleans_and_short_levels_are_refused_by_name() -> None:
    service = MarketService([], clock=FakeClock())
    refusals = {
        "level 0 of bids: size must be a number, got '1.0'": ([[100.0, "1.0"]], GOOD_ASKS),
        "level 1 of asks: price must be a number, got True": (
            GOOD_BIDS, [[101.0, 1.0], [True, 1.0]]
        ),
        "level 0 of bids needs [price, size], got [100.0]": ([[100.0]], GOOD_ASKS),
        "ts must be a number, got '1000'": (GOOD_BIDS, GOOD_ASKS),
    }
    for reason, (bids, asks) in refusals.items():
        ts: object = "1000" if reason.startswith("ts") else 1000.0
        assert not service.submit("alpha", "BTC/USDT", ts, bids, asks)  # type: ignore[arg-type]
        assert service.health()["alpha"].last_error == f"BTC/USDT: book rejected: {reason}"
    # pydantic's own messages say which field they are about.
    assert not service.submit("alpha", 7, 1000.0, GOOD_BIDS, GOOD_ASKS)  # type: ignore[arg-type]
    assert service.health()["alpha"].last_error == (
        "7: book rejected: symbol: Input should be a valid string"
    )
    assert service.books == {}

