"""What the trade ticket shows for an opportunity at a size (no Textual).

The ticket is given a callable `size -> TicketQuote`; the app builds each
quote from a fresh evaluation of the route at that size with `build_quote`,
so the ticket itself never knows how routes are computed.

The waterfall: gross (the engine's first line: a statistical route's expected
reversion), the other costs the engine counted into its net besides fees (a
statistical route's entry and exit crossing), fees, expected slippage (the
typical adverse move during the legs' latency, engine/risk.expected_slippage),
rebalancing (moving the bought asset back, spatial and cross routes), and net =
the sum. Every line above slippage is the engine's own figure, copied, and net is
the engine's `net_profit` minus slippage and rebalancing, so the ticket and the
checklist (which reads `net_profit`) agree to the last digit. A line whose figure
is unknown is shown as such and counts as 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from arbscope.engine.risk import (
    RiskContext,
    RiskReport,
    RiskThresholds,
    evaluate_risk,
    expected_slippage,
    rebalancing_cost,
    taker_levels,
)
from arbscope.models import Level, Opportunity, Side, split_symbol
from arbscope.trading.orders import take_levels


@dataclass(frozen=True, slots=True)
class LegPreview:
    """One leg as the ticket lists it, with the book levels it would take."""

    venue: str
    symbol: str
    side: Side
    amount: float
    vwap: float
    fee: float
    fee_currency: str
    levels: tuple[Level, ...]
    """(price, amount taken) per level, best first."""


@dataclass(frozen=True, slots=True)
class WaterfallLine:
    label: str
    amount: float | None
    """Profit currency; costs negative; None when not known."""


@dataclass(frozen=True, slots=True)
class TicketQuote:
    """Everything the ticket shows at one size."""

    size: float
    opportunity: Opportunity | None
    """None when the route gives nothing at this size (see `message`)."""
    report: RiskReport | None = None
    legs: tuple[LegPreview, ...] = ()
    waterfall: tuple[WaterfallLine, ...] = ()
    message: str = ""

    @property
    def net(self) -> float | None:
        return self.waterfall[-1].amount if self.waterfall else None


QuoteAt = Callable[[float], TicketQuote]
"""What the ticket is given: the quote of its route at a size."""

def _gross(opportunity: Opportunity) -> WaterfallLine:
    # Every kind's waterfall starts with its gross line (statistical: the expected reversion).
    if opportunity.waterfall:
        first = opportunity.waterfall[0]
        return WaterfallLine(first.label, first.amount)
    return WaterfallLine("gross", opportunity.net_profit + opportunity.fees)


def counted_costs(opportunity: Opportunity) -> tuple[WaterfallLine, ...]:
    """The engine's increments between its gross and its first subtotal that are not fees.

    What a kind subtracts besides fees on the way to its net (statistical: the entry
    and the expected exit crossing); empty for routes whose gross is already at the
    prices walked. Fee lines are named `fee <venue>` or `fees ...` (models.Opportunity).
    """
    lines: list[WaterfallLine] = []
    for step in opportunity.waterfall[1:]:
        if step.label == "net" or step.label.startswith("net "):
            break
        if not step.label.startswith("fee"):
            lines.append(WaterfallLine(step.label, step.amount))
    return tuple(lines)


def build_quote(
    opportunity: Opportunity | None,
    context: RiskContext,
    thresholds: RiskThresholds | None = None,
    size: float | None = None,
    message: str = "",
) -> TicketQuote:
    """The ticket's view of `opportunity` (already evaluated at the wanted size).

    `context.books` should be the books as the user's next order sees them
    (PaperBroker.visible_book), so the levels listed are the ones it would take.
    """
    if opportunity is None:
        return TicketQuote(size=size or 0.0, opportunity=None, message=message or "no route")
    legs = []
    for leg in opportunity.legs:
        book = context.books.get((leg.venue, leg.symbol))
        levels = tuple(take_levels(taker_levels(book, leg.side), leg.amount)) if book else ()
        legs.append(
            LegPreview(
                venue=leg.venue,
                symbol=leg.symbol,
                side=leg.side,
                amount=leg.amount,
                vwap=leg.vwap,
                fee=leg.fee,
                fee_currency=split_symbol(leg.symbol)[1],
                levels=levels,
            )
        )
    slippage = expected_slippage(opportunity, context)
    rebalancing = rebalancing_cost(opportunity, context.withdrawal_fees, context.transfers)
    net = opportunity.net_profit - (slippage or 0.0) - (rebalancing or 0.0)
    waterfall = (
        _gross(opportunity),
        *counted_costs(opportunity),
        WaterfallLine("fees", -opportunity.fees),
        WaterfallLine("expected slippage", None if slippage is None else -slippage),
        WaterfallLine("rebalancing", None if rebalancing is None else -rebalancing),
        WaterfallLine("net", net),
    )
    return TicketQuote(
        size=opportunity.size if size is None else size,
        opportunity=opportunity,
        report=evaluate_risk(opportunity, context, thresholds),
        legs=tuple(legs),
        waterfall=waterfall,
        message=message,
    )
