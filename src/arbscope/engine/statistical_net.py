"""The expected net of a statistical position: what the reversion leaves after both crossings.

A statistical signal says the spread x = log(mid_A / mid_B) is `edge` = abs(x - mean)
away from its rolling mean and is expected to come back. Measured on mids, that
distance is not what a position earns: its legs fill at the ask and the bid on
the way in, and again on the way out. So, for a position of `size` base (buy on
the cheap venue, sell on the rich one), in the quote currency:

* reversion = notional * edge, the notional being the entry buy's cost at the
  VWAP walked on its book at `size` (what the position commits);
* entry crossing = (buy cost - size * mid of the buy book)
  + (size * mid of the sell book - sell proceeds): both entry walks against the mids;
* exit crossing = the same for the orders that close the position, walked at
  `size` on the other sides of the same books (sell back on the buy book's bids,
  buy back on the sell book's asks);
* fees = entry and exit of both legs at each venue's taker fee, the exit assumed
  at the entry notionals;
* net = reversion - entry crossing - exit crossing - fees.

The exit crossing comes from the **current books**, not a rolling average of past
spreads: it is walked at the position's size, so a thin book costs what its depth
says (a top-of-book average cannot say what 0.5 BTC would pay); it needs nothing
but the books, so re-evaluating a signal at another size in the ticket
(`resize_statistical`, which has no rolling window) gives the same figure as the
calculator; and it keeps the calculator's per-update work at one sample. The
price: a spread that is unusually wide at the signal is assumed to stay that wide
until the exit, which errs on the side of a smaller expected net.

A position is only as large as all four sides show depth for (its two entry
sides and its two exit sides): a size the books could not close today is not
offered. `expected_net` is the one function every figure of the waterfall, the
checklist and the paper broker's "expected" comes from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import accumulate

from arbscope.engine.fills import (
    Fill,
    coarser_step,
    meets_minimums,
    round_down,
    walk_base,
    walk_both,
)
from arbscope.models import Market, OrderBook, WaterfallStep

REVERSION_LABEL = "expected reversion"
ENTRY_CROSSING_LABEL = "entry crossing"
EXIT_CROSSING_LABEL = "exit crossing"
NET_LABEL = "net (expected)"


@dataclass(frozen=True, slots=True)
class ExpectedNet:
    """Every part of a statistical position's expected result at one size (quote currency)."""

    buy: Fill
    """The entry buy, walked on the cheap venue's asks."""
    sell: Fill
    """The entry sell, walked on the rich venue's bids."""
    reversion: float
    """Notional (the entry buy's cost) times the distance of x from its mean."""
    entry_crossing: float
    """What both entry walks pay against the mids (>= 0: a cost)."""
    exit_crossing: float
    """What both exit walks are expected to pay against the mids (>= 0: a cost)."""
    fee_buy: float
    """Buy venue's fees, entry and exit."""
    fee_sell: float
    """Sell venue's fees, entry and exit."""
    net: float
    """reversion - entry_crossing - exit_crossing - fees."""
    entry_spread_bps: float
    """The entry crossing in bps of each book's mid, summed over the two legs."""
    exit_spread_bps: float
    """The exit crossing in the same terms."""

    @property
    def fees(self) -> float:
        return self.fee_buy + self.fee_sell

    def waterfall(self, buy_venue: str, sell_venue: str) -> tuple[WaterfallStep, ...]:
        """Reversion, both crossings, each venue's fees, then the net (their sum)."""
        return (
            WaterfallStep(label=REVERSION_LABEL, amount=self.reversion),
            WaterfallStep(label=ENTRY_CROSSING_LABEL, amount=-self.entry_crossing),
            WaterfallStep(label=EXIT_CROSSING_LABEL, amount=-self.exit_crossing),
            WaterfallStep(label=f"fees {buy_venue} entry+exit", amount=-self.fee_buy),
            WaterfallStep(label=f"fees {sell_venue} entry+exit", amount=-self.fee_sell),
            WaterfallStep(label=NET_LABEL, amount=self.net),
        )


def position_depth(buy_book: OrderBook, sell_book: OrderBook) -> float:
    """The largest base size all four sides show: both entry sides and both exit sides."""
    return min(
        sum(s for _, s in buy_book.asks),
        sum(s for _, s in sell_book.bids),
        sum(s for _, s in buy_book.bids),
        sum(s for _, s in sell_book.asks),
    )


def expected_net(
    buy_book: OrderBook,
    sell_book: OrderBook,
    buy_market: Market,
    sell_market: Market,
    size: float,
    gross_bps: float,
) -> ExpectedNet | None:
    """The parts of the expected result of a position of `size` base; None when nothing fills.

    `size` is taken as given (the caller rounds it and keeps it within
    `position_depth`); `gross_bps` is the signal's edge, abs(x - mean) * 1e4.
    """
    mid_buy, mid_sell = buy_book.mid, sell_book.mid
    if mid_buy is None or mid_sell is None:
        return None
    buy, sell = walk_both(buy_book.asks, sell_book.bids, size)
    amount = buy.amount
    if amount <= 0.0:
        return None
    exit_sell = walk_base(buy_book.bids, amount)
    exit_buy = walk_base(sell_book.asks, amount)
    reversion = buy.cost * gross_bps / 1e4
    entry_buy_cross = buy.cost - amount * mid_buy
    entry_sell_cross = amount * mid_sell - sell.cost
    exit_sell_cross = amount * mid_buy - exit_sell.cost
    exit_buy_cross = exit_buy.cost - amount * mid_sell
    entry_crossing = entry_buy_cross + entry_sell_cross
    exit_crossing = exit_sell_cross + exit_buy_cross
    fee_buy = 2.0 * buy.cost * buy_market.taker_fee
    fee_sell = 2.0 * sell.cost * sell_market.taker_fee
    net = reversion - entry_crossing - exit_crossing - (fee_buy + fee_sell)
    return ExpectedNet(
        buy=buy,
        sell=sell,
        reversion=reversion,
        entry_crossing=entry_crossing,
        exit_crossing=exit_crossing,
        fee_buy=fee_buy,
        fee_sell=fee_sell,
        net=net,
        entry_spread_bps=(entry_buy_cross / mid_buy + entry_sell_cross / mid_sell) / amount * 1e4,
        exit_spread_bps=(exit_sell_cross / mid_buy + exit_buy_cross / mid_sell) / amount * 1e4,
    )


def expected_net_at(
    buy_book: OrderBook,
    sell_book: OrderBook,
    buy_market: Market,
    sell_market: Market,
    target: float,
    gross_bps: float,
) -> ExpectedNet | None:
    """`expected_net` at `target` capped by `position_depth`, on the coarser amount grid.

    None when nothing is left after rounding or an entry order would be below a
    market's minimum size or notional.
    """
    step = coarser_step(buy_market.amount_step, sell_market.amount_step)
    size = round_down(min(target, position_depth(buy_book, sell_book)), step)
    if size <= 0.0:
        return None
    found = expected_net(buy_book, sell_book, buy_market, sell_market, size, gross_bps)
    if found is None or not _allowed(found, buy_market, sell_market):
        return None
    return found


def max_expected_size(
    buy_book: OrderBook,
    sell_book: OrderBook,
    buy_market: Market,
    sell_market: Market,
    gross_bps: float,
) -> tuple[float, float]:
    """(largest size on the grid whose expected net is > 0, that net); (0, 0) when none is.

    The net is piecewise linear in the size, its kinks where a walk on one of the
    four sides moves to the next level, and concave (the reversion grows with the
    buy price by `edge` < 1 of what that price costs in crossing; every other part
    only gets dearer per unit deeper in a book), and it is 0 at size 0. So the sizes
    that pay are one interval (0, q*): a binary search over the kinks finds the last
    one that pays, the segment after it gives q* exactly, and q* rounded down to the
    grid is the answer (stepping below q* where float noise puts the net at 0).
    """
    depth = position_depth(buy_book, sell_book)
    if not depth > 0.0:
        return 0.0, 0.0

    def net_at(size: float) -> float:
        found = expected_net(buy_book, sell_book, buy_market, sell_market, size, gross_bps)
        return -math.inf if found is None else found.net

    kinks: set[float] = {depth}
    for levels in (buy_book.asks, sell_book.bids, buy_book.bids, sell_book.asks):
        kinks.update(k for k in accumulate(s for _, s in levels) if k < depth)
    points = sorted(kinks)
    nets = {0: net_at(points[0])}
    if not nets[0] > 0.0:
        return 0.0, 0.0
    low, high = 0, len(points)  # points[low] pays; every point from high on does not
    while high - low > 1:
        middle = (low + high) // 2
        nets[middle] = net_at(points[middle])
        if nets[middle] > 0.0:
            low = middle
        else:
            high = middle
    paying = points[low]
    if high == len(points):
        q_star = paying
    else:
        beyond = points[high]
        at_paying = nets[low]
        at_beyond = nets[high]
        q_star = paying + (beyond - paying) * at_paying / (at_paying - at_beyond)
    step = coarser_step(buy_market.amount_step, sell_market.amount_step)
    # q* itself can land a hair either side of 0; just below it, or the last kink, pays.
    for candidate in (q_star, q_star - (q_star - paying) * 1e-6, paying):
        size = round_down(candidate, step)
        if size <= 0.0:
            return 0.0, 0.0
        found = expected_net(buy_book, sell_book, buy_market, sell_market, size, gross_bps)
        if found is None or not _allowed(found, buy_market, sell_market):
            return 0.0, 0.0  # minimums only get harder to meet at smaller sizes
        if found.net > 0.0:
            return found.buy.amount, found.net
    return 0.0, 0.0


def _allowed(found: ExpectedNet, buy_market: Market, sell_market: Market) -> bool:
    return meets_minimums(found.buy, buy_market.min_amount, buy_market.min_cost) and (
        meets_minimums(found.sell, sell_market.min_amount, sell_market.min_cost)
    )
