"""Cross-currency arbitrage: one asset quoted in two currencies on two venues, closed by FX.

Route: buy BASE with Q1 on venue A (`BASE/Q1`), sell it for Q2 on venue B
(`BASE/Q2`), convert the Q2 back into Q1 through an FX market on any venue
(`Q2/Q1`: a sell; `Q1/Q2`: a buy). Q1 is the start and profit currency.

The calculator indexes one route per pairing (`CrossGroup`: buy venue, sell
venue), not one per FX book: it closes through the best FX book of the moment
(`evaluate_group`), the others are its alternatives, so routes grow with the
pairings rather than with pairings x FX venues.

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
from dataclasses import dataclass, field
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
from arbscope.engine.route_index import (
    ALWAYS_SLOT,
    EDGE_FLOOR,
    BuildContext,
    KindSpec,
    Placement,
    Route,
)
from arbscope.engine.sizing import Probe, breach_of, size_route
from arbscope.models import BookKey, CrossRoute, Kind, Market, Opportunity, OrderBook, Side


@dataclass(frozen=True, slots=True)
class CrossGroup:
    """One buy/sell pairing and every way back: the index's route for it.

    It closes through the best of `fx` at the moment it is evaluated
    (`evaluate_group`); the others are kept as its alternatives. With no FX
    market, `static_fx` is the settings key it closes through.
    """

    route_id: str
    """`"cross:BTC:kraken BTC/USD>bitstamp BTC/EUR"`: the pairing, without its FX."""
    base: str
    start: str
    buy: BookKey
    sell: BookKey
    fx: tuple[tuple[BookKey, Side], ...]
    static_fx: str | None = None
    _made: dict[tuple[BookKey, Side] | None, CrossRoute] = field(
        default_factory=dict, compare=False, repr=False
    )
    """Concrete routes made so far (only pairings that ever cross make any)."""

    def route(self, fx: tuple[BookKey, Side] | None) -> CrossRoute:
        """The concrete route through `fx` (None: the static rate)."""
        made = self._made.get(fx)
        if made is None:
            tail = f"static {self.static_fx}" if fx is None else f"{fx[0][0]} {fx[0][1]}"
            made = self._made[fx] = CrossRoute.model_construct(
                route_id=f"{self.route_id}>{tail}", base=self.base, start=self.start,
                buy=self.buy, sell=self.sell, fx=fx, static_fx=None if fx else self.static_fx,
            )
        return made


def find_cross_routes(
    markets: Iterable[Market], static_rates: Mapping[str, float]
) -> list[CrossRoute]:
    """Every buy/sell pairing of one base across two quotes and two venues, sorted by id.

    One route per real FX market (any venue) that converts the sell quote back
    into the buy quote; a static route only where no market does and
    `static_rates` has the pair.
    """
    routes = [
        group.route(fx)
        for group in find_cross_groups(markets, static_rates)
        for fx in (group.fx or (None,))
    ]
    return sorted(routes, key=lambda r: r.route_id)


def find_cross_groups(
    markets: Iterable[Market], static_rates: Mapping[str, float]
) -> list[CrossGroup]:
    """Every pairing of `find_cross_routes`, once, with all its FX books; sorted by id."""
    spot = sorted(
        (m for m in markets if ":" not in m.symbol and m.base != m.quote),
        key=lambda m: (m.venue, m.symbol),
    )
    by_base: dict[str, list[Market]] = {}
    by_pair: dict[tuple[str, str], list[Market]] = {}
    for market in spot:
        by_base.setdefault(market.base, []).append(market)
        by_pair.setdefault((market.base, market.quote), []).append(market)
    groups: list[CrossGroup] = []
    for base, listed in by_base.items():
        for buy in listed:
            for sell in listed:
                if buy.venue == sell.venue or buy.quote == sell.quote:
                    continue
                group = _group_for(base, buy, sell, by_pair, static_rates)
                if group is not None:
                    groups.append(group)
    return sorted(groups, key=lambda g: g.route_id)


def _group_for(
    base: str,
    buy: Market,
    sell: Market,
    by_pair: Mapping[tuple[str, str], list[Market]],
    static_rates: Mapping[str, float],
) -> CrossGroup | None:
    start, other = buy.quote, sell.quote
    fx = [(m, Side.SELL) for m in by_pair.get((other, start), [])]
    fx += [(m, Side.BUY) for m in by_pair.get((start, other), [])]
    # In the order of the route ids they give (`... >venue SYMBOL`).
    fx.sort(key=lambda pair: f"{pair[0].venue} {pair[0].symbol}")
    static = None
    if not fx:
        static = next(
            (key for key in (f"{other}/{start}", f"{start}/{other}") if key in static_rates),
            None,
        )
        if static is None:
            return None
    return CrossGroup(
        route_id=f"cross:{base}:{buy.venue} {buy.symbol}>{sell.venue} {sell.symbol}",
        base=base, start=start, buy=buy.key, sell=sell.key,
        fx=tuple((market.key, side) for market, side in fx), static_fx=static,
    )


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


def evaluate_group(
    group: CrossGroup,
    books: Mapping[BookKey, OrderBook],
    markets: Mapping[BookKey, Market],
    config: EngineConfig,
    target_size: float,
    now: float,
) -> Opportunity | None:
    """The pairing through its best FX book of the moment: the highest net_bps (then the
    lowest route id) of `evaluate_cross` over its fresh FX books; `detail["fx_alternatives"]`
    names the others.

    The FX books are tried best top price (after their fee) first; one is walked in depth
    only while the net edge its top prices allow could still beat the best found (depth,
    rounding and dust only lower it), so usually one FX book is walked.
    """
    if not group.fx:
        return evaluate_cross(group.route(None), books, markets, target_size, now,
                              config.fx_static_rates)
    buy_book, sell_book = books.get(group.buy), books.get(group.sell)
    if buy_book is None or sell_book is None or not buy_book.asks or not sell_book.bids:
        return None
    ask, bid = buy_book.asks[0][0], sell_book.bids[0][0]
    buy_fee, sell_fee = markets[group.buy].taker_fee, markets[group.sell].taker_fee
    candidates: list[tuple[float, int, tuple[BookKey, Side]]] = []
    for i, fx in enumerate(group.fx):
        fx_book = books.get(fx[0])
        if fx_book is None or fx_book.ts + config.book_age_limit(fx[0][0]) < now:
            continue
        levels = fx_book.asks if fx[1] is Side.BUY else fx_book.bids
        if not levels:
            continue
        rate = 1.0 / levels[0][0] if fx[1] is Side.BUY else levels[0][0]
        if bid * rate <= ask * EDGE_FLOOR:
            continue  # does not cross: evaluate_cross would say None (a rounding call is kept)
        # Upper bound of net / notional: a fee on the FX leg costs at least 1 - 1/(1 + f).
        fx_fee = markets[fx[0]].taker_fee
        candidates.append((bid * (1.0 - sell_fee) * rate / (1.0 + fx_fee) / ask - 1.0 - buy_fee,
                           i, fx))
    candidates.sort(key=lambda c: (-c[0], c[1]))
    best: Opportunity | None = None
    for bound, _, fx in candidates:
        if best is not None and bound * 1e4 < best.net_bps - 1e-6:
            break  # neither this FX book nor any after it can beat the best
        found = evaluate_cross(group.route(fx), books, markets, target_size, now,
                               config.fx_static_rates)
        if found is not None and (
            best is None or (found.net_bps, best.route_id) > (best.net_bps, found.route_id)
        ):
            best = found
    if best is None or len(group.fx) == 1:
        return best
    chosen = best.route.fx if isinstance(best.route, CrossRoute) else None
    others = ", ".join(f"{key[0]} {key[1]}" for key, side in group.fx if (key, side) != chosen)
    return best.model_copy(update={"detail": {**best.detail, "fx_alternatives": others}})


def _spec_build(context: BuildContext) -> Iterator[Route]:
    """One route per pairing: its slots bound it through the best FX rate on any venue."""
    table, markets = context.table, context.markets
    best, side_slot = table.best, table.side_slot
    for group in find_cross_groups(markets.values(), context.config.fx_static_rates):
        on_buy, on_sell = side_slot(group.buy, Side.BUY), side_slot(group.sell, Side.SELL)
        needs = (group.buy, group.sell)
        if not group.fx:
            # A static FX rate is not in the table: such routes are always evaluated.
            slots = (on_buy, on_sell, ALWAYS_SLOT)
            yield Route(group.route_id, CROSS_CURRENCY, needs, slots, group.base, group.start,
                        group)
            continue
        start, base = group.start, group.base
        other = markets[group.sell].quote
        to_base, to_other, back = best(start, base), best(base, other), best(other, start)
        placements: list[Placement] = [
            (group.buy, ("buy", other), (on_buy, to_other, back)),
            (group.sell, ("sell", start), (to_base, on_sell, back)),
        ]
        placements += [
            (fx[0], ("fx", group.buy[1], group.sell[1]), (to_base, to_other, side_slot(*fx)))
            for fx in group.fx
        ]
        keys = (*needs, *(fx[0] for fx in group.fx))
        yield Route(group.route_id, CROSS_CURRENCY, keys, (on_buy, on_sell, back), group.base,
                    group.start, group, tuple(placements), needs)


def _spec_evaluate(
    route: Route,
    books: Mapping[BookKey, OrderBook],
    markets: Mapping[BookKey, Market],
    config: EngineConfig,
    target: float | None,
    now: float,
) -> Opportunity | None:
    size = math.inf if target is None else target
    return evaluate_group(route.payload, books, markets, config, size, now)


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
