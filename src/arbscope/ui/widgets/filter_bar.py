"""The `/` filter: a one-line input under the opportunities table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input


class FilterBar(Input):
    """Words a route must contain; Enter keeps the filter, Escape clears it."""

    DEFAULT_CSS = """
    FilterBar {
        display: none;
        height: 3;
    }
    FilterBar.-open {
        display: block;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear_filter", "Clear filter", show=True),
    ]

    @dataclass
    class FilterChanged(Message):
        """The filter text is now `text` (the newest replaces any still queued)."""

        text: str

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, FilterBar.FilterChanged)

    @dataclass
    class FilterClosed(Message):
        """The user left the filter (Enter keeps it, Escape cleared it)."""

        cleared: bool

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder="filter routes: e.g. btc binance (Enter keeps, Esc clears)",
                         id=id)

    def open(self) -> None:
        self.add_class("-open")
        self.focus()

    def close(self) -> None:
        self.remove_class("-open")

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.FilterChanged(event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not self.value:
            self.close()
        self.post_message(self.FilterClosed(cleared=False))

    def action_clear_filter(self) -> None:
        self.value = ""
        self.close()
        self.post_message(self.FilterChanged(""))
        self.post_message(self.FilterClosed(cleared=True))
