"""The per-symbol silence watchdog and warming books, with time driven by an injected clock
(never waited for)."""

from __future__ import annotations

from arbscope.market.base import FeedGap
from arbscope.market.service import MarketService
from arbscope.models import VenueState
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
