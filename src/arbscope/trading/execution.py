"""What a paper execution produced: legs, fills, fees, exposures, profit.

Plain frozen dataclasses (not pydantic): the broker builds one per
confirmation and the trade log stores it as it is, so building must be cheap.
Units follow models.py: amounts in base currency, costs and fees in the leg's
quote currency, profits in the route's profit currency.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from arbscope.models import Kind, Side


class ExecutionStatus(StrEnum):
    FILLED = "filled"
    """Every leg filled what it asked for."""
    PARTIAL = "partial"
    """Some legs filled less than asked (or nothing): an exposure may be left."""
    UNFILLED = "unfilled"
    """No leg filled anything: the books moved away or vanished."""
    BLOCKED = "blocked"
    """Refused before any order was sent (balance, missing book); never logged."""


class LegStatus(StrEnum):
    FILLED = "filled"
    PARTIAL = "partial"
    UNFILLED = "unfilled"
    SKIPPED = "skipped"
    """Not sent: below the market's minimum, or its input never arrived."""


class TradeAction(StrEnum):
    TRADE = "trade"
    """An arbitrage route executed in one go."""
    OPEN = "open"
    """A statistical route opened a paired position."""
    CLOSE = "close"
    """A paired position was closed (by the user or the exit threshold)."""


@dataclass(frozen=True, slots=True)
class FillRecord:
    """One book level taken by one leg."""

    price: float
    amount: float
    """Base currency."""
    cost: float
    """price * amount, quote currency, before the fee."""
    fee: float
    """Quote currency."""


@dataclass(frozen=True, slots=True)
class LegExecution:
    """One IOC taker order and what it got."""

    index: int
    venue: str
    symbol: str
    side: Side
    base: str
    quote: str
    requested: float
    """Base amount the order asked for (after rounding to the market's step)."""
    limit_price: float | None
    """Worst acceptable price; None for a market order."""
    expected_amount: float
    """Base amount the opportunity expected this leg to trade."""
    expected_vwap: float
    """Price the opportunity expected (its leg VWAP)."""
    fee_rate: float
    latency_s: float
    """Simulated latency waited before this order met the book."""
    book_ts: float | None
    """Receive time of the book the order met (None when there was none)."""
    fills: tuple[FillRecord, ...] = ()
    status: LegStatus = LegStatus.UNFILLED
    reason: str = ""
    """Why a leg filled less than asked, one line."""

    @property
    def filled(self) -> float:
        return sum(f.amount for f in self.fills)

    @property
    def cost(self) -> float:
        return sum(f.cost for f in self.fills)

    @property
    def fee(self) -> float:
        return sum(f.fee for f in self.fills)

    @property
    def vwap(self) -> float:
        filled = self.filled
        return self.cost / filled if filled > 0 else 0.0

    @property
    def slippage_bps(self) -> float:
        """Adverse price move against the expected VWAP, bps (positive = worse)."""
        if self.filled <= 0 or self.expected_vwap <= 0:
            return 0.0
        move = (self.vwap - self.expected_vwap) / self.expected_vwap * 1e4
        return move if self.side is Side.BUY else -move

    @property
    def paid(self) -> tuple[str, float]:
        """Currency and amount leaving the venue's balance (fees included)."""
        if self.side is Side.BUY:
            return self.quote, self.cost + self.fee
        return self.base, self.filled

    @property
    def received(self) -> tuple[str, float]:
        """Currency and amount arriving in the venue's balance (fees deducted)."""
        if self.side is Side.BUY:
            return self.base, self.filled
        return self.quote, self.cost - self.fee


@dataclass(frozen=True, slots=True)
class Exposure:
    """Inventory left over because the legs did not match: shown and logged."""

    venue: str
    currency: str
    amount: float
    """Signed: positive = more held than before the trade, negative = less."""
    value: float | None
    """Marked in the profit currency at the books' mids after execution (None: no path)."""


@dataclass(frozen=True, slots=True)
class Execution:
    """The result of one confirmation: what was asked, what filled, what it earned."""

    route_id: str
    kind: Kind
    action: TradeAction
    size: float
    size_currency: str
    profit_currency: str
    requested_ts: float
    """When the user confirmed."""
    completed_ts: float
    """When the last leg finished (simulated latency included)."""
    legs: tuple[LegExecution, ...]
    status: ExecutionStatus
    expected_profit: float
    """The opportunity's net profit at the confirmed size."""
    realized_profit: float
    """Profit-currency flow plus exposures marked at mid (see PaperBroker);
    for an OPEN of a statistical position 0: nothing is realized until it closes."""
    fees: float
    """All fees, in the profit currency (converted at mids where needed)."""
    exposures: tuple[Exposure, ...] = ()
    reason: str = ""
    """One line: why blocked, or which leg fell short."""
    position_id: int | None = None
    """Statistical: the paired position opened or closed."""
    trade_id: int | None = None
    """Row id in the trade log; None until logged (and for BLOCKED)."""
    balances_after: dict[str, dict[str, float]] = field(default_factory=dict)
    """Balances of the venues this execution touched, after it."""

    @property
    def slippage(self) -> float:
        """Expected minus realized profit: what latency, depth and fees cost beyond the plan."""
        return self.expected_profit - self.realized_profit

    def with_ids(self, trade_id: int, position_id: int | None) -> Execution:
        return replace(self, trade_id=trade_id, position_id=position_id)


def net_flows(legs: tuple[LegExecution, ...]) -> dict[tuple[str, str], float]:
    """(venue, currency) -> what the legs added (+) or took (-), fees included."""
    flows: dict[tuple[str, str], float] = {}
    for leg in legs:
        if leg.filled <= 0:
            continue
        paid_currency, paid = leg.paid
        got_currency, got = leg.received
        flows[(leg.venue, paid_currency)] = flows.get((leg.venue, paid_currency), 0.0) - paid
        flows[(leg.venue, got_currency)] = flows.get((leg.venue, got_currency), 0.0) + got
    return flows


def currency_flow(legs: tuple[LegExecution, ...], currency: str) -> float:
    """Net flow of one currency over all venues."""
    return sum(v for (_, c), v in net_flows(legs).items() if c == currency)


@dataclass(frozen=True, slots=True)
class PositionLeg:
    venue: str
    symbol: str
    side: Side
    """Side taken when the position opened; closing takes the other side."""
    amount: float
    """Base amount that filled at open (what closing reverses)."""


@dataclass(frozen=True, slots=True)
class Position:
    """A statistical route's paired position, open until closed."""

    position_id: int
    route_id: str
    profit_currency: str
    opened_ts: float
    open_trade_id: int
    legs: tuple[PositionLeg, ...]
    open_flow: float
    """Profit-currency flow of the opening trade (fees included)."""
    expected_profit: float = 0.0
    """The signal's expected round-trip net profit when it opened."""
    entry_z: float | None = None
    closed_ts: float | None = None
    close_trade_id: int | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_ts is None
