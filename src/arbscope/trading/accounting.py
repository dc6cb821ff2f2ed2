"""Turning finished legs into an Execution: status, exposures, the notification line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from arbscope.models import Kind, Leg, Opportunity, split_symbol
from arbscope.trading.execution import (
    Execution,
    ExecutionStatus,
    Exposure,
    LegExecution,
    LegStatus,
    Position,
    TradeAction,
    net_flows,
)
from arbscope.trading.marking import Marks


@dataclass(frozen=True, slots=True)
class RouteFields:
    """What an Execution says about the route, from its opportunity or its position."""

    route_id: str
    kind: Kind
    action: TradeAction
    size: float
    size_currency: str
    profit_currency: str

    @classmethod
    def of(
        cls,
        legs: Sequence[Leg],
        opportunity: Opportunity | None,
        position: Position | None,
        action: TradeAction,
    ) -> RouteFields:
        if opportunity is not None:
            return cls(
                opportunity.route_id, opportunity.kind, action, opportunity.size,
                opportunity.size_currency, opportunity.profit_currency,
            )
        if position is None:
            raise ValueError("an execution needs an opportunity or a position")
        base = split_symbol(legs[0].symbol)[0] if legs else ""
        size = position.legs[0].amount if position.legs else 0.0
        currency = position.profit_currency
        return cls(position.route_id, Kind.STATISTICAL, action, size, base, currency)

    def execution(
        self,
        requested_ts: float,
        completed_ts: float,
        legs: tuple[LegExecution, ...],
        status: ExecutionStatus,
        expected_profit: float,
        realized_profit: float,
        fees: float,
        exposures: tuple[Exposure, ...] = (),
        reason: str = "",
        position_id: int | None = None,
        balances_after: dict[str, dict[str, float]] | None = None,
    ) -> Execution:
        return Execution(
            route_id=self.route_id, kind=self.kind, action=self.action, size=self.size,
            size_currency=self.size_currency, profit_currency=self.profit_currency,
            requested_ts=requested_ts, completed_ts=completed_ts, legs=legs, status=status,
            expected_profit=expected_profit, realized_profit=realized_profit, fees=fees,
            exposures=exposures, reason=reason, position_id=position_id,
            balances_after=balances_after or {},
        )


def status_of(done: tuple[LegExecution, ...]) -> ExecutionStatus:
    if done and all(leg.status is LegStatus.FILLED for leg in done):
        return ExecutionStatus.FILLED
    if any(leg.filled > 0 for leg in done):
        return ExecutionStatus.PARTIAL
    return ExecutionStatus.UNFILLED


def exposures_of(
    done: tuple[LegExecution, ...], profit_currency: str, marks: Marks, always: bool = False
) -> tuple[Exposure, ...]:
    """Left-over inventory when a leg fell short: the net flow of each currency over all
    venues, placed on the venue where most of it sits. None when every leg filled
    (rounding dust of a complete route is not counted, as in the engine), unless
    `always`: a cross route on a static rate has no leg converting back, so what its
    sale brought stays held whatever happens."""
    if not always and all(leg.status is LegStatus.FILLED for leg in done):
        return ()
    flows = net_flows(done)
    totals: dict[str, float] = {}
    for (_, currency), amount in flows.items():
        totals[currency] = totals.get(currency, 0.0) + amount
    exposures = []
    for currency, total in sorted(totals.items()):
        if currency == profit_currency or abs(total) <= 1e-12:
            continue
        same_sign = [(abs(a), v) for (v, c), a in flows.items() if c == currency and a * total > 0]
        venue = max(same_sign)[1] if same_sign else ""
        value = marks.value(currency, total, profit_currency)
        exposures.append(Exposure(venue, currency, total, value))
    return tuple(exposures)


def settled(amount: float) -> float:
    """`amount` with float noise below 1e-9 shown as 0 (no "-0.0000" slippage)."""
    return 0.0 if abs(amount) < 1e-9 else amount


def execution_summary(execution: Execution) -> str:
    """One line for a notification: realized against expected, and any exposure left."""
    cur = execution.profit_currency
    if execution.status is ExecutionStatus.BLOCKED:
        return f"not executed: {execution.reason}"
    head = f"#{execution.trade_id} {execution.action.value} {execution.status.value}"
    if execution.action is TradeAction.OPEN:
        text = (
            f"{head}: position {execution.position_id} open, "
            f"expected {execution.expected_profit:+.4f} {cur} on reversion"
        )
    else:
        text = (
            f"{head}: realized {settled(execution.realized_profit):+.4f} {cur} vs expected "
            f"{settled(execution.expected_profit):+.4f} "
            f"(slippage {settled(execution.slippage):+.4f})"
        )
    for exposure in execution.exposures:
        text += f"; exposure {exposure.amount:+.8g} {exposure.currency} on {exposure.venue}"
    return text
