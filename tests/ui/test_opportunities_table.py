"""The opportunities table updates in place: only the screen lines whose row changed are
redrawn, no screen layout, the same route under the cursor, fixed widths, all inside one
batch update."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from textual.geometry import Region

from arbscope.engine.config import EngineConfig
from arbscope.models import Kind, Leg, MarketSnapshot, Opportunity, Side
from arbscope.ui.app import ArbscopeApp
from arbscope.ui.widgets.opportunities import COLUMNS, OpportunitiesTable
from tests.ui.conftest import SIZE

TS = 1_732_400_000.0


def spatial(buy: str, sell: str, net_profit: float, symbol: str = "BTC/USDT") -> Opportunity:
    legs = (Leg(venue=buy, symbol=symbol, side=Side.BUY, amount=0.01, levels_used=1),
            Leg(venue=sell, symbol=symbol, side=Side.SELL, amount=0.01, levels_used=1))
    return Opportunity(
        kind=Kind.SPATIAL, route_id=f"spatial:{symbol}:{buy}>{sell}", legs=legs, size=0.01,
        max_size=0.02, size_currency="BTC", profit_currency="USDT", notional=1000.0,
        gross_bps=net_profit * 10 + 20, fees=2.0, net_profit=net_profit,
        net_bps=net_profit * 10, net_profit_ref=net_profit, ts=TS, opened_ts=TS - 1,
        book_ts=(TS, TS),
    )


class HandMadeScanner:
    """Serves whatever snapshot the test sets; nothing runs."""

    def __init__(self, *opportunities: Opportunity) -> None:
        self.config = EngineConfig()
        self.snapshot = self.make(*opportunities)
        self.calculator = self

    @staticmethod
    def make(*opportunities: Opportunity) -> MarketSnapshot:
        return MarketSnapshot(ts=TS, source="SIM", opportunities=opportunities, books={},
                              markets={}, health={})

    def valuation(self) -> Mapping[str, float]:
        return {}

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def set_config(self, config: EngineConfig) -> None:
        self.config = config


A, B, C = spatial("a", "b", 3.0), spatial("b", "c", 2.0), spatial("c", "a", 1.0)


def app_on(scanner: HandMadeScanner) -> ArbscopeApp:
    return ArbscopeApp(scanner, refresh_timer=False, start_scanner=False)


def refreshes(monkeypatch: pytest.MonkeyPatch, table: OpportunitiesTable) -> list[Any]:
    """Every `table.refresh` call: (regions, layout asked, inside a batch update)."""
    calls: list[Any] = []
    original = table.refresh

    def recording(*regions: Region, **kwargs: Any) -> Any:
        calls.append((regions, kwargs.get("layout", False), table.app._batch_count > 0))
        return original(*regions, **kwargs)

    monkeypatch.setattr(table, "refresh", recording)
    return calls


def row_lines(calls: list[Any]) -> list[int]:
    """Screen lines (0 is the header) the refreshes asked to redraw, one line each."""
    assert all(region.height == 1 for regions, _, _ in calls for region in regions)
    assert all(regions for regions, _, _ in calls), "a whole-pane refresh"
    return sorted(region.y for regions, _, _ in calls for region in regions)


async def test_only_the_rows_that_changed_are_redrawn_inside_a_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scanner = HandMadeScanner(A, B, C)
    app = app_on(scanner)
    async with app.run_test(size=SIZE):
        table = app.query_one(OpportunitiesTable)
        a_cells, c_cells = (table.get_cell(r.route_id, "net") for r in (A, C))
        calls = refreshes(monkeypatch, table)
        # B earns a little more: +2.00 -> +2.50 USDT, 20.0 -> 25.0 bps (gross 40 -> 45).
        scanner.snapshot = scanner.make(A, spatial("b", "c", 2.5), C)
        app.refresh_panes()
        assert row_lines(calls) == [2]  # B's line: the header, then A, then B
        assert all(batched and not layout for _, layout, batched in calls)
        assert str(table.get_cell(B.route_id, "net")).strip() == "+25.0"
        # The other rows keep their cell objects (and so their rendered lines).
        assert table.get_cell(A.route_id, "net") is a_cells
        assert table.get_cell(C.route_id, "net") is c_cells


async def test_rows_that_go_away_and_come_redraw_only_the_lines_they_touch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scanner = HandMadeScanner(A, B, C)
    app = app_on(scanner)
    async with app.run_test(size=SIZE):
        table = app.query_one(OpportunitiesTable)
        calls = refreshes(monkeypatch, table)
        D = spatial("a", "c", 0.5)
        scanner.snapshot = scanner.make(A, C, D)
        app.refresh_panes()
        assert table.routes == [A.route_id, C.route_id, D.route_id]
        # A stays on line 1; C moves up to line 2 and D takes line 3.
        assert row_lines(calls) == [2, 3]
        assert all(not layout for _, layout, _ in calls)


async def test_a_new_row_count_moves_the_scrollbar_without_a_screen_layout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scanner = HandMadeScanner(A, B, C)
    app = app_on(scanner)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(OpportunitiesTable)
        layouts: list[bool] = []
        original = app.screen.refresh

        def screen_refresh(*regions: Region, **kwargs: Any) -> Any:
            layouts.append(kwargs.get("layout", False))
            return original(*regions, **kwargs)

        monkeypatch.setattr(app.screen, "refresh", screen_refresh)
        calls = refreshes(monkeypatch, table)
        many = [spatial(f"v{i}", "z", 10.0 - i) for i in range(60)]
        scanner.snapshot = scanner.make(*many)
        app.refresh_panes()
        await pilot.pause()
        assert table.row_count == 50 and table.virtual_size.height == 51  # + the header
        assert table.vertical_scrollbar.window_virtual_size == 51
        assert not any(layout for _, layout, _ in calls) and not any(layouts)


async def test_the_cursor_stays_on_its_route_when_the_ranking_moves_it() -> None:
    scanner = HandMadeScanner(A, B, C)
    app = app_on(scanner)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(OpportunitiesTable)
        await pilot.press("down", "down")
        assert table.highlighted_route == C.route_id and table.cursor_row == 2
        # C now earns most: it moves to the top, and the cursor goes with it.
        scanner.snapshot = scanner.make(A, B, spatial("c", "a", 9.0))
        app.refresh_panes()
        assert table.routes[0] == C.route_id
        assert table.highlighted_route == C.route_id and table.cursor_row == 0


async def test_column_widths_do_not_move_with_the_numbers() -> None:
    scanner = HandMadeScanner(A, B, C)
    app = app_on(scanner)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(OpportunitiesTable)
        assert [column.width for column in table.columns] == [c.width for c in COLUMNS]
        header = table.render_line(0).text
        row = table.render_line(2).text
        scanner.snapshot = scanner.make(spatial("a", "b", 123456.0), B, C)
        app.refresh_panes()
        await pilot.pause()
        assert table.render_line(0).text == header
        assert table.render_line(2).text == row  # B, unchanged, drawn exactly as before
        first = table.render_line(1).text
        assert "+123,456" in first or "+123456" in first
        assert len(first) == len(row)


async def test_a_selected_route_that_closes_stays_on_the_books_pane_marked_closed() -> None:
    scanner = HandMadeScanner(A, B, C)
    app = app_on(scanner)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "enter")
        assert app.selected is not None and app.selected.route_id == B.route_id
        scanner.snapshot = scanner.make(A, C)
        app.refresh_panes()
        assert app.selected.route_id == B.route_id
        assert str(app.query_one("#books").border_title).endswith("· closed")


async def test_when_most_rows_go_the_cursor_keeps_its_route_and_kept_rows_their_cells() -> None:
    many = [spatial(f"v{i}", "z", 10.0 - i) for i in range(6)]
    scanner = HandMadeScanner(*many)
    app = app_on(scanner)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(OpportunitiesTable)
        await pilot.press("down", "down", "down", "down")
        kept = many[4]
        assert table.highlighted_route == kept.route_id
        route_cell = table.get_cell(kept.route_id, "route")
        # Four of six routes close, two open.
        newcomers = [spatial("n1", "z", 20.0), spatial("n2", "z", 0.5)]
        scanner.snapshot = scanner.make(newcomers[0], kept, many[5], newcomers[1])
        app.refresh_panes()
        assert table.routes == [newcomers[0].route_id, kept.route_id, many[5].route_id,
                                newcomers[1].route_id]
        assert table.highlighted_route == kept.route_id and table.cursor_row == 1
        assert table.get_cell(kept.route_id, "route") is route_cell
