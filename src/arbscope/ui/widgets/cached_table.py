"""A DataTable for rows that change ten times a second: it re-renders only changed cells.

DataTable keys every cache it has by a counter that any `update_cell`,
`add_row` or `remove_row` bumps, so on a live table every visible cell is
rendered again on every frame. This subclass keeps each cell's segments
while the cell's value object is the same one (a changed cell gets a new
object through `update_cell`), renders one-style text cells straight to
segments, keeps the table's own style between repaints, and lets a batch of
row changes ask for at most one screen layout (`one_layout`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import Self

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text, TextType
from textual.geometry import Region
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

SegmentLines = list[list[Segment]]
"""A rendered cell: lines of segments (DataTable's own cell format)."""

SCREEN_ROWS = 100
"""More rows than any terminal shows at once."""

STYLE_CACHE_LIMIT = 10_000
"""Combined cell styles kept (a few per visible cell: cursor, hover, sign)."""


class CachedTable(DataTable[str | Text]):
    """A row-cursor DataTable whose unchanged cells keep their rendering."""

    def __init__(self, *, columns: int, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False, cell_padding=1)
        self._one_layout = False
        self._own_style: Style | None = None
        self._cell_styles: dict[tuple[object, ...], tuple[Style, Style]] = {}
        """(padding style, text style) by base style, position, cursor, hover, cell style."""
        self._rendered: dict[tuple[object, ...], tuple[object, int, SegmentLines]] = {}
        """Rendered cells by position and style, with the value they were rendered from."""
        # DataTable's own render caches are keyed by its update count, so with a refresh
        # every 100 ms they hold only dead entries: keep them one screen small (every
        # object they hold is one more for the garbage collector to walk).
        for cache in (self._row_render_cache, self._line_cache, self._row_renderable_cache):
            cache.maxsize = SCREEN_ROWS
        self._cell_render_cache.maxsize = SCREEN_ROWS * columns

    def add_row(
        self,
        *cells: str | Text,
        height: int | None = 1,
        key: str | None = None,
        label: TextType | None = None,
    ) -> RowKey:
        row_key = super().add_row(*cells, height=height, key=key, label=label)
        if height == 1 and label is None:
            # Fixed column widths and one-line rows: nothing for DataTable to measure
            # (it would measure every cell of every new row on the next idle).
            self._new_rows.discard(row_key)
        return row_key

    @contextmanager
    def one_layout(self) -> Iterator[None]:
        """Row changes inside ask for a screen layout once, and only if the row count changed."""
        rows_before = self.row_count
        self._one_layout = True
        try:
            yield
        finally:
            self._one_layout = False
        if self.row_count != rows_before:
            self.refresh(layout=True)

    def forget_rendered_except(self, row_keys: Collection[str]) -> None:
        """Drop the renderings of rows that are gone (they are dead weight)."""
        self._rendered = {k: v for k, v in self._rendered.items() if k[0] in row_keys}

    def refresh(
        self,
        *regions: Region,
        repaint: bool = True,
        layout: bool = False,
        recompose: bool = False,
    ) -> Self:
        # DataTable.remove_row asks for a layout of the whole screen (which repaints every
        # pane); inside one_layout() one is asked for only if the number of rows changed.
        if layout and self._one_layout:
            layout = False
        if repaint:
            self._own_style = None
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def notify_style_update(self) -> None:
        self._own_style = None
        self._cell_styles.clear()
        super().notify_style_update()

    @property
    def rich_style(self) -> Style:
        # DataTable asks for it once per line drawn and Textual computes it afresh each
        # time (walking every ancestor's styles): keep it until the next repaint.
        style = self._own_style
        if style is None:
            style = self._own_style = super().rich_style
        return style

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> SegmentLines:
        # Works around DataTable dropping every rendered cell whenever any cell
        # changes: a cell whose value object is unchanged keeps its segments
        # (re-stamped with its new row index when the ranking moved it).
        if row_index < 0 or column_index < 0:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        if row_key is None or column_key is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        value = self._data[row_key][column_key]
        key = (row_key, column_key, base_style, width, cursor, hover,
               self._show_hover_cursor, self._pseudo_class_state)
        cached = self._rendered.get(key)
        if cached is not None and cached[0] is value:
            if cached[1] == row_index:
                return cached[2]
            meta = Style.from_meta({"row": row_index, "column": column_index})
            lines = [[Segment(seg.text, (seg.style or Style()) + meta) for seg in line]
                     for line in cached[2]]
        elif isinstance(value, Text) and not value.spans:
            lines = self._render_plain_cell(value, row_index, column_index, base_style, width,
                                            cursor, hover)
        else:
            lines = super()._render_cell(row_index, column_index, base_style, width, cursor,
                                         hover)
        self._rendered[key] = (value, row_index, lines)
        return lines

    def _render_plain_cell(
        self,
        value: Text,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool,
        hover: bool,
    ) -> SegmentLines:
        """One-line, one-style cell straight to segments: the same styles DataTable layers
        (base, the cell's own, cursor and hover), without Rich's general layout pass."""
        key = (base_style, row_index, column_index, cursor, hover, value.style)
        styles = self._cell_styles.get(key)
        if styles is None:
            component_style, post_style = self._get_styles_to_render_cell(
                False, False, False, hover, cursor, self.show_cursor, self._show_hover_cursor,
                self.cursor_foreground_priority == "css", self.cursor_background_priority == "css",
            )
            pre = base_style + Style.from_meta({"row": row_index, "column": column_index})
            pre += component_style
            own = self.app.console.get_style(value.style) if value.style else Style.null()
            if len(self._cell_styles) > STYLE_CACHE_LIMIT:
                self._cell_styles.clear()
            styles = self._cell_styles[key] = (pre + post_style, pre + own + post_style)
        pad_style, text_style = styles
        pad = self.cell_padding
        inner = max(0, width - 2 * pad)
        plain = value.plain
        if cell_len(plain) > inner:
            plain = set_cell_size(plain, max(0, inner - 1)) + "…" if inner else ""
        gap = inner - cell_len(plain)
        left = gap if value.justify == "right" else 0
        return [[
            Segment(" " * (pad + left), pad_style),
            Segment(plain, text_style),
            Segment(" " * (gap - left + pad), pad_style),
        ]]
