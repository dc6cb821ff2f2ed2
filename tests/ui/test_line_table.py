"""LineTable on its own: scrolling keeps the cursor in view under a fixed header, the mouse
moves and selects, and every cell is drawn at its column's place and in its own style."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult

from arbscope.ui.widgets.line_table import CELL_PADDING, Column, LineTable

COLUMNS = (Column("name", "name", 6), Column("value", "value", 5, "right"))


def rows(count: int) -> list[tuple[str, tuple[Text, ...]]]:
    return [(f"r{i}", (Text(f"row{i}"), Text(str(i), justify="right"))) for i in range(count)]


class TableApp(App[None]):
    CSS = "LineTable { height: 8; width: 30; }"  # a header and 7 rows on screen

    def __init__(self) -> None:
        super().__init__()
        self.selected: list[str] = []
        self.highlighted: list[str | None] = []

    def compose(self) -> ComposeResult:
        yield LineTable(COLUMNS)

    def on_line_table_selected(self, event: LineTable.Selected) -> None:
        self.selected.append(event.row_key)

    def on_line_table_highlighted(self, event: LineTable.Highlighted) -> None:
        self.highlighted.append(event.row_key)


async def test_the_cursor_stays_in_view_and_the_header_stays_on_top() -> None:
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(LineTable)
        table.set_rows(rows(40))
        table.focus()
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_row == 39 and table.cursor_key == "r39"
        # 7 rows fit under the header: the last one on screen is the cursor's.
        assert table.scroll_y == 40 - 7
        assert table.render_line(0).text.split() == ["name", "value"]
        assert table.render_line(7).text.split() == ["row39", "39"]
        await pilot.press("home")
        await pilot.pause()
        assert table.cursor_row == 0 and table.scroll_y == 0
        await pilot.press("pagedown")
        assert table.cursor_row == 6  # a page is the rows on screen less one
        assert app.highlighted[-3:] == ["r39", "r0", "r6"]


async def test_a_click_highlights_a_row_and_a_second_click_selects_it() -> None:
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(LineTable)
        table.set_rows(rows(5))
        await pilot.click(LineTable, offset=(2, 3))  # screen line 3: the third row
        assert table.cursor_key == "r2" and app.selected == []
        await pilot.click(LineTable, offset=(2, 3))
        await pilot.pause()
        assert app.selected == ["r2"]
        await pilot.click(LineTable, offset=(2, 0))  # the header: nothing happens
        assert table.cursor_key == "r2" and app.selected == ["r2"]


async def test_cells_sit_at_their_columns_and_keep_their_styles() -> None:
    app = TableApp()
    async with app.run_test():
        table = app.query_one(LineTable)
        red = Style(color="red")
        spanned = Text("ab")
        spanned.stylize(Style(bold=True), 0, 1)
        table.set_rows([("x", (spanned, Text("7", style=red, justify="right"))),
                        ("y", (Text("a very long name"), Text("1")))])
        table.cursor_row = 1
        line = table.render_line(1)
        # |␣ab␣␣␣␣␣|␣␣␣␣␣7␣|: 1 padding + 6 cells + 1 padding, then 1 + 5 + 1.
        assert line.text[: table.table_width] == " ab     " + "     7 "
        styles = {segment.text.strip(): segment.style for segment in line if segment.text.strip()}
        assert styles["a"] is not None and styles["a"].bold
        assert styles["b"] is not None and not styles["b"].bold
        assert styles["7"] is not None and styles["7"].color == red.color
        # Too long for its column: cut with an ellipsis, the next column where it belongs
        # (right-aligned: the column's justify, as the cell sets none).
        assert table.render_line(2).text[: table.table_width] == " a ver… " + "     1 "
        assert CELL_PADDING == 1


async def test_rows_must_have_unique_keys_and_a_vanished_cursor_row_is_announced() -> None:
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(LineTable)
        table.set_rows(rows(3))
        table.cursor_row = 2
        await pilot.pause()
        table.set_rows(rows(2))  # the cursor's row went: it lands on the last one left
        await pilot.pause()
        assert table.cursor_key == "r1" and app.highlighted[-1] == "r1"
        try:
            table.set_rows([("a", (Text(""), Text(""))), ("a", (Text(""), Text("")))])
        except ValueError as exc:
            assert "unique" in str(exc)
        else:
            raise AssertionError("duplicate keys were accepted")


async def test_new_rows_leave_the_users_scrolling_alone_unless_the_cursor_row_moves() -> None:
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(LineTable)
        table.set_rows(rows(40))
        await pilot.pause()
        table.scroll_to(y=20, animate=False, immediate=True)  # as the mouse wheel does
        table.set_rows(rows(40), cursor_key="r0")  # the same rows, the cursor still on r0
        await pilot.pause()
        assert table.scroll_y == 20
        # r0 moves to the end of the ranking: the cursor goes with it, and the view too.
        reordered = rows(40)
        table.set_rows(reordered[1:] + reordered[:1], cursor_key="r0")
        await pilot.pause()
        assert table.cursor_row == 39 and table.scroll_y == 40 - 7
