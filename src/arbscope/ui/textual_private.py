"""The one place arbscope reaches into Textual's private API.

Textual 8 has no public way to give a widget a new virtual size without
asking the whole screen for a layout pass; the monitor changes a table's row
count up to 20 times a second, and each such pass cost a frame. A Textual
upgrade that renames or changes `Widget._scroll_update` fails
tests/ui/test_textual_private.py, not the monitor.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.widget import Widget


def set_virtual_size_without_layout(widget: Widget, size: Size) -> None:
    """`widget.virtual_size = size`, updating only its own scrollbars (no screen layout)."""
    widget.set_reactive(Widget.virtual_size, size)
    widget._scroll_update(size)
