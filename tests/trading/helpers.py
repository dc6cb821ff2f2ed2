"""Hand-made books and markets, a mutable book provider and fake sleeps for broker tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from arbscope.engine.spatial import evaluate_spatial
from arbscope.models import BookKey, Level, Market, Opportunity, OrderBook, split_symbol

T0 = 1_732_400_000.0


def book(
    venue: str,
    symbol: str,
    bids: Sequence[Level],
    asks: Sequence[Level],
    ts: float = T0,
) -> OrderBook:
    return OrderBook(venue=venue, symbol=symbol, ts=ts, bids=tuple(bids), asks=tuple(asks))


def market(
    venue: str,
    symbol: str,
    fee: float = 0.001,
    step: float | None = None,
    min_amount: float = 0.0,
    min_cost: float = 0.0,
) -> Market:
    base, quote = split_symbol(symbol)
    return Market(
        venue=venue,
        symbol=symbol,
        base=base,
        quote=quote,
        taker_fee=fee,
        amount_step=step,
        min_amount=min_amount,
        min_cost=min_cost,
    )


class Books:
    """A book provider the test can change, as a MarketService would between reads."""

    def __init__(self, *books: OrderBook) -> None:
        self.books: dict[BookKey, OrderBook] = {b.key: b for b in books}

    def __call__(self, key: BookKey) -> OrderBook | None:
        return self.books.get(key)

    def put(self, new: OrderBook) -> None:
        self.books[new.key] = new

    def drop(self, key: BookKey) -> None:
        self.books.pop(key, None)


class Markets:
    def __init__(self, *markets: Market) -> None:
        self.markets: dict[BookKey, Market] = {m.key: m for m in markets}

    def __call__(self, key: BookKey) -> Market | None:
        return self.markets.get(key)


class ScriptedSleep:
    """An injectable sleep that records each latency and runs the test's move on the first call
    (the books change while the orders are 'on the wire'), without really waiting."""

    def __init__(self, during_latency: Callable[[], None] | None = None) -> None:
        self.calls: list[float] = []
        self._move = during_latency

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        if self._move is not None:
            move, self._move = self._move, None
            move()


# The spatial case most tests use, worked by hand:
#   buy on "alpha" (asks 100 x 1, 101 x 1), sell on "beta" (bids 103 x 1, 102 x 1), size 1.5,
#   fee 0.001 on both venues.
#   buy cost  = 1 * 100 + 0.5 * 101 = 150.5   fee 0.1505  -> pays     150.6505 USDT
#   sell cost = 1 * 103 + 0.5 * 102 = 154.0   fee 0.154   -> receives 153.846  USDT
#   net = 153.846 - 150.6505 = 3.1955 USDT
ALPHA_ASKS: tuple[Level, ...] = ((100.0, 1.0), (101.0, 1.0))
BETA_BIDS: tuple[Level, ...] = ((103.0, 1.0), (102.0, 1.0))
SPATIAL_NET = 3.1955


def spatial_books(ts: float = T0) -> tuple[OrderBook, OrderBook]:
    alpha = book("alpha", "BTC/USDT", [(99.0, 2.0)], ALPHA_ASKS, ts)
    beta = book("beta", "BTC/USDT", BETA_BIDS, [(104.0, 2.0)], ts)
    return alpha, beta


def spatial_markets(fee: float = 0.001, step: float | None = None) -> Markets:
    return Markets(market("alpha", "BTC/USDT", fee, step), market("beta", "BTC/USDT", fee, step))


def spatial_opportunity(size: float = 1.5, books: Books | None = None) -> Opportunity:
    alpha, beta = spatial_books()
    if books is not None:
        found_alpha, found_beta = books(alpha.key), books(beta.key)
        assert found_alpha is not None and found_beta is not None
        alpha, beta = found_alpha, found_beta
    markets = spatial_markets()
    opp = evaluate_spatial(
        alpha, beta, markets.markets[alpha.key], markets.markets[beta.key], size, T0
    )
    assert opp is not None
    return opp


ENOUGH = {"*": {"USDT": 10_000.0, "BTC": 2.0, "ETH": 20.0}}
"""Starting balances that cover every hand-made route here."""
