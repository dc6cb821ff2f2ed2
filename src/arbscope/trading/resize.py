"""Re-evaluate an opportunity at another size on the current books (the ticket's `+`/`-`).

The route is rebuilt from the opportunity itself (its legs, kind and detail),
so the caller needs no route index: spatial, triangular and cross-currency
routes go back through their engine function at the new size. A statistical
signal cannot be re-derived without its rolling window, so its entry orders
are re-walked at the new size and its expected edge (gross_bps, the distance
of the spread from its mean) is kept: that edge does not depend on size.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from arbscope.engine.config import EngineConfig
from arbscope.engine.cross_currency import CrossRoute, evaluate_cross
from arbscope.engine.fills import coarser_step, round_down, taker_leg, walk_base
from arbscope.engine.spatial import evaluate_spatial
from arbscope.engine.triangular import TriangleRoute, evaluate_triangle
from arbscope.models import BookKey, Kind, Leg, Market, Opportunity, OrderBook, Side

BookOf = Callable[[BookKey], OrderBook | None]
MarketOf = Callable[[BookKey], Market | None]


def _key(leg: Leg) -> BookKey:
    return (leg.venue, leg.symbol)


def _gather(
    opportunity: Opportunity, book_of: BookOf, market_of: MarketOf
) -> tuple[dict[BookKey, OrderBook], dict[BookKey, Market]] | None:
    books: dict[BookKey, OrderBook] = {}
    markets: dict[BookKey, Market] = {}
    for leg in opportunity.legs:
        book, market = book_of(_key(leg)), market_of(_key(leg))
        if book is None or market is None:
            return None
        books[_key(leg)], markets[_key(leg)] = book, market
    return books, markets


def resize(
    opportunity: Opportunity,
    size: float,
    book_of: BookOf,
    market_of: MarketOf,
    now: float,
    config: EngineConfig | None = None,
) -> Opportunity | None:
    """`opportunity` at `size` (in its size currency) on the books `book_of` gives now.

    Pass PaperBroker.visible_book-wrapped books so the user's own fills count.
    None when a book or market is missing or the route no longer pays at the top.
    """
    if not size > 0:
        raise ValueError(f"size must be a positive amount of {opportunity.size_currency}")
    config = config or EngineConfig()
    found = _gather(opportunity, book_of, market_of)
    if found is None:
        return None
    books, markets = found
    legs = opportunity.legs
    if opportunity.kind is Kind.SPATIAL:
        buy, sell = _key(legs[0]), _key(legs[1])
        fee = config.withdrawal_fees.get(markets[buy].base)
        return evaluate_spatial(
            books[buy], books[sell], markets[buy], markets[sell], size, now, fee
        )
    if opportunity.kind is Kind.TRIANGULAR:
        route = TriangleRoute(
            venue=legs[0].venue,
            start=opportunity.profit_currency,
            steps=tuple((leg.symbol, leg.side) for leg in legs),
            route_id=opportunity.route_id,
        )
        by_symbol = {k[1]: b for k, b in books.items()}
        return evaluate_triangle(route, by_symbol, {k[1]: m for k, m in markets.items()}, size, now)
    if opportunity.kind is Kind.CROSS_CURRENCY:
        static = opportunity.detail.get("fx_source") == "static"
        cross = CrossRoute(
            route_id=opportunity.route_id,
            base=opportunity.size_currency,
            start=opportunity.profit_currency,
            buy=_key(legs[0]),
            sell=_key(legs[1]),
            fx=None if static else (_key(legs[2]), legs[2].side),
            static_fx=str(opportunity.detail.get("fx_pair")) if static else None,
        )
        return evaluate_cross(cross, books, markets, size, now, config.fx_static_rates)
    return _resize_statistical(opportunity, size, books, markets)


def _resize_statistical(
    opportunity: Opportunity,
    size: float,
    books: Mapping[BookKey, OrderBook],
    markets: Mapping[BookKey, Market],
) -> Opportunity | None:
    buy_key, sell_key = _key(opportunity.legs[0]), _key(opportunity.legs[1])
    buy_book, sell_book = books[buy_key], books[sell_key]
    buy_market, sell_market = markets[buy_key], markets[sell_key]
    depth = min(sum(s for _, s in buy_book.asks), sum(s for _, s in sell_book.bids))
    amount = round_down(
        min(size, depth), coarser_step(buy_market.amount_step, sell_market.amount_step)
    )
    if amount <= 0:
        return None
    buy, sell = walk_base(buy_book.asks, amount), walk_base(sell_book.bids, amount)
    amount = min(buy.amount, sell.amount)
    buy, sell = walk_base(buy_book.asks, amount), walk_base(sell_book.bids, amount)
    # Round trip, as evaluate_statistical counts it: entry and exit at the entry notionals.
    fee_buy = 2.0 * buy.cost * buy_market.taker_fee
    fee_sell = 2.0 * sell.cost * sell_market.taker_fee
    gross = buy.cost * opportunity.gross_bps / 1e4
    net = gross - fee_buy - fee_sell
    legs = tuple(
        taker_leg(*key, side, fill, market.taker_fee)
        for key, side, fill, market in (
            (buy_key, Side.BUY, buy, buy_market),
            (sell_key, Side.SELL, sell, sell_market),
        )
    )
    waterfall = tuple(
        step.model_copy(update={"amount": value})
        for step, value in zip(opportunity.waterfall, (gross, -fee_buy, -fee_sell), strict=False)
    )
    return opportunity.model_copy(
        update={
            "legs": legs,
            "size": buy.amount,
            "notional": buy.cost,
            "buy_vwap": buy.vwap,
            "sell_vwap": sell.vwap,
            "fees": fee_buy + fee_sell,
            "net_profit": net,
            "net_bps": net / buy.cost * 1e4,
            "waterfall": waterfall,
            "book_ts": (buy_book.ts, sell_book.ts),
        }
    )
