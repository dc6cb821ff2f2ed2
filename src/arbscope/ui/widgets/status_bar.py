"""The top line: where the books come from, how each venue is doing, the clock."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import RenderableType
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from arbscope.models import MarketSnapshot, VenueState
from arbscope.ui.format import fmt_age, fmt_clock
from arbscope.ui.palette import Palette

SOURCE_BADGES: dict[str, str] = {
    "SIM": " ◆ SIMULATED ",
    "REPLAY": " ▶ REPLAY ",
    "LIVE": " ● LIVE ",
}
"""The source as the status bar spells it: a wide badge nobody can miss."""

VENUE_MARKS: dict[VenueState, str] = {
    VenueState.LIVE: "●",
    VenueState.STALE: "◐",
    VenueState.CONNECTING: "○",
    VenueState.DOWN: "✕",
}


@dataclass(frozen=True)
class StatusLine:
    """Everything the status bar shows besides the snapshot itself."""

    paused: bool = False
    trade_notional: float = 1000.0
    reference_currency: str = "USD"
    now: float | None = None
    """The market's time now; None uses the snapshot's."""


class StatusBar(Widget):
    """Source badge, venue health with book ages, update rate, trade size, clock, paused."""

    DEFAULT_CSS = """
    StatusBar {
        text-wrap: nowrap;
        text-overflow: clip;
        height: 1;
        dock: top;
        background: $panel;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._snapshot: MarketSnapshot | None = None
        self._line = StatusLine()

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.refresh())

    def show(self, snapshot: MarketSnapshot | None, line: StatusLine) -> None:
        self._snapshot = snapshot
        self._line = line
        self.refresh()  # one line of fixed height: never a layout

    def render(self) -> RenderableType:
        return self.status_text(Palette.of(self.app))

    def status_text(self, palette: Palette) -> Text:
        snapshot = self._snapshot
        text = Text(no_wrap=True, overflow="ellipsis")
        source = snapshot.source.upper() if snapshot is not None else "SIM"
        badge_colour = palette.sources.get(source, palette.warn)
        text.append(
            SOURCE_BADGES.get(source, f" {source} "),
            Style(
                bgcolor=badge_colour.rich_color,
                color=badge_colour.get_contrast_text(1.0).rich_color,
                bold=True,
            ),
        )
        if self._line.paused:
            text.append(" ")
            text.append(
                " ❚❚ PAUSED ",
                Style(bgcolor=palette.warn.rich_color,
                      color=palette.warn.get_contrast_text(1.0).rich_color, bold=True),
            )
        if snapshot is None:
            text.append("  waiting for the first books…", palette.fg(palette.muted))
            return text
        now = self._line.now if self._line.now is not None else snapshot.ts
        state_colour = {
            VenueState.LIVE: palette.pass_,
            VenueState.STALE: palette.warn,
            VenueState.CONNECTING: palette.muted,
            VenueState.DOWN: palette.fail,
        }
        for venue in sorted(snapshot.health):
            health = snapshot.health[venue]
            text.append("  ")
            mark_style = palette.fg(state_colour[health.state], bold=True)
            text.append(VENUE_MARKS[health.state], mark_style)
            text.append(f" {venue} ")
            text.append(fmt_age(health.age(now)), palette.fg(palette.muted))
        muted = palette.fg(palette.muted)
        text.append("  │ ", muted)
        text.append(f"{snapshot.updates_per_second:,.0f}")
        text.append(" upd/s", muted)
        text.append(" │ size ", muted)
        text.append(f"{self._line.trade_notional:,.0f} {self._line.reference_currency}")
        text.append(" │ ", muted)
        text.append(fmt_clock(now))
        text.append(" UTC", muted)
        return text
