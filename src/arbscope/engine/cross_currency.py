"""Cross-currency arbitrage: one asset quoted in two currencies on two venues, closed by FX.

Route: buy BASE with Q1 on venue A (`BASE/Q1`), sell it for Q2 on venue B
(`BASE/Q2`), convert the Q2 back into Q1 through an FX market on any venue
(`Q2/Q1`: a sell; `Q1/Q2`: a buy). Q1 is the start and profit currency.

Different quote currencies are never compared directly: USDT is not USD and
USDC is not USDT. Only a real FX market converts, or, where no market does, a
static rate the user set (`{"EUR/USD": 1.08}` = 1.08 USD per EUR; the inverse
key works too). A static conversion has no fee and no depth, is not a leg, and
is flagged: `detail["fx_source"]` is "static" (else "market").

How the figures are made, so each can be redone by hand:

* Fees follow `fills`: in each market's quote, on each fill's notional.
* `size` is in base: both base legs trade exactly `size` (rounded down to the
  coarser step of the two markets); all the Q2 the sale brings, after its fee,
  goes into the FX leg (rounded down to the FX market's step; what is left
  stays behind as Q2 dust, not counted).
* net_profit = Q1 received from the FX leg - Q1 paid for the buy (fee
  included). notional = buy cost before fee; bps relative to it.
* `max_size` is the largest base size on the step grid, no deeper than where the
  marginal profit through all three legs (the FX leg's depth and fee included)
  falls to 0, whose net after the FX leg's rounding (its dust) and fees is > 0;
  0 when none is or it breaks a market's `min_amount` or `min_cost` first
  (`engine.sizing`, shared by every kind). `size` is min(target_size, max_size),
  or, when max_size is 0 but the route pays before fees, min(target_size, depth
  where it does): net negative. A size below a market's minimum is shown as
  `engine.sizing` says.
* Fees are valued in Q1 by `fills.fee_in_start`; gross = net_profit + fees.
  Waterfall: gross, fee per venue, net.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from typing import NamedTuple

from arbscope.engine.config import EngineConfig
from arbscope.engine.fills import (
    ChainLink,
    Conversion,
    Fill,
    coarser_step,
    convert,
    fee_in_start,
    leg_fields,
    profitable_depth,
    round_down,
    walk_both,
)
from arbscope.engine.route_index import ALWAYS_SLOT, BuildContext, KindSpec, Route
from arbscope.engine.sizing import Probe, breach_of, size_route
from arbscope.models import BookKey, CrossRoute, Kind, Market, Opportunity, OrderBook, Side


def find_cross_routes(
    markets: Iterable[Market], static_rates: Mapping[str, float]
) -> list[CrossRoute]:
    """Every buy/sell pairing of one base across two quotes and two venues, sorted by id.

    One route per real FX market (any venue) that converts the sell quote back
    into the buy quote; a static route only where no market does and
    `static_rates` has the pair.
    """
    spot = sorted(
        (m for m in markets if ":" not in m.symbol and m.base != m.quote),
        key=lambda m: (m.venue, m.symbol),
    )
    by_base: dict[str, list[Market]] = {}
    by_pair: dict[tuple[str, str], list[Market]] = {}
    for market in spot:
        by_base.setdefault(market.base, []).append(market)
        by_pair.setdefault((market.base, market.quote), []).append(market)

    routes: list[CrossRoute] = []
    for base, listed in by_base.items():
        for buy in listed:
            for sell in listed:
                if buy.venue == sell.venue or buy.quote == sell.quote:
                    continue
                routes.extend(_routes_for(base, buy, sell, by_pair, static_rates))
    return sorted(routes, key=lambda r: r.route_id)


def _routes_for(
    base: str,
    buy: Market,
    sell: Market,
    by_pair: Mapping[tuple[str, str], list[Market]],
    static_rates: Mapping[str, float],
) -> list[CrossRoute]:
    start, other = buy.quote, sell.quote
    head = f"cross:{base}:{buy.venue} {buy.symbol}>{sell.venue} {sell.symbol}>"
    fx_markets = [(m, Side.SELL) for m in by_pair.get((other, start), [])]
    fx_markets += [(m, Side.BUY) for m in by_pair.get((start, other), [])]
    routes = [
        CrossRoute.model_construct(
            route_id=f"{head}{fx.venue} {fx.symbol}",
            base=base,
            start=start,
            buy=buy.key,
            sell=sell.key,
            fx=(fx.key, side),
            static_fx=None,
        )
        for fx, side in fx_markets
    ]
    if not routes:
        for key in (f"{other}/{start}", f"{start}/{other}"):
            if key in static_rates:
                routes.append(
                    CrossRoute.model_construct(
                        route_id=f"{head}static {key}", base=base, start=start, buy=buy.key,
                        sell=sell.key, fx=None, static_fx=key,
                    )
                )
                break
    return routes


def _static_rate(route: CrossRoute, static_rates: Mapping[str, float]) -> float:
    """Start currency per unit of the other quote from settings; 0.0 if the key is gone."""
    key = route.static_fx
    if key is None or key not in static_rates:
        return 0.0
    rate = static_rates[key]
    if not (math.isfinite(rate) and rate > 0):
        raise ValueError(
            f"static FX rate {key} must be a positive number (quote per base), got {rate!r}"
        )
    # "EUR/USD" = USD per EUR: as written when the route starts in USD, inverted otherwise.
    return rate if key.endswith(f"/{route.start}") else 1.0 / rate


def evaluate_cross(
    route: CrossRoute,
    books: Mapping[BookKey, OrderBook],
    markets: Mapping[BookKey, Market],
    target_size: float,
    now: float,
    static_rates: Mapping[str, float],
) -> Opportunity | None:
    """The route for up to `target_size` base.

    None when a book is missing or empty, when best bid (sell) converted at the
    top FX price is not above best ask (buy), or when the size rounds to nothing.
    """
    buy_book, sell_book = books.get(route.buy), books.get(route.sell)
    if buy_book is None or sell_book is None or not buy_book.asks or not sell_book.bids:
        return None
    fx_book: OrderBook | None = None
    if route.fx is None:
        fx_rate = _static_rate(route, static_rates)
    else:
        fx_book = books.get(route.fx[0])
        if fx_book is None:
            return None
        fx_buy = route.fx[1] is Side.BUY
        levels = fx_book.asks if fx_buy else fx_book.bids
        if not levels:
            return None
        fx_rate = 1.0 / levels[0][0] if fx_buy else levels[0][0]
    if sell_book.bids[0][0] * fx_rate <= buy_book.asks[0][0]:
        return None
    if not target_size > 0:
        raise ValueError(f"target_size must be a positive base amount, got {target_size!r}")
    return _evaluate(route, buy_book, sell_book, fx_book, markets, target_size, now, fx_rate)


class _Run(NamedTuple):
    buy: Fill
    sell: Fill
    fx: Conversion


def _evaluate(
    route: CrossRoute,
    buy_book: OrderBook,
    sell_book: OrderBook,
    fx_book: OrderBook | None,
    markets: Mapping[BookKey, Market],
    target_size: float,
    now: float,
    static_rate: float,
) -> Opportunity | None:
    missing = [
        f"{venue} {symbol}" for venue, symbol in route.keys if (venue, symbol) not in markets
    ]
    if missing:
        raise ValueError(f"no market rules for {', '.join(missing)}: load those markets first")
    buy_market, sell_market = markets[route.buy], markets[route.sell]
    fx_market = markets[route.fx[0]] if route.fx is not None else None
    fx_buy = route.fx is not None and route.fx[1] is Side.BUY
    # A static conversion is a sell at one price of unlimited depth, without fee.
    fx_levels = (
        (fx_book.asks if fx_buy else fx_book.bids)
        if fx_book is not None
        else ((static_rate, math.inf),)
    )
    fx_fee = fx_market.taker_fee if fx_market is not None else 0.0
    fx_step = fx_market.amount_step if fx_market is not None else None
    step = coarser_step(buy_market.amount_step, sell_market.amount_step)

    def run(size: float) -> _Run:
        buy, sell = walk_both(buy_book.asks, sell_book.bids, size)
        proceeds = sell.cost * (1.0 - sell_market.taker_fee)
        return _Run(buy, sell, convert(fx_levels, fx_buy, fx_fee, proceeds, fx_step))

    def depth(with_fees: bool) -> float:
        chain = (
            ChainLink(buy_book.asks, True, buy_market.taker_fee if with_fees else 0.0),
            ChainLink(sell_book.bids, False, sell_market.taker_fee if with_fees else 0.0),
            ChainLink(fx_levels, fx_buy, fx_fee if with_fees else 0.0),
        )
        return profitable_depth(chain)[1]  # input of the sale = base bought

    def net_of(r: _Run) -> float:
        return r.fx.received - r.buy.cost * (1.0 + buy_market.taker_fee)

    def probe(amount: float) -> Probe[_Run] | None:
        at = run(amount)
        if at.buy.amount <= 0 or at.fx.fill.amount <= 0:
            return None
        orders = [(buy_market, at.buy), (sell_market, at.sell)]
        if fx_market is not None:
            orders.append((fx_market, at.fx.fill))
        return Probe(amount, at.buy.amount, net_of(at), at.fx.received, at, breach_of(orders))

    sized = size_route(
        probe,
        target_size,
        round_down(depth(with_fees=True), step),
        lambda: depth(with_fees=False),
        step,
    )
    if sized is None:
        return None
    result, max_size, net_at_max = sized.shown.run, sized.max_size, sized.net_at_max

    buy, sell, fx = result.buy, result.sell, result.fx
    net = net_of(result)
    buy_fee, sell_fee = buy.cost * buy_market.taker_fee, sell.cost * sell_market.taker_fee
    legs = [
        leg_fields(*route.buy, Side.BUY, buy, buy_fee, buy_market.taker_fee),
        leg_fields(*route.sell, Side.SELL, sell, sell_fee, sell_market.taker_fee),
    ]
    venues, fees = [route.buy[0], route.sell[0]], [buy_fee, sell_fee]
    fx_gain = fx.fill.amount / fx.fill.cost if fx_buy else fx.fill.vwap
    if route.fx is not None and fx_market is not None:
        legs.append(leg_fields(*route.fx[0], route.fx[1], fx.fill, fx.fee, fx_fee))
        venues.append(route.fx[0][0])
        fees.append(fx.fee)
        fee_currencies = [buy_market.quote, sell_market.quote, fx_market.quote]
    else:
        fees.append(0.0)
        venues.append("static")
        fee_currencies = [buy_market.quote, sell_market.quote, route.start]
    valued = fee_in_start(
        fees,
        [True, False, fx_buy],
        [buy.amount / buy.cost, sell.vwap, fx_gain],
        fee_currencies,
        route.start,
    )
    total_fees = sum(valued)
    gross = net + total_fees
    per_venue: dict[str, float] = {}
    for venue, fee in zip(venues, valued, strict=True):
        if venue != "static":
            per_venue[venue] = per_venue.get(venue, 0.0) + fee
    waterfall = [{"label": "gross", "amount": gross}]
    waterfall += [{"label": f"fee {v}", "amount": -f} for v, f in per_venue.items()]
    waterfall.append({"label": "net", "amount": net})
    detail: dict[str, float | str] = {
        "fx_source": "market" if route.fx is not None else "static",
        "fx_rate": fx_gain,
        "fx_pair": route.fx[0][1] if route.fx is not None else str(route.static_fx),
    }
    return Opportunity.model_validate(
        {
            "kind": Kind.CROSS_CURRENCY,
            "route": route,
            "route_id": route.route_id,
            "legs": legs,
            "size": buy.amount,
            "max_size": max_size,
            "size_currency": route.base,
            "profit_currency": route.start,
            "notional": buy.cost,
            "buy_vwap": buy.vwap,
            "sell_vwap": sell.vwap,
            "gross_bps": gross / buy.cost * 1e4,
            "fees": total_fees,
            "net_profit": net,
            "net_bps": net / buy.cost * 1e4,
            "net_profit_at_max": net_at_max,
            "waterfall": waterfall,
            "ts": now,
            "book_ts": tuple(b.ts for b in (buy_book, sell_book, fx_book) if b is not None),
            "detail": detail,
            "minimum_breach": sized.breach,
        }
    )


def _spec_build(context: BuildContext) -> Iterator[Route]:
    table, markets = context.table, context.markets
    best, side_slot = table.best, table.side_slot
    for cross in find_cross_routes(markets.values(), context.config.fx_static_rates):
        on_buy, on_sell = side_slot(cross.buy, Side.BUY), side_slot(cross.sell, Side.SELL)
        if cross.fx is None:
            # A static FX rate is not in the table: such routes are always evaluated.
            slots = (on_buy, on_sell, ALWAYS_SLOT)
            yield Route(cross.route_id, CROSS_CURRENCY, cross.keys, slots, cross.base,
                        cross.start, cross)
            continue
        fx = side_slot(*cross.fx)
        start, base = cross.start, cross.base
        other = markets[cross.sell].quote
        to_base, to_other, back = best(start, base), best(base, other), best(other, start)
        placements = (
            (cross.buy, ("buy", other), (on_buy, to_other, back)),
            (cross.sell, ("sell", start), (to_base, on_sell, back)),
            (cross.fx[0], ("fx", cross.buy[1], cross.sell[1]), (to_base, to_other, fx)),
        )
        yield Route(cross.route_id, CROSS_CURRENCY, cross.keys, (on_buy, on_sell, fx),
                    cross.base, cross.start, cross, placements)


def _spec_evaluate(
    route: Route,
    books: Mapping[BookKey, OrderBook],
    markets: Mapping[BookKey, Market],
    config: EngineConfig,
    target: float | None,
    now: float,
) -> Opportunity | None:
    size = math.inf if target is None else target
    return evaluate_cross(route.payload, books, markets, size, now, config.fx_static_rates)


def _spec_resize(
    opportunity: Opportunity,
    size: float,
    books: Mapping[BookKey, OrderBook],
    markets: Mapping[BookKey, Market],
    now: float,
    config: EngineConfig,
) -> Opportunity | None:
    route = opportunity.route
    if not isinstance(route, CrossRoute):
        return None
    return evaluate_cross(route, books, markets, size, now, config.fx_static_rates)


CROSS_CURRENCY = KindSpec(
    kind=Kind.CROSS_CURRENCY,
    short="cross",
    label="cross-currency",
    build=_spec_build,
    evaluate=_spec_evaluate,
    resize=_spec_resize,
    moves_inventory=True,
)
