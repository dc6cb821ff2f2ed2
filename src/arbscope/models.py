"""Value types shared by every layer: books, market rules, opportunities.

Everything here is immutable and validated. Units are part of each name or
docstring: sizes are in base currency, prices in quote currency, profits in
the currency the route starts from.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

Level = tuple[float, float]
"""One book level: (price in quote currency, size in base currency)."""

BookKey = tuple[str, str]
"""(venue, symbol): the identity of one order book."""


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


class Kind(StrEnum):
    SPATIAL = "spatial"
    TRIANGULAR = "triangular"
    CROSS_CURRENCY = "cross_currency"
    STATISTICAL = "statistical"
    QUADRANGULAR = "quadrangular"


def split_symbol(symbol: str) -> tuple[str, str]:
    """`"BTC/USDT"` -> `("BTC", "USDT")`; ccxt suffixes such as `:USDT` are dropped."""
    pair = symbol.split(":", 1)[0]
    base, sep, quote = pair.partition("/")
    if not sep or not base or not quote:
        raise ValueError(f"symbol {symbol!r} is not BASE/QUOTE (for example BTC/USDT)")
    return base, quote


MIN_FIGURE = 1e-12
"""Smallest accepted price or size: below it, ratios such as bps overflow to infinity."""
MAX_FIGURE = 1e12
"""Largest accepted price or size: above it, notionals and their squares stop being finite."""
MIN_TS = 0.0
"""The epoch: the earliest accepted book timestamp (synthetic recordings count from 0)."""
MAX_TS = 7_258_118_400.0
"""2200-01-01 00:00 UTC: the latest accepted book timestamp (clocks and dates stay finite)."""
DEFAULT_BOOK_DEPTH = 50
"""Levels kept per side of a book when the venue's settings say nothing (`book_depth`)."""


def _is_number(value: object) -> bool:
    # bool is an int to Python, never a price or a size to a venue.
    return isinstance(value, int | float) and not isinstance(value, bool)


def _raw_figure(figure: object, index: int, side: str, what: str) -> float:
    if not _is_number(figure):
        raise ValueError(f"level {index} of {side}: {what} must be a number, got {figure!r}")
    try:
        return float(figure)  # type: ignore[arg-type]
    except OverflowError:  # an int beyond any float
        raise ValueError(
            f"{side}[{index}] {what} {figure!r} must be between {MIN_FIGURE:g} and {MAX_FIGURE:g}"
        ) from None


def _raw_pairs(value: object, side: str) -> list[tuple[float, float]]:
    """Levels as a feed sent them -> (price, size) pairs; a level's extra columns (ccxt's
    order count) are dropped. Strings and booleans are refused, never coerced."""
    if not isinstance(value, list | tuple):
        raise ValueError(f"{side} must be a list of [price, size] pairs, got {value!r}")
    pairs = []
    for index, level in enumerate(value):
        if not isinstance(level, list | tuple) or len(level) < 2:
            raise ValueError(f"level {index} of {side} needs [price, size], got {level!r}")
        price, size = level[0], level[1]
        if type(price) is not float:
            price = _raw_figure(price, index, side, "price")
        if type(size) is not float:
            size = _raw_figure(size, index, side, "size")
        pairs.append((price, size))
    return pairs


def _check_side(levels: tuple[Level, ...], side: str, descending: bool) -> None:
    previous: float | None = None
    for index, (price, size) in enumerate(levels):
        # `not a <= x <= b` also refuses NaN; one chained comparison keeps this cheap per level.
        if not MIN_FIGURE <= price <= MAX_FIGURE:
            raise ValueError(
                f"{side}[{index}] price {price!r} must be between {MIN_FIGURE:g} and {MAX_FIGURE:g}"
            )
        if not MIN_FIGURE <= size <= MAX_FIGURE:
            raise ValueError(
                f"{side}[{index}] size {size!r} must be between {MIN_FIGURE:g} and {MAX_FIGURE:g}"
            )
        if previous is not None:
            if descending and not price < previous:
                raise ValueError(
                    f"{side}[{index}] price {price} must be below {previous}: "
                    "bids are best (highest) first"
                )
            if not descending and not price > previous:
                raise ValueError(
                    f"{side}[{index}] price {price} must be above {previous}: "
                    "asks are best (lowest) first"
                )
        previous = price


class OrderBook(BaseModel):
    """A snapshot of one venue's book for one symbol, as received."""

    model_config = ConfigDict(frozen=True)

    venue: str
    """Venue id, lower case as ccxt names it (`binance`, `kraken` ...)."""
    symbol: str
    """ccxt unified symbol, `BASE/QUOTE`."""
    ts: float
    """When the book was received, seconds since the epoch."""
    exchange_ts: float | None = None
    """When the venue says the book was current (its own clock), None when it does not say."""
    bids: tuple[Level, ...]
    """Best (highest) first."""
    asks: tuple[Level, ...]
    """Best (lowest) first."""

    @field_validator("ts", mode="before")
    @classmethod
    def _ts_is_a_number(cls, value: object) -> object:
        if not _is_number(value):
            raise ValueError(f"ts must be a number, got {value!r}")
        try:
            float(value)  # type: ignore[arg-type]
        except OverflowError:
            raise ValueError(
                f"ts {value!r} must be seconds since the epoch from 1970 to 2200"
            ) from None
        return value

    @field_validator("bids", "asks", mode="before")
    @classmethod
    def _levels_are_pairs(cls, value: object, info: ValidationInfo) -> object:
        return _raw_pairs(value, str(info.field_name))

    @model_validator(mode="after")
    def _validate_levels(self) -> OrderBook:
        split_symbol(self.symbol)
        if not MIN_TS <= self.ts < MAX_TS:
            raise ValueError(
                f"ts {self.ts!r} must be seconds since the epoch from 1970 to 2200"
            )
        if self.exchange_ts is not None and not MIN_TS <= self.exchange_ts < MAX_TS:
            raise ValueError(
                f"exchange_ts {self.exchange_ts!r} must be seconds since the epoch "
                "from 1970 to 2200"
            )
        _check_side(self.bids, "bids", descending=True)
        _check_side(self.asks, "asks", descending=False)
        if self.bids and self.asks and self.bids[0][0] >= self.asks[0][0]:
            raise ValueError(
                f"crossed book: best bid {self.bids[0][0]} >= best ask {self.asks[0][0]}"
            )
        return self

    @property
    def key(self) -> BookKey:
        return (self.venue, self.symbol)

    @property
    def base(self) -> str:
        return split_symbol(self.symbol)[0]

    @property
    def quote(self) -> str:
        return split_symbol(self.symbol)[1]

    @property
    def best_bid(self) -> float | None:
        return self.bids[0][0] if self.bids else None

    @property
    def best_ask(self) -> float | None:
        return self.asks[0][0] if self.asks else None

    @property
    def mid(self) -> float | None:
        if not self.bids or not self.asks:
            return None
        return (self.bids[0][0] + self.asks[0][0]) / 2.0

    def age(self, now: float) -> float:
        """Seconds since the book was received."""
        return max(0.0, now - self.ts)

    @classmethod
    def from_feed(
        cls, venue: str, symbol: str, ts: float, bids: object, asks: object, **optional: object
    ) -> OrderBook:
        """`OrderBook(venue=..., ...)`, fast: the same checks, the same book and the same
        `ValidationError` messages (tests/test_models_fast.py holds them equal).

        Plain input (str names, a float ts, lists or tuples of float levels: what every
        feed sends) is checked by hand in one pass and built directly, as
        `model_construct` would, for well under half the model's cost (`make bench`,
        bench_service); anything else, and every book the check refuses, goes
        through the model itself, which names the problem. `optional` are the model's
        optional fields (see `_PLAIN_OPTIONAL`)."""
        book = _plain_book(venue, symbol, ts, bids, asks, optional)
        if book is None:
            book = cls(venue=venue, symbol=symbol, ts=ts, bids=bids, asks=asks, **optional)
        return book


# --- the fast path of `OrderBook.from_feed` ---------------------------------------------

_TOP = math.nextafter(MAX_FIGURE, math.inf)
"""`price < _TOP` is `price <= MAX_FIGURE` for a float: the first bid needs no test of its own."""
_BOTTOM = math.nextafter(MIN_FIGURE, -math.inf)
"""`_BOTTOM < price` is `price >= MIN_FIGURE` for a float: likewise for the first ask."""
_LEVEL_TYPES = frozenset({list, tuple})


def _plain_ts(value: object) -> bool:
    """A float the model would keep as it is for a timestamp (None allowed: optional)."""
    return value is None or (type(value) is float and MIN_TS <= value < MAX_TS)


_PLAIN_OPTIONAL: dict[str, Callable[[object], bool]] = {"exchange_ts": _plain_ts}
"""Optional OrderBook fields the fast path takes as given when their test passes. A value
that is the field's default is always taken; any other value of a field missing here
sends the book through the model (correct, but slow). A new optional field gets one
line here (for example `"exchange_ts": _plain_ts,`): the property test in
tests/test_models_fast.py then proves it against the model."""


def _plain_pairs(levels: object, descending: bool) -> tuple[Level, ...] | None:
    """`levels` as the model would keep them when plainly valid: float (price, size)
    within range, prices strictly best first; None: ask the model."""
    if type(levels) is not list and type(levels) is not tuple:
        return None
    if not _LEVEL_TYPES.issuperset(map(type, levels)):
        return None
    pairs: tuple[tuple[Any, ...], ...] = tuple(map(tuple, levels))
    plain, low, high = float, MIN_FIGURE, MAX_FIGURE
    for _ in range(2):
        try:
            # One test per level (the hot loop of every feed); NaN fails every
            # comparison, so it is refused too.
            if descending:
                previous = _TOP
                for price, size in pairs:
                    if (type(price) is not plain or type(size) is not plain
                            or not low <= price < previous or not low <= size <= high):
                        return None
                    previous = price
            else:
                previous = _BOTTOM
                for price, size in pairs:
                    if (type(price) is not plain or type(size) is not plain
                            or not previous < price <= high or not low <= size <= high):
                        return None
                    previous = price
            return pairs  # type: ignore[return-value]
        except ValueError:  # not two columns: drop ccxt's extra ones, once
            if not all(len(level) >= 2 for level in pairs):
                return None  # a level too short is the model's to name
            pairs = tuple([(level[0], level[1]) for level in pairs])
    return None


def _plain_book(
    venue: object,
    symbol: object,
    ts: object,
    bids: object,
    asks: object,
    optional: dict[str, object],
) -> OrderBook | None:
    """The book, built without the model's validation, when the input is plainly valid;
    None when the model must decide (and name the problem)."""
    if type(venue) is not str or type(symbol) is not str or type(ts) is not float:
        return None
    if not MIN_TS <= ts < MAX_TS:
        return None
    for name, value in optional.items():
        check = _PLAIN_OPTIONAL.get(name)
        if check is not None:
            if not check(value):
                return None
        elif name not in _OPTIONAL_DEFAULTS or value is not _OPTIONAL_DEFAULTS[name]:
            return None
    if symbol not in _SYMBOLS_SEEN:
        try:
            split_symbol(symbol)
        except ValueError:
            return None
        if len(_SYMBOLS_SEEN) < _SYMBOLS_KEPT:
            _SYMBOLS_SEEN.add(symbol)
    bid_pairs = _plain_pairs(bids, descending=True)
    if bid_pairs is None:
        return None
    ask_pairs = _plain_pairs(asks, descending=False)
    if ask_pairs is None:
        return None
    if bid_pairs and ask_pairs and bid_pairs[0][0] >= ask_pairs[0][0]:
        return None
    # `OrderBook.model_construct(...)` for checked values, 3x cheaper (1.5 us less per
    # book): the four attributes its source sets, for a model with no aliases, default
    # factories, extras or post-init (checked below, at import).
    values = {"venue": venue, "symbol": symbol, "ts": ts, "bids": bid_pairs, "asks": ask_pairs}
    fields_set = set(values)
    if _OPTIONAL_DEFAULTS:
        values.update(_OPTIONAL_DEFAULTS)
        values.update(optional)
        fields_set.update(optional)
        values = {name: values[name] for name in _FIELD_ORDER}
    book = _new_book(OrderBook)
    _set(book, "__dict__", values)
    _set(book, "__pydantic_fields_set__", fields_set)
    _set(book, "__pydantic_extra__", None)
    _set(book, "__pydantic_private__", None)
    return book


_SYMBOLS_SEEN: set[str] = set()
"""Symbols `split_symbol` accepted already; a few hundred in practice."""
_SYMBOLS_KEPT = 100_000
"""Beyond this many (a hostile recording), symbols are checked every time instead."""
_set = object.__setattr__
_new_book = OrderBook.__new__
_FIELD_ORDER = tuple(OrderBook.model_fields)
_OPTIONAL_DEFAULTS = {
    name: field.default for name, field in OrderBook.model_fields.items() if not field.is_required()
}
# What the direct construction relies on: a change of the model that breaks it fails
# here, at import.
if not all(
    field.alias is None and field.validation_alias is None and field.default_factory is None
    for field in OrderBook.model_fields.values()
) or OrderBook.model_config.get("extra") not in (None, "ignore") or (
    OrderBook.__pydantic_post_init__
):
    raise TypeError("OrderBook has aliases, default factories, extras or a post-init: "
                    "models._plain_book must use OrderBook.model_construct")


class AssetNetwork(BaseModel):
    """One chain a venue moves an asset on, as the venue publishes it (ccxt currencies)."""

    model_config = ConfigDict(frozen=True)

    network: str
    """Network code, upper case, synonyms folded (ERC20, TRC20, BTC, SOL ...)."""
    contract: str | None = None
    """The token's contract or mint address on that network, lower case; None: not published."""


class Market(BaseModel):
    """Trading rules of one symbol on one venue (ccxt `load_markets` shape, flattened)."""

    model_config = ConfigDict(frozen=True)

    venue: str
    symbol: str
    base: str
    quote: str
    taker_fee: Annotated[float, Field(ge=0, lt=1)]
    """Fraction of notional charged per taker fill (0.001 = 10 bps)."""
    maker_fee: Annotated[float, Field(ge=-1, lt=1)] = 0.0
    """Fraction of notional per maker fill; negative is a rebate."""
    price_tick: Annotated[float, Field(gt=0)] | None = None
    """Smallest price increment (ccxt TICK_SIZE precision), None if unknown."""
    amount_step: Annotated[float, Field(gt=0)] | None = None
    """Smallest size increment in base currency, None if unknown."""
    min_amount: Annotated[float, Field(ge=0)] = 0.0
    """Smallest order size in base currency."""
    min_cost: Annotated[float, Field(ge=0)] = 0.0
    """Smallest order notional in quote currency."""
    base_networks: tuple[AssetNetwork, ...] = ()
    """Networks the venue moves `base` on; empty when it publishes none. Two venues'
    markets of one ticker that share no network are different assets: never paired."""

    @property
    def key(self) -> BookKey:
        return (self.venue, self.symbol)


class Leg(BaseModel):
    """One taker order of a route, with the fills its book would give."""

    model_config = ConfigDict(frozen=True)

    venue: str
    symbol: str
    side: Side
    amount: float = 0.0
    """Base currency bought or sold."""
    vwap: float = 0.0
    """Volume-weighted price of the fills, quote per base (0 when nothing fills)."""
    cost: float = 0.0
    """Quote currency paid (buy) or received (sell), before fees."""
    fee: float = 0.0
    """Taker fee charged on this leg, in the leg's quote currency."""
    fee_rate: float = 0.0
    """The taker fee rate used."""
    levels_used: int = 0
    """How many book levels the fills reach into."""


class WaterfallStep(BaseModel):
    """One line of the profit waterfall, e.g. ('fees binance', -1.93)."""

    model_config = ConfigDict(frozen=True)

    label: str
    amount: float
    """In the route's profit currency; costs are negative."""


class MinimumBreach(BaseModel):
    """A market minimum the requested size breaks: that order would be refused."""

    model_config = ConfigDict(frozen=True)

    venue: str
    symbol: str
    rule: Literal["min_amount", "min_cost"]
    """Which of the market's minimums: its base amount or its notional in quote."""
    minimum: float
    ordered: float
    """The amount (min_amount) or notional (min_cost) the order at the requested size had."""
    currency: str
    """Currency of `minimum` and `ordered`: the market's base or quote."""
    resized: bool
    """True: the figures are at the smallest size meeting every minimum (the route pays
    there); False: they are at the requested size, which no venue would accept."""

    @property
    def mark(self) -> str:
        """The size cell's marker: `↑` sized up to the minimum, `✗` not executable."""
        return "↑" if self.resized else "✗"

    def describe(self) -> str:
        """One line for scan, the ticket and the risk checklist, e.g.
        `alpha BTC/USDT min_cost 100 USDT (order 20 USDT): shown at the smallest size allowed`."""
        what = (
            "shown at the smallest size allowed" if self.resized else "not executable at this size"
        )
        return (
            f"{self.venue} {self.symbol} {self.rule} {self.minimum:g} {self.currency} "
            f"(order {self.ordered:.6g} {self.currency}): {what}"
        )


class SpatialRoute(BaseModel):
    """Buy `symbol` on one venue, sell it on another."""

    model_config = ConfigDict(frozen=True)

    kind: Literal[Kind.SPATIAL] = Kind.SPATIAL
    route_id: str
    symbol: str
    buy_venue: str
    sell_venue: str

    @property
    def keys(self) -> tuple[BookKey, ...]:
        return ((self.buy_venue, self.symbol), (self.sell_venue, self.symbol))


class CycleRoute(BaseModel):
    """A cycle of markets on one venue, start currency back to itself, in one direction."""

    model_config = ConfigDict(frozen=True)

    kind: Kind
    """Fixed by each cycle length's own model."""
    route_id: str
    """`"triangular:binance:USDT>BTC>ETH>USDT"`."""
    venue: str
    start: str
    """Currency the cycle starts and ends in (its profit currency)."""
    steps: tuple[tuple[str, Side], ...]
    """(symbol, side) of each leg, in execution order."""

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(symbol for symbol, _ in self.steps)

    @property
    def keys(self) -> tuple[BookKey, ...]:
        return tuple((self.venue, symbol) for symbol, _ in self.steps)


class TriangleRoute(CycleRoute):
    """A 3-market cycle."""

    kind: Literal[Kind.TRIANGULAR] = Kind.TRIANGULAR


class FourCycleRoute(CycleRoute):
    """A 4-market cycle."""

    kind: Literal[Kind.QUADRANGULAR] = Kind.QUADRANGULAR


class CrossRoute(BaseModel):
    """Buy on one quote, sell on another, convert back: one direction, one FX source."""

    model_config = ConfigDict(frozen=True)

    kind: Literal[Kind.CROSS_CURRENCY] = Kind.CROSS_CURRENCY
    route_id: str
    """`"cross:BTC:kraken BTC/USD>bitstamp BTC/EUR>kraken EUR/USD"`."""
    base: str
    start: str
    """Quote of the buy leg: what the route starts in and counts its profit in."""
    buy: BookKey
    """(venue, symbol) where base is bought with the start currency."""
    sell: BookKey
    """(venue, symbol) where base is sold for the other quote; another venue."""
    fx: tuple[BookKey, Side] | None
    """Real FX market converting the other quote back to start, and its side."""
    static_fx: str | None
    """Key of the static rate in settings (`"EUR/USD"`) when `fx` is None."""

    @property
    def keys(self) -> tuple[BookKey, ...]:
        """The books the route reads."""
        if self.fx is None:
            return (self.buy, self.sell)
        return (self.buy, self.sell, self.fx[0])


class StatisticalRoute(BaseModel):
    """One symbol on two venues A < B (by name), whichever way the signal points."""

    model_config = ConfigDict(frozen=True)

    kind: Literal[Kind.STATISTICAL] = Kind.STATISTICAL
    route_id: str
    symbol: str
    venue_a: str
    venue_b: str

    @property
    def keys(self) -> tuple[BookKey, ...]:
        return ((self.venue_a, self.symbol), (self.venue_b, self.symbol))


RouteSpec = Annotated[
    SpatialRoute | TriangleRoute | CrossRoute | StatisticalRoute | FourCycleRoute,
    Field(discriminator="kind"),
]
"""The typed route of an opportunity, one model per kind."""


class Opportunity(BaseModel):
    """A route the books allow right now, with every figure needed to check it by hand."""

    model_config = ConfigDict(frozen=True)

    kind: Kind
    route_id: str
    """Stable identity of the route across updates, e.g. `spatial:BTC/USDT:binance>okx`."""
    legs: tuple[Leg, ...]
    """Legs at `size`, in execution order."""
    size: float
    """Trade size the figures are for: base currency (spatial, cross-currency,
    statistical) or start currency (triangular)."""
    max_size: float
    """Largest size, on the first leg's amount grid and no deeper than where the next
    unit stops paying, whose net after every leg's rounding and fees is > 0 (0 when
    none is, or when it would break a market's minimums): `engine.sizing`."""
    size_currency: str
    """Currency `size` and `max_size` are in."""
    profit_currency: str
    """Currency `net_profit` and the waterfall are in (the route's start)."""
    notional: float
    """Amount of `profit_currency` committed at `size`."""
    buy_vwap: float | None = None
    """Spatial and cross-currency: VWAP of the buy leg."""
    sell_vwap: float | None = None
    """Spatial and cross-currency: VWAP of the sell leg."""
    gross_bps: float
    """Edge before fees, relative to notional."""
    fees: float
    """All fees at `size`, in `profit_currency`."""
    net_profit: float
    """Profit after fees at `size`, in `profit_currency`."""
    net_bps: float
    """`net_profit / notional * 1e4`."""
    net_profit_at_max: float = 0.0
    """Profit after fees at `max_size`."""
    net_profit_ref: float | None = None
    """`net_profit` valued in the reference currency (for ranking across currencies only)."""
    waterfall: tuple[WaterfallStep, ...] = ()
    """Profit lines in `profit_currency`, top to bottom: `gross`, one `fee <venue>` per
    venue (negative), then the subtotal `net` (= `net_profit`). A statistical route's
    gross is its `expected reversion`, followed by its `entry crossing` and `exit
    crossing` (negative) before its `fees <venue> entry+exit`; every fee line's label
    starts with `fee`, which is how the ticket tells them apart. A step whose label is
    `net` or starts with `net ` is a subtotal, the sum of every other step above it; the
    rest are increments. Costs shown but left out of `net_profit` come after `net`
    (spatial: `rebalancing <BASE> withdrawal`, then `net after rebalancing`)."""
    ts: float
    """When the calculator produced these figures."""
    opened_ts: float | None = None
    """When this route was first seen open in its current run (set by the calculator)."""
    book_ts: tuple[float, ...] = ()
    """Receive time of each leg's book, in leg order (ages = ts - book_ts)."""
    z_score: float | None = None
    """Statistical only: current z of log(mid_A/mid_B)."""
    detail: dict[str, float | str] = Field(default_factory=dict)
    """Kind-specific extras (FX rate used, window mean and std, ...), for display."""
    route: RouteSpec | None = None
    """The route itself, typed by kind: what re-evaluating or executing it reads
    (None only for opportunities made by hand)."""
    minimum_breach: MinimumBreach | None = None
    """The market minimum the requested size breaks (None: it breaks none). See
    `MinimumBreach.resized` for which size the figures are then at."""

    @property
    def book_ages(self) -> tuple[float, ...]:
        return tuple(max(0.0, self.ts - t) for t in self.book_ts)

    def as_json(self) -> dict[str, object]:
        """The `scan --json` object (docs/ARCHITECTURE.md): stable field names, plain types."""
        data: dict[str, object] = {
            "kind": self.kind.value,
            "route_id": self.route_id,
            "legs": [
                {
                    "venue": leg.venue,
                    "symbol": leg.symbol,
                    "side": leg.side.value,
                    "amount": leg.amount,
                    "vwap": leg.vwap,
                    "cost": leg.cost,
                    "fee": leg.fee,
                    "fee_rate": leg.fee_rate,
                }
                for leg in self.legs
            ],
            "size": self.size,
            "max_size": self.max_size,
            "size_currency": self.size_currency,
            "profit_currency": self.profit_currency,
            "notional": self.notional,
            "buy_vwap": self.buy_vwap,
            "sell_vwap": self.sell_vwap,
            "gross_bps": self.gross_bps,
            "fees": self.fees,
            "net_profit": self.net_profit,
            "net_bps": self.net_bps,
            "net_profit_at_max": self.net_profit_at_max,
            "waterfall": [{"label": s.label, "amount": s.amount} for s in self.waterfall],
            "ts": self.ts,
            "book_ages": list(self.book_ages),
        }
        if self.z_score is not None:
            data["z_score"] = self.z_score
        if self.detail:
            data["detail"] = dict(self.detail)
        if self.route is not None:
            data["route"] = self.route.model_dump(mode="json")
        if self.minimum_breach is not None:
            data["minimum_breach"] = self.minimum_breach.model_dump(mode="json")
        return data


class VenueState(StrEnum):
    CONNECTING = "connecting"
    LIVE = "live"
    STALE = "stale"
    DOWN = "down"


class IntegrityMethod(StrEnum):
    """How a venue's books are known to be whole, as ccxt and arbscope apply it."""

    CHECKSUM = "checksum"
    """Each update is checked against the venue's checksum of its book."""
    SEQUENCE = "sequence numbers"
    """Each update's sequence number must follow the last one's: a lost one is seen."""
    SNAPSHOTS = "snapshots only"
    """Every book is a whole snapshot (REST polling): nothing can go missing in between."""
    NONE = "none"
    """Updates are applied as they come: a lost one goes unnoticed until the next snapshot."""


class VenueHealth(BaseModel):
    """What the market service knows of one venue's feed, at one moment."""

    model_config = ConfigDict(frozen=True)

    venue: str
    state: VenueState
    last_update_ts: float | None = None
    """Receive time of the newest accepted book, None before the first."""
    updates_per_second: float = 0.0
    books_accepted: int = 0
    books_rejected: int = 0
    books_out_of_order: int = 0
    """Books skipped because the one held for their key was newer."""
    errors: int = 0
    last_error: str | None = None
    retries: int = 0
    next_retry_ts: float | None = None
    down_symbols: tuple[str, ...] = ()
    """Symbols failing now while the venue's others stay live (each retried on its own)."""
    latency_p50_s: float | None = None
    """Median feed latency (receive time minus the venue's own time) over recent books;
    None when the venue gives no time."""
    latency_p95_s: float | None = None
    """95th percentile of the same samples."""
    clock_skew_s: float | None = None
    """Smallest receive-minus-venue time over the same samples: our clock's offset from the
    venue's plus the fastest delivery (negative: the venue's clock runs ahead of ours)."""
    stale_symbols: tuple[str, ...] = ()
    """Symbols whose book is older than the venue's age limit: the per-symbol silence
    watchdog (one silent symbol among live ones is listed while the venue stays live)."""
    warming_symbols: tuple[str, ...] = ()
    """Symbols with rules but no book yet (or none since a gap), not down: waiting for their
    first snapshot, which can take minutes under a venue's weight limits."""
    integrity: IntegrityMethod | None = None
    """How the feed knows its books are whole; None when the feed does not say (sim, replay)."""
    last_gap_ts: float | None = None
    """When the venue last disconnected or resynchronised a book, None if it never did."""
    last_gap: str | None = None
    """What that gap was: `disconnect: REASON` or `resync SYMBOL: REASON`."""
    resyncs_last_hour: int = 0
    """Resyncs in the hour before now, a disconnect counting as one (it refetches every
    book): the venue's resyncs per hour."""

    def age(self, now: float) -> float | None:
        return None if self.last_update_ts is None else max(0.0, now - self.last_update_ts)


@dataclass(frozen=True, slots=True)
class TransferInfo:
    """What a venue says about moving one asset out or in (live feeds only; None: not said).

    Travels in the MarketSnapshot to the risk checklist."""

    venue: str
    asset: str
    withdraw_fee: float | None = None
    """Cheapest flat withdrawal fee over the networks still open for withdrawal, in `asset`."""
    can_withdraw: bool | None = None
    """False: withdrawals are closed on every network."""
    can_deposit: bool | None = None
    """False: deposits are closed on every network."""


class MarketSnapshot(BaseModel):
    """Everything the screen shows at one moment; produced by the Scanner, read by panes."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    ts: float
    """When the snapshot was taken."""
    source: str
    """"SIM", "REPLAY" or "LIVE"."""
    opportunities: tuple[Opportunity, ...]
    """Current opportunities, best net profit first."""
    books: dict[BookKey, OrderBook]
    """Latest accepted book per (venue, symbol). Not to be mutated by readers."""
    markets: dict[BookKey, Market]
    """Trading rules per (venue, symbol)."""
    health: dict[str, VenueHealth]
    """Per-venue feed health."""
    updates_per_second: float = 0.0
    """Accepted book updates per second, all venues together."""
    transfers: dict[tuple[str, str], TransferInfo] = Field(default_factory=dict)
    """(venue, asset) -> what the venue says about withdrawing and depositing it (live only)."""
