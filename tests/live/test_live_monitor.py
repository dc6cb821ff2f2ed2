"""A pilot of the monitor in live mode: ccxt, the fake venues, the real app."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

from rich.text import Text

from arbscope.cli import build_parser
from arbscope.cli.monitor import build_app
from arbscope.models import Kind, VenueState
from arbscope.ui.palette import Palette
from arbscope.ui.widgets.order_books import OrderBooksPane
from arbscope.ui.widgets.status_bar import StatusBar
from tests.live.fake_exchange import FakeBinance
from tests.live.test_live_cli import write_settings


async def test_monitor_in_live_mode_shows_the_fake_venues_books(
    isolated_user_dirs: dict[str, Path],
) -> None:
    # Two venues in Binance's format: one serves the recording as it is, the other
    # 1 % higher, so a spatial route (buy binance, sell binanceus) opens.
    low = await FakeBinance(speed=4.0, loop=True).start()
    high = await FakeBinance(speed=4.0, loop=True, price_factor=Decimal("1.01")).start()
    try:
        write_settings(isolated_user_dirs["config"], {
            "binance": {"ccxt_options": low.ccxt_options()},
            "binanceus": {"ccxt_options": high.ccxt_options()},
        })
        parser, _ = build_parser()
        argv = ["monitor", "--live", "binance,binanceus", "--symbols", "NKN/USDT"]
        args = parser.parse_args(argv)
        app = await asyncio.to_thread(build_app, args)  # loads both venues' markets
        async with app.run_test(size=(160, 48)) as pilot:
            for _ in range(150):  # up to 15 s for connections, snapshots and a first route
                await pilot.pause(0.1)
                snapshot = app.scanner.snapshot
                if snapshot.opportunities and all(
                    h.state is VenueState.LIVE for h in snapshot.health.values()
                ):
                    break
            else:
                raise AssertionError(f"no live route on screen: {snapshot.health}")
            assert snapshot.source == "LIVE"
            route = snapshot.opportunities[0]
            assert route.kind is Kind.SPATIAL
            assert route.route_id == "spatial:NKN/USDT:binance>binanceus"
            await pilot.press("enter")
            await pilot.pause(0.3)
            bar = app.screen.query_one(StatusBar).status_text(Palette.of(app)).plain
            books = app.screen.query_one(OrderBooksPane).render()
            assert isinstance(books, Text)
            books_text = books.plain
    finally:
        await low.stop()
        await high.stop()
    assert "LIVE" in bar and "binance " in bar and "binanceus" in bar
    # The ladders show the fake venues' prices: NKN near 0.352 USDT, 1 % apart.
    best_ask_low = snapshot.books[("binance", "NKN/USDT")].asks[0][0]
    best_bid_high = snapshot.books[("binanceus", "NKN/USDT")].bids[0][0]
    assert 0.34 < best_ask_low < 0.36 and best_bid_high > best_ask_low
    assert "binance" in books_text and "NKN/USDT" in books_text
    assert f"{best_ask_low:g}"[:5] in books_text
