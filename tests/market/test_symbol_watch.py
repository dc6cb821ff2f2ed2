"""The per-symbol silence watchdog and warming books, with time driven by an injected clock
(never waited for)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from arbscope.market.base import FeedGap
from arbscope.market.service import MarketService
from arbscope.models import Market, VenueState
from tests.market.test_service import GOOD_ASKS, GOOD_BIDS, FakeClock, ScriptedFeed

TEN = tuple(f"C{n}/USDT" for n in range(10))


def test_one_silent_symbol_among_ten_is_shown_stale_not_hidden_by_the_others() -> None:
    clock = FakeClock(1000.0)
    service = MarketService(
        [ScriptedFeed("alpha", symbols=TEN)], clock=clock, max_book_age=lambda venue: 5.0
    )
    for symbol in TEN:
        service.submit("alpha", symbol, 1000.0, GOOD_BIDS, GOOD_ASKS)
    # Nine symbols update every 2 s; C9 never again.
    for now in (1002.0, 1004.0, 1006.0):
        clock.now = now
        for symbol in TEN[:9]:
            service.submit("alpha", symbol, now, GOOD_BIDS, GOOD_ASKS)
        health = service.health()["alpha"]
        assert health.state is VenueState.LIVE  # the venue's newest book is fresh
        # C9's book is now - 1000 old: 2 and 4 s are within the 5 s limit, 6 s is not.
        assert health.stale_symbols == (() if now < 1006.0 else ("C9/USDT",))
    # Its next book ends it.
    service.submit("alpha", "C9/USDT", 1006.0, GOOD_BIDS, GOOD_ASKS)
    assert service.health()["alpha"].stale_symbols == ()


def test_each_book_is_warming_until_its_first_snapshot() -> None:
    symbols = ("BTC/USDT", "ETH/USDT", "SOL/USDT")
    service = MarketService([ScriptedFeed("alpha", symbols=symbols)], clock=FakeClock())
    assert service.health()["alpha"].warming_symbols == symbols
    service.submit("alpha", "ETH/USDT", 1000.0, GOOD_BIDS, GOOD_ASKS)
    assert service.health()["alpha"].warming_symbols == ("BTC/USDT", "SOL/USDT")
    # A symbol failing on its own is down, not warming.
    service.set_down_symbols("alpha", ["SOL/USDT"])
    assert service.health()["alpha"].warming_symbols == ("BTC/USDT",)
    # After a resync the book waits for its next snapshot again.
    service.report_gap(FeedGap("resync", "alpha", 1000.5, "ETH/USDT", "sequence gap"))
    assert service.health()["alpha"].warming_symbols == ("BTC/USDT", "ETH/USDT")


VENUES = ("alpha", "beta")
SYMBOLS = ("BTC/USDT", "ETH/USDT", "SOL/USDT")

_operations = st.lists(
    st.one_of(
        st.tuples(st.just("book"), st.sampled_from(VENUES), st.sampled_from(SYMBOLS),
                  st.integers(0, 8)),
        st.tuples(st.just("tick"), st.integers(0, 4)),
        st.tuples(st.just("back"), st.integers(1, 3)),
        st.tuples(st.just("resync"), st.sampled_from(VENUES), st.sampled_from(SYMBOLS)),
        st.tuples(st.just("disconnect"), st.sampled_from(VENUES)),
        st.tuples(st.just("down"), st.sampled_from(VENUES),
                  st.lists(st.sampled_from(SYMBOLS), max_size=2, unique=True)),
        st.tuples(st.just("limit"), st.sampled_from(VENUES), st.integers(1, 6)),
        st.tuples(st.just("market"), st.sampled_from(VENUES), st.sampled_from(SYMBOLS)),
    ),
    max_size=40,
)


def _market(venue: str, symbol: str) -> Market:
    base, quote = symbol.split("/")
    return Market(venue=venue, symbol=symbol, base=base, quote=quote, taker_fee=0.001)


@settings(max_examples=300, deadline=None)
@given(_operations)
def test_the_kept_answer_always_equals_a_fresh_scan_of_every_book(
    operations: list[tuple[Any, ...]],
) -> None:
    clock = FakeClock(1000.0)
    limits = {"alpha": 5.0, "beta": 3.0}
    service = MarketService([], clock=clock, max_book_age=lambda venue: limits[venue])
    service.add_markets([_market("alpha", "BTC/USDT"), _market("beta", "BTC/USDT")])
    for operation in operations:
        kind = operation[0]
        if kind == "book":
            _, venue, symbol, age = operation
            service.submit(venue, symbol, clock.now - age, GOOD_BIDS, GOOD_ASKS)
        elif kind == "tick":
            clock.now += operation[1]
        elif kind == "back":
            clock.now -= operation[1]
        elif kind == "resync":
            service.report_gap(FeedGap("resync", operation[1], clock.now, operation[2]))
        elif kind == "disconnect":
            service.report_gap(FeedGap("disconnect", operation[1], clock.now))
        elif kind == "down":
            service.set_down_symbols(operation[1], operation[2])
        elif kind == "limit":
            limits[operation[1]] = float(operation[2])
        else:
            service.add_markets([_market(operation[1], operation[2])])
        health = service.health()
        books, markets, now = service.books, service.markets(), clock.now
        for venue in VENUES:
            if venue not in health:
                continue
            down = health[venue].down_symbols
            # By definition: older than the limit; rules but no book, and not down.
            stale = sorted(
                s for (v, s), b in books.items() if v == venue and b.ts + limits[v] < now
            )
            warming = sorted(
                s for (v, s) in markets if v == venue and (v, s) not in books and s not in down
            )
            assert health[venue].stale_symbols == tuple(stale), operation
            assert health[venue].warming_symbols == tuple(warming), operation
