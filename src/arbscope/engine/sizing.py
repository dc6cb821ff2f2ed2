"""How large a route is shown: the one sizing every price-bound kind goes through.

Two rules, the same for every kind, so each kind only says how to run its legs at
a size (its *probe*):

* `max_size` is a size that pays. The continuous depth search
  (`fills.profitable_depth`, the spatial merge walk) stops where the next unit
  stops paying, but it does not see the amount steps of later legs: what a step
  cuts off stays behind as dust, and a route can lose at that depth. So the
  depth, rounded down to the first leg's amount grid, is only the first candidate;
  `max_size` is the largest candidate on that grid, no deeper, whose net after
  every leg's rounding and fees is > 0 (0 when none is or a market's minimums
  break first). It is found exactly by bisection over the plateaus of what the
  route brings back (`largest_paying`), within the `PLATEAUS` nearest the depth.
* A size below a market's minimum is never shown as a trade. When the target
  size breaks a market's `min_amount` or `min_cost`, the route is shown at the
  smallest grid size at which every leg meets its minimums, if the route pays
  there; otherwise at the target size, marked as not executable. Either way the
  opportunity carries the breach (`MinimumBreach`: which market, which minimum).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Generic, NamedTuple, TypeVar

from arbscope.engine.fills import Fill, on_grid, round_down
from arbscope.models import Market, MinimumBreach

R = TypeVar("R")

PLATEAUS = 16
"""Plateaus of what the route brings back searched below the depth before giving up:
each lower one also brings back less, so one that pays is nearly always among the first."""
UNGRIDDED_STEPS = 4096
"""A first leg without an amount step is searched on this many equal parts of the depth."""
UNGRIDDED_BISECTIONS = 30
"""Halvings that find the smallest allowed amount without a grid (to 1e-9 of the range)."""


class Probe(NamedTuple, Generic[R]):
    """A route run with its first leg at one amount."""

    amount: float
    """The first leg's amount (on its grid): what the search moves."""
    size: float
    """The route's size at that amount (`Opportunity.size`: base, or start currency)."""
    net: float
    """Net profit after every leg's rounding and fees."""
    proceeds: float
    """What the last leg brings back (net = proceeds - what the first leg spends)."""
    run: R
    """The kind's own record of the legs (what it builds the opportunity from)."""
    breach: MinimumBreach | None
    """The first minimum a leg breaks at this amount, None when every leg meets them."""


Prober = Callable[[float], "Probe[R] | None"]
"""First-leg amount -> the route run there, None when some leg fills nothing."""


class Sized(NamedTuple, Generic[R]):
    """What an opportunity is built from: its legs, its max size and its breach."""

    shown: Probe[R]
    """The run the figures are for."""
    max_size: float
    net_at_max: float
    """Net at exactly `max_size` (0.0 with it)."""
    breach: MinimumBreach | None
    """The minimum the target size broke (None when it broke none)."""


def breach_of(orders: Iterable[tuple[Market, Fill]]) -> MinimumBreach | None:
    """The first minimum an order breaks, in leg order (amount before notional)."""
    for market, fill in orders:
        if fill.amount < market.min_amount:
            return MinimumBreach.model_construct(
                venue=market.venue, symbol=market.symbol, rule="min_amount",
                minimum=market.min_amount, ordered=fill.amount, currency=market.base,
                resized=False,
            )
        if fill.cost < market.min_cost:
            return MinimumBreach.model_construct(
                venue=market.venue, symbol=market.symbol, rule="min_cost",
                minimum=market.min_cost, ordered=fill.cost, currency=market.quote,
                resized=False,
            )
    return None


def largest_paying(probe: Prober[R], deepest: float, step: float | None) -> Probe[R] | None:
    """The largest amount at most `deepest` on the grid whose net is > 0 (see module doc).

    `deepest` is the continuous depth rounded down to `step`. What the route brings
    back only grows with the first leg, by plateaus where later legs' steps hold
    their rounded amounts still; on a plateau the net only falls as the first leg
    grows. So each plateau, from the depth down, is found by bisection on step
    counts, and so is its largest amount that pays. The search stops at the first
    amount that breaks a minimum (smaller orders only break it more), or after
    `PLATEAUS` plateaus that all lose.
    """
    if not deepest > 0:
        return None
    unit = step if step is not None else deepest / UNGRIDDED_STEPS

    def at(count: int) -> Probe[R] | None:
        found = probe(on_grid(count, step) if step is not None else count * unit)
        return found if found is not None and found.breach is None else None

    high = round(deepest / unit)
    top = probe(deepest)
    for _ in range(PLATEAUS):
        if top is None or top.breach is not None:
            return None
        if top.net > 0:
            return top
        # The plateau's lowest count: the smallest one that still brings back as much.
        low, left, left_probe = 0, high, top
        while left - low > 1:
            mid = (low + left) // 2
            found = at(mid)
            if found is not None and found.proceeds >= top.proceeds:
                left, left_probe = mid, found
            else:
                low = mid
        if left_probe.net > 0:
            # The largest count of the plateau that still pays (its net falls with the count).
            paying, losing = left, high
            best = left_probe
            while losing - paying > 1:
                mid = (paying + losing) // 2
                found = at(mid)
                if found is not None and found.net > 0:
                    paying, best = mid, found
                else:
                    losing = mid
            return best
        high = left - 1
        if high <= 0:
            return None
        top = at(high)
    return None


def smallest_allowed(
    probe: Prober[R], low: float, high: float, step: float | None
) -> Probe[R] | None:
    """The smallest grid amount in (low, high] at which every leg meets its minimums.

    Bisection on step counts: a larger first leg makes every later leg larger.
    None when even `high` breaks one.
    """
    top = probe(high) if high > 0 else None
    if top is None or top.breach is not None:
        return None
    best = top

    def allowed(amount: float) -> Probe[R] | None:
        at = probe(amount)
        return at if at is not None and at.breach is None else None

    if step is None:  # no grid: bisect the amount itself, to a billionth of it
        lo_x, hi_x = low, high
        for _ in range(UNGRIDDED_BISECTIONS):
            mid_x = (lo_x + hi_x) / 2
            at = allowed(mid_x)
            if at is not None:
                hi_x, best = mid_x, at
            else:
                lo_x = mid_x
        return best
    # Both ends are on the grid: `low` breaks a minimum, `high` meets them all.
    lo, hi = round(low / step), round(high / step)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        at = allowed(on_grid(mid, step))
        if at is not None:
            hi, best = mid, at
        else:
            lo = mid
    return best


def size_route(
    probe: Prober[R],
    target: float,
    deepest: float,
    reach_before_fees: Callable[[], float],
    step: float | None,
    to_amount: Callable[[float], float] | None = None,
) -> Sized[R] | None:
    """The run to show for a target size, with the route's max size.

    `target` is in the route's size units (`Probe.size`); `to_amount` turns a finite
    one into a first-leg amount (None: they are the same). `deepest`: the first-leg
    amount where the next unit stops paying, on the grid. `reach_before_fees`: where
    it stops paying before fees, asked only when nothing pays (the route is then
    shown at a loss: what fees cost). None when the target rounds to nothing or a
    leg fills nothing.
    """
    best = largest_paying(probe, deepest, step)
    max_size, net_at_max = (best.size, best.net) if best is not None else (0.0, 0.0)
    if best is not None and target >= best.size:
        return Sized(best, max_size, net_at_max, None)
    reach = best.amount if best is not None else reach_before_fees()
    wanted = to_amount(target) if to_amount is not None and math.isfinite(target) else target
    amount = round_down(min(wanted, reach), step)
    at = probe(amount) if amount > 0 else None
    if at is None:
        return None
    if at.breach is None:
        return Sized(at, max_size, net_at_max, None)
    smallest = smallest_allowed(probe, amount, reach, step)
    if smallest is not None and smallest.net > 0:
        resized = at.breach.model_copy(update={"resized": True})
        return Sized(smallest, max_size, net_at_max, resized)
    return Sized(at, max_size, net_at_max, at.breach)
