"""The ranked table of current opportunities, updated in place.

Like dolphie's process list: on each refresh only the cells whose text
changed are rewritten, only the rows whose route went away are removed, new
routes are added, all inside one `batch_update`, with fixed column widths so
nothing shifts. The cursor stays on the same route when the ranking moves it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from enum import StrEnum
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.message import Message
from textual.reactive import var
from textual.widgets import DataTable

from arbscope.models import Kind, MarketSnapshot, Opportunity
from arbscope.ui.format import (
    KIND_KEYS,
    KIND_SHORT,
    fmt_age,
    fmt_amount,
    fmt_bps,
    fmt_money,
    route_label,
    truncate,
)
from arbscope.ui.palette import Palette
from arbscope.ui.widgets.cached_table import CachedTable
from arbscope.ui.widgets.common import retitle


class SortKey(StrEnum):
    NET_PROFIT = "net profit"
    NET_BPS = "net bps"


COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("kind", "kind", 6),
    ("route", "route", 27),
    ("size", "size", 11),
    ("max", "max size", 8),
    ("gross", "gross", 6),
    ("net", "net bps", 7),
    ("profit", "net profit", 12),
    ("age", "age", 4),
    ("open", "open", 5),
)
"""(key, header, width): fixed widths so a changing number never moves a column."""

SELECTED_MARK = "▶"

MAX_ROWS = 50
"""Rows listed at most: the best routes; the title says how many more there are."""


class RouteLabel(Text):
    """The route cell: its text, plus the route id the ranking sorts rows by."""

    def __init__(self, text: str, route_id: str) -> None:
        super().__init__(text, no_wrap=True, overflow="ellipsis")
        self.route_id = route_id


def ranking_value(opportunity: Opportunity, sort: SortKey) -> float:
    """What the table ranks by; profits in different currencies compare by reference value."""
    if sort is SortKey.NET_BPS:
        return opportunity.net_bps
    if opportunity.net_profit_ref is not None:
        return opportunity.net_profit_ref
    return opportunity.net_profit


def matches(opportunity: Opportunity, filter_text: str) -> bool:
    """Every word of the filter appears in the route (case-insensitive)."""
    words = filter_text.lower().split()
    if not words:
        return True
    haystack = f"{opportunity.route_id} {route_label(opportunity)}".lower()
    return all(word in haystack for word in words)


class OpportunitiesTable(CachedTable):
    """Current opportunities, best first; Enter selects the highlighted route."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Select route", show=True),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("s", "toggle_sort", "Sort", show=True),
    ]

    kinds_shown: var[frozenset[Kind]] = var(frozenset(Kind))
    """Kinds listed; the keys 1-4 toggle them."""
    filter_text: var[str] = var("")
    """Words a route must contain to be listed."""
    sort_key: var[SortKey] = var(SortKey.NET_PROFIT)
    """What the ranking orders by."""
    selected_route: var[str | None] = var(None)
    """Route the other panes follow, marked in the kind column."""
    min_net_bps: var[float] = var(-math.inf)
    """Routes below this net edge are not listed (`Settings.min_net_bps`)."""

    class OpportunitySelected(Message):
        """The user chose a route (Enter or click): books, heatmap and history follow it."""

        def __init__(self, opportunity: Opportunity) -> None:
            super().__init__()
            self.opportunity = opportunity

        @property
        def route_id(self) -> str:
            return self.opportunity.route_id

    class SortChanged(Message):
        """The ranking now orders by a different figure."""

        def __init__(self, sort_key: SortKey) -> None:
            super().__init__()
            self.sort_key = sort_key

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(columns=len(COLUMNS), id=id)
        self._snapshot: MarketSnapshot | None = None
        self._shown: dict[str, Opportunity] = {}
        self.matching = 0
        """How many routes pass the filters (the table lists the best `MAX_ROWS`)."""
        self._cells: dict[str, tuple[str, ...]] = {}
        """Plain text of every cell on screen, to rewrite only what changed."""
        self._palette: Palette | None = None
        self.border_title = "Opportunities"

    def on_mount(self) -> None:
        for key, header, width in COLUMNS:
            self.add_column(header, key=key, width=width)
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._repaint())

    # -- what the app pushes down -------------------------------------------------

    def show(self, snapshot: MarketSnapshot) -> None:
        """Bring the table in line with `snapshot`, touching only what changed."""
        self._snapshot = snapshot
        self._sync()

    def listed(self, opportunities: Iterable[Opportunity]) -> list[Opportunity]:
        """The rows the table should list, in rank order."""
        kinds, floor, words, sort = (
            self.kinds_shown, self.min_net_bps, self.filter_text, self.sort_key
        )
        rows = [o for o in opportunities
                if o.kind in kinds and o.net_bps >= floor and (not words or matches(o, words))]
        rows.sort(key=lambda o: ranking_value(o, sort), reverse=True)
        return rows

    @property
    def highlighted(self) -> Opportunity | None:
        """The opportunity under the cursor."""
        route = self.highlighted_route
        return None if route is None else self._shown.get(route)

    @property
    def highlighted_route(self) -> str | None:
        if self.row_count == 0:
            return None
        row_key = self.coordinate_to_cell_key(Coordinate(self.cursor_row, 0)).row_key
        return row_key.value

    @property
    def routes(self) -> list[str]:
        """Route ids in the order shown."""
        return [row.key.value or "" for row in self.ordered_rows]

    # -- reactives re-sync the rows they change --------------------------------------

    def watch_kinds_shown(self) -> None:
        self._sync()

    def watch_filter_text(self) -> None:
        self._sync()

    def watch_sort_key(self) -> None:
        self._sync()

    def watch_selected_route(self) -> None:
        self._sync()

    def action_toggle_sort(self) -> None:
        flipped = SortKey.NET_BPS if self.sort_key is SortKey.NET_PROFIT else SortKey.NET_PROFIT
        self.sort_key = flipped
        self.post_message(self.SortChanged(self.sort_key))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        opportunity = self._shown.get(event.row_key.value or "")
        if opportunity is not None:
            self.post_message(self.OpportunitySelected(opportunity))

    # -- the in-place update ---------------------------------------------------

    def _repaint(self) -> None:
        """Theme changed: every coloured cell must be rewritten."""
        self._palette = None
        self._cells.clear()
        self._sync()

    def _sync(self) -> None:
        if not self.is_mounted or self._snapshot is None:
            return
        palette = self._palette = self._palette or Palette.of(self.app)
        snapshot = self._snapshot
        matching = self.listed(snapshot.opportunities)
        self.matching = len(matching)
        rows = matching[:MAX_ROWS]
        wanted = {o.route_id: o for o in rows}
        cursor_route = self.highlighted_route
        with self.one_layout():
            self._apply(rows, wanted, snapshot.ts, palette, cursor_route)
        self._update_titles(len(rows), len(matching), len(snapshot.opportunities))

    def _apply(
        self,
        rows: list[Opportunity],
        wanted: dict[str, Opportunity],
        now: float,
        palette: Palette,
        cursor_route: str | None,
    ) -> None:
        with self.app.batch_update():
            stale = [r for r in self.routes if r not in wanted]
            if len(stale) > self.row_count - len(stale):
                self._rebuild(rows, now, palette, cursor_route)
                return
            for route in stale:
                self.remove_row(route)
                self._cells.pop(route, None)
            for opportunity in rows:
                cells = self._cell_texts(opportunity, now)
                route = opportunity.route_id
                previous = self._cells.get(route)
                if route not in self.rows:
                    self.add_row(*self._styled(cells, opportunity, palette), key=route)
                elif previous != cells:
                    styled = self._styled(cells, opportunity, palette)
                    for index, (key, _header, _width) in enumerate(COLUMNS):
                        if previous is None or previous[index] != cells[index]:
                            self.update_cell(route, key, styled[index])
                self._cells[route] = cells
            self._shown = wanted
            self.forget_rendered_except(wanted)
            order = list(wanted)
            if self.routes != order:
                rank = {route: index for index, route in enumerate(order)}
                self.sort("route", key=lambda cell: rank[cell.route_id])
            if cursor_route in wanted:
                index = self.get_row_index(cursor_route)
                if index != self.cursor_row:
                    self.move_cursor(row=index, animate=False)

    def _rebuild(
        self, rows: list[Opportunity], now: float, palette: Palette, cursor_route: str | None
    ) -> None:
        """More rows went than stayed (as dolphie does): clear and add the rows in rank
        order, one pass instead of a removal each (DataTable re-indexes every row on each),
        reusing the cell objects whose text did not change so their rendering is kept."""
        kept = {route: self.get_row(route) for route in self.routes}
        cursor_index, scroll_y = self.cursor_row, self.scroll_y
        self.clear()
        cells_before, self._cells = self._cells, {}
        for opportunity in rows:
            route = opportunity.route_id
            cells = self._cell_texts(opportunity, now)
            styled = self._styled(cells, opportunity, palette)
            previous, old = cells_before.get(route), kept.get(route)
            if previous is not None and old is not None:
                styled = [old[i] if previous[i] == cells[i] else styled[i]
                          for i in range(len(COLUMNS))]
            self.add_row(*styled, key=route)
            self._cells[route] = cells
        self._shown = {o.route_id: o for o in rows}
        self.forget_rendered_except(self._shown)
        if cursor_route in self._shown:
            cursor_index = self.get_row_index(cursor_route)
        if self.row_count:
            self.move_cursor(row=min(cursor_index, self.row_count - 1), animate=False,
                             scroll=False)
        if scroll_y:  # once the new rows are measured, where the user had scrolled to
            self.call_after_refresh(self.scroll_to, y=scroll_y, animate=False)

    def _cell_texts(self, opportunity: Opportunity, now: float) -> tuple[str, ...]:
        mark = SELECTED_MARK if opportunity.route_id == self.selected_route else " "
        ages = opportunity.book_ages
        opened = opportunity.opened_ts
        return (
            f"{mark}{KIND_SHORT[opportunity.kind]}",
            truncate(route_label(opportunity, COLUMNS[1][2]), COLUMNS[1][2]),
            f"{fmt_amount(opportunity.size)} {opportunity.size_currency}",
            fmt_amount(opportunity.max_size),
            fmt_bps(opportunity.gross_bps),
            fmt_bps(opportunity.net_bps),
            f"{fmt_money(opportunity.net_profit)} {opportunity.profit_currency}",
            fmt_age(max(ages) if ages else None),
            fmt_age(None if opened is None else now - opened),
        )

    def _styled(
        self, cells: tuple[str, ...], opportunity: Opportunity, palette: Palette
    ) -> list[str | Text]:
        muted = palette.fg(palette.muted)
        net = palette.signed(opportunity.net_profit)
        selected = cells[0].startswith(SELECTED_MARK)
        return [
            Text(cells[0], style=palette.fg(palette.warn, bold=True) if selected else muted),
            RouteLabel(cells[1], opportunity.route_id),
            Text(cells[2], justify="right"),
            Text(cells[3], justify="right", style=muted),
            Text(cells[4], justify="right", style=palette.signed(opportunity.gross_bps)),
            Text(cells[5], justify="right", style=net),
            Text(cells[6], justify="right", style=net),
            Text(cells[7], justify="right", style=muted),
            Text(cells[8], justify="right", style=muted),
        ]

    def _update_titles(self, listed: int, matching: int, total: int) -> None:
        if listed < matching:
            count = f"top {listed} of {matching}"
        else:
            count = f"{listed}" if listed == total else f"{listed} of {total}"
        retitle(self, f"Opportunities ({count})")
        kinds = " ".join(
            f"{index}{KIND_SHORT[kind]}{'✓' if kind in self.kinds_shown else '✗'}"
            for index, kind in enumerate(KIND_KEYS, start=1)
        )
        subtitle = f"sort: {self.sort_key.value} · {kinds}"
        if self.filter_text:
            subtitle += f" · filter: {self.filter_text}"
        retitle(self, subtitle=subtitle)
