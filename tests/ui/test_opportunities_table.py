"""The opportunities table updates in place: changed cells only, vanished rows only, same route
under the cursor, fixed widths, all inside one batch update."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

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


def spy(monkeypatch: pytest.MonkeyPatch, table: OpportunitiesTable, name: str) -> list[Any]:
    calls: list[Any] = []
    original = getattr(table, name)

    def recording(*args: Any, **kwargs: Any) -> Any:
        calls.append((args + tuple(kwargs.values()), table.app._batch_count))
        return original(*args, **kwargs)

    monkeypatch.setattr(table, name, recording)
    return calls


async def test_only_the_cells_that_changed_are_rewritten_inside_a_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scanner = HandMadeScanner(A, B, C)
    app = app_on(scanner)
    async with app.run_test(size=SIZE):
        table = app.query_one(OpportunitiesTable)
        updates = spy(monkeypatch, table, "update_cell")
        adds = spy(monkeypatch, table, "add_row")
        # B earns a little more: +2.00 -> +2.50 USDT, 20.0 -> 25.0 bps (gross 40 -> 45).
        scanner.snapshot = scanner.make(A, spatial("b", "c", 2.5), C)
        app.refresh_panes()
        assert sorted((args[0], args[1]) for args, _ in updates) == [
            (B.route_id, "gross"), (B.route_id, "net"), (B.route_id, "profit")]
        assert all(batch > 0 for _, batch in updates)
        assert adds == []


async def test_only_rows_that_went_away_are_removed_and_new_ones_added(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scanner = HandMadeScanner(A, B, C)
    app = app_on(scanner)
    async with app.run_test(size=SIZE):
        table = app.query_one(OpportunitiesTable)
        removes = spy(monkeypatch, table, "remove_row")
        adds = spy(monkeypatch, table, "add_row")
        D = spatial("a", "c", 0.5)
        scanner.snapshot = scanner.make(A, C, D)
        app.refresh_panes()
        assert [args[0] for args, _ in removes] == [B.route_id]
        assert [args[-1] for args, _ in adds] == [D.route_id]  # the row key
        assert all(batch > 0 for _, batch in removes + adds)
        assert table.routes == [A.route_id, C.route_id, D.route_id]


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
    async with app.run_test(size=SIZE):
        table = app.query_one(OpportunitiesTable)
        widths = [column.width for column in table.ordered_columns]
        assert widths == [width for _, _, width in COLUMNS]
        scanner.snapshot = scanner.make(spatial("a", "b", 123456.0), B, C)
        app.refresh_panes()
        assert [column.width for column in table.ordered_columns] == widths


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


async def test_when_most_rows_go_the_table_is_rebuilt_keeping_cursor_and_unchanged_cells(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    many = [spatial(f"v{i}", "z", 10.0 - i) for i in range(6)]
    scanner = HandMadeScanner(*many)
    app = app_on(scanner)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(OpportunitiesTable)
        await pilot.press("down", "down", "down", "down")
        kept = many[4]
        assert table.highlighted_route == kept.route_id
        route_cell = table.get_cell(kept.route_id, "route")
        removes = spy(monkeypatch, table, "remove_row")
        # Four of six routes close, two open: one rebuild instead of four removals.
        newcomers = [spatial("n1", "z", 20.0), spatial("n2", "z", 0.5)]
        scanner.snapshot = scanner.make(newcomers[0], kept, many[5], newcomers[1])
        app.refresh_panes()
        assert removes == []
        assert table.routes == [newcomers[0].route_id, kept.route_id, many[5].route_id,
                                newcomers[1].route_id]
        assert table.highlighted_route == kept.route_id
        assert table.get_cell(kept.route_id, "route") is route_cell  # its rendering is kept
