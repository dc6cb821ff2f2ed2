"""Rolling spread statistics and the statistical (mean-reversion) opportunity."""

from __future__ import annotations

import math
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arbscope.engine.config import EngineConfig
from arbscope.engine.statistical import (
    EXPECTED_NOTE,
    RollingStats,
    SpreadPair,
    evaluate_statistical,
    statistical_route_id,
)
from arbscope.models import Kind, Market, OrderBook, Side


def _naive_window(samples: list[tuple[float, float]], window_s: float) -> list[float]:
    """The values a time window of `window_s` holds after `samples` (clamped clock)."""
    clamped: list[tuple[float, float]] = []
    newest = -math.inf
    for ts, value in samples:
        newest = max(newest, ts)
        clamped.append((newest, value))
    return [value for ts, value in clamped if ts > newest - window_s]


def test_hand_worked_window_mean_std_and_expiry() -> None:
    stats = RollingStats(window_s=10.0)
    for ts, value in [(0.0, 1.0), (1.0, 2.0), (2.0, 3.0), (3.0, 4.0)]:
        stats.add(ts, value)
    # mean (1+2+3+4)/4 = 2.5; population variance (2.25+0.25+0.25+2.25)/4 = 1.25
    assert stats.count == 4
    assert stats.mean == pytest.approx(2.5)
    assert stats.std == pytest.approx(math.sqrt(1.25))
    # At t=12 the window is (2, 12]: the samples at 0, 1 and 2 leave; 4 and 10 remain.
    stats.add(12.0, 10.0)
    assert stats.values() == [4.0, 10.0]
    assert stats.mean == pytest.approx(7.0)
    assert stats.std == pytest.approx(3.0)  # deviations +-3
    # z of the newest sample: (10 - 7) / 3 = 1
    assert stats.z_score(10.0, min_samples=2) == pytest.approx(1.0)
    assert stats.z_score(10.0, min_samples=3) is None


def test_constant_series_has_no_z_score() -> None:
    stats = RollingStats(window_s=5.0)
    for i in range(50):
        stats.add(float(i) * 0.3, 0.00123)
    assert stats.std == 0.0
    assert stats.z_score(0.00123, min_samples=2) is None


def test_a_sample_older_than_the_newest_is_recorded_at_the_newest_time() -> None:
    stats = RollingStats(window_s=10.0)
    stats.add(100.0, 1.0)
    stats.add(95.0, 3.0)  # arrives late: counted at t=100, so it does not expire first
    assert stats.last_ts == 100.0
    stats.add(109.5, 5.0)
    assert stats.values() == [1.0, 3.0, 5.0]
    stats.add(110.0, 7.0)  # window (100, 110]: both samples stamped 100 leave together
    assert stats.values() == [5.0, 7.0]


def test_shrinking_the_window_drops_old_samples_at_once() -> None:
    stats = RollingStats(window_s=60.0)
    for i in range(10):
        stats.add(float(i), float(i))
    stats.set_window(3.0)  # window (6, 9]
    assert stats.values() == [7.0, 8.0, 9.0]
    assert stats.mean == pytest.approx(8.0)


@pytest.mark.parametrize("window", [0.0, -1.0, math.inf, math.nan])
def test_a_window_that_is_not_a_positive_number_is_refused(window: float) -> None:
    with pytest.raises(ValueError, match="positive number of seconds"):
        RollingStats(window)


def test_non_finite_samples_are_refused() -> None:
    stats = RollingStats(1.0)
    with pytest.raises(ValueError, match="finite"):
        stats.add(0.0, math.nan)


_samples = st.lists(
    st.tuples(
        # Time steps: often zero, sometimes backwards (late arrival), sometimes past the window.
        st.one_of(st.just(0.0), st.floats(-2.0, 3.0), st.floats(0.0, 40.0)),
        st.floats(-1e-2, 1e-2),
    ),
    min_size=1,
    max_size=150,
)


@settings(max_examples=100, deadline=None)
@given(
    steps=_samples,
    offset=st.sampled_from([0.0, 0.5, -3.0, 250.0]),
    window=st.floats(0.5, 30.0),
    min_samples=st.integers(2, 6),
)
def test_running_z_score_equals_a_naive_recompute_over_the_window(
    steps: list[tuple[float, float]], offset: float, window: float, min_samples: int
) -> None:
    # An offset far from zero with tiny spreads is where E[x^2] - E[x]^2 would cancel.
    stats = RollingStats(window)
    history: list[tuple[float, float]] = []
    ts = 1_700_000_000.0
    for dt, noise in steps:
        ts += dt
        value = offset + noise
        stats.add(ts, value)
        history.append((ts, value))
        expected = _naive_window(history, window)
        assert stats.values() == expected
        assert stats.count == len(expected)
        naive_mean = statistics.fmean(expected)
        naive_std = statistics.pstdev(expected) if len(expected) > 1 else 0.0
        scale = max(1.0, abs(offset))
        assert stats.mean == pytest.approx(naive_mean, rel=1e-12, abs=1e-12 * scale)
        assert stats.std == pytest.approx(naive_std, rel=1e-6, abs=1e-9 * scale)
        z = stats.z_score(value, min_samples)
        if len(expected) < min_samples:
            assert z is None
        elif naive_std > 1e-6 * scale:
            assert z is not None
            assert z == pytest.approx((value - naive_mean) / naive_std, rel=1e-4, abs=1e-6)


# --- the opportunity ------------------------------------------------------------------------


def _market(venue: str, fee: float, step: float | None = None) -> Market:
    return Market(
        venue=venue, symbol="BTC/USDT", base="BTC", quote="USDT", taker_fee=fee, amount_step=step
    )


def _book(
    venue: str, bids: list[tuple[float, float]], asks: list[tuple[float, float]]
) -> OrderBook:
    return OrderBook(venue=venue, symbol="BTC/USDT", ts=1000.0, bids=tuple(bids), asks=tuple(asks))


# A is rich against B: A's mid 100.10, B's mid 100.00.
BOOK_A = _book("alpha", bids=[(100.05, 3.0)], asks=[(100.15, 3.0)])
BOOK_B = _book("beta", bids=[(99.95, 4.0)], asks=[(100.05, 1.0), (100.10, 5.0)])
CONFIG = EngineConfig(stat_min_samples=3, stat_entry_z=1.5, stat_exit_z=0.25, stat_window_s=60.0)


def _pair_with_history(
    xs: list[float], book_a: OrderBook = BOOK_A, book_b: OrderBook = BOOK_B
) -> SpreadPair:
    """A pair whose window holds `xs` (given directly, so the arithmetic stays round)."""
    pair = SpreadPair("BTC/USDT", "alpha", "beta", window_s=60.0)
    for i, x in enumerate(xs):
        pair.add(1000.0 - len(xs) + i + 1, x, book_a, book_b)
    return pair


def test_positive_z_sells_the_rich_venue_and_buys_the_cheap_one_with_round_trip_fees() -> None:
    # Window [0, 0, 0, 0.001]: mean 0.00025; variance 1e-6/4 - 0.00025^2 = 1.875e-7,
    # std 4.3301e-4; z = 0.00075 / 4.3301e-4 = sqrt(3) = 1.732 >= 1.5.
    pair = _pair_with_history([0.0, 0.0, 0.0, 0.001])
    market_a, market_b = _market("alpha", 0.0001), _market("beta", 0.0001)
    opp = evaluate_statistical(pair, BOOK_A, BOOK_B, market_a, market_b, CONFIG, 2.0, now=1001.0)
    assert opp is not None
    assert opp.kind is Kind.STATISTICAL
    assert opp.route_id == "statistical:BTC/USDT:alpha~beta"
    assert opp.z_score == pytest.approx(math.sqrt(3.0))
    buy, sell = opp.legs
    assert (buy.venue, buy.side, sell.venue, sell.side) == ("beta", Side.BUY, "alpha", Side.SELL)
    # Buy 2 on beta: 1 @ 100.05 + 1 @ 100.10 = 200.15; sell 2 on alpha @ 100.05 = 200.10.
    assert buy.cost == pytest.approx(200.15)
    assert sell.cost == pytest.approx(200.10)
    assert opp.size == 2.0 and opp.notional == pytest.approx(200.15)
    # gross = abs(0.001 - 0.00025) * 1e4 = 7.5 bps of 200.15 = 0.1501125
    assert opp.gross_bps == pytest.approx(7.5)
    # Round trip: 2 * (200.15 * 0.0001) + 2 * (200.10 * 0.0001) = 0.04003 + 0.04002 = 0.08005
    assert opp.fees == pytest.approx(0.08005)
    # Mids: alpha (100.05 + 100.15) / 2 = 100.10, beta (99.95 + 100.05) / 2 = 100.00.
    # Entry crossing: buy 200.15 - 2 * 100.00 = 0.15, sell 2 * 100.10 - 200.10 = 0.10: 0.25.
    # Exit crossing (sell 2 back on beta's bids @ 99.95, buy 2 back on alpha's asks @ 100.15):
    # 2 * 100.00 - 199.90 = 0.10 and 200.30 - 2 * 100.10 = 0.10: 0.20.
    # Before this was counted the net was 0.1501125 - 0.08005 = +0.0700625 (3.5 bps); the
    # spreads cost more than the expected reversion: 0.1501125 - 0.25 - 0.20 - 0.08005.
    assert opp.detail["entry_crossing"] == pytest.approx(0.25)
    assert opp.detail["exit_crossing"] == pytest.approx(0.20)
    # entry_spread_bps = (0.15 / 200.00 + 0.10 / 200.20) * 1e4 = 7.5 + 4.995 = 12.495
    assert opp.detail["entry_spread_bps"] == pytest.approx(7.5 + 0.10 / 200.20 * 1e4)
    assert opp.net_profit == pytest.approx(0.1501125 - 0.25 - 0.20 - 0.08005)
    # net_bps = -0.3799375 / 200.15 * 1e4 = -18.983
    assert opp.net_bps == pytest.approx(-0.3799375 / 200.15 * 1e4)
    # Even the first unit loses (per BTC: reversion 100.05 * 7.5e-4 = 0.0750, crossings
    # 0.05 + 0.05 in and 0.05 + 0.05 out, fees 2e-4 * 200.10 = 0.0400): no size pays.
    assert opp.max_size == 0.0
    assert opp.net_profit_at_max == 0.0
    assert opp.detail["expected"] == EXPECTED_NOTE
    assert opp.detail["mean"] == pytest.approx(0.00025)
    assert opp.detail["std"] == pytest.approx(math.sqrt(1.875e-7))
    assert opp.detail["entry_z"] == 1.5 and opp.detail["exit_z"] == 0.25
    assert opp.detail["window_s"] == 60.0 and opp.detail["samples"] == 4.0
    assert "abs(z) <= 0.25" in str(opp.detail["exit"])
    assert sum(step.amount for step in opp.waterfall[:-1]) == pytest.approx(opp.net_profit)
    assert opp.waterfall[-1].amount == pytest.approx(opp.net_profit)


def test_negative_z_buys_a_and_sells_b_and_costly_fees_make_net_negative() -> None:
    # Mirror image: window [0, 0, 0, -0.001], z = -sqrt(3): A is cheap.
    book_a = _book("alpha", bids=[(99.95, 4.0)], asks=[(100.05, 2.0)])
    book_b = _book("beta", bids=[(100.05, 3.0)], asks=[(100.15, 3.0)])
    pair = _pair_with_history([0.0, 0.0, 0.0, -0.001], book_a, book_b)
    market_a, market_b = _market("alpha", 0.001), _market("beta", 0.002)
    opp = evaluate_statistical(pair, book_a, book_b, market_a, market_b, CONFIG, 1.0, now=1001.0)
    assert opp is not None
    assert opp.z_score == pytest.approx(-math.sqrt(3.0))
    assert [(leg.venue, leg.side) for leg in opp.legs] == [("alpha", Side.BUY), ("beta", Side.SELL)]
    # Round trip fee bps ~ 2 * (10 + 20) = 60 > 7.5 expected: net about -52.5 bps, no max size.
    fee_bps = (2 * 100.05 * 0.001 + 2 * 100.05 * 0.002) / 100.05 * 1e4
    assert fee_bps == pytest.approx(60.0)
    # Mids alpha 100.00, beta 100.10: the entry buys 1 @ 100.05 and sells 1 @ 100.05 (0.05
    # past each mid), the exit sells @ 99.95 and buys @ 100.15 (0.05 each again): 0.20 in
    # all, 0.20 / 100.05 * 1e4 = 19.99 bps more than the fees alone (which gave 7.5 - 60).
    crossing_bps = 0.20 / 100.05 * 1e4
    assert opp.net_bps == pytest.approx(7.5 - 60.0 - crossing_bps)
    assert opp.max_size == 0.0 and opp.net_profit_at_max == 0.0


def test_no_signal_below_entry_z_or_before_enough_samples() -> None:
    market = _market("alpha", 0.0001), _market("beta", 0.0001)
    # [0, 0.001, 0, 0.001]: mean 0.0005, std 0.0005, z of the newest = 1 < 1.5
    calm = _pair_with_history([0.0, 0.001, 0.0, 0.001])
    assert evaluate_statistical(calm, BOOK_A, BOOK_B, *market, CONFIG, 1.0, now=1001.0) is None
    young = _pair_with_history([0.0, 0.001])  # 2 samples < stat_min_samples = 3
    assert evaluate_statistical(young, BOOK_A, BOOK_B, *market, CONFIG, 1.0, now=1001.0) is None


def test_the_signal_needs_the_books_the_newest_sample_came_from() -> None:
    pair = _pair_with_history([0.0, 0.0, 0.0, 0.001])
    newer_a = BOOK_A.model_copy(update={"ts": 1000.5})
    market = _market("alpha", 0.0001), _market("beta", 0.0001)
    assert evaluate_statistical(pair, newer_a, BOOK_B, *market, CONFIG, 1.0, now=1001.0) is None


def test_without_a_target_the_size_is_the_top_level() -> None:
    pair = _pair_with_history([0.0, 0.0, 0.0, 0.001])
    market = _market("alpha", 0.0001), _market("beta", 0.0001)
    opp = evaluate_statistical(pair, BOOK_A, BOOK_B, *market, CONFIG, None, now=1001.0)
    assert opp is not None
    assert opp.size == 1.0  # min(beta best ask size 1.0, alpha best bid size 3.0)


def test_sizes_respect_the_coarser_amount_step() -> None:
    pair = _pair_with_history([0.0, 0.0, 0.0, 0.001])
    market_a, market_b = _market("alpha", 0.0001, step=0.5), _market("beta", 0.0001, step=0.1)
    opp = evaluate_statistical(pair, BOOK_A, BOOK_B, market_a, market_b, CONFIG, 1.37, now=1001.0)
    assert opp is not None
    assert opp.size == 1.0  # 1.37 rounded down to the coarser step 0.5


def test_pair_sampling_uses_log_mid_ratio_at_the_newer_book_time() -> None:
    pair = SpreadPair("BTC/USDT", "alpha", "beta", window_s=60.0)
    older_b = BOOK_B.model_copy(update={"ts": 990.0})
    assert pair.sample(BOOK_A, older_b)
    assert pair.last_x == pytest.approx(math.log(100.10 / 100.00))
    assert pair.stats.last_ts == 1000.0
    one_sided = OrderBook(venue="beta", symbol="BTC/USDT", ts=1001.0, bids=((99.0, 1.0),), asks=())
    assert not pair.sample(BOOK_A, one_sided)
    assert pair.stats.count == 1


def test_pairs_are_named_in_venue_order() -> None:
    assert statistical_route_id("ETH/USD", "kraken", "okx") == "statistical:ETH/USD:kraken~okx"
    with pytest.raises(ValueError, match="venue_a < venue_b"):
        SpreadPair("ETH/USD", "okx", "kraken", window_s=60.0)
