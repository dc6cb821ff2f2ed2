"""Pins the one use of Textual's private API (`Widget._scroll_update`, behind
`set_virtual_size_without_layout`): if an upgrade changes it, this fails, not the monitor."""

from __future__ import annotations

import inspect

from textual.app import App, ComposeResult
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.widget import Widget

from arbscope.ui.textual_private import set_virtual_size_without_layout


class ViewApp(App[None]):
    CSS = "ScrollView { height: 10; width: 20; overflow-x: hidden; overflow-y: scroll; }"

    def compose(self) -> ComposeResult:
        yield ScrollView()


def test_textual_still_has_the_private_method_with_one_size_parameter() -> None:
    parameters = list(inspect.signature(Widget._scroll_update).parameters)
    assert parameters == ["self", "virtual_size"]


async def test_a_new_virtual_size_reaches_the_widget_and_its_scrollbar() -> None:
    app = ViewApp()
    async with app.run_test(size=(40, 20)) as pilot:
        view = app.query_one(ScrollView)
        await pilot.pause()
        set_virtual_size_without_layout(view, Size(20, 50))
        assert view.virtual_size == Size(20, 50)
        assert view.vertical_scrollbar.window_virtual_size == 50
        # 50 lines in a 10-line window: the top line can go down to 50 - 10 = 40.
        assert view.max_scroll_y == 40
        view.scroll_to(y=40, animate=False, immediate=True)
        assert view.scroll_y == 40
        # Shrunk to 12 lines, the top line is kept within 12 - 10 = 2.
        set_virtual_size_without_layout(view, Size(20, 12))
        assert view.vertical_scrollbar.window_virtual_size == 12
        assert view.scroll_y == 2
