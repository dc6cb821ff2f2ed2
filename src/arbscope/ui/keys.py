"""The monitor's keys as the help lists them, and its actions as the command palette does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.binding import Binding

from arbscope.ui.format import KIND_KEYS, KIND_LABELS

if TYPE_CHECKING:
    from arbscope.ui.app import ArbscopeApp


def kind_bindings() -> list[Binding]:
    """Keys 1..N toggle the registered kinds, in registry order."""
    return [
        Binding(str(index), f"toggle_kind('{kind.value}')", KIND_LABELS[kind].capitalize(),
                show=False)
        for index, kind in enumerate(KIND_KEYS, start=1)
    ]


def kind_keys_help() -> tuple[str, str]:
    """The help line of the kind toggles: `1 2 3 4` and the kinds they show or hide."""
    keys = " ".join(str(index) for index in range(1, len(KIND_KEYS) + 1))
    return keys, "show or hide " + ", ".join(KIND_LABELS[kind] for kind in KIND_KEYS)


def key_help(size_step: float) -> tuple[tuple[str, str], ...]:
    """Every key of the main screen, as the help screen lists it."""
    return (
        ("↑ ↓  j k", "move in the opportunities table (the panes follow until Enter)"),
        ("Enter", "pin the highlighted route: books, heatmap, history and checklist stay on "
                  "it; Enter again opens its trade ticket"),
        ("x", "trade ticket for the highlighted route (+/- or type the size, y confirms, "
              "Esc cancels)"),
        ("e", "export every paper trade to a CSV in the data folder"),
        ("c", "close an open statistical position (the trade log's highlighted one, "
              "else the newest)"),
        ("Tab  Shift+Tab", "cycle the panes"),
        ("/", "filter routes by words (Enter keeps the filter, Esc clears it)"),
        kind_keys_help(),
        ("s", "rank by net profit or by net bps"),
        ("h", "heatmap: venue pairs of the symbol / every symbol's mid deviation"),
        ("+  -", f"trade size up / down by {size_step:.0%} (trade_notional_step)"),
        ("p", "pause or resume the display (the market keeps running)"),
        ("t", "pick a theme (saved: the next start uses it)"),
        ("w", "watchlists: create, rename, delete, follow; add or remove symbols"),
        ("v", "venues: feed health, last error, retries, next retry in"),
        ("Ctrl+P", "command palette: every action by name"),
        ("?", "this help (Esc closes it)"),
        ("q", "quit"),
    )


def palette_commands(app: ArbscopeApp) -> Iterator[SystemCommand]:
    """Every action of the main screen, by name (Ctrl+P)."""
    yield SystemCommand("Select route", "Show the highlighted route's books, heatmap and "
                        "history", app.table.action_select_cursor)
    yield SystemCommand("Filter routes", "Type words a route must contain (/)",
                        app.action_filter)
    for index, kind in enumerate(KIND_KEYS, start=1):
        yield SystemCommand(f"Toggle {KIND_LABELS[kind]}",
                            f"Show or hide {kind.value} opportunities ({index})",
                            lambda kind=kind: app.action_toggle_kind(kind.value))
    yield SystemCommand("Toggle sort", "Rank by net profit or net bps (s)",
                        app.table.action_toggle_sort)
    yield SystemCommand("Toggle heatmap view", "Venue pairs or mid deviation (h)",
                        app.action_toggle_heatmap)
    yield SystemCommand("Increase trade size", "Trade size up (+)", app.action_size_up)
    yield SystemCommand("Decrease trade size", "Trade size down (-)", app.action_size_down)
    if app.paused:
        yield SystemCommand("Resume display", "Show the live market again (p)",
                            app.action_resume)
    else:
        yield SystemCommand("Pause display", "Freeze the screen; the market keeps "
                            "running (p)", app.action_pause)
    yield SystemCommand("Trade ticket", "Review and paper-trade the highlighted route (x)",
                        app.action_open_ticket)
    yield SystemCommand("Export trades", "Write the trade log to a CSV in the data folder (e)",
                        app.action_export_trades)
    yield SystemCommand("Close position", "Close an open statistical position (c)",
                        app.action_close_position)
    yield SystemCommand("Theme", "Pick a theme (t)", app.action_pick_theme)
    yield SystemCommand("Watchlists", "Edit and follow watchlists (w)", app.action_watchlists)
    yield SystemCommand("Venues", "Feed health of every venue (v)", app.action_venues)
    yield SystemCommand("Help", "Every key (?)", app.action_help)
    yield SystemCommand("Quit", "Leave arbscope (q)", app.action_quit)
    yield SystemCommand("Screenshot", "Save an SVG of the screen in the current folder",
                        lambda: app.set_timer(0.1, app.deliver_screenshot))
