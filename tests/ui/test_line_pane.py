"""LinePane redraws only the lines of its content that changed, drawn as render() draws them."""

from __future__ import annotations

from typing import Any

import pytest
from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region

from arbscope.ui.widgets.line_pane import LinePane


class Lines(LinePane):
    DEFAULT_CSS = "Lines { height: 5; width: 20; padding: 0 1; }"

    def __init__(self) -> None:
        super().__init__()
        self.lines = [Text("alpha"), Text("beta", style="bold"), Text("gamma")]

    def render(self) -> Text:
        return Text("\n").join(self.lines)


class PaneApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Lines()


def refreshes(monkeypatch: pytest.MonkeyPatch, pane: LinePane) -> list[tuple[Region, ...]]:
    calls: list[tuple[Region, ...]] = []
    original = pane.refresh

    def recording(*regions: Region, **kwargs: Any) -> Any:
        calls.append(regions)
        return original(*regions, **kwargs)

    monkeypatch.setattr(pane, "refresh", recording)
    return calls


async def test_only_changed_lines_are_refreshed(monkeypatch: pytest.MonkeyPatch) -> None:
    app = PaneApp()
    async with app.run_test() as pilot:
        pane = app.query_one(Lines)
        await pilot.pause()
        assert pane.render_line(1).text.rstrip() == "beta"
        calls = refreshes(monkeypatch, pane)
        pane.lines[2] = Text("GAMMA")
        pane.redraw()
        # Only line 2, across the content width (20 less the padding of 1 each side).
        assert calls == [(Region(0, 2, 18, 1),)]
        calls.clear()
        pane.lines[1] = Text("beta", style="italic")  # same text, another style
        pane.redraw()
        assert calls == [(Region(0, 1, 18, 1),)]
        calls.clear()
        pane.lines.pop()  # a line that went away is blanked
        pane.redraw()
        assert calls == [(Region(0, 2, 18, 1),)]
        await pilot.pause()
        assert pane.render_line(2).text == " " * 18


async def test_lines_are_drawn_in_their_styles_over_the_pane_style() -> None:
    app = PaneApp()
    async with app.run_test() as pilot:
        pane = app.query_one(Lines)
        pane.lines[0] = Text.assemble("plain ", ("red", Style(color="red")))
        pane.redraw(full=True)
        await pilot.pause()
        strip = pane.render_line(0)
        assert strip.cell_length == 18 and strip.text.rstrip() == "plain red"
        red = next(segment for segment in strip if segment.text == "red")
        assert red.style is not None and red.style.color == Style(color="red").color
        # The pane's own background lies under every segment, text and blank alike.
        background = pane.rich_style.bgcolor
        assert all(segment.style is not None and segment.style.bgcolor == background
                   for segment in strip)
        assert pane.render_line(1).text.rstrip() == "beta"
