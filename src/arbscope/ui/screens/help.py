"""`?`: every key of the monitor on one screen."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class HelpScreen(ModalScreen[None]):
    """A table of keys and what they do; any of Escape, q or ? closes it."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > VerticalScroll {
        width: 92;
        height: auto;
        max-height: 90%;
        border: thick $primary;
        background: $surface;
        padding: 1 2;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close help", show=True),
    ]

    def __init__(self, keys: Sequence[tuple[str, str]], about: str = "") -> None:
        super().__init__()
        self.keys = tuple(keys)
        """(key as shown, what it does), in the order listed."""
        self.about = about

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for key, description in self.keys:
            table.add_row(key, description)
        with VerticalScroll() as scroll:
            scroll.border_title = "arbscope · keys"
            if self.about:
                yield Static(Text(self.about), classes="about")
            yield Static(table, id="help-keys")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
