"""The simulated market's venues: fees, listed symbols and trading rules.

Named and priced after real venues so that the numbers on screen look like the
ones a user would meet: taker/maker fees are each venue's public base tier for
spot (the figure a new account pays), the symbol lists follow what each venue
really lists (USD/EUR pairs on kraken, coinbase and bitstamp; USDT/USDC pairs on
binance, okx and bybit), and ticks, amount steps and minimums copy the real
markets' rules closely enough to exercise rounding and minimum-size checks.
"""

from __future__ import annotations

from dataclasses import dataclass

from arbscope.models import split_symbol

USD_LIKE = frozenset({"USD", "EUR", "USDT", "USDC"})
"""Fiat and stablecoins: a market between two of these is an FX market."""

CRYPTO = frozenset({"BTC", "ETH", "SOL"})

INITIAL_USD: dict[str, float] = {
    "BTC": 97_000.0,
    "ETH": 3_400.0,
    "SOL": 240.0,
    "EUR": 1.08,
    "USDT": 1.0002,
    "USDC": 0.9999,
}
"""Fair value of each asset in USD when a simulation starts."""


@dataclass(frozen=True, slots=True)
class VenueSpec:
    """How one venue charges and how its quotes behave."""

    name: str
    taker_fee: float
    """Fraction of notional per taker fill at the venue's base tier."""
    maker_fee: float
    lag_s: float
    """How far behind the fair price the venue's quotes run (its matching and feed latency)."""
    noise_bps: float
    """Standard deviation of the venue's own quote noise around the fair price."""
    spread_bps: float
    """Typical top-of-book spread on its most liquid markets."""
    depth_usd: float
    """Typical notional on one book level near the peak of the book."""
    hz: tuple[float, float]
    """Range of book update rates of its liquid markets (quieter ones update at half)."""


@dataclass(frozen=True, slots=True)
class MarketSpec:
    """The trading rules of one symbol on one venue."""

    symbol: str
    tick: float
    amount_step: float
    min_amount: float
    min_cost: float
    """In quote currency."""

    @property
    def base(self) -> str:
        return split_symbol(self.symbol)[0]

    @property
    def quote(self) -> str:
        return split_symbol(self.symbol)[1]

    @property
    def is_fx(self) -> bool:
        return self.base in USD_LIKE and self.quote in USD_LIKE

    @property
    def is_cross(self) -> bool:
        """Crypto quoted in crypto (ETH/BTC): the middle leg of most triangles."""
        return self.base in CRYPTO and self.quote in CRYPTO


# Fees are each venue's published spot schedule at the lowest volume tier:
#   binance  Binance spot "Regular user / VIP 0": maker 0.1000%, taker 0.1000%
#   okx      OKX spot "Regular users Lv1": maker 0.080%, taker 0.100%
#   bybit    Bybit spot "Non-VIP": maker 0.1000%, taker 0.1000%
#   kraken   Kraken Pro spot, 30-day volume $0-10K: maker 0.25%, taker 0.40%
#   coinbase Coinbase Advanced "Advanced 1", 30-day volume $0-1K: maker 0.60%, taker 1.20%
#   bitstamp Bitstamp, 30-day volume $0-10K: maker 0.30%, taker 0.40%
# (Lags, noise, spreads, depths and update rates are the sim's own, chosen so the
# big USDT venues are tight and fast and the fiat venues a little wider and slower.)
VENUES: tuple[VenueSpec, ...] = (
    VenueSpec("binance", 0.0010, 0.0010, lag_s=0.05, noise_bps=0.2, spread_bps=0.4,
              depth_usd=60_000.0, hz=(10.0, 20.0)),
    VenueSpec("okx", 0.0010, 0.0008, lag_s=0.08, noise_bps=0.25, spread_bps=0.5,
              depth_usd=45_000.0, hz=(8.0, 15.0)),
    VenueSpec("bybit", 0.0010, 0.0010, lag_s=0.10, noise_bps=0.3, spread_bps=0.6,
              depth_usd=35_000.0, hz=(8.0, 15.0)),
    VenueSpec("kraken", 0.0040, 0.0025, lag_s=0.20, noise_bps=0.4, spread_bps=1.2,
              depth_usd=20_000.0, hz=(4.0, 10.0)),
    VenueSpec("coinbase", 0.0120, 0.0060, lag_s=0.12, noise_bps=0.3, spread_bps=0.8,
              depth_usd=30_000.0, hz=(5.0, 12.0)),
    VenueSpec("bitstamp", 0.0040, 0.0030, lag_s=0.30, noise_bps=0.5, spread_bps=2.0,
              depth_usd=10_000.0, hz=(2.0, 6.0)),
)

_M = MarketSpec

# (symbol, price tick, amount step, min amount, min cost) as each venue's market
# rules give them (rounded to the same decimals; minimums are the current ones
# or close to them).
MARKETS: dict[str, tuple[MarketSpec, ...]] = {
    "binance": (
        _M("BTC/USDT", 0.01, 0.00001, 0.00001, 5.0),
        _M("ETH/USDT", 0.01, 0.0001, 0.0001, 5.0),
        _M("SOL/USDT", 0.01, 0.001, 0.001, 5.0),
        _M("ETH/BTC", 0.00001, 0.0001, 0.0001, 0.0001),
        _M("SOL/BTC", 0.0000001, 0.001, 0.001, 0.0001),
        _M("SOL/ETH", 0.00001, 0.001, 0.001, 0.001),
        _M("BTC/USDC", 0.01, 0.00001, 0.00001, 5.0),
        _M("ETH/USDC", 0.01, 0.0001, 0.0001, 5.0),
        _M("USDC/USDT", 0.0001, 1.0, 1.0, 5.0),
        _M("BTC/EUR", 0.01, 0.00001, 0.00001, 5.0),
        _M("ETH/EUR", 0.01, 0.0001, 0.0001, 5.0),
        _M("EUR/USDT", 0.0001, 0.1, 0.1, 5.0),
    ),
    "okx": (
        _M("BTC/USDT", 0.1, 0.00000001, 0.00001, 0.0),
        _M("ETH/USDT", 0.01, 0.000001, 0.0001, 0.0),
        _M("SOL/USDT", 0.01, 0.000001, 0.001, 0.0),
        _M("ETH/BTC", 0.00001, 0.000001, 0.001, 0.0),
        _M("BTC/USDC", 0.1, 0.00000001, 0.00001, 0.0),
        _M("ETH/USDC", 0.01, 0.000001, 0.0001, 0.0),
        _M("SOL/USDC", 0.01, 0.000001, 0.001, 0.0),
        _M("USDC/USDT", 0.0001, 0.0001, 1.0, 0.0),
    ),
    "bybit": (
        _M("BTC/USDT", 0.01, 0.000001, 0.000048, 1.0),
        _M("ETH/USDT", 0.01, 0.00001, 0.0001, 1.0),
        _M("SOL/USDT", 0.01, 0.001, 0.001, 1.0),
        _M("ETH/BTC", 0.00001, 0.00001, 0.0001, 0.00001),
        _M("BTC/USDC", 0.01, 0.000001, 0.000048, 1.0),
        _M("ETH/USDC", 0.01, 0.00001, 0.0001, 1.0),
        _M("SOL/USDC", 0.01, 0.001, 0.001, 1.0),
        _M("USDC/USDT", 0.0001, 0.01, 1.0, 1.0),
        _M("BTC/EUR", 0.01, 0.000001, 0.000048, 1.0),
        _M("ETH/EUR", 0.01, 0.00001, 0.0001, 1.0),
        _M("USDT/EUR", 0.0001, 0.01, 1.0, 1.0),
    ),
    "kraken": (
        _M("BTC/USD", 0.1, 0.00000001, 0.00005, 0.5),
        _M("ETH/USD", 0.01, 0.00000001, 0.002, 0.5),
        _M("SOL/USD", 0.01, 0.00000001, 0.02, 0.5),
        _M("BTC/EUR", 0.1, 0.00000001, 0.00005, 0.5),
        _M("ETH/EUR", 0.01, 0.00000001, 0.002, 0.5),
        _M("SOL/EUR", 0.01, 0.00000001, 0.02, 0.5),
        _M("ETH/BTC", 0.00001, 0.00000001, 0.002, 0.00002),
        _M("BTC/USDT", 0.1, 0.00000001, 0.00005, 0.5),
        _M("ETH/USDT", 0.01, 0.00000001, 0.002, 0.5),
        _M("EUR/USD", 0.00001, 0.00000001, 5.0, 0.5),
        _M("USDT/USD", 0.0001, 0.00000001, 5.0, 0.5),
        _M("USDC/USD", 0.0001, 0.00000001, 5.0, 0.5),
        _M("USDT/EUR", 0.0001, 0.00000001, 5.0, 0.5),
    ),
    "coinbase": (
        _M("BTC/USD", 0.01, 0.00000001, 0.00000001, 1.0),
        _M("ETH/USD", 0.01, 0.00000001, 0.00000001, 1.0),
        _M("SOL/USD", 0.01, 0.00000001, 0.00000001, 1.0),
        _M("BTC/EUR", 0.01, 0.00000001, 0.00000001, 1.0),
        _M("ETH/EUR", 0.01, 0.00000001, 0.00000001, 1.0),
        _M("SOL/EUR", 0.01, 0.00000001, 0.00000001, 1.0),
        _M("ETH/BTC", 0.00001, 0.00000001, 0.00000001, 0.00001),
        _M("SOL/BTC", 0.0000001, 0.00000001, 0.00000001, 0.00001),
        _M("BTC/USDT", 0.01, 0.00000001, 0.00000001, 1.0),
        _M("ETH/USDT", 0.01, 0.00000001, 0.00000001, 1.0),
        _M("USDT/USD", 0.00001, 0.01, 0.01, 1.0),
        _M("USDT/EUR", 0.0001, 0.01, 0.01, 1.0),
    ),
    "bitstamp": (
        _M("BTC/USD", 1.0, 0.00000001, 0.00000001, 10.0),
        _M("ETH/USD", 0.1, 0.00000001, 0.00000001, 10.0),
        _M("SOL/USD", 0.01, 0.00000001, 0.00000001, 10.0),
        _M("BTC/EUR", 1.0, 0.00000001, 0.00000001, 10.0),
        _M("ETH/EUR", 0.1, 0.00000001, 0.00000001, 10.0),
        _M("ETH/BTC", 0.00000001, 0.00000001, 0.00000001, 0.0002),
        _M("BTC/USDT", 1.0, 0.00000001, 0.00000001, 10.0),
        _M("EUR/USD", 0.00001, 0.00001, 0.00001, 10.0),
        _M("USDT/USD", 0.00001, 0.00001, 0.00001, 10.0),
        _M("USDC/USD", 0.00001, 0.00001, 0.00001, 10.0),
    ),
}


NETWORKS: dict[str, tuple[str, ...]] = {
    "BTC": ("BTC",),
    "ETH": ("ERC20",),
    "SOL": ("SOL",),
    "USDT": ("ERC20", "TRC20"),
    "USDC": ("ERC20", "SOL"),
}
"""Networks every simulated venue moves each crypto asset on (EUR is fiat: none published)."""

VENUE_NETWORKS: dict[tuple[str, str], tuple[str, ...]] = {
    ("bitstamp", "USDC"): ("XLM",),
}
"""Exceptions to NETWORKS. bitstamp's USDC moves on Stellar only, a network no other
simulated venue has: its USDC/USD is never paired with another venue's USDC (no
spatial, statistical or cross-currency route), the case that rule exists for."""


def networks_of(venue: str, asset: str) -> tuple[str, ...]:
    """The networks `venue` publishes for `asset` (empty: none)."""
    return VENUE_NETWORKS.get((venue, asset), NETWORKS.get(asset, ()))


def decimals_of(step: float) -> int:
    """Digits after the point of a tick or step such as 0.00001 (-> 5); 1.0 -> 0."""
    text = f"{step:.12f}".rstrip("0")
    return len(text.split(".", 1)[1]) if "." in text else 0


def all_symbols() -> tuple[str, ...]:
    """Every symbol any simulated venue lists, sorted."""
    return tuple(sorted({spec.symbol for specs in MARKETS.values() for spec in specs}))
