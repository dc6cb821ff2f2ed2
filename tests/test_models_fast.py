"""`OrderBook.from_feed`, the market service's fast path, is the model: it accepts exactly
the books the model accepts (the same book, figure for figure), and refuses exactly the
ones it refuses, with the same message, over generated books full of hostile values.

The fast path is a hand-written check (`models._plain_book`) followed by a direct
construction; whatever the check does not pass goes through the model. So two things
are proven here: the fast path is the model (any input: the hand-written check never
passes a book the model would refuse or build differently), and the hand-written check
alone passes every book the model accepts when the input is plain, i.e. what feeds send
(str names, float figures, lists or tuples of levels): otherwise the fast path would
quietly be the slow one.

Optional fields of OrderBook (any added later too) are drawn like the others: a new one
the fast check does not know fails `test_plain_books_never_need_the_model` until it has
its line in `models._PLAIN_OPTIONAL`.
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from arbscope.market.service import _describe
from arbscope.models import MAX_FIGURE, MAX_TS, MIN_FIGURE, MIN_TS, OrderBook, _plain_book

REQUIRED = ("venue", "symbol", "ts", "bids", "asks")
OPTIONAL = tuple(name for name in OrderBook.model_fields if name not in REQUIRED)

BELOW_MIN = math.nextafter(MIN_FIGURE, -math.inf)
ABOVE_MAX = math.nextafter(MAX_FIGURE, math.inf)

HOSTILE_FIGURES: list[Any] = [
    MIN_FIGURE, MAX_FIGURE, BELOW_MIN, ABOVE_MAX, 0.0, -0.0, -1.0, 1e-300, 1e308,
    math.nan, math.inf, -math.inf, 0, 1, -3, 10**12, 10**12 + 1, 2**2000,
    True, False, "1.0", "nan", None, b"1", [1.0],
]
"""Figures a broken or hostile feed could send: edges of the range, non-finite, ints,
booleans and strings (refused, never coerced), other types."""

HOSTILE_TS: list[Any] = [
    MIN_TS, -0.0, -1e-9, MAX_TS, math.nextafter(MAX_TS, 0.0), 1e20, math.nan, math.inf,
    0, 1_700_000_000, 10**400, True, "5", None,
]

HOSTILE_LEVELS: list[Any] = [
    [100.0], [], (100.0,), "ab", {0: 100.0, 1: 1.0}, {100.0, 1.0}, None, 100.0,
    [100.0, 1.0, 7], (100.0, 1.0, 7, 8),
]
"""Levels that are not [price, size], or carry ccxt's extra columns (an order count)."""

HOSTILE_SIDES: list[Any] = ["x", None, {(100.0, 1.0)}, {"100.0": 1.0}, 3, b"ab"]

figures = st.floats(MIN_FIGURE, MAX_FIGURE)
hostile_figure = st.sampled_from(HOSTILE_FIGURES) | st.floats() | st.integers(-10, 10**13)
timestamps = st.floats(MIN_TS, MAX_TS, exclude_max=True) | st.sampled_from(HOSTILE_TS)
venues = st.sampled_from(["binance", "", "Kraken"]) | st.sampled_from([None, b"okx", 7])
symbols = st.sampled_from(["BTC/USDT", "ETH/BTC:BTC", "BTCUSDT", "/USDT", "BTC/", "a/b/c", 5])


@st.composite
def ladders(draw: st.DrawFn) -> tuple[list[Any], list[Any]]:
    """A valid pair of sides (bids below asks, both best first), then 0-3 mutations."""
    prices = sorted(draw(st.lists(figures, unique=True, max_size=12)))
    split = draw(st.integers(0, len(prices)))
    shape = draw(st.sampled_from([list, tuple]))

    def level(price: float) -> Any:
        return shape((price, draw(figures)))

    bids: list[Any] = [level(p) for p in reversed(prices[:split])]
    asks: list[Any] = [level(p) for p in prices[split:]]
    for _ in range(draw(st.integers(0, 3))):
        side = draw(st.sampled_from([bids, asks]))
        how = draw(st.sampled_from(["figure", "level", "swap", "repeat", "cross", "column"]))
        if not side:
            side.append(level(draw(figures)))
            continue
        at = draw(st.integers(0, len(side) - 1))
        if type(side[at]) not in (list, tuple) or len(side[at]) < 2:
            side[at] = level(draw(figures))  # a hostile level already: start over
        elif how == "figure":
            changed = list(side[at])
            changed[draw(st.integers(0, 1))] = draw(hostile_figure)
            side[at] = shape(changed)
        elif how == "level":
            side[at] = draw(st.sampled_from(HOSTILE_LEVELS))
        elif how == "swap":
            other = draw(st.integers(0, len(side) - 1))
            side[at], side[other] = side[other], side[at]
        elif how == "repeat":
            side.insert(at, side[at])
        elif how == "cross" and bids and asks:
            bids[0], asks[0] = asks[0], bids[0]
        elif how == "column":
            side[at] = shape((*side[at], 3))
    return bids, asks


@st.composite
def raw_books(draw: st.DrawFn) -> dict[str, Any]:
    """What a feed could pass to `MarketService.submit`, hostile parts included (each part
    hostile one time in eight, so that most books get as far as their levels)."""

    def rarely(usual: st.SearchStrategy[Any], hostile: st.SearchStrategy[Any]) -> Any:
        return draw(hostile if draw(st.integers(0, 7)) == 3 else usual)

    bids, asks = draw(ladders())
    as_tuples = draw(st.booleans())
    book: dict[str, Any] = {
        "venue": rarely(st.just("binance"), venues),
        "symbol": rarely(st.just("BTC/USDT"), symbols),
        "ts": rarely(st.floats(MIN_TS, MAX_TS, exclude_max=True), timestamps),
        "bids": rarely(st.just(tuple(bids) if as_tuples else bids), st.sampled_from(HOSTILE_SIDES)),
        "asks": rarely(st.just(tuple(asks) if as_tuples else asks), st.sampled_from(HOSTILE_SIDES)),
    }
    for name in OPTIONAL:
        if draw(st.booleans()):
            book[name] = rarely(st.none() | st.floats(MIN_TS, MAX_TS), timestamps | hostile_figure)
    return book


def outcome(build: Any) -> tuple[str, str]:
    """('accepted', the book's every field and figure with its type) or ('refused', the
    message the market service reports)."""
    try:
        book = build()
    except ValidationError as exc:
        return ("refused", _describe(exc))
    return ("accepted", repr((type(book), book.__dict__)))


def is_plain(book: dict[str, Any]) -> bool:
    """Input as feeds send it: the fast path must never hand it to the model."""

    def plain_side(side: Any) -> bool:
        return type(side) in (list, tuple) and all(
            type(level) in (list, tuple) and len(level) >= 2
            and type(level[0]) is float and type(level[1]) is float
            for level in side
        )

    return (
        type(book["venue"]) is str and type(book["symbol"]) is str and type(book["ts"]) is float
        and plain_side(book["bids"]) and plain_side(book["asks"])
        and all(book.get(name) is None or type(book[name]) is float for name in OPTIONAL)
    )


@settings(max_examples=1000)
@given(raw_books())
def test_from_feed_accepts_and_refuses_exactly_what_the_model_does(book: dict[str, Any]) -> None:
    required = [book[name] for name in REQUIRED]
    extra = {name: book[name] for name in OPTIONAL if name in book}
    fast = outcome(lambda: OrderBook.from_feed(*required, **extra))
    assert fast == outcome(lambda: OrderBook(**book))


@settings(max_examples=1000)
@given(raw_books().filter(is_plain))
def test_plain_books_never_need_the_model(book: dict[str, Any]) -> None:
    required = [book[name] for name in REQUIRED]
    extra = {name: book[name] for name in OPTIONAL if name in book}
    model = outcome(lambda: OrderBook(**book))
    checked = _plain_book(*required, extra)
    assert (checked is not None) == (model[0] == "accepted"), model
    if checked is not None:
        assert outcome(lambda: checked) == model


def test_hand_made_books_get_the_verdicts_the_issue_names() -> None:
    # Refused, never coerced: strings and booleans for sizes, short levels, each named.
    cases: list[tuple[list[Any], list[Any], str]] = [
        ([[100.0, 1.0], (99.0, 2.0, 4)], [[101.0, 1.0]], "accepted"),
        ([[100.0, "1.0"]], [], "level 0 of bids: size must be a number, got '1.0'"),
        ([[100.0, True]], [], "level 0 of bids: size must be a number, got True"),
        ([], [[100.0]], "level 0 of asks needs [price, size], got [100.0]"),
        ([[ABOVE_MAX, 1.0]], [],
         "bids[0] price 1000000000000.0001 must be between 1e-12 and 1e+12"),
        ([[100.0, 1.0]], [[100.0, 1.0]], "crossed book: best bid 100.0 >= best ask 100.0"),
        ([[99.0, 1.0], [100.0, 1.0]], [], "bids[1] price 100.0 must be below 99.0: bids are "
         "best (highest) first"),
    ]
    for bids, asks, verdict in cases:
        fast = outcome(lambda b=bids, a=asks: OrderBook.from_feed("binance", "BTC/USDT", 1.0, b, a))
        assert fast[0] == "accepted" if verdict == "accepted" else fast == ("refused", verdict)
    with_ts = outcome(lambda: OrderBook.from_feed("binance", "BTC/USDT", "5", [], []))
    assert with_ts == ("refused", "ts must be a number, got '5'")
