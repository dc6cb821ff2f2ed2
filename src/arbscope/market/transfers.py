"""The live feed's currency facts (CurrencyInfo) as the risk checklist's TransferInfo.

Pure; ccxt is never imported here. The live feed publishes the result
(`CcxtFeed.transfers`, a `TransferSource`) and the scanner carries it in each
MarketSnapshot; sim and replay publish none, so the checklist falls back to
settings' withdrawal fees.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from arbscope.market.ccxt_markets import CurrencyInfo, NetworkInfo
from arbscope.models import BookKey, TransferInfo


def _open_everywhere(overall: bool | None, flags: Iterable[bool | None]) -> bool | None:
    """False when the venue closes the currency or every network it lists; True when it
    says one is open; None when it says nothing."""
    known = list(flags)
    if overall is False or (known and all(flag is False for flag in known)):
        return False
    if overall is True or any(flag is True for flag in known):
        return True
    return None


def _cheapest_fee(info: CurrencyInfo) -> float | None:
    """Lowest fee over the networks not closed for withdrawal; the currency's own fee
    when no such network states one (ccxt fills it for venues without networks)."""
    fees = [
        n.withdraw_fee
        for n in info.networks
        if n.withdraw is not False and n.withdraw_fee is not None
    ]
    return min(fees) if fees else info.withdraw_fee


def transfer_from_currency(info: CurrencyInfo) -> TransferInfo:
    networks: tuple[NetworkInfo, ...] = info.networks
    return TransferInfo(
        venue=info.venue,
        asset=info.code,
        withdraw_fee=_cheapest_fee(info),
        can_withdraw=_open_everywhere(info.withdraw, (n.withdraw for n in networks)),
        can_deposit=_open_everywhere(info.deposit, (n.deposit for n in networks)),
    )


def transfers_from_currencies(
    currencies: Mapping[BookKey, CurrencyInfo],
) -> dict[BookKey, TransferInfo]:
    return {key: transfer_from_currency(info) for key, info in currencies.items()}
