"""Triangular arbitrage: a cycle of three markets on one venue, e.g. USDT -> BTC -> ETH -> USDT.

How the figures are made, so each can be redone by hand:

* Converting currency X into Y through market `Y/X` is a **buy** (X is spent
  on the asks, fee included); through `X/Y` it is a **sell** (X is sold on the
  bids). Fees follow `fills`: in each market's quote, on each fill's notional.
* Each leg takes what the previous leg delivered, walks its book in order,
  rounds its base amount down to the market's `amount_step`; whatever a step
  or the book leaves unconverted stays behind as dust and is not counted.
* `size`, `max_size`, `notional` and `net_profit` are in the start currency.
  `size` = `notional` = start currency actually spent (fee included when the
  first leg is a buy); net_profit = start currency received at the end - spent.
* `max_size` is the start amount of the largest first-leg amount, on the first
  market's grid and no deeper than where the marginal cycle rate after fees
  falls to 1 (`fills.profitable_depth`, exact), whose net after every leg's
  rounding (the dust) and fees is > 0; 0 when none is or the cycle breaks a
  market's `min_amount` or `min_cost` first (`engine.sizing`, shared by every
  kind). `size` is min(start_amount, max_size), or, when max_size is 0 but the
  cycle pays before fees, min(start_amount, depth where it does): net negative.
  A size below a market's minimum is shown as `engine.sizing` says.
* Fees are valued in the start currency by `fills.fee_in_start`; gross =
  net_profit + fees. Waterfall: gross, fee per venue, net.

The start currency of a cycle is chosen by a fixed preference (USDT, USD,
USDC, EUR, BTC, ETH, then alphabetical), so a cycle always has the same id.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from itertools import combinations, pairwise
from typing import TypeVar, cast

from arbscope.engine.config import EngineConfig
from arbscope.engine.fills import (
    ChainLink,
    Conversion,
    convert,
    fee_in_start,
    leg_fields,
    profitable_depth,
    round_down,
    walk_base,
)
from arbscope.engine.route_index import BuildContext, KindSpec, Route
from arbscope.engine.sizing import Probe, breach_of, size_route
from arbscope.models import (
    BookKey,
    CycleRoute,
    Kind,
    Market,
    Opportunity,
    OrderBook,
    Side,
    TriangleRoute,
)

CycleT = TypeVar("CycleT", bound=CycleRoute)

START_PREFERENCE = ("USDT", "USD", "USDC", "EUR", "BTC", "ETH")
"""Currencies a cycle prefers to start (and count its profit) in, most preferred first."""


def _start_rank(currency: str) -> tuple[int, str]:
    if currency in START_PREFERENCE:
        return START_PREFERENCE.index(currency), ""
    return len(START_PREFERENCE), currency


def _is_spot(market: Market) -> bool:
    # Contracts (`BTC/USDT:USDT`) settle in margin: they do not convert one currency into another.
    return ":" not in market.symbol


def cycle_links(markets: Iterable[Market]) -> tuple[str | None, dict[frozenset[str], Market]]:
    """(venue, the market joining each pair of currencies) among one venue's spot markets.

    Where two markets join the same pair of currencies (`A/B` and `B/A`), the
    one whose symbol sorts first is used.
    """
    venue: str | None = None
    link: dict[frozenset[str], Market] = {}
    for market in sorted(markets, key=lambda m: m.symbol):
        if venue is None:
            venue = market.venue
        elif market.venue != venue:
            raise ValueError(
                f"cycles take the markets of one venue, got {venue} and {market.venue}: "
                "call it once per venue"
            )
        if _is_spot(market) and market.base != market.quote:
            link.setdefault(frozenset((market.base, market.quote)), market)
    return venue, link


def neighbours_of(link: Mapping[frozenset[str], Market]) -> dict[str, set[str]]:
    """Currency -> the currencies one market converts it into."""
    neighbours: dict[str, set[str]] = {}
    for pair in link:
        a, b = tuple(pair)
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    return neighbours


def start_rank(currency: str) -> tuple[int, str]:
    """Sort key of the start preference: the first currency of a cycle by it starts the cycle."""
    return _start_rank(currency)


def find_triangles(markets: Iterable[Market]) -> list[TriangleRoute]:
    """Every 3-market cycle among one venue's spot markets, both directions, sorted by id."""
    venue, link = cycle_links(markets)
    if venue is None:
        return []
    neighbours = neighbours_of(link)
    routes: list[TriangleRoute] = []
    for a, b in combinations(sorted(neighbours), 2):
        if b not in neighbours[a]:
            continue
        for c in sorted(neighbours[a] & neighbours[b]):
            if c <= b:
                continue  # each set of three currencies once
            start, first, second = sorted((a, b, c), key=_start_rank)
            for path in ((start, first, second, start), (start, second, first, start)):
                routes.append(cycle_route(TriangleRoute, venue, path, link))
    return sorted(routes, key=lambda r: r.route_id)


def cycle_route(
    cls: type[CycleT], venue: str, path: tuple[str, ...], link: Mapping[frozenset[str], Market]
) -> CycleT:
    """The cycle through `path` (start first and last), its id named after its kind."""
    steps: list[tuple[str, Side]] = []
    for have, want in pairwise(path):
        market = link[frozenset((have, want))]
        steps.append((market.symbol, Side.BUY if market.base == want else Side.SELL))
    kind = cls.model_fields["kind"].default
    # Built from validated markets: constructed without validating again (thousands a build).
    route = cls.model_construct(
        kind=kind,
        venue=venue,
        start=path[0],
        steps=tuple(steps),
        route_id=f"{kind.value}:{venue}:{'>'.join(path)}",
    )
    return cast(CycleT, route)


def _top_rate(route: CycleRoute, books: Mapping[str, OrderBook]) -> float:
    """Start currency back per unit spent at the best prices before fees; 0.0 if a side is empty."""
    rate = 1.0
    for symbol, side in route.steps:
        book = books.get(symbol)
        if book is None:
            return 0.0
        if side is Side.BUY:
            if not book.asks:
                return 0.0
            rate /= book.asks[0][0]
        else:
            if not book.bids:
                return 0.0
            rate *= book.bids[0][0]
    return rate


def _run(
    route: CycleRoute,
    books: Mapping[str, OrderBook],
    markets: Mapping[str, Market],
    first_amount: float,
) -> list[Conversion]:
    """The cycle with its first leg trading `first_amount` of that market's base (on its
    grid): bought for the start currency, or sold when the start is that base."""
    done: list[Conversion] = []
    for symbol, side in route.steps:
        book, market = books[symbol], markets[symbol]
        buy = side is Side.BUY
        levels, fee = (book.asks if buy else book.bids), market.taker_fee
        if not done and buy:
            fill = walk_base(levels, first_amount)
            step = Conversion(fill, fill.cost * (1.0 + fee), fill.amount, fill.cost * fee)
        else:
            have = done[-1].received if done else first_amount
            step = convert(levels, buy, fee, have, market.amount_step)
        done.append(step)
    return done


def _depth(
    route: CycleRoute,
    books: Mapping[str, OrderBook],
    markets: Mapping[str, Market],
    with_fees: bool,
) -> tuple[float, ...]:
    """Each link's input where the next unit of the cycle stops paying (link 0's: start
    currency; link 1's: what the first leg bought)."""
    chain = []
    for symbol, side in route.steps:
        book = books[symbol]
        buy = side is Side.BUY
        fee = markets[symbol].taker_fee if with_fees else 0.0
        chain.append(ChainLink(book.asks if buy else book.bids, buy, fee))
    return profitable_depth(chain)


def evaluate_cycle(
    route: CycleRoute,
    books: Mapping[str, OrderBook],
    markets: Mapping[str, Market],
    start_amount: float,
    now: float,
) -> Opportunity | None:
    """The cycle for up to `start_amount` of `route.start`; books and markets keyed by symbol.

    None when a book is missing or empty, when the top-of-book cycle rate is
    <= 1 before fees, or when the size rounds down to nothing at some leg.
    """
    top_rate = _top_rate(route, books)
    if top_rate <= 1.0:
        return None
    if not start_amount > 0:
        raise ValueError(
            f"start_amount must be a positive amount of {route.start}, got {start_amount!r}"
        )
    missing = [s for s in route.symbols if s not in markets]
    if missing:
        raise ValueError(
            f"no market rules for {', '.join(missing)} on {route.venue}: load its markets first"
        )

    first_symbol, first_side = route.steps[0]
    first_book, first_market = books[first_symbol], markets[first_symbol]
    first_step = first_market.amount_step
    buy_first = first_side is Side.BUY

    def to_amount(start: float) -> float:
        """The first leg's amount `start` of the start currency buys (or is)."""
        if not buy_first:
            return start
        return convert(first_book.asks, True, first_market.taker_fee, start, first_step).fill.amount

    def probe(amount: float) -> Probe[list[Conversion]] | None:
        at = _run(route, books, markets, amount)
        if any(c.fill.amount <= 0 for c in at):
            return None
        breach = breach_of((markets[s], c.fill) for (s, _), c in zip(route.steps, at, strict=True))
        spent, back = at[0].spent, at[-1].received
        return Probe(amount, spent, back - spent, back, at, breach)

    sized = size_route(
        probe,
        start_amount,
        # Link 1's input is link 0's output: the base a first buy takes.
        round_down(_depth(route, books, markets, True)[1 if buy_first else 0], first_step),
        # Before fees, the start currency the cycle pays for, as a first-leg amount with fees.
        lambda: to_amount(_depth(route, books, markets, False)[0]),
        first_step,
        to_amount,
    )
    if sized is None:
        return None
    run, max_size, net_at_max = sized.shown.run, sized.max_size, sized.net_at_max

    spent, received = run[0].spent, run[-1].received
    net = received - spent
    legs: list[dict[str, object]] = []
    currencies: list[str] = []
    in_input: list[bool] = []
    rates: list[float] = []
    for (symbol, side), conv in zip(route.steps, run, strict=True):
        market = markets[symbol]
        buy = side is Side.BUY
        fill = conv.fill
        legs.append(leg_fields(route.venue, symbol, side, fill, conv.fee, market.taker_fee))
        # A buy's fee is in its input currency, a sell's in its output (both: the quote).
        currencies.append(market.quote)
        in_input.append(buy)
        rates.append(fill.amount / fill.cost if buy else fill.vwap)
    fees = sum(fee_in_start([c.fee for c in run], in_input, rates, currencies, route.start))
    gross = net + fees
    return Opportunity.model_validate(
        {
            "kind": route.kind,
            "route": route,
            "route_id": route.route_id,
            "legs": legs,
            "size": spent,
            "max_size": max_size,
            "size_currency": route.start,
            "profit_currency": route.start,
            "notional": spent,
            "gross_bps": gross / spent * 1e4,
            "fees": fees,
            "net_profit": net,
            "net_bps": net / spent * 1e4,
            "net_profit_at_max": net_at_max,
            "waterfall": (
                {"label": "gross", "amount": gross},
                {"label": f"fee {route.venue}", "amount": -fees},
                {"label": "net", "amount": net},
            ),
            "ts": now,
            "book_ts": tuple(books[s].ts for s, _ in route.steps),
            "detail": {"top_rate": top_rate, "rate": received / spent},
            "minimum_breach": sized.breach,
        }
    )


evaluate_triangle = evaluate_cycle
"""A triangle is evaluated as any cycle is."""


# --- what every cycle kind registers -----------------------------------------------------


def cycle_index_routes(
    spec: KindSpec, cycles: Iterable[CycleRoute], context: BuildContext
) -> Iterator[Route]:
    """Index routes of `cycles`: one slot per leg, each book its own bucket for the route."""
    side_slot = context.table.side_slot
    for cycle in cycles:
        keys = cycle.keys
        sides = (side for _, side in cycle.steps)
        slots = tuple(side_slot(key, side) for key, side in zip(keys, sides, strict=True))
        yield Route(cycle.route_id, spec, keys, slots, cycle.start, cycle.start, cycle)


def evaluate_cycle_route(
    route: Route,
    books: Mapping[BookKey, OrderBook],
    markets: Mapping[BookKey, Market],
    config: EngineConfig,
    target: float | None,
    now: float,
) -> Opportunity | None:
    cycle: CycleRoute = route.payload
    venue = cycle.venue
    return evaluate_cycle(
        cycle,
        {symbol: books[(venue, symbol)] for symbol in cycle.symbols},
        {symbol: markets[(venue, symbol)] for symbol in cycle.symbols},
        math.inf if target is None else target,
        now,
    )


def resize_cycle(
    opportunity: Opportunity,
    size: float,
    books: Mapping[BookKey, OrderBook],
    markets: Mapping[BookKey, Market],
    now: float,
    config: EngineConfig,
) -> Opportunity | None:
    cycle = opportunity.route
    if not isinstance(cycle, CycleRoute):
        return None
    venue = cycle.venue
    return evaluate_cycle(
        cycle,
        {symbol: books[(venue, symbol)] for symbol in cycle.symbols},
        {symbol: markets[(venue, symbol)] for symbol in cycle.symbols},
        size,
        now,
    )


CYCLE_INVENTORY_NOTE = "cycle ends where it starts: nothing to move"


def _build(context: BuildContext) -> Iterator[Route]:
    for venue_markets in context.by_venue.values():
        yield from cycle_index_routes(TRIANGULAR, find_triangles(venue_markets), context)


TRIANGULAR = KindSpec(
    kind=Kind.TRIANGULAR,
    short="tri",
    label="triangular",
    build=_build,
    evaluate=evaluate_cycle_route,
    resize=resize_cycle,
    moves_inventory=False,
    inventory_note=CYCLE_INVENTORY_NOTE,
)
