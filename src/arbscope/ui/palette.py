"""Theme colours as Rich styles, for panes that draw Rich renderables.

Panes never name a colour: they read the current theme's variables (`bid`,
`heat-pos` ...) through a `Palette`, rebuilt whenever the theme changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rich.style import Style
from textual.app import App
from textual.color import Color


@dataclass(frozen=True)
class Palette:
    bid: Color
    ask: Color
    heat_pos: Color
    heat_neg: Color
    heat_zero: Color
    pass_: Color
    warn: Color
    fail: Color
    muted: Color
    background: Color
    foreground: Color
    sources: Mapping[str, Color]
    """Badge colour per source name (SIM, REPLAY, LIVE)."""

    @classmethod
    def from_variables(cls, variables: Mapping[str, str]) -> Palette:
        def colour(name: str) -> Color:
            return Color.parse(variables[name])

        return cls(
            bid=colour("bid"),
            ask=colour("ask"),
            heat_pos=colour("heat-pos"),
            heat_neg=colour("heat-neg"),
            heat_zero=colour("heat-zero"),
            pass_=colour("pass"),
            warn=colour("warn"),
            fail=colour("fail"),
            muted=colour("muted"),
            background=colour("surface"),
            foreground=colour("foreground"),
            sources={
                "SIM": colour("source-sim"),
                "REPLAY": colour("source-replay"),
                "LIVE": colour("source-live"),
            },
        )

    @classmethod
    def of(cls, app: App[object]) -> Palette:
        variables = app.theme_variables or app.get_css_variables()
        return cls.from_variables(variables)

    def fg(self, colour: Color, bold: bool = False) -> Style:
        return Style(color=colour.rich_color, bold=bold)

    def signed(self, value: float) -> Style:
        """Gains in the pass colour, losses in the fail colour."""
        return self.fg(self.pass_ if value > 0 else self.fail if value < 0 else self.muted)

    def heat(self, value: float | None, extreme: float) -> Color:
        """Diverging scale: heat-neg at -extreme, heat-zero at 0, heat-pos at +extreme."""
        if value is None or extreme <= 0:
            return self.heat_zero
        share = max(-1.0, min(1.0, value / extreme))
        end = self.heat_pos if share > 0 else self.heat_neg
        return self.heat_zero.blend(end, abs(share))

    def heat_style(self, value: float | None, extreme: float) -> Style:
        """A heat cell: its scale colour as background, text that reads on it."""
        background = self.heat(value, extreme)
        return Style(
            bgcolor=background.rich_color,
            color=background.get_contrast_text(1.0).rich_color,
        )

    def highlight(self, colour: Color, amount: float = 0.5) -> Style:
        """A background tint of `colour` over the pane, for consumed book levels."""
        return Style(bgcolor=self.background.blend(colour, amount).rich_color, bold=True)
