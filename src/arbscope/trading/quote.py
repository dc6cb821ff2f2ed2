"""What the trade ticket shows for an opportunity at a size (no Textual).

The ticket is given a callable `size -> TicketQuote`; the app builds each
quote from a fresh evaluation of the route at that size with `build_quote`,
so the ticket itself never knows how routes are computed.

The waterfall: gross, fees, expected slippage (the typical adverse move during
the legs' latency, engine/risk.expected_slippage), rebalancing (moving the
bought asset back, spatial and cross routes), and net = the sum. It is the
engine's net minus what latency and rebalancing are expected to cost; a line
whose figure is unknown is shown as such and counts as 0.
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

def _gross(opportunity: Opportunity) -> float:
    # Every kind's waterfall starts with its gross line (statistical: the expected reversion).
    if opportunity.waterfall:
        return opportunity.waterfall[0].amount
    return opportunity.net_profit + opportunity.fees


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
    gross = _gross(opportunity)
    slippage = expected_slippage(opportunity, context)
    rebalancing = rebalancing_cost(opportunity, context.withdrawal_fees, context.transfers)
    net = gross - opportunity.fees - (slippage or 0.0) - (rebalancing or 0.0)
    waterfall = (
        WaterfallLine("gross", gross),
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
