"""The trade ticket (Enter or `x` on a route): legs, levels, fees, waterfall, checklist, confirm.

Standalone: it is given `quote_at(size) -> TicketQuote` (trading/quote.py),
which re-evaluates the route at a size, and the size to start from. `+`/`-`
or typing change the size and everything recomputes. `y` or Enter confirms,
Esc cancels. A failing check blocks confirmation and the status line says
why; a warning needs a second `y`. The screen dismisses with the confirmed
size (None when cancelled): the app then executes with PaperBroker and
notifies realized against expected.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from arbscope.models import Side
from arbscope.trading.quote import QuoteAt, TicketQuote, WaterfallLine
from arbscope.ui.widgets.risk_checklist import checklist_content

MAX_LEVELS_SHOWN = 5
HELP = "[b]+[/]/[b]-[/] or type: size   [b]y[/]/[b]enter[/] confirm   [b]esc[/] cancel"


def legs_content(quote: TicketQuote) -> Content:
    lines: list[Content] = []
    for index, leg in enumerate(quote.legs, start=1):
        side_style = "$bid" if leg.side is Side.BUY else "$ask"
        lines.append(
            Content.assemble(
                f"{index}. ",
                (f"{leg.side.value:<4}", f"bold {side_style}"),
                f" {leg.amount:.8g} {leg.symbol} on {leg.venue}",
                ("  vwap ", "$muted"),
                f"{leg.vwap:.8g}",
                ("  fee ", "$muted"),
                f"{leg.fee:.4g} {leg.fee_currency}",
            )
        )
        shown = ", ".join(f"{p:.8g} × {a:.6g}" for p, a in leg.levels[:MAX_LEVELS_SHOWN])
        more = len(leg.levels) - MAX_LEVELS_SHOWN
        if more > 0:
            shown += f", +{more} more"
        lines.append(Content.styled(f"   takes {shown or 'nothing: the book is empty'}", "$muted"))
    return Content("\n").join(lines)


def waterfall_content(quote: TicketQuote, currency: str) -> Content:
    lines: list[Content] = []
    for step in quote.waterfall:
        lines.append(_waterfall_line(step, currency, is_net=step is quote.waterfall[-1]))
    return Content("\n").join(lines)


def _waterfall_line(step: WaterfallLine, currency: str, is_net: bool) -> Content:
    label = step.label.ljust(20)
    if step.amount is None:
        return Content.assemble(label, ("     unknown", "$warn"))
    figure = f"{step.amount:+12.4f} {currency}"
    if not is_net:
        return Content.assemble(label, figure)
    style = "bold $pass" if step.amount > 0 else "bold $fail"
    return Content.assemble((label, "bold"), (figure, style))


class SizeInput(Input):
    """The size box: takes digits and a point, leaves every other key to the ticket's bindings."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        # Input claims every printable key, which would hide `y`, `+` and `-` from the screen.
        return character is not None and (character.isdigit() or character == ".")


class TradeTicketScreen(ModalScreen[float | None]):
    """Review an opportunity at a size and confirm (dismiss with the size) or cancel (None)."""

    DEFAULT_CSS = """
    TradeTicketScreen { align: center middle; }
    TradeTicketScreen #ticket {
        width: 100;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    TradeTicketScreen #title { text-style: bold; width: 100%; }
    TradeTicketScreen #size-row { height: auto; }
    TradeTicketScreen #size-row Label { padding: 1 1 0 0; }
    TradeTicketScreen #size { width: 22; }
    TradeTicketScreen #size-note { padding: 1 0 0 1; color: $text-muted; }
    TradeTicketScreen .section { color: $text-muted; text-style: bold; margin-top: 1; }
    TradeTicketScreen #status { margin-top: 1; text-style: bold; }
    TradeTicketScreen #status.-fail { color: $fail; }
    TradeTicketScreen #status.-warn { color: $warn; }
    TradeTicketScreen #status.-pass { color: $pass; }
    TradeTicketScreen #help { color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        # Priority: the size box would otherwise swallow these keys as (refused) text.
        Binding("plus,equals_sign", "bigger", "Size +", priority=True),
        Binding("minus", "smaller", "Size -", priority=True),
        Binding("y", "confirm", "Confirm", priority=True),
        Binding("enter", "confirm", "Confirm", show=False),
        Binding("escape", "cancel", "Cancel", priority=True),
    ]

    def __init__(
        self,
        quote_at: QuoteAt,
        size: float,
        step: float = 0.25,
        size_currency: str = "",
        refresh_s: float | None = 1.0,
    ) -> None:
        """`step`: how much `+`/`-` change the size, as a fraction (Settings.trade_notional_step);
        `refresh_s`: re-quote at the same size this often (None: only on changes)."""
        super().__init__()
        if not size > 0:
            raise ValueError(f"the ticket needs a positive size, got {size!r}")
        self._quote_at = quote_at
        self.trade_size = size
        self.step = step
        self.size_currency = size_currency
        self._refresh_s = refresh_s
        self.armed = False
        """True after a first `y` on a ticket with warnings: the next `y` confirms."""
        self.quote = self._requote_at(size)

    def compose(self) -> ComposeResult:
        with Vertical(id="ticket"):
            yield Static(id="title")
            with Horizontal(id="size-row"):
                yield Label("Size")
                yield SizeInput(value=f"{self.trade_size:.8g}", restrict=r"[0-9.]*", id="size")
                yield Static(id="size-note")
            yield Static("Legs", classes="section")
            yield Static(id="legs")
            yield Static("Profit waterfall", classes="section")
            yield Static(id="waterfall")
            yield Static("Checklist", classes="section")
            yield Static(id="checklist")
            yield Static(id="status")
            yield Static(Content.from_markup(HELP), id="help")

    def on_mount(self) -> None:
        self._render_quote()
        self.query_one("#size", Input).focus()
        if self._refresh_s:
            self.set_interval(self._refresh_s, self.requote)

    # -- size ------------------------------------------------------------------

    def _requote_at(self, size: float) -> TicketQuote:
        try:
            return self._quote_at(size)
        except ValueError as error:
            return TicketQuote(size=size, opportunity=None, message=str(error))

    def set_size(self, size: float) -> None:
        """Change the size (from keys, typing or a test); recomputes and disarms."""
        if not size > 0 or size == self.trade_size:
            return
        self.trade_size = size
        self.armed = False
        self.requote()
        box = self.query_one("#size", Input)
        if _parse(box.value) != size:
            box.value = f"{size:.8g}"
            box.select_all()  # so typing next replaces the size rather than appending to it

    def requote(self) -> None:
        old = self.quote.report.verdict if self.quote.report else None
        self.quote = self._requote_at(self.trade_size)
        if (self.quote.report.verdict if self.quote.report else None) != old:
            self.armed = False
        if self.is_mounted:
            self._render_quote()

    def action_bigger(self) -> None:
        self.set_size(self.trade_size * (1.0 + self.step))

    def action_smaller(self) -> None:
        # Divide rather than subtract: `+` then `-` comes back to the same size.
        self.set_size(self.trade_size / (1.0 + self.step))

    @on(Input.Changed, "#size")
    def _typed(self, event: Input.Changed) -> None:
        size = _parse(event.value)
        if size is None:
            self._status("type a size: a positive number", "-warn")
        elif size != self.trade_size:
            self.set_size(size)

    @on(Input.Submitted, "#size")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_confirm()

    # -- confirm / cancel ------------------------------------------------------

    def action_confirm(self) -> None:
        quote, report = self.quote, self.quote.report
        if quote.opportunity is None or report is None:
            self._status(f"nothing to execute: {quote.message}", "-fail")
            self.app.bell()
            return
        if report.blocked:
            self._status(report.summary, "-fail")
            self.app.bell()
            return
        if report.needs_confirmation and not self.armed:
            self.armed = True
            warns = len([i for i in report.items if i.status.value == "warn"])
            self._status(
                f"{warns} warning{'s' if warns > 1 else ''} above: press y again to confirm",
                "-warn",
            )
            return
        self.dismiss(self.trade_size)

    def action_cancel(self) -> None:
        self.dismiss(None)

    # -- drawing ---------------------------------------------------------------

    def _status(self, text: str, kind: str) -> None:
        status = self.query_one("#status", Static)
        for name in ("-fail", "-warn", "-pass"):
            status.set_class(name == kind, name)
        status.update(text)

    def _render_quote(self) -> None:
        quote = self.quote
        opp = quote.opportunity
        title = self.query_one("#title", Static)
        note = self.query_one("#size-note", Static)
        if opp is None:
            title.update(Content.assemble(("Trade ticket", "bold"), ("  no route", "$muted")))
            note.update(self.size_currency)
            for part in ("#legs", "#waterfall", "#checklist"):
                self.query_one(part, Static).update("")
            self._status(f"nothing to execute at this size: {quote.message}", "-fail")
            return
        title.update(
            Content.assemble(
                ("Trade ticket  ", "bold"), opp.route_id, (f"  {opp.kind.value}", "$muted")
            )
        )
        unit = opp.size_currency or self.size_currency
        text = f"{unit}   largest profitable {opp.max_size:.8g}   step ±{self.step:.0%}"
        if opp.minimum_breach is not None:
            text += f"\nbelow minimum: {opp.minimum_breach.describe()}"
        note.update(text)
        self.query_one("#legs", Static).update(legs_content(quote))
        self.query_one("#waterfall", Static).update(waterfall_content(quote, opp.profit_currency))
        report = quote.report
        assert report is not None
        self.query_one("#checklist", Static).update(checklist_content(report))
        if report.blocked:
            self._status(f"cannot confirm: {report.summary}", "-fail")
        elif self.armed:
            self._status("press y again to confirm despite the warnings", "-warn")
        elif report.needs_confirmation:
            self._status(f"{report.summary}: y, then y again", "-warn")
        else:
            self._status("all checks pass: y or enter executes", "-pass")


def _parse(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value > 0 else None
