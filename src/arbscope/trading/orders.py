"""One IOC taker order per leg: how it is priced, and what a book gives it.

Order type (docs/ARCHITECTURE.md "Paper execution"): every leg is an immediate-or-cancel
taker order with a protective limit. The limit is the worst level the leg
would have taken in the book the user confirmed against, widened by
`limit_tolerance_bps`; after the venue's latency the order meets the book as
it is *then*: levels beyond the limit are not taken, so a book that moved a
little fills at the moved prices (slippage), one that moved a lot fills
partly or not at all. With no tolerance (None) the orders are market IOC:
they take whatever depth there is.

Fees follow engine/fills.py: in the quote currency, per fill, a buy pays
cost*(1+fee), a sell receives cost*(1-fee).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from arbscope.engine.fills import convert, round_down, walk_quote
from arbscope.models import Leg, Level, Market, OrderBook, Side, split_symbol
from arbscope.trading.execution import FillRecord, LegExecution, LegStatus


@dataclass(frozen=True, slots=True)
class LegOrder:
    """A leg ready to send: its amount (unless funded by an earlier leg) and its limit."""

    index: int
    leg: Leg
    """The opportunity's leg: what was expected."""
    base: str
    quote: str
    source: int | None
    """Earlier leg whose proceeds this leg spends; None: it spends held inventory."""
    amount: float
    """Base amount to order, rounded down to the step (funded legs: the expected amount)."""
    limit_price: float | None
    fee_rate: float
    amount_step: float | None
    min_amount: float
    min_cost: float
    latency_s: float

    @property
    def spends(self) -> str:
        return self.quote if self.leg.side is Side.BUY else self.base

    def worst_cost(self) -> float:
        """Most of its input currency this order can take (the balance check)."""
        if self.leg.side is Side.SELL:
            return self.amount
        price = self.limit_price if self.limit_price is not None else self.leg.vwap
        return self.amount * price * (1.0 + self.fee_rate)


def take_levels(levels: Sequence[Level], amount: float) -> list[Level]:
    """(price, amount) pieces a taker order of `amount` base takes, best level first."""
    pieces: list[Level] = []
    remaining = amount
    for price, size in levels:
        if remaining <= 0:
            break
        piece = size if size < remaining else remaining
        pieces.append((price, piece))
        remaining -= piece
    return pieces


def within_limit(levels: Sequence[Level], side: Side, limit: float | None) -> Sequence[Level]:
    if limit is None:
        return levels
    if side is Side.BUY:
        return tuple(level for level in levels if level[0] <= limit)
    return tuple(level for level in levels if level[0] >= limit)


def limit_price(levels: Sequence[Level], leg: Leg, tolerance_bps: float | None) -> float | None:
    """Worst level the leg takes in `levels`, widened by the tolerance (None: market order)."""
    if tolerance_bps is None:
        return None
    pieces = take_levels(levels, leg.amount)
    worst = pieces[-1][0] if pieces else (leg.vwap or (levels[0][0] if levels else 0.0))
    widen = tolerance_bps / 1e4
    return worst * (1.0 + widen) if leg.side is Side.BUY else worst * (1.0 - widen)


def make_order(
    index: int,
    leg: Leg,
    source: int | None,
    levels: Sequence[Level],
    market: Market | None,
    tolerance_bps: float | None,
    latency_s: float,
) -> LegOrder:
    base, quote = split_symbol(leg.symbol)
    step = market.amount_step if market else None
    return LegOrder(
        index=index,
        leg=leg,
        base=base,
        quote=quote,
        source=source,
        amount=leg.amount if source is not None else round_down(leg.amount, step),
        limit_price=limit_price(levels, leg, tolerance_bps),
        fee_rate=market.taker_fee if market else leg.fee_rate,
        amount_step=step,
        min_amount=market.min_amount if market else 0.0,
        min_cost=market.min_cost if market else 0.0,
        latency_s=latency_s,
    )


def _result(
    order: LegOrder,
    book: OrderBook | None,
    requested: float,
    pieces: Sequence[Level],
    status_reason: str,
) -> LegExecution:
    fee_rate = order.fee_rate
    fills = tuple(FillRecord(p, a, p * a, p * a * fee_rate) for p, a in pieces if a > 0)
    filled = math.fsum(f.amount for f in fills)
    if filled <= 0:
        status = LegStatus.UNFILLED if requested > 0 else LegStatus.SKIPPED
    elif filled >= requested * (1.0 - 1e-9):
        status = LegStatus.FILLED
    else:
        status = LegStatus.PARTIAL
    leg = order.leg
    return LegExecution(
        index=order.index,
        venue=leg.venue,
        symbol=leg.symbol,
        side=leg.side,
        base=order.base,
        quote=order.quote,
        requested=requested,
        limit_price=order.limit_price,
        expected_amount=leg.amount,
        expected_vwap=leg.vwap,
        fee_rate=fee_rate,
        latency_s=order.latency_s,
        book_ts=None if book is None else book.ts,
        fills=fills,
        status=status,
        reason="" if status is LegStatus.FILLED else status_reason,
    )


def fill_order(
    order: LegOrder,
    book: OrderBook | None,
    levels: Sequence[Level],
    available: float,
    funded_by: float | None = None,
) -> LegExecution:
    """What `order` gets from `levels` (the book after latency, own fills taken out).

    `available`: the venue's balance of the input currency now; `funded_by`:
    for a funded leg, the input the earlier leg delivered (None otherwise).
    Never spends more than `available`: an order the balance cannot carry is
    cut down, and says so.
    """
    side = order.leg.side
    name = f"{order.leg.symbol}@{order.leg.venue}"
    if book is None:
        return _result(order, None, order.amount, (), f"no book for {name} after latency")
    usable = within_limit(levels, side, order.limit_price)
    limit_note = f"within limit {order.limit_price:.8g}" if order.limit_price is not None else ""
    if order.source is not None:
        budget = min(funded_by or 0.0, available)
        if budget <= 0:
            return _result(order, book, 0.0, (), f"leg {order.source + 1} delivered nothing")
        buy = side is Side.BUY
        wanted = convert(levels, buy, order.fee_rate, budget, order.amount_step).fill.amount
        if wanted < order.min_amount or wanted <= 0:
            return _result(order, book, 0.0, (), f"{wanted:.8g} is below {name}'s minimum")
        got = convert(usable, buy, order.fee_rate, budget, order.amount_step).fill.amount
        short = f"only {got:.8g} of {wanted:.8g} {limit_note}".strip()
        return _result(order, book, wanted, take_levels(usable, got), short)

    requested = order.amount
    best = levels[0][0] if levels else order.leg.vwap
    if requested <= 0 or requested < order.min_amount or requested * best < order.min_cost:
        return _result(order, book, 0.0, (), f"{requested:.8g} is below {name}'s minimum")
    amount = requested
    note = ""
    if side is Side.SELL and amount > available:
        amount, note = round_down(available, order.amount_step), "; balance cut the order"
    pieces = take_levels(usable, amount)
    if side is Side.BUY:
        cost = math.fsum(p * a for p, a in pieces)
        if cost * (1.0 + order.fee_rate) > available:
            affordable = walk_quote(usable, available / (1.0 + order.fee_rate)).amount
            pieces = take_levels(usable, round_down(affordable, order.amount_step))
            note = "; balance cut the order"
    depth = math.fsum(a for _, a in usable)
    reason = f"book had {depth:.8g} of {requested:.8g} {limit_note}".strip() + note
    return _result(order, book, requested, pieces, reason)
