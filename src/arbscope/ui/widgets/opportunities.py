"""The ranked table of current opportunities, updated in place.

On each refresh only the rows whose text changed are restyled and redrawn
(a `LineTable` refreshes just their screen lines), inside one `batch_update`,
with fixed column widths so nothing shifts. The cursor stays on the same
route when the ranking moves it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from enum import StrEnum
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import var

from arbscope.engine.risk import RiskThresholds, suspicion_for
from arbscope.models import Kind, MarketSnapshot, Opportunity
from arbscope.ui.format import (
    KIND_KEYS,
    fmt_age,
    fmt_amount,
    fmt_bps,
    fmt_money,
    kind_short,
    route_label,
    truncate,
)
from arbscope.ui.palette import Palette
from arbscope.ui.widgets.common import retitle
from arbscope.ui.widgets.line_table import Column, LineTable


class SortKey(StrEnum):
    NET_PROFIT = "net profit"
    NET_BPS = "net bps"


COLUMNS: tuple[Column, ...] = (
    Column("kind", "kind", 6),
    Column("route", "route", 27),
    Column("size", "size", 11, "right"),
    Column("max", "max size", 8, "right"),
    Column("gross", "gross", 6, "right"),
    Column("net", "net bps", 7, "right"),
    Column("profit", "net profit", 12, "right"),
    Column("age", "age", 4, "right"),
    Column("open", "open", 5, "right"),
)
"""Fixed widths, so a changing number never moves a column."""
ROUTE_WIDTH = COLUMNS[1].width

SELECTED_MARK = "▶"
SUSPECT_MARK = "!"
"""Leads the route of a route too good to be true (engine/suspect); the checklist says why."""

MAX_ROWS = 50
"""Rows listed at most: the best routes; the title says how many more there are."""


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


class OpportunitiesTable(LineTable):
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
        """The user chose a route (Enter, or a click on the highlighted row): books,
        heatmap and history follow it."""

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
        super().__init__(COLUMNS, id=id)
        self._snapshot: MarketSnapshot | None = None
        self._shown: dict[str, Opportunity] = {}
        self.matching = 0
        """How many routes pass the filters (the table lists the best `MAX_ROWS`)."""
        self._texts: dict[str, tuple[tuple[str, ...], tuple[Text, ...]]] = {}
        """Plain text and styled cells of every listed row, to restyle only what changed."""
        self._palette: Palette | None = None
        self.thresholds = RiskThresholds()
        """`[risk]` settings: where a net edge becomes suspect (the app sets the user's)."""
        self.border_title = "Opportunities"

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._repaint())

    # -- what the app pushes down -------------------------------------------------

    def show(self, snapshot: MarketSnapshot) -> None:
        """Bring the table in line with `snapshot`, redrawing only the rows that changed."""
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
        return self.cursor_key

    @property
    def routes(self) -> list[str]:
        """Route ids in the order shown."""
        return self.row_keys

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

    def on_line_table_selected(self, event: LineTable.Selected) -> None:
        event.stop()
        opportunity = self._shown.get(event.row_key)
        if opportunity is not None:
            self.post_message(self.OpportunitySelected(opportunity))

    # -- the in-place update ---------------------------------------------------

    def _repaint(self) -> None:
        """Theme changed: every coloured cell must be restyled."""
        self._palette = None
        self._texts.clear()
        self._sync()

    def _sync(self) -> None:
        if not self.is_mounted or self._snapshot is None:
            return
        palette = self._palette = self._palette or Palette.of(self.app)
        snapshot = self._snapshot
        matching = self.listed(snapshot.opportunities)
        self.matching = len(matching)
        listed = matching[:MAX_ROWS]
        before, texts = self._texts, {}
        rows: list[tuple[str, tuple[Text, ...]]] = []
        for opportunity in listed:
            route = opportunity.route_id
            suspect = self.is_suspect(opportunity)
            plain = self._cell_texts(opportunity, snapshot.ts, suspect)
            previous = before.get(route)
            if previous is not None and previous[0] == plain:
                cells = previous[1]  # the same tuple: the table skips comparing it
            else:
                styled = self._styled(plain, opportunity, palette, suspect)
                if previous is not None:  # keep the unchanged cells' objects
                    styled = [old if old_plain == new_plain else new for old, new, old_plain,
                              new_plain in zip(previous[1], styled, previous[0], plain,
                                               strict=True)]
                cells = tuple(styled)
            texts[route] = (plain, cells)
            rows.append((route, cells))
        self._texts = texts
        self._shown = {o.route_id: o for o in listed}
        with self.app.batch_update():
            self.set_rows(rows, cursor_key=self.highlighted_route)
            self._update_titles(len(listed), len(matching), len(snapshot.opportunities))

    def is_suspect(self, opportunity: Opportunity) -> bool:
        """Whether the row carries the suspect mark (the checklist's "Too good to be true")."""
        snapshot = self._snapshot
        if snapshot is None:
            return False
        found = suspicion_for(opportunity, snapshot.health, snapshot.markets, self.thresholds)
        return found is not None

    def _cell_texts(
        self, opportunity: Opportunity, now: float, suspect: bool
    ) -> tuple[str, ...]:
        mark = SELECTED_MARK if opportunity.route_id == self.selected_route else " "
        ages = opportunity.book_ages
        opened = opportunity.opened_ts
        breach = opportunity.minimum_breach
        width = ROUTE_WIDTH - 1 if suspect else ROUTE_WIDTH
        route = truncate(route_label(opportunity, width), width)
        return (
            f"{mark}{kind_short(opportunity.kind)}",
            f"{SUSPECT_MARK}{route}" if suspect else route,
            f"{breach.mark if breach else ''}{fmt_amount(opportunity.size)} "
            f"{opportunity.size_currency}",
            fmt_amount(opportunity.max_size),
            fmt_bps(opportunity.gross_bps),
            fmt_bps(opportunity.net_bps),
            f"{fmt_money(opportunity.net_profit)} {opportunity.profit_currency}",
            fmt_age(max(ages) if ages else None),
            fmt_age(None if opened is None else now - opened),
        )

    def _styled(
        self, cells: tuple[str, ...], opportunity: Opportunity, palette: Palette, suspect: bool
    ) -> list[Text]:
        muted = palette.fg(palette.muted)
        net = palette.signed(opportunity.net_profit)
        selected = cells[0].startswith(SELECTED_MARK)
        return [
            Text(cells[0], style=palette.fg(palette.warn, bold=True) if selected else muted),
            Text(cells[1], no_wrap=True, overflow="ellipsis",
                 style=palette.fg(palette.warn) if suspect else ""),
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
            f"{index}{kind_short(kind)}{'✓' if kind in self.kinds_shown else '✗'}"
            for index, kind in enumerate(KIND_KEYS, start=1)
        )
        subtitle = f"sort: {self.sort_key.value} · {kinds}"
        if self.filter_text:
            subtitle += f" · filter: {self.filter_text}"
        retitle(self, subtitle=subtitle)
