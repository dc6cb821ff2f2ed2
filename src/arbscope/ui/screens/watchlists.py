"""The watchlist screen (`w` in the monitor): create, rename, delete, follow; add/remove symbols.

Standalone: it is given the `WatchlistStore` and the symbols the current
source knows (for completion) and reaches into nothing else. Every change is
saved by the store at once; when the followed watchlist changes (another one
is followed, or the followed one gains or loses symbols, is renamed or
deleted) the screen posts `ActiveWatchlistChanged` for the app to act on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from arbscope.storage.atomic import FileBusyError
from arbscope.storage.watchlists import Watchlist, WatchlistError, WatchlistStore

Mode = Literal["browse", "new", "rename", "add", "confirm-delete"]

_PROMPTS: dict[Mode, str] = {
    "new": "New watchlist name:",
    "rename": "Rename to:",
    "add": "Add symbol:",
}

_HELP = (
    "[b]n[/] new  [b]r[/] rename  [b]d[/] delete  [b]enter[/] follow  [b]u[/] follow none  "
    "[b]a[/] add symbol  [b]x[/] remove symbol  [b]tab[/] switch pane  [b]esc[/] close"
)


class WatchlistScreen(ModalScreen[None]):
    """Edit watchlists from the keyboard; each change is written to watchlists.toml at once."""

    DEFAULT_CSS = """
    WatchlistScreen {
        align: center middle;
    }
    WatchlistScreen #dialog {
        width: 80;
        max-width: 100%;
        height: 24;
        max-height: 100%;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    WatchlistScreen #title {
        text-style: bold;
        width: 100%;
        content-align: center middle;
    }
    WatchlistScreen #problems {
        color: $error;
        display: none;
        max-height: 6;
    }
    WatchlistScreen #problems.-shown {
        display: block;
    }
    WatchlistScreen #panes {
        height: 1fr;
    }
    WatchlistScreen .pane {
        width: 1fr;
    }
    WatchlistScreen .pane-title {
        color: $text-muted;
    }
    WatchlistScreen OptionList {
        height: 1fr;
        border: tall $panel;
    }
    WatchlistScreen OptionList:focus {
        border: tall $accent;
    }
    WatchlistScreen #entry-row {
        height: auto;
        display: none;
    }
    WatchlistScreen #entry-row.-shown {
        display: block;
    }
    WatchlistScreen #prompt {
        padding: 1 1 0 0;
    }
    WatchlistScreen #entry {
        width: 1fr;
    }
    WatchlistScreen #confirm {
        color: $warning;
        display: none;
    }
    WatchlistScreen #confirm.-shown {
        display: block;
    }
    WatchlistScreen #help {
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close / cancel", show=False),
        Binding("n", "new", "New", show=False),
        Binding("r", "rename", "Rename", show=False),
        Binding("d", "delete", "Delete", show=False),
        Binding("u", "follow_none", "Follow none", show=False),
        Binding("a", "add_symbol", "Add symbol", show=False),
        Binding("x,delete", "remove_symbol", "Remove symbol", show=False),
    ]

    class ActiveWatchlistChanged(Message):
        """The followed watchlist is another one, or its symbols/venues/name changed."""

        def __init__(self, watchlist: Watchlist | None) -> None:
            super().__init__()
            self.watchlist = watchlist
            """The watchlist to follow now; None follows the source's own symbols."""

    mode: reactive[Mode] = reactive("browse")
    """What the keyboard is doing: browsing, typing a name or symbol, or confirming a delete."""

    def __init__(
        self,
        store: WatchlistStore,
        known_symbols: Sequence[str],
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.store = store
        self.known_symbols = sorted(dict.fromkeys(known_symbols))
        self._selected: str | None = None
        self._last_active: Watchlist | None = None

    # --- layout and display ----------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("Watchlists", id="title")
            yield Static(id="problems", markup=False)
            with Horizontal(id="panes"):
                with Vertical(classes="pane"):
                    yield Label("Lists (● followed)", classes="pane-title")
                    yield OptionList(id="lists")
                with Vertical(classes="pane"):
                    yield Label("Symbols", id="symbols-title", classes="pane-title")
                    yield OptionList(id="symbols")
            with Horizontal(id="entry-row"):
                yield Label("", id="prompt")
                yield Input(id="entry")
            yield Static(id="confirm", markup=False)
            yield Static(_HELP, id="help")

    def on_mount(self) -> None:
        self.store.reload()  # another arbscope may have changed the file since it was read
        self._last_active = self.store.active
        self._selected = self.store.active_name or next(iter(self.store.names()), None)
        self._show_problems()
        self._refresh_lists()
        self.query_one("#lists", OptionList).focus()

    def _show_problems(self) -> None:
        problems = self.query_one("#problems", Static)
        message = self.store.message
        problems.update(message or "")
        problems.set_class(message is not None, "-shown")

    def _refresh_lists(self) -> None:
        lists = self.query_one("#lists", OptionList)
        names = self.store.names()
        if self._selected not in names:
            self._selected = names[0] if names else None
        active = self.store.active_name
        lists.set_options(
            Option(Content(f"{'●' if name == active else ' '} {name}"), id=name) for name in names
        )
        if self._selected is not None:
            lists.highlighted = names.index(self._selected)
        self._refresh_symbols()

    def _refresh_symbols(self) -> None:
        symbols = self.query_one("#symbols", OptionList)
        title = self.query_one("#symbols-title", Label)
        if self._selected is None:
            title.update("Symbols (press n to create a watchlist)")
            symbols.clear_options()
            return
        watchlist = self.store.get(self._selected)
        venues = f" on {', '.join(watchlist.venues)}" if watchlist.venues else ""
        title.update(Content(f"Symbols in {watchlist.name}{venues}"))
        highlighted = symbols.highlighted
        symbols.set_options(Option(Content(s), id=s) for s in watchlist.symbols)
        if watchlist.symbols:
            symbols.highlighted = min(highlighted or 0, len(watchlist.symbols) - 1)

    def watch_mode(self, mode: Mode) -> None:
        row = self.query_one("#entry-row")
        row.set_class(mode in _PROMPTS, "-shown")
        self.query_one("#confirm").set_class(mode == "confirm-delete", "-shown")
        if mode in _PROMPTS:
            self.query_one("#prompt", Label).update(_PROMPTS[mode])
            entry = self.query_one("#entry", Input)
            entry.value = (self._selected or "") if mode == "rename" else ""
            # Completion from the source's symbols only where a symbol is typed.
            entry.suggester = (
                SuggestFromList(self.known_symbols, case_sensitive=False) if mode == "add" else None
            )
            entry.focus()
        elif mode == "browse" and isinstance(self.focused, Input):
            self.query_one("#lists", OptionList).focus()

    # --- browsing -------------------------------------------------------------------

    @on(OptionList.OptionHighlighted, "#lists")
    def _list_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id != self._selected:
            self._selected = event.option.id
            self._refresh_symbols()
        if self.mode == "confirm-delete":
            self.mode = "browse"

    @on(OptionList.OptionSelected, "#lists")
    def _list_selected(self, event: OptionList.OptionSelected) -> None:
        name = event.option.id
        if name is not None:
            self._save(lambda: self.store.set_active(name), f"following {name}")

    def action_follow_none(self) -> None:
        self._save(lambda: self.store.set_active(None), "following no watchlist: all symbols")

    def action_close(self) -> None:
        if self.mode != "browse":
            self.mode = "browse"
        else:
            self.dismiss(None)

    # --- changes --------------------------------------------------------------------

    def action_new(self) -> None:
        self.mode = "new"

    def action_rename(self) -> None:
        if self._selected is not None:
            self.mode = "rename"

    def action_add_symbol(self) -> None:
        if self._selected is None:
            self.notify("Create a watchlist first (n).", severity="warning")
            return
        self.mode = "add"

    def action_delete(self) -> None:
        if self._selected is None:
            return
        if self.mode == "confirm-delete":
            name = self._selected
            self.mode = "browse"
            self._save(lambda: self.store.delete(name), f"deleted {name}")
            return
        count = len(self.store.get(self._selected).symbols)
        self.query_one("#confirm", Static).update(
            f"Delete {self._selected!r} and its {count} symbol(s)? "
            "Press d again to delete, esc to keep it."
        )
        self.mode = "confirm-delete"

    def action_remove_symbol(self) -> None:
        symbols = self.query_one("#symbols", OptionList)
        option = symbols.highlighted_option
        if self._selected is None or option is None or option.id is None:
            return
        name, symbol = self._selected, option.id
        self._save(lambda: self.store.remove_symbols(name, [symbol]), f"removed {symbol}")

    @on(Input.Submitted, "#entry")
    def _entry_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        mode, selected = self.mode, self._selected
        if not text:
            self.mode = "browse"
            return
        # A refused change keeps the prompt open with the text, so it can be corrected.
        if mode == "new":
            if self._save(lambda: self.store.create(text), f"created {text}"):
                self._select(text)
                self.mode = "browse"
        elif mode == "rename" and selected is not None:
            if self._save(lambda: self.store.rename(selected, text), f"renamed to {text}"):
                self._select(text)
                self.mode = "browse"
        elif mode == "add" and selected is not None:
            symbol = self.complete(text)
            unknown = symbol not in self.known_symbols
            done = f"added {symbol}" + (" (the current source does not list it)" if unknown else "")
            if self._save(lambda: self.store.add_symbols(selected, [symbol]), done):
                # Stay in add mode: adding several symbols in a row is the common case.
                event.input.value = ""

    def _select(self, name: str) -> None:
        self._selected = name.strip()
        self._refresh_lists()

    def complete(self, text: str) -> str:
        """What Enter adds: an exact known symbol, else the completion shown, else the text."""
        wanted = text.strip().upper()
        for symbol in self.known_symbols:
            if symbol.upper() == wanted:
                return symbol
        for symbol in self.known_symbols:
            if symbol.upper().startswith(wanted):
                return symbol
        return wanted

    def _save(self, change: Callable[[], object], done: str) -> bool:
        """Run one store change; report it (or why it was refused) and refresh the panes."""
        try:
            change()
        except WatchlistError as exc:
            self.notify(str(exc), title="Not saved", severity="error", markup=False)
            return False
        except (FileBusyError, OSError) as exc:
            self.notify(
                str(exc), title="Could not save watchlists", severity="error", markup=False
            )
            return False
        self.notify(done, markup=False)
        self._show_problems()
        self._refresh_lists()
        self._announce_active()
        return True

    def _announce_active(self) -> None:
        active = self.store.active
        if active != self._last_active:
            self._last_active = active
            self.post_message(self.ActiveWatchlistChanged(active))
