"""`v`: every venue's feed health in detail (state, ages, rates, latency, errors, retries,
integrity method and gaps).

The status bar shows one mark per venue; this screen says why a venue is
stale or down and when it will be tried again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from arbscope.engine.suspect import unpaired_assets
from arbscope.models import MarketSnapshot, VenueHealth, VenueState

STATE_STYLE = {
    VenueState.LIVE: "pass",
    VenueState.CONNECTING: "warn",
    VenueState.STALE: "warn",
    VenueState.DOWN: "fail",
}
"""Theme variable that colours each state."""


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}s" if value < 120 else f"{value / 60:.0f}m"


def _millis(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 1000:.0f}ms" if abs(value) < 10 else f"{value:.1f}s"


def latency_text(health: VenueHealth) -> str:
    """`p50 / p95` of the feed's latency, "—" for a venue that gives no time of its own."""
    if health.latency_p50_s is None:
        return "—"
    return f"{_millis(health.latency_p50_s)} / {_millis(health.latency_p95_s)}"


SYMBOLS_NAMED = 5
"""Stale or warming symbols named in the notes; the rest are counted (hundreds can warm)."""


def _some(symbols: tuple[str, ...]) -> str:
    named = ", ".join(symbols[:SYMBOLS_NAMED])
    rest = len(symbols) - SYMBOLS_NAMED
    return named if rest <= 0 else f"{named} and {rest} more"


def notes(health: VenueHealth) -> str:
    """The last column: symbols failing while the venue's others stay live first, then the
    silent (stale) ones, those waiting for their first snapshot (warming), the last gap,
    then the last error."""
    parts: list[str] = []
    if health.down_symbols:
        parts.append(f"down: {', '.join(health.down_symbols)}")
    if health.stale_symbols:
        parts.append(f"stale: {_some(health.stale_symbols)}")
    if health.warming_symbols:
        parts.append(f"warming: {_some(health.warming_symbols)}")
    if health.last_gap:
        parts.append(f"last gap: {health.last_gap}")
    if health.last_error:
        parts.append(health.last_error)
    return " · ".join(parts)


def health_rows(snapshot: MarketSnapshot) -> list[tuple[str, ...]]:
    """One row of plain text per venue, sorted by name (what the table shows)."""
    rows: list[tuple[str, ...]] = []
    for name in sorted(snapshot.health):
        h: VenueHealth = snapshot.health[name]
        retry_in = None if h.next_retry_ts is None else max(0.0, h.next_retry_ts - snapshot.ts)
        rows.append(
            (
                name,
                h.state.value,
                _seconds(h.age(snapshot.ts)),
                f"{h.updates_per_second:.1f}",
                latency_text(h),
                _millis(h.clock_skew_s),
                str(h.books_accepted),
                str(h.books_rejected),
                str(h.errors),
                str(h.retries),
                _seconds(retry_in),
                "—" if h.integrity is None else h.integrity.value,
                str(h.resyncs_last_hour),
                _seconds(None if h.last_gap_ts is None else max(0.0, snapshot.ts - h.last_gap_ts)),
                notes(h),
            )
        )
    return rows


def pairing_text(snapshot: MarketSnapshot) -> Text:
    """Assets kept apart because their venues share no network for them (engine/suspect)."""
    unpaired = unpaired_assets(snapshot.markets.values())
    if not unpaired:
        return Text("")
    lines = ["", "Not paired (same ticker, no shared network: different assets):"]
    lines += [f"  {entry.reason}" for entry in unpaired]
    return Text("\n".join(lines))


class VenuesScreen(ModalScreen[None]):
    """A live table of venue health; Escape, q or v closes it."""

    DEFAULT_CSS = """
    VenuesScreen {
        align: center middle;
    }
    VenuesScreen > VerticalScroll {
        width: 96%;
        height: auto;
        max-height: 90%;
        border: thick $primary;
        background: $surface;
        padding: 1 2;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,v", "dismiss", "Close venues", show=True),
    ]

    HEADERS = (
        "venue", "state", "book age", "upd/s", "latency p50/p95", "skew", "accepted", "rejected",
        "errors", "retries", "next retry in", "integrity", "resyncs/h", "last gap",
        "notes",
    )

    def __init__(self, snapshot: Callable[[], MarketSnapshot], refresh_s: float = 0.5) -> None:
        super().__init__()
        self._snapshot = snapshot
        """Returns the snapshot to show (the app's latest)."""
        self._refresh_s = refresh_s

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "Venues · feed health"
            yield Static(id="venue-health")
            yield Static(id="venue-pairing")

    def on_mount(self) -> None:
        self.refresh_table()
        self.set_interval(self._refresh_s, self.refresh_table)

    def refresh_table(self) -> None:
        snapshot = self._snapshot()
        colours = self.app.theme_variables
        table = Table(box=None, padding=(0, 1), header_style="bold")
        for header in self.HEADERS:
            table.add_column(header, no_wrap=header != "notes",
                             justify="left" if header in ("venue", "state", "integrity", "notes")
                             else "right")
        for row in health_rows(snapshot):
            state = VenueState(row[1])
            colour = colours.get(STATE_STYLE[state], "")
            # Cells are Text, not str: a Table reads a str as markup, and names and errors
            # come from feeds and files (a venue named `[/]` must show as written).
            table.add_row(Text(row[0]), Text(row[1], style=colour), *(Text(c) for c in row[2:]))
        if not snapshot.health:
            table.add_row("(no venue has reported yet)", *[""] * (len(self.HEADERS) - 1))
        self.query_one("#venue-health", Static).update(table)
        self.query_one("#venue-pairing", Static).update(pairing_text(snapshot))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
