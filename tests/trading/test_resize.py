"""Re-evaluating an opportunity at another size gives what its engine function gives there."""

from __future__ import annotations

import pytest

from arbscope.engine.config import EngineConfig
from arbscope.engine.spatial import evaluate_spatial
from arbscope.trading.resize import resize
from tests.trading.helpers import T0, Books, spatial_books, spatial_markets, spatial_opportunity
from tests.trading.test_broker_routes import CROSS, TRI, cross, cross_books, tri_books, triangle
from tests.trading.test_positions import entry_books, signal


def test_spatial_at_a_new_size_matches_the_engine() -> None:
    books, markets = Books(*spatial_books()), spatial_markets()
    config = EngineConfig(withdrawal_fees={"BTC": 0.0001})
    resized = resize(spatial_opportunity(0.5), 1.2, books, markets, T0, config)
    alpha, beta = spatial_books()
    direct = evaluate_spatial(
        alpha, beta, markets.markets[alpha.key], markets.markets[beta.key], 1.2, T0, 0.0001
    )
    assert resized == direct
    assert resized is not None and resized.waterfall[-1].label == "net after rebalancing"


def test_triangle_and_cross_at_a_new_size_match_the_engine() -> None:
    books = tri_books()
    assert resize(triangle(books, 50.0), 30.0, books, TRI, T0) == triangle(books, 30.0)
    books = cross_books()
    for static in (False, True):
        config = EngineConfig(fx_static_rates={"EUR/USD": 1.08} if static else {})
        original = cross(books, static)
        resized = resize(original, 0.25, books, CROSS, T0, config)
        assert resized is not None
        assert resized.size == pytest.approx(0.25)
        assert resized.route_id == original.route_id
        assert resized.detail["fx_source"] == ("static" if static else "market")


def test_statistical_keeps_its_expected_edge_and_rewalks_the_entry() -> None:
    opp = signal()  # gross 240 bps, buy alpha @ 100, sell beta @ 103, fee 0.001
    resized = resize(opp, 0.5, entry_books(), spatial_markets(), T0)
    assert resized is not None
    # 0.5 BTC: notional 50, gross 50 * 240 / 1e4 = 1.2; round-trip fees 2 * 0.05 + 2 * 0.0515
    # = 0.203. Both crossings are re-walked too (mids: alpha 99.5, beta 103.5): entry buys
    # @ 100 and sells @ 103, 0.5 * (0.5 + 0.5) = 0.5; the exit sells @ 99 and buys @ 104,
    # 0.5 again. Net 1.2 - 0.5 - 0.5 - 0.203 = -0.003 USDT = -0.6 bps (0.997 before the
    # crossings were counted).
    assert (resized.size, resized.notional) == (0.5, 50.0)
    assert resized.detail["entry_crossing"] == pytest.approx(0.5)
    assert resized.detail["exit_crossing"] == pytest.approx(0.5)
    assert resized.net_profit == pytest.approx(1.2 - 0.5 - 0.5 - 0.203)
    assert resized.net_bps == pytest.approx(-0.6)
    assert resized.z_score == opp.z_score


def test_missing_book_or_bad_size() -> None:
    alpha, _ = spatial_books()
    assert resize(spatial_opportunity(), 1.0, Books(alpha), spatial_markets(), T0) is None
    with pytest.raises(ValueError, match="positive amount of BTC"):
        resize(spatial_opportunity(), 0.0, Books(alpha), spatial_markets(), T0)
