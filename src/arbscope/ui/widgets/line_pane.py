"""A pane drawn from its `render()` Text line by line: unchanged lines are not redrawn.

A plain Widget renders its whole `render()` through Rich and repaints every
line whenever it is refreshed, ten times a second here. `LinePane` splits the
Text into lines when the pane is given new data (`redraw`), compares each
with the line on screen, and refreshes only the lines that differ; each line
is rendered to segments once, the first time it is drawn (Textual's Line API).
`render()` stays the pane's whole content, for tests and for Textual's sizing.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from arbscope.ui.widgets.common import same_text


class LinePane(Widget):
    """Subclasses build their content in `render()` and call `redraw()` when it changes."""

    DEFAULT_CSS = """
    LinePane {
        text-wrap: nowrap;
        text-overflow: clip;
        padding: 0 1;
    }
    """
    # Lines are cut at the pane's width, never wrapped (also when Textual measures render()
    # for `height: auto`): a line of content is a line on screen.

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._lines: list[Text] = []
        self._strips: list[Strip | None] = []
        self._base: Style | None = None
        self._read_lines = False

    def redraw(self, full: bool = False) -> None:
        """Re-read `render()`; refresh the lines that changed (every line if `full`)."""
        if not self.is_mounted or not self.size:
            self.refresh()
            return
        if full or not self._read_lines:
            self._read_lines = False  # read again at the whole repaint
            self.refresh()
            return
        old, lines = self._lines, self._read()
        width = self.content_size.width
        strips: list[Strip | None] = [None] * len(lines)
        changed: list[int] = []
        for y, line in enumerate(lines):
            if y < len(old) and same_text(line, old[y]):
                strips[y] = self._strips[y]
            else:
                changed.append(y)
        changed.extend(range(len(lines), len(old)))  # lines that are now blank
        self._lines, self._strips = lines, strips
        for y in changed:
            self.refresh(Region(0, y, width, 1))

    def _read(self) -> list[Text]:
        rendered = self.render()
        if not isinstance(rendered, Text):
            raise TypeError(f"{type(self).__name__}.render() must return a rich Text, "
                            f"not {type(rendered).__name__}")
        return list(rendered.split("\n", allow_blank=True))

    def render_line(self, y: int) -> Strip:
        width = self.content_size.width
        if not self._read_lines:  # a whole repaint (new data, size or styles): every line afresh
            self._lines = self._read()
            self._strips = [None] * len(self._lines)
            self._read_lines = True
        base = self._base
        if base is None:
            base = self._base = self.rich_style
        if y >= len(self._lines):
            return Strip.blank(width, base)
        strip = self._strips[y]
        if strip is None or strip.cell_length != width:
            segments = self._lines[y].render(self.app.console, end="")
            strip = Strip(Segment.apply_style(segments, base)).crop_extend(0, width, base)
            self._strips[y] = strip
        return strip

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._base = None
        self._read_lines = False

    def _on_resize(self, event: events.Resize) -> None:
        self._read_lines = False
