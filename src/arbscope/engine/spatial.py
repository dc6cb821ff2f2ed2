"""Spatial (inter-exchange) arbitrage: buy a symbol on one venue, sell it on another.

How the figures are made, so each can be redone by hand:

* Fees follow `fills`: each venue's taker fee in the quote currency, on the
  notional of each fill (a buy pays cost*(1+f_buy), a sell gets cost*(1-f_sell)).
* The buy venue's asks are merge-walked against the sell venue's bids, taking
  the smaller remaining level at each step. The marginal profit per unit of
  base is `bid*(1-f_sell) - ask*(1+f_buy)`; the walk stops when it is <= 0.
  `max_size` is the size walked, rounded down to the coarser `amount_step` of
  the two markets, and 0 when that is below either market's `min_amount` or
  `min_cost` (the search of `engine.sizing`, which every kind shares).
* `size` is min(target_size, max_size) when max_size > 0. When max_size is 0
  but the books cross before fees, `size` is min(target_size, depth over which
  bid > ask), so the opportunity shows what fees cost (net negative). A size
  that breaks a market's minimum is shown as `engine.sizing` says (with the
  breach, at the smallest size allowed when that pays).
* The legs are `walk_base` of each book at `size`. gross = sell cost - buy cost,
  fees = both fees, net_profit = gross - fees, notional = buy cost (before
  fee), bps relative to notional. Profit is in the quote currency.
* Waterfall: gross, one fee line per venue, net; when a withdrawal fee of the
  base is known, the rebalancing cost valued at the sell VWAP and the net after
  it follow. net_profit excludes rebalancing: it is shown, not hidden.

`evaluate_spatial` returns None after two comparisons when the best ask of the
buy venue is not below the best bid of the sell venue: the calculator calls it
for every venue pair on every book update.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from itertools import permutations

from arbscope.engine.config import EngineConfig
from arbscope.engine.fills import (
    Fill,
    coarser_step,
    leg_fields,
    round_down,
    walk_both,
)
from arbscope.engine.route_index import BuildContext, KindSpec, Route
from arbscope.engine.sizing import Probe, breach_of, size_route
from arbscope.models import BookKey, Kind, Market, Opportunity, OrderBook, Side, SpatialRoute


def spatial_route_id(symbol: str, buy_venue: str, sell_venue: str) -> str:
    """`"spatial:BTC/USDT:binance>okx"`: buy on the first venue, sell on the second."""
    return f"spatial:{symbol}:{buy_venue}>{sell_venue}"


def _crossing_depths(
    buy_book: OrderBook, sell_book: OrderBook, buy_fee: float, sell_fee: float
) -> tuple[float, float]:
    """(base walked while net marginal profit > 0, base walked while bid > ask)."""
    asks, bids = buy_book.asks, sell_book.bids
    i = j = 0
    ask_left, bid_left = asks[0][1], bids[0][1]
    walked = 0.0
    net_depth: float | None = None
    while True:
        ask, bid = asks[i][0], bids[j][0]
        if bid <= ask:
            break
        if net_depth is None and bid * (1.0 - sell_fee) - ask * (1.0 + buy_fee) <= 0.0:
            net_depth = walked
        take = ask_left if ask_left < bid_left else bid_left
        walked += take
        ask_left -= take
        bid_left -= take
        if ask_left <= 0.0:
            i += 1
            if i == len(asks):
                # A running sum of level pieces can pass the book's own sum by a rounding
                # error: never report more than the side holds.
                walked = min(walked, math.fsum(size for _, size in asks))
                break
            ask_left = asks[i][1]
        if bid_left <= 0.0:
            j += 1
            if j == len(bids):
                walked = min(walked, math.fsum(size for _, size in bids))
                break
            bid_left = bids[j][1]
    return (walked if net_depth is None else net_depth), walked


def _fills_at(buy_book: OrderBook, sell_book: OrderBook, size: float) -> tuple[Fill, Fill]:
    return walk_both(buy_book.asks, sell_book.bids, size)


def _net(buy: Fill, sell: Fill, buy_fee: float, sell_fee: float) -> float:
    return (sell.cost - buy.cost) - buy.cost * buy_fee - sell.cost * sell_fee


def spatial_net_bps(
    buy_book: OrderBook,
    sell_book: OrderBook,
    buy_fee: float,
    sell_fee: float,
    size: float,
) -> float | None:
    """Net bps of buying `size` base on one book and selling it on the other, after both fees.

    The figure `evaluate_spatial` reports as `net_bps` (the same walk, the same
    arithmetic, relative to the buy cost before its fee), for any venue pair,
    losing ones included: the heatmap shows it. None when nothing fills.
    """
    buy, sell = walk_both(buy_book.asks, sell_book.bids, size)
    if buy.amount <= 0 or buy.cost <= 0:
        return None
    return _net(buy, sell, buy_fee, sell_fee) / buy.cost * 1e4


def evaluate_spatial(
    buy_book: OrderBook,
    sell_book: OrderBook,
    buy_market: Market,
    sell_market: Market,
    target_size: float,
    now: float,
    withdrawal_fee: float | None = None,
    route: SpatialRoute | None = None,
) -> Opportunity | None:
    """Buy `target_size` base on `buy_book`'s venue and sell it on `sell_book`'s.

    None when either side is empty or the best ask (buy) >= best bid (sell),
    or when `target_size` rounds down to nothing at the markets' step.
    """
    asks, bids = buy_book.asks, sell_book.bids
    if not asks or not bids or asks[0][0] >= bids[0][0]:
        return None
    if buy_book.symbol != sell_book.symbol:
        raise ValueError(
            f"spatial routes pair one symbol across venues, got {buy_book.symbol} on "
            f"{buy_book.venue} and {sell_book.symbol} on {sell_book.venue}"
        )
    if not target_size > 0:
        raise ValueError(f"target_size must be a positive base amount, got {target_size!r}")

    buy_fee, sell_fee = buy_market.taker_fee, sell_market.taker_fee
    step = coarser_step(buy_market.amount_step, sell_market.amount_step)
    net_depth, gross_depth = _crossing_depths(buy_book, sell_book, buy_fee, sell_fee)

    def probe(amount: float) -> Probe[tuple[Fill, Fill]] | None:
        buy, sell = _fills_at(buy_book, sell_book, amount)
        if buy.amount <= 0:
            return None
        breach = breach_of(((buy_market, buy), (sell_market, sell)))
        net = _net(buy, sell, buy_fee, sell_fee)
        return Probe(amount, buy.amount, net, sell.cost * (1.0 - sell_fee), (buy, sell), breach)

    sized = size_route(
        probe, target_size, round_down(net_depth, step), lambda: gross_depth, step
    )
    if sized is None:
        return None
    buy, sell = sized.shown.run
    max_size, net_at_max = sized.max_size, sized.net_at_max

    gross = sell.cost - buy.cost
    buy_fee_paid, sell_fee_paid = buy.cost * buy_fee, sell.cost * sell_fee
    net = _net(buy, sell, buy_fee, sell_fee)
    notional = buy.cost
    waterfall = [("gross", gross), (f"fee {buy_book.venue}", -buy_fee_paid)]
    waterfall += [(f"fee {sell_book.venue}", -sell_fee_paid), ("net", net)]
    if withdrawal_fee is not None:
        rebalancing = withdrawal_fee * sell.vwap
        waterfall.append((f"rebalancing {buy_market.base} withdrawal", -rebalancing))
        waterfall.append(("net after rebalancing", net - rebalancing))
    if route is None:
        route = spatial_route(buy_book.symbol, buy_book.venue, sell_book.venue)
    return Opportunity.model_validate(
        {
            "kind": Kind.SPATIAL,
            "route": route,
            "route_id": route.route_id,
            "legs": (
                leg_fields(buy_book.venue, buy_book.symbol, "buy", buy, buy_fee_paid, buy_fee),
                leg_fields(
                    sell_book.venue, sell_book.symbol, "sell", sell, sell_fee_paid, sell_fee
                ),
            ),
            "size": buy.amount,
            "max_size": max_size,
            "size_currency": buy_market.base,
            "profit_currency": buy_market.quote,
            "notional": notional,
            "buy_vwap": buy.vwap,
            "sell_vwap": sell.vwap,
            "gross_bps": gross / notional * 1e4,
            "fees": buy_fee_paid + sell_fee_paid,
            "net_profit": net,
            "net_bps": net / buy.cost * 1e4,
            "net_profit_at_max": net_at_max,
            "waterfall": [{"label": label, "amount": amount} for label, amount in waterfall],
            "ts": now,
            "book_ts": (buy_book.ts, sell_book.ts),
            "detail": {"buy_best_ask": asks[0][0], "sell_best_bid": bids[0][0]},
            "minimum_breach": sized.breach,
        }
    )


def spatial_route(symbol: str, buy_venue: str, sell_venue: str) -> SpatialRoute:
    route_id = spatial_route_id(symbol, buy_venue, sell_venue)
    return SpatialRoute.model_construct(
        route_id=route_id, symbol=symbol, buy_venue=buy_venue, sell_venue=sell_venue
    )


def _spec_build(context: BuildContext) -> Iterator[Route]:
    table, markets = context.table, context.markets
    best = table.best
    for symbol, venues in context.by_symbol.items():
        for buy, sell in permutations(venues, 2):
            market = markets[(buy, symbol)]
            buy_key, sell_key = (buy, symbol), (sell, symbol)
            on_buy = table.side_slot(buy_key, Side.BUY)
            on_sell = table.side_slot(sell_key, Side.SELL)
            base, quote = market.base, market.quote
            route = spatial_route(symbol, buy, sell)
            # One bucket per book and direction: its own side against the best rate back.
            placements = (
                (buy_key, "buy", (on_buy, best(base, quote))),
                (sell_key, "sell", (best(quote, base), on_sell)),
            )
            yield Route(
                route.route_id, SPATIAL, route.keys, (on_buy, on_sell), base, quote, route,
                placements,
            )


def _spec_evaluate(
    route: Route,
    books: Mapping[BookKey, OrderBook],
    markets: Mapping[BookKey, Market],
    config: EngineConfig,
    target: float | None,
    now: float,
) -> Opportunity | None:
    buy, sell = route.keys
    fee = config.withdrawal_fees.get(route.size_currency)
    size = math.inf if target is None else target
    return evaluate_spatial(
        books[buy], books[sell], markets[buy], markets[sell], size, now, fee, route.payload
    )


def _spec_resize(
    opportunity: Opportunity,
    size: float,
    books: Mapping[BookKey, OrderBook],
    markets: Mapping[BookKey, Market],
    now: float,
    config: EngineConfig,
) -> Opportunity | None:
    route = opportunity.route
    if not isinstance(route, SpatialRoute):
        return None
    buy, sell = route.keys
    fee = config.withdrawal_fees.get(markets[buy].base)
    return evaluate_spatial(
        books[buy], books[sell], markets[buy], markets[sell], size, now, fee, route
    )


SPATIAL = KindSpec(
    kind=Kind.SPATIAL,
    short="spat",
    label="spatial",
    build=_spec_build,
    evaluate=_spec_evaluate,
    resize=_spec_resize,
    moves_inventory=True,
)
