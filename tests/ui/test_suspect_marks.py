"""The monitor marks a route too good to be true, and its venues view says which tickers
are kept apart because their venues share no network for them."""

from __future__ import annotations

import io

from rich.console import Console
from textual.app import App
from textual.widgets import Static

from arbscope.models import Opportunity
from arbscope.storage.settings import Settings
from arbscope.ui.app import ArbscopeApp
from arbscope.ui.screens.venues import VenuesScreen
from arbscope.ui.widgets.opportunities import OpportunitiesTable
from tests.ui.conftest import SIZE, make_app
from tests.ui.sim_driver import SteppedMarket
from tests.ui.test_opportunities_table import TS, HandMadeScanner, spatial

# spatial() makes net_bps = 10 x net_profit: +30 bps, and +800 bps (beyond 500).
SOUND = spatial("a", "b", 3.0)
TOO_GOOD = spatial("c", "d", 80.0).model_copy(update={"book_ts": (TS, TS - 4.0)})


def _route_cells(app: ArbscopeApp, *routes: Opportunity) -> list[str]:
    table = app.query_one(OpportunitiesTable)
    return [str(table.get_cell(route.route_id, "route")) for route in routes]


async def test_a_route_beyond_the_threshold_is_marked_in_the_table() -> None:
    app = ArbscopeApp(HandMadeScanner(SOUND, TOO_GOOD), refresh_timer=False,
                      start_scanner=False)
    async with app.run_test(size=SIZE):
        app.refresh_panes()
        sound, too_good = _route_cells(app, SOUND, TOO_GOOD)
        assert too_good.startswith("!") and not sound.startswith("!")


async def test_the_mark_follows_the_risk_setting() -> None:
    settings = Settings.model_validate({"risk": {"suspect_edge_bps": 1000}})
    app = ArbscopeApp(HandMadeScanner(SOUND, TOO_GOOD), settings, refresh_timer=False,
                      start_scanner=False)
    async with app.run_test(size=SIZE):
        app.refresh_panes()
        assert not any(cell.startswith("!") for cell in _route_cells(app, SOUND, TOO_GOOD))


def _pairing_text(app: App[None]) -> str:
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(app.screen.query_one("#venue-pairing", Static).content)
    return console.export_text()


async def test_the_venues_view_says_why_bitstamps_usdc_is_not_paired(
    market: SteppedMarket,
) -> None:
    app = make_app(market)
    async with app.run_test(size=SIZE) as pilot:
        app.refresh_panes()
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, VenuesScreen)
        text = _pairing_text(app)
        assert "USDC on bitstamp (XLM) shares no network with binance, bybit, kraken, okx" in text
