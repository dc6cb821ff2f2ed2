"""What each pane draws from the snapshot it is given."""

from __future__ import annotations

import gc

import pytest
from rich.text import Text

from arbscope.models import Kind, Leg, MarketSnapshot, Opportunity, Side, VenueHealth, VenueState
from arbscope.ui.app import ArbscopeApp
from arbscope.ui.palette import Palette
from arbscope.ui.widgets.spread_heatmap import nice_scale
from arbscope.ui.widgets.spread_history import SpreadHistory, braille_rows, plot_points
from arbscope.ui.widgets.status_bar import SOURCE_BADGES, StatusBar
from tests.ui.conftest import SIZE, make_app
from tests.ui.sim_driver import SteppedMarket
from tests.ui.test_opportunities_table import TS, HandMadeScanner


def statistical(z: float, ts: float) -> Opportunity:
    legs = (Leg(venue="a", symbol="BTC/USDT", side=Side.BUY),
            Leg(venue="b", symbol="BTC/USDT", side=Side.SELL))
    return Opportunity(kind=Kind.STATISTICAL, route_id="statistical:BTC/USDT:a>b", legs=legs,
                       size=0.01, max_size=0.01, size_currency="BTC", profit_currency="USDT",
                       notional=1000, gross_bps=5, fees=2, net_profit=0.3, net_bps=3, ts=ts,
                       z_score=z)


@pytest.mark.parametrize("source", ["SIM", "REPLAY", "LIVE"])
async def test_the_status_bar_names_the_source_in_a_badge_of_its_own_colour(source: str) -> None:
    scanner = HandMadeScanner()
    health = {
        "kraken": VenueHealth(venue="kraken", state=VenueState.LIVE, last_update_ts=TS - 0.3),
        "okx": VenueHealth(venue="okx", state=VenueState.STALE, last_update_ts=TS - 12),
    }
    scanner.snapshot = MarketSnapshot(ts=TS, source=source, opportunities=(), books={},
                                      markets={}, health=health, updates_per_second=1234)
    app = ArbscopeApp(scanner, refresh_timer=False, start_scanner=False)
    async with app.run_test(size=SIZE):
        palette = Palette.of(app)
        line = app.query_one(StatusBar).status_text(palette)
        assert line.plain.startswith(SOURCE_BADGES[source])
        badge = line.spans[0]
        assert not isinstance(badge.style, str)
        assert badge.style.bgcolor == palette.sources[source].rich_color and badge.style.bold
        assert "● kraken 0.3s" in line.plain and "◐ okx 12s" in line.plain
        assert "1,234 upd/s" in line.plain and "22:13:20.0 UTC" in line.plain


def test_plot_points_keeps_the_last_sample_of_each_column() -> None:
    # 10 s window on 5 columns: 2 s per column; 3.0 and 3.5 share column 1, the later wins.
    points = [(0.0, 1.0), (3.0, 2.0), (3.5, 5.0), (9.9, -1.0)]
    assert plot_points(points, 0.0, 10.0, 5) == [1.0, 5.0, None, None, -1.0]


def test_braille_rows_put_high_values_on_top_and_join_neighbours() -> None:
    # 2 values on one character row (4 dots high): 1.0 at the top dot, 0.0 at the bottom one;
    # the second column is filled from the first one's height down to its own.
    rows = braille_rows([1.0, 0.0], low=0.0, high=1.0, height=1)
    left_top, right_all = 0x01, 0x08 | 0x10 | 0x20 | 0x80
    assert rows == [chr(0x2800 + (left_top | right_all))]


async def test_a_statistical_route_charts_its_z_score_with_entry_and_exit_bands() -> None:
    scanner = HandMadeScanner()
    app = ArbscopeApp(scanner, refresh_timer=False, start_scanner=False)
    async with app.run_test(size=SIZE):
        for step, z in enumerate((2.1, 2.6, 3.0, 2.4)):
            scanner.snapshot = scanner.make(statistical(z, TS + step))
            scanner.snapshot = scanner.snapshot.model_copy(update={"ts": TS + step})
            app.refresh_panes()
        history = app.query_one(SpreadHistory)
        assert [z for _, z in history.series] == [2.1, 2.6, 3.0, 2.4]
        assert "z-score" in str(history.border_title)
        chart = history.render()
        assert isinstance(chart, Text)
        assert "┄" in chart.plain  # entry bands at ±2.0
        assert "┈" in chart.plain  # exit bands at ±0.5
        assert "now +2.4" in chart.plain


def test_the_heat_scale_rounds_up_to_one_two_or_five() -> None:
    assert nice_scale(0.3) == 1.0
    assert nice_scale(21.5) == 50.0
    assert nice_scale(150.0) == 200.0
    assert nice_scale(500.0) == 500.0


async def test_with_automatic_collection_off_the_app_collects_after_each_frame(
    shared_market: SteppedMarket,
) -> None:
    app = make_app(shared_market)
    async with app.run_test(size=SIZE) as pilot:
        gc.disable()
        try:
            before = [generation["collections"] for generation in gc.get_stats()]
            app.refresh_panes()
            await pilot.pause()
            after = [generation["collections"] for generation in gc.get_stats()]
        finally:
            gc.enable()
        assert after[1] > before[1]  # one collection of the young generations per frame
