"""Small helpers every pane uses."""

from __future__ import annotations

from rich.markup import escape
from rich.text import Text
from textual.widget import Widget


def retitle(widget: Widget, title: str | None = None, subtitle: str | None = None) -> None:
    """Set a pane's border title/subtitle only when it changes: Textual repaints the
    whole pane on every assignment, even of the same text.

    Titles are plain text: border titles are markup to Textual, and the names in them
    (venue, symbol, route) come from files and feeds, so they are escaped here.
    """
    title = None if title is None else escape(title)
    subtitle = None if subtitle is None else escape(subtitle)
    if title is not None and title != widget.border_title:
        widget.border_title = title
    if subtitle is not None and subtitle != widget.border_subtitle:
        widget.border_subtitle = subtitle


def same_text(text: Text, other: Text) -> bool:
    """Would draw the same: equal text, styles, spans and alignment."""
    return text is other or (text.plain == other.plain and text.style == other.style
                             and text.spans == other.spans and text.justify == other.justify)
