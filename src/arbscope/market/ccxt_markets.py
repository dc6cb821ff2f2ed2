"""ccxt's `load_markets` output turned into arbscope's market rules and currency facts.

Pure functions over plain dicts (ccxt's structures), so they are tested
without a network and without importing ccxt.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from arbscope.models import AssetNetwork, Market, split_symbol
from arbscope.storage.settings import VenueSettings

# ccxt.base.decimal_to_precision constants, repeated so this module never imports ccxt.
DECIMAL_PLACES = 2
SIGNIFICANT_DIGITS = 3
TICK_SIZE = 4

FALLBACK_TAKER_FEE = 0.002
"""Taker fee (20 bps) when neither the market, the venue's schedule nor settings give one:
higher than most spot venues' base rate, so an unknown fee never flatters a route."""


class NetworkInfo(BaseModel):
    """One way a currency moves in or out of a venue (a chain such as ERC20 or TRC20)."""

    model_config = ConfigDict(frozen=True)

    network: str
    """ccxt's unified network code, upper case, synonyms folded (`network_code`)."""
    contract: str | None = None
    """The token's contract address on this network, where the venue publishes it."""
    withdraw_fee: float | None = None
    """Flat fee per withdrawal, in the currency itself; None when the venue does not say."""
    deposit: bool | None = None
    withdraw: bool | None = None
    """Whether deposits / withdrawals are open on this network; None when unknown."""


class CurrencyInfo(BaseModel):
    """What a venue publishes without keys about moving one currency (for the risk checklist)."""

    model_config = ConfigDict(frozen=True)

    venue: str
    code: str
    """ccxt unified code (BTC, USDT ...)."""
    active: bool | None = None
    deposit: bool | None = None
    """Deposits open on at least one network; None when the venue does not say."""
    withdraw: bool | None = None
    withdraw_fee: float | None = None
    """Lowest flat withdrawal fee over the networks, in the currency; None when unknown."""
    networks: tuple[NetworkInfo, ...] = ()

    @property
    def transfer_known(self) -> bool:
        """True when the venue said whether this currency can be withdrawn."""
        return self.withdraw is not None


def _positive(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and number > 0 else None


def step_from_precision(value: Any, precision_mode: int) -> float | None:
    """A ccxt precision as the smallest increment: TICK_SIZE gives it, DECIMAL_PLACES
    gives a count of decimals, SIGNIFICANT_DIGITS has no fixed increment (None)."""
    number = _positive(value)
    if number is None:
        return None
    if precision_mode == TICK_SIZE:
        return number
    if precision_mode == DECIMAL_PLACES:
        return 10.0 ** -round(number)
    return None


def decimals_of(step: float) -> int:
    """Decimals needed to write multiples of `step`: 0.01 -> 2, 1e-08 -> 8, 5 -> 0."""
    # repr() is the shortest text that reads back as the same float: 0.1, not 0.1000000000000000055.
    exponent = Decimal(repr(step)).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _fee(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def market_from_ccxt(
    venue: str,
    market: Mapping[str, Any],
    precision_mode: int,
    venue_fees: Mapping[str, Any] | None = None,
    overrides: VenueSettings | None = None,
) -> Market | None:
    """One ccxt market as a `Market`, or None when it is not a BASE/QUOTE book we can use.

    Fees: settings override, else the market's own, else the venue's trading schedule
    (`exchange.fees["trading"]`), else FALLBACK_TAKER_FEE.
    """
    symbol = market.get("symbol")
    if not isinstance(symbol, str):
        return None
    try:
        base, quote = split_symbol(symbol)
    except ValueError:
        return None
    schedule = venue_fees or {}
    taker = _fee(market.get("taker"))
    taker = taker if taker is not None else _fee(schedule.get("taker"))
    maker = _fee(market.get("maker"))
    maker = maker if maker is not None else _fee(schedule.get("maker"))
    if overrides is not None and overrides.taker_fee is not None:
        taker = overrides.taker_fee
    if overrides is not None and overrides.maker_fee is not None:
        maker = overrides.maker_fee
    precision = market.get("precision") or {}
    limits = market.get("limits") or {}
    amount_limits = limits.get("amount") or {}
    cost_limits = limits.get("cost") or {}
    return Market(
        venue=venue,
        symbol=symbol,
        base=str(market.get("base") or base),
        quote=str(market.get("quote") or quote),
        taker_fee=FALLBACK_TAKER_FEE if taker is None or not 0 <= taker < 1 else taker,
        maker_fee=0.0 if maker is None or not -1 <= maker < 1 else maker,
        price_tick=step_from_precision(precision.get("price"), precision_mode),
        amount_step=step_from_precision(precision.get("amount"), precision_mode),
        min_amount=_positive(amount_limits.get("min")) or 0.0,
        min_cost=_positive(cost_limits.get("min")) or 0.0,
    )


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


NETWORK_SYNONYMS = {
    "ETH": "ERC20",
    "TRX": "TRC20",
    "TRON": "TRC20",
    "BSC": "BEP20",
    "MATIC": "POLYGON",
    "POL": "POLYGON",
}
"""Network codes venues use for one chain (ccxt does not unify them on every venue): a
missed synonym would keep two venues' same asset apart, so the common ones fold here."""

CONTRACT_KEYS = ("contractAddress", "contract_address", "contract", "tokenAddress", "ctAddr",
                 "addr")
"""Where venues' raw network entries (ccxt's `info`) carry the token's contract address."""


def network_code(name: str) -> str:
    """`"eth"` -> `"ERC20"`: upper case with synonyms folded."""
    code = name.strip().upper()
    return NETWORK_SYNONYMS.get(code, code)


def _contract(network: Mapping[str, Any]) -> str | None:
    info = network.get("info")
    if not isinstance(info, Mapping):
        return None
    for key in CONTRACT_KEYS:
        value = info.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip().lower()
    return None


def currency_from_ccxt(venue: str, code: str, currency: Mapping[str, Any]) -> CurrencyInfo:
    """One ccxt currency structure as a `CurrencyInfo` (unknowns stay None)."""
    networks = []
    for name, network in sorted((currency.get("networks") or {}).items()):
        if not isinstance(network, Mapping):
            continue
        fee = _fee(network.get("fee"))
        networks.append(
            NetworkInfo(
                network=network_code(str(name)),
                contract=_contract(network),
                withdraw_fee=fee if fee is not None and fee >= 0 else None,
                deposit=_flag(network.get("deposit")),
                withdraw=_flag(network.get("withdraw")),
            )
        )
    fee = _fee(currency.get("fee"))
    return CurrencyInfo(
        venue=venue,
        code=code,
        active=_flag(currency.get("active")),
        deposit=_flag(currency.get("deposit")),
        withdraw=_flag(currency.get("withdraw")),
        withdraw_fee=fee if fee is not None and fee >= 0 else None,
        networks=tuple(networks),
    )


def currencies_from_ccxt(
    venue: str, currencies: Mapping[str, Any] | None, codes: Iterable[str]
) -> dict[str, CurrencyInfo]:
    """The listed `codes` that ccxt knows, by code."""
    found: dict[str, CurrencyInfo] = {}
    for code in codes:
        currency = (currencies or {}).get(code)
        if isinstance(currency, Mapping):
            found[code] = currency_from_ccxt(venue, code, currency)
    return found


def with_base_networks(market: Market, currencies: Mapping[str, CurrencyInfo]) -> Market:
    """`market` with the networks its venue publishes for its base (unchanged when none):
    what keeps two venues' same ticker apart when they are two assets (engine/suspect)."""
    info = currencies.get(market.base)
    if info is None or not info.networks:
        return market
    networks = tuple(
        sorted({AssetNetwork(network=n.network, contract=n.contract) for n in info.networks},
               key=lambda n: (n.network, n.contract or ""))
    )
    return market.model_copy(update={"base_networks": networks})
