"""Re-evaluate an opportunity at another size on the current books (the ticket's `+`/`-`).

The opportunity carries its typed route, so the caller needs no route index:
its kind's `resize` (engine.kinds) takes it back through the kind's engine
function at the new size. A statistical signal cannot be re-derived without its
rolling window: its entry orders are re-walked at the new size and its
expected edge is kept (`engine.statistical.resize_statistical`).
"""

from __future__ import annotations

from collections.abc import Callable

from arbscope.engine.config import EngineConfig
from arbscope.engine.kinds import spec_of
from arbscope.models import BookKey, Market, Opportunity, OrderBook

BookOf = Callable[[BookKey], OrderBook | None]
MarketOf = Callable[[BookKey], Market | None]


def _gather(
    opportunity: Opportunity, book_of: BookOf, market_of: MarketOf
) -> tuple[dict[BookKey, OrderBook], dict[BookKey, Market]] | None:
    keys = (
        opportunity.route.keys
        if opportunity.route is not None
        else tuple((leg.venue, leg.symbol) for leg in opportunity.legs)
    )
    books: dict[BookKey, OrderBook] = {}
    markets: dict[BookKey, Market] = {}
    for key in keys:
        book, market = book_of(key), market_of(key)
        if book is None or market is None:
            return None
        books[key], markets[key] = book, market
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
    found = _gather(opportunity, book_of, market_of)
    if found is None:
        return None
    books, markets = found
    spec = spec_of(opportunity.kind)
    return spec.resize(opportunity, size, books, markets, now, config or EngineConfig())
