"""Which integrity check guards a live venue's books, as ccxt and arbscope apply it.

Read from ccxt 4.5's websocket code, not from the venues' documentation: a
venue may send a checksum that ccxt never checks (OKX's, Kraken's with ccxt's
check switched off), so what counts is the check that runs.

* Binance, Gate.io, HTX, Crypto.com: ccxt checks that each diff follows the
  last one (its `watchOrderBook.checksum` option, on by default, turns a
  break into an error): sequence numbers. OKX (`prevSeqId` against the last
  `seqId`; ccxt does not check OKX's checksum), CEX.IO and Luno: the same,
  without an option.
* Bitfinex, Bitget, Independent Reserve: ccxt computes the venue's CRC32
  (option `watchOrderBook.checksum`): checksum.
* Kraken: ccxt ships its checksum switched off; arbscope checks Kraken's
  CRC32 itself (`ccxt_checksum.py`): checksum, whatever the option.
* KuCoin: ccxt uses sequence numbers only to line the cached diffs up with
  the snapshot, not to notice a lost one later; Bybit and Coinbase: diffs are
  applied unchecked. None, as for any venue not listed here.
* Over REST every book is a whole snapshot: snapshots only.
"""

from __future__ import annotations

from typing import Any

from arbscope.models import IntegrityMethod

_CCXT_CHECKS: dict[str, tuple[IntegrityMethod, bool]] = {
    "binance": (IntegrityMethod.SEQUENCE, True),
    "gate": (IntegrityMethod.SEQUENCE, True),
    "htx": (IntegrityMethod.SEQUENCE, True),
    "cryptocom": (IntegrityMethod.SEQUENCE, True),
    "okx": (IntegrityMethod.SEQUENCE, False),
    "cex": (IntegrityMethod.SEQUENCE, False),
    "luno": (IntegrityMethod.SEQUENCE, False),
    "bitfinex": (IntegrityMethod.CHECKSUM, True),
    "bitget": (IntegrityMethod.CHECKSUM, True),
    "independentreserve": (IntegrityMethod.CHECKSUM, True),
}
"""ccxt pro class -> the check its watchOrderBook runs, and whether ccxt's `checksum`
option of `watchOrderBook` switches it off."""


def integrity_method(exchange: Any, websocket: bool) -> IntegrityMethod:
    """What guards the books `exchange` produces over this transport."""
    if not websocket:
        return IntegrityMethod.SNAPSHOTS
    # By class, so a venue built on another (binanceus on binance) gets its parent's check.
    families = {cls.__name__ for cls in type(exchange).__mro__}
    if "kraken" in families:
        return IntegrityMethod.CHECKSUM
    for family, (method, optional) in _CCXT_CHECKS.items():
        if family in families:
            if optional and exchange.handle_option("watchOrderBook", "checksum", True) is not True:
                return IntegrityMethod.NONE  # the user switched ccxt's check off
            return method
    return IntegrityMethod.NONE
