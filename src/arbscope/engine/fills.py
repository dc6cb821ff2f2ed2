"""Walking order-book depth: what a taker order would fill, and where a route stops paying.

The one fee rule every kind of opportunity uses, so each figure can be redone by hand:

* The taker fee is charged in the **quote currency** of the market, on the
  notional of each fill. A buy of `amount` base costing `cost` quote pays
  `cost * (1 + fee)`; a sell receives `cost * (1 - fee)`. The base amount
  itself is never reduced by a fee.
* Amounts are rounded **down** to the market's `amount_step`; size is never
  manufactured by rounding up.

A route is a chain of conversions (start currency -> ... -> start currency).
`convert` executes one link of the chain for the amount of its input currency
at hand, `profitable_depth` finds how far the chain can be pushed before its
marginal rate (end currency per start currency of the next unit) falls to 1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from arbscope.models import Leg, Level, Side


@dataclass(frozen=True, slots=True)
class Fill:
    """What a walk through one side of a book takes."""

    amount: float
    """Base currency filled."""
    cost: float
    """Quote currency paid (asks) or received (bids), before fees."""
    levels_used: int
    """How many levels the walk reached into (a partly taken level counts)."""

    @property
    def vwap(self) -> float:
        """Quote per base over the fills, 0.0 when nothing filled."""
        return self.cost / self.amount if self.amount > 0 else 0.0


_NOTHING = Fill(0.0, 0.0, 0)


def walk_base(levels: Sequence[Level], amount: float) -> Fill:
    """Take up to `amount` base from `levels`, best first.

    Fills exactly `amount` when the depth allows (the returned amount is then
    `amount` itself, not a sum that could drift by a rounding error), else all
    of the depth.
    """
    if not amount > 0:
        return _NOTHING
    remaining = amount
    cost = 0.0
    used = 0
    # What is left once the sizes taken sum to `amount` within float noise is no more
    # depth to take: it never spills into the next level.
    noise = amount * FLOAT_NOISE
    for price, size in levels:
        used += 1
        if size >= remaining - noise:
            return Fill(amount, cost + remaining * price, used)
        cost += size * price
        remaining -= size
    return Fill(amount - remaining, cost, used)


def walk_both(asks: Sequence[Level], bids: Sequence[Level], amount: float) -> tuple[Fill, Fill]:
    """Buy `amount` base on `asks` and sell the same base on `bids`: (buy fill, sell fill).

    The one walk of two books for one base size (spatial, cross-currency and
    statistical routes, the heatmap). When either side is thinner than `amount`,
    both trade the smaller depth. The fills' common amount is the amount walked,
    so walking it again gives the very same fills: a figure computed at a
    route's reported size agrees with the route to the last digit.
    """
    buy, sell = walk_base(asks, amount), walk_base(bids, amount)
    # A sum of level pieces can differ from the book's own sum by a rounding error;
    # walk again at the smaller amount until both legs trade exactly what was walked.
    for _ in range(8):
        if buy.amount == sell.amount == amount:
            break
        amount = min(buy.amount, sell.amount)
        buy, sell = walk_base(asks, amount), walk_base(bids, amount)
    return buy, sell


def walk_quote(levels: Sequence[Level], quote: float) -> Fill:
    """Spend (asks) or receive (bids) up to `quote` quote currency, best level first."""
    if not quote > 0:
        return _NOTHING
    remaining = quote
    amount = 0.0
    used = 0
    for price, size in levels:
        used += 1
        level_cost = price * size
        if level_cost >= remaining:
            return Fill(amount + remaining / price, quote, used)
        amount += size
        remaining -= level_cost
    return Fill(amount, quote - remaining, used)


@lru_cache(maxsize=256)
def _step_decimals(step: float) -> int:
    """Decimal places of a step as written (0.001 -> 3, 5e-05 -> 5), for exact multiples."""
    exponent = Decimal(repr(step)).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


FLOAT_NOISE = 1e-12
"""Relative difference below which two amounts are the same decimal amount.

Level sizes are decimals that floats only approximate, so their sums drift by a few
ulps (0.2919 + 0.00064 is 0.29253999999999997): 1e-12 is far above that drift
(about 1e-16 per addition) and far below any market's amount step."""


def round_down(amount: float, step: float | None) -> float:
    """`amount` rounded down to a multiple of a market's `amount_step` (None: unchanged).

    The multiple is written in the step's own decimals, so 3 steps of 0.1 is
    0.3 and not 0.30000000000000004. An amount within float noise below a multiple
    (a sum of sizes on the grid) is that multiple; otherwise the result is never above
    `amount`.
    """
    if step is None or not amount > 0:
        return max(amount, 0.0)
    # The tolerance keeps 0.3 / 0.1 = 2.9999999999999996 from losing a step. It is
    # relative: 0.2941 / 1e-8 = 29409999.999999996 is off by far more than 1e-9.
    ratio = amount / step
    steps = math.floor(ratio + max(1e-9, ratio * FLOAT_NOISE))
    digits = _step_decimals(step)
    result = round(steps * step, digits)
    while result - amount > amount * FLOAT_NOISE and steps > 0:
        steps -= 1
        result = round(steps * step, digits)
    return result if steps > 0 else 0.0


def on_grid(steps: int, step: float) -> float:
    """`steps` multiples of `step`, written in the step's own decimals (3 x 0.1 is 0.3)."""
    return round(steps * step, _step_decimals(step))


def coarser_step(first: float | None, second: float | None) -> float | None:
    """The larger of two amount steps (None when neither market has one)."""
    if first is None:
        return second
    if second is None:
        return first
    return max(first, second)


class Conversion(NamedTuple):
    """One link of a route executed for the input currency at hand."""

    fill: Fill
    """The fills, at an amount rounded down to the market's step."""
    spent: float
    """Input currency consumed, fees included (buy: cost*(1+fee); sell: amount)."""
    received: float
    """Output currency received, fees deducted (buy: amount; sell: cost*(1-fee))."""
    fee: float
    """Taker fee, in the market's quote currency."""


def convert(
    levels: Sequence[Level], buy: bool, fee: float, have: float, step: float | None
) -> Conversion:
    """Convert `have` of the input currency through one market, as a taker.

    buy=True: `have` is quote, spent on the asks (fee included) for base.
    buy=False: `have` is base, sold on the bids for quote. What the book or the
    step leaves unconverted stays behind in the input currency (dust).
    """
    if buy:
        affordable = walk_quote(levels, have / (1.0 + fee))
        # Re-walk at the rounded amount: that is the order actually placed.
        fill = walk_base(levels, round_down(affordable.amount, step))
        return Conversion(fill, fill.cost * (1.0 + fee), fill.amount, fill.cost * fee)
    fill = walk_base(levels, have)  # stops at the depth
    amount = round_down(fill.amount, step)
    if amount != fill.amount:
        fill = walk_base(levels, amount)
    return Conversion(fill, fill.amount, fill.cost * (1.0 - fee), fill.cost * fee)


def meets_minimums(fill: Fill, min_amount: float, min_cost: float) -> bool:
    """Whether an order of this fill is allowed by the market's minimum size and notional."""
    return fill.amount > 0 and fill.amount >= min_amount and fill.cost >= min_cost


class ChainLink(NamedTuple):
    """One conversion of a route, for depth search: the side of the book it hits."""

    levels: Sequence[Level]
    """Asks for a buy, bids for a sell."""
    buy: bool
    fee: float
    """Taker fee rate; pass 0.0 to measure the edge before fees."""


def _level_state(link: ChainLink, index: int) -> tuple[float, float]:
    """(capacity of the level in the link's input currency, output per unit of input)."""
    price, size = link.levels[index]
    if link.buy:
        return price * size * (1.0 + link.fee), 1.0 / (price * (1.0 + link.fee))
    return size, price * (1.0 - link.fee)


def profitable_depth(chain: Sequence[ChainLink]) -> tuple[float, ...]:
    """Input taken by each link when the chain's marginal rate stops being > 1.

    The marginal rate is the end currency the next unit of start currency
    would bring back: the product of each link's current level rate (after
    its fee). It only falls as the chain goes deeper, so the walk advances
    level by level, pushing start currency until some link uses up its
    level, and stops when the product is <= 1 or a book runs out. Exact, no
    bisection. Returns, per link, the cumulative input (link 0's is in start
    currency; link k+1's is link k's output).
    """
    count = len(chain)
    taken = [0.0] * count
    index = [0] * count
    capacity = [0.0] * count
    rate = [0.0] * count
    multiplier = [1.0] * count
    for k, link in enumerate(chain):
        if not link.levels:
            return tuple(taken)
        capacity[k], rate[k] = _level_state(link, 0)
    # Each pass uses up at least one level, so the loop ends within the total depth.
    while True:
        product = rate[0]
        for k in range(1, count):
            multiplier[k] = product
            product *= rate[k]
        if product <= 1.0:
            break
        # Start currency that takes the first link to the end of its current level.
        limiting, push = 0, capacity[0]
        for k in range(1, count):
            reach = capacity[k] / multiplier[k]
            if reach < push:
                limiting, push = k, reach
        for k in range(count):
            used = push * multiplier[k]
            taken[k] += used
            capacity[k] = 0.0 if k == limiting else capacity[k] - used
        for k in range(count):
            if capacity[k] <= 0.0:
                index[k] += 1
                if index[k] >= len(chain[k].levels):
                    return tuple(taken)
                capacity[k], rate[k] = _level_state(chain[k], index[k])
    return tuple(taken)


def fee_in_start(
    fees: Sequence[float],
    in_input: Sequence[bool],
    rates: Sequence[float],
    currencies: Sequence[str],
    start: str,
) -> list[float]:
    """Value each link's fee in the start currency.

    A fee already in the start currency counts 1:1. Any other fee is valued
    at what it would have become had it gone on through the rest of the
    route at the route's own pre-fee rates (`rates[k]` = output per input of
    link k before fees): from link k itself when the fee was charged in the
    link's input currency (a buy), from link k+1 when in its output (a sell).
    """
    valued: list[float] = []
    for k, fee in enumerate(fees):
        if currencies[k] == start:
            valued.append(fee)
            continue
        factor = 1.0
        for rate in rates[k if in_input[k] else k + 1 :]:
            factor *= rate
        valued.append(fee * factor)
    return valued


def leg_fields(
    venue: str, symbol: str, side: str, fill: Fill, fee: float, fee_rate: float
) -> dict[str, object]:
    """A `Leg` as plain fields: an `Opportunity` validated from plain data in one call is
    several times cheaper than building each nested model on its own."""
    return {
        "venue": venue,
        "symbol": symbol,
        "side": side,
        "amount": fill.amount,
        "vwap": fill.vwap,
        "cost": fill.cost,
        "fee": fee,
        "fee_rate": fee_rate,
        "levels_used": fill.levels_used,
    }


def taker_leg(
    venue: str,
    symbol: str,
    side: Side,
    fill: Fill,
    fee_rate: float,
    amount: float | None = None,
) -> Leg:
    """A `Leg` whose fee is the taker rate on its fill's notional, the engine's one fee
    rule. `amount` overrides the filled amount where the caller reports what it asked
    for (a position's held size) rather than what the book gave."""
    fields = leg_fields(venue, symbol, side, fill, fill.cost * fee_rate, fee_rate)
    if amount is not None:
        fields["amount"] = amount
    return Leg.model_validate(fields)
