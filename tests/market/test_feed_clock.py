"""Feed latency and clock skew in venue health, from books carrying the venue's own time."""

from __future__ import annotations

from arbscope.market.feed_clock import LATENCY_SAMPLES
from arbscope.market.service import MarketService
from tests.market.test_service import GOOD_ASKS, GOOD_BIDS, FakeClock, ScriptedFeed


def test_latency_is_the_median_and_95th_percentile_of_receive_minus_venue_time() -> None:
    service = MarketService([ScriptedFeed("alpha")], clock=FakeClock(2000.0))
    for k in range(1, 21):
        # Book k is stamped 1000 + k by the venue and received k * 0.125 s later.
        venue_time = 1000.0 + k
        received = venue_time + k * 0.125
        assert service.submit(
            "alpha", "BTC/USDT", received, GOOD_BIDS, GOOD_ASKS, exchange_ts=venue_time
        )
    health = service.health()["alpha"]
    # Samples 0.125, 0.25 ... 2.5 (twenty). Nearest rank: p50 is the 10th = 1.25,
    # p95 the ceil(0.95 * 20) = 19th = 2.375; the skew bound the smallest, 0.125.
    assert health.latency_p50_s == 1.25
    assert health.latency_p95_s == 2.375
    assert health.clock_skew_s == 0.125
    assert service.books[("alpha", "BTC/USDT")].exchange_ts == 1020.0


def test_a_venue_clock_running_ahead_shows_a_negative_skew() -> None:
    service = MarketService([ScriptedFeed("alpha")], clock=FakeClock(2000.0))
    # The venue stamps 0.5 s after we receive, then 0.25 s before: -0.5 and 0.25.
    service.submit("alpha", "BTC/USDT", 1000.0, GOOD_BIDS, GOOD_ASKS, exchange_ts=1000.5)
    service.submit("alpha", "BTC/USDT", 1001.0, GOOD_BIDS, GOOD_ASKS, exchange_ts=1000.75)
    health = service.health()["alpha"]
    assert health.clock_skew_s == -0.5
    assert (health.latency_p50_s, health.latency_p95_s) == (-0.5, 0.25)


def test_only_the_newest_samples_count() -> None:
    service = MarketService([ScriptedFeed("alpha")], clock=FakeClock(5000.0))
    # One fast book long ago (0.5 s), then a window's worth of 1 s ones: the fast one is
    # gone, or the skew bound would still be 0.5.
    service.submit("alpha", "BTC/USDT", 1000.5, GOOD_BIDS, GOOD_ASKS, exchange_ts=1000.0)
    for k in range(LATENCY_SAMPLES):
        ts = 1010.0 + k
        service.submit("alpha", "BTC/USDT", ts, GOOD_BIDS, GOOD_ASKS, exchange_ts=ts - 1.0)
    health = service.health()["alpha"]
    assert (health.latency_p50_s, health.latency_p95_s, health.clock_skew_s) == (1.0, 1.0, 1.0)


def test_a_book_with_an_absurd_venue_time_is_refused_with_the_reason() -> None:
    service = MarketService([ScriptedFeed("alpha")], clock=FakeClock())
    assert not service.submit(
        "alpha", "BTC/USDT", 1000.0, GOOD_BIDS, GOOD_ASKS, exchange_ts=-5.0
    )
    health = service.health()["alpha"]
    assert health.books_rejected == 1
    assert health.last_error is not None
    assert "exchange_ts -5.0 must be seconds since the epoch" in health.last_error
