"""A keyed table of fixed-width cells, drawn line by line: only changed rows are redrawn.

Textual's DataTable re-renders every visible cell on every update (its caches
are keyed by an update counter that any change bumps), and its per-cell
machinery cost the monitor 10-15 ms a frame at ten updates a second. This is
the small table the opportunities pane needs, on Textual's Line API (as the
Textual guide's ScrollView examples): `set_rows` takes every row in order,
keeps the rendered line of each row whose cells and position are unchanged,
and refreshes only the screen lines that differ. A row is one line; the
header stays at the top; column widths are fixed, so nothing shifts.

Cells are Rich `Text`. A one-style cell (the common case) is drawn straight
to a segment; a cell with spans goes through Rich's own rendering.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import Reactive, reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from arbscope.ui.textual_private import set_virtual_size_without_layout
from arbscope.ui.widgets.common import same_text

HEADER_LINES = 1

CELL_PADDING = 1
"""Blank cells either side of each column's text."""


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    header: str
    width: int
    """Cells of text, padding not included."""
    justify: Literal["left", "right"] = "left"


Cells = tuple[Text, ...]


class RowMessage(Message):
    """About one row of a `LineTable` (None: the table is empty)."""

    def __init__(self, table: LineTable, row_key: str | None) -> None:
        super().__init__()
        self.table = table
        self.row_key = row_key

    @property
    def control(self) -> LineTable:
        return self.table


class LineTable(ScrollView, can_focus=True):
    """Rows of fixed-width cells keyed by id, one line each, with a row cursor."""

    DEFAULT_CSS = """
    LineTable {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: scroll;
        &:focus {
            background-tint: $foreground 5%;
            & > .line-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
        & > .line-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        & > .line-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"line-table--header", "line-table--cursor"}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
    ]

    cursor_row: Reactive[int] = reactive(0, repaint=False, always_update=False)
    """Index of the highlighted row."""

    class Highlighted(RowMessage):
        """The cursor moved to another row (by the user, or the row under it went away)."""

    class Selected(RowMessage):
        """The user chose the highlighted row (Enter, or a click on the highlighted row)."""

        row_key: str

    def __init__(self, columns: Sequence[Column], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns = tuple(columns)
        self.table_width = sum(c.width + 2 * CELL_PADDING for c in self.columns)
        self._keys: list[str] = []
        self._cells: dict[str, Cells] = {}
        self._strips: dict[str, tuple[Cells, int, bool, int, Strip]] = {}
        """Rendered row by key: (cells, row index, under cursor, width, strip)."""
        self._header: Strip | None = None
        self._base: Style | None = None
        """The pane's own style (Textual computes it afresh, walking every ancestor)."""
        self._styles: dict[object, Style] = {}
        """Combined styles by (base, cell style, cursor): a handful per theme."""
        self._highlighted_key: str | None = None

    # -- reading -----------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def row_keys(self) -> list[str]:
        """Row keys in the order shown."""
        return list(self._keys)

    @property
    def cursor_key(self) -> str | None:
        """Key of the row under the cursor (None when the table is empty)."""
        keys = self._keys
        return keys[self.cursor_row] if 0 <= self.cursor_row < len(keys) else None

    def get_cell(self, row_key: str, column_key: str) -> Text:
        """The cell shown in `row_key`'s row under `column_key` (KeyError if either is absent)."""
        index = next(i for i, c in enumerate(self.columns) if c.key == column_key)
        return self._cells[row_key][index]

    # -- writing ----------------------------------------------------------------

    def set_rows(self, rows: Sequence[tuple[str, Cells]], cursor_key: str | None = None) -> None:
        """Show `rows` (key, cells) in order; the cursor follows `cursor_key` if listed.

        Only the screen lines whose row changed (cells, position or cursor) are
        refreshed; passing the same cells tuple for an unchanged row skips comparing it.
        """
        old_keys, old_cells = self._keys, self._cells
        keys = [key for key, _ in rows]
        cells = dict(rows)
        if len(cells) != len(keys):
            raise ValueError("row keys must be unique")
        self._keys, self._cells = keys, cells
        if cursor_key is not None and cursor_key in cells:
            cursor = keys.index(cursor_key)
        else:
            cursor = min(self.cursor_row, max(0, len(keys) - 1))
        self._strips = {k: v for k, v in self._strips.items() if k in cells}
        if len(keys) != len(old_keys):
            self._set_virtual_height(len(keys))
        top, visible = int(self.scroll_y), self._visible_rows()
        previous_cursor = self.cursor_row
        self.set_reactive(LineTable.cursor_row, cursor)
        for index in range(top, min(top + visible, max(len(keys), len(old_keys)))):
            key = keys[index] if index < len(keys) else None
            old_key = old_keys[index] if index < len(old_keys) else None
            moved_cursor = (index == cursor) != (index == previous_cursor)
            if key != old_key or moved_cursor or (
                key is not None and not _same(cells[key], old_cells.get(key))
            ):
                self._refresh_row(index)
        if cursor != previous_cursor:  # the view follows its row, not the user's scrolling
            self._scroll_to_cursor()
        self._announce_highlight()

    # -- cursor ------------------------------------------------------------------

    def validate_cursor_row(self, row: int) -> int:
        return max(0, min(row, len(self._keys) - 1))

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._refresh_row(old)
        self._refresh_row(new)
        self._scroll_to_cursor()
        self._announce_highlight()

    def action_cursor_up(self) -> None:
        self.cursor_row -= 1

    def action_cursor_down(self) -> None:
        self.cursor_row += 1

    def action_page_up(self) -> None:
        self.cursor_row -= max(1, self._visible_rows() - 1)

    def action_page_down(self) -> None:
        self.cursor_row += max(1, self._visible_rows() - 1)

    def action_first(self) -> None:
        self.cursor_row = 0

    def action_last(self) -> None:
        self.cursor_row = len(self._keys) - 1

    def action_select_cursor(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.Selected(self, key))

    async def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < HEADER_LINES:
            return
        row = offset.y - HEADER_LINES + int(self.scroll_y)
        if row >= len(self._keys):
            return
        if row == self.cursor_row:
            self.action_select_cursor()
        else:
            self.cursor_row = row

    def _announce_highlight(self) -> None:
        key = self.cursor_key
        if key != self._highlighted_key:
            self._highlighted_key = key
            self.post_message(self.Highlighted(self, key))

    def _visible_rows(self) -> int:
        return max(0, self.scrollable_content_region.height - HEADER_LINES)

    def _scroll_to_cursor(self) -> None:
        visible = self._visible_rows()
        if not visible or not self._keys:
            return
        top, row = int(self.scroll_y), self.cursor_row
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + visible:
            self.scroll_to(y=row - visible + 1, animate=False, immediate=True)

    # -- drawing -------------------------------------------------------------------

    def _set_virtual_height(self, rows: int) -> None:
        """A new row count changes only this pane's scrollbar (it is always shown), so the
        new virtual size is set without the whole-screen layout assigning it would ask for."""
        size = Size(self.table_width, rows + HEADER_LINES)
        if not self.is_mounted:
            self.virtual_size = size
            return
        set_virtual_size_without_layout(self, size)
        max_top = max(0, size.height - self.scrollable_content_region.height)
        if self.scroll_y > max_top:
            self.scroll_to(y=max_top, animate=False, immediate=True)
        self.vertical_scrollbar.refresh()

    def _refresh_row(self, index: int) -> None:
        line = index - int(self.scroll_y) + HEADER_LINES
        if HEADER_LINES <= line < self.scrollable_content_region.height:
            self.refresh(Region(0, line, self.scrollable_content_region.width, 1))

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._forget_rendering()

    def _forget_rendering(self) -> None:
        self._base = None
        self._strips.clear()
        self._styles.clear()
        self._header = None

    def _on_focus(self, event: events.Focus) -> None:
        self._forget_rendering()
        self.refresh()

    def _on_blur(self, event: events.Blur) -> None:
        self._forget_rendering()
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self._base
        if base is None:
            base = self._base = self.rich_style
        if y < HEADER_LINES:
            header = self._header
            if header is None or header.cell_length != width:
                style = base + self.get_component_rich_style("line-table--header")
                cells = tuple(Text(c.header, justify=c.justify) for c in self.columns)
                header = self._header = self._strip(cells, style, None, width)
            return header
        index = y - HEADER_LINES + int(self.scroll_y)
        if index >= len(self._keys):
            return Strip.blank(width, base)
        key = self._keys[index]
        cells = self._cells[key]
        under_cursor = index == self.cursor_row
        cached = self._strips.get(key)
        if (cached is not None and cached[1] == index and cached[2] == under_cursor
                and cached[3] == width and _same(cells, cached[0])):
            return cached[4]
        cursor = self.get_component_rich_style("line-table--cursor") if under_cursor else None
        strip = self._strip(cells, base, cursor, width)
        self._strips[key] = (cells, index, under_cursor, width, strip)
        return strip

    def _strip(self, cells: Cells, base: Style, cursor: Style | None, width: int) -> Strip:
        segments: list[Segment] = []
        pad = " " * CELL_PADDING
        for column, cell in zip(self.columns, cells, strict=True):
            inner = column.width
            justify = cell.justify if cell.justify in ("left", "right") else column.justify
            if cell.spans:
                segments.extend(self._rich_cell(cell, inner, justify, base, cursor))
                continue
            plain = cell.plain
            length = cell_len(plain)
            if length > inner:
                plain = set_cell_size(plain, max(0, inner - 1)) + "…" if inner else ""
                length = cell_len(plain)
            gap = inner - length
            left = gap if justify == "right" else 0
            # Blank padding in segments of its own, as Rich lays cells out: an SVG
            # screenshot then places each text exactly at its column.
            blank = self._style(base, "", cursor)
            segments.append(Segment(pad + " " * left, blank))
            segments.append(Segment(plain, self._style(base, cell.style, cursor)))
            segments.append(Segment(" " * (gap - left) + pad, blank))
        return Strip(segments, self.table_width).crop_extend(0, width, base)

    def _rich_cell(
        self, cell: Text, inner: int, justify: str, base: Style, cursor: Style | None
    ) -> list[Segment]:
        text = cell.copy()
        text.truncate(inner, overflow="ellipsis", pad=True)
        if justify == "right":
            text.rstrip()
            text.pad_left(inner - text.cell_len)
        own = [Segment(t, self._style(base, s or "", cursor)) for t, s, _ in
               text.render(self.app.console)]
        pad_style = self._style(base, "", cursor)
        padding = Segment(" " * CELL_PADDING, pad_style)
        return [padding, *own, padding]

    def _style(self, base: Style, own: str | Style, cursor: Style | None) -> Style:
        key = (base, own, cursor)
        style = self._styles.get(key)
        if style is None:
            parsed = self.app.console.get_style(own) if isinstance(own, str) else own
            style = base + parsed if own else base
            if cursor is not None:
                style += cursor
            if len(self._styles) > 1_000:
                self._styles.clear()
            self._styles[key] = style
        return style


def _same(cells: Cells, other: Cells | None) -> bool:
    """Same text and style in every cell (the same tuple object short-circuits)."""
    if cells is other:
        return True
    if other is None or len(cells) != len(other):
        return False
    return all(same_text(a, b) for a, b in zip(cells, other, strict=True))
