"""Which ccxt options would hand ccxt a credential: arbscope refuses every one.

arbscope reads public market data only and never accepts a key, so the check
must hold for every spelling ccxt itself would accept, not only the usual ones:

* ccxt's constructor camel-cases every attribute name with an underscore
  (`api_Key`, `api__key` and `api_key` all become `apiKey`), so names are
  compared after that same normalisation, and also case- and
  separator-blind (`API-KEY`), which covers more than ccxt needs;
* every name in ccxt's `requiredCredentials` is refused (`login`, `twofa`
  and `accountId` as much as `apiKey`), at the top level and at any depth
  (exchanges read keys from `options` too), as is any name that reads as a
  secret (`...Key`, `...Token`, `...Secret`, passwords, passphrases);
* headers go to the venue with every request, so a header map (`headers`,
  a `userAgent` given as a map, a websocket's `options.headers`) may hold only
  a few harmless headers;
* a venue URL (under `urls`) with a user name or password in it is sent as
  an HTTP login (a proxy's own login is the proxy's business, not the venue's).

Kept free of ccxt (settings load without it); a test checks the list below
against ccxt's own `requiredCredentials`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

REQUIRED_CREDENTIALS = (
    "apiKey",
    "secret",
    "uid",
    "accountId",
    "login",
    "password",
    "twofa",
    "privateKey",
    "walletAddress",
    "token",
)
"""ccxt's `Exchange.requiredCredentials` (4.5): the attributes ccxt signs requests with."""

ALLOWED_HEADERS = ("User-Agent", "Accept", "Accept-Language", "Accept-Encoding")
"""Headers a user may set: they describe the client, never who it is."""

_SECRET_FRAGMENTS = (
    "apikey",
    "secret",
    "privatekey",
    "password",
    "passphrase",
    "passwd",
    "token",
    "walletaddress",
    "accountid",
    "twofa",
    "jwt",
    "signature",
    "mnemonic",
)
"""Folded pieces of a name that mark it as a credential wherever it appears."""

_EXACT_FOLDED = frozenset({"uid", "login", "key", "auth", "authorization", "seed"})
_HEADER_MAPS = frozenset({"headers", "useragent"})
_USERINFO = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*@")

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class RefusedOption:
    """One option arbscope will not pass to ccxt, with the reason in the user's words."""

    path: Path
    """Where it is inside ccxt_options: ("headers", "KC-API-KEY")."""
    reason: str


def ccxt_attribute_name(name: str) -> str:
    """The attribute ccxt's constructor makes of option `name` (`api__key` -> `apiKey`).

    ccxt splits a name with an inner underscore on every underscore and
    capitalises the first letter of each later part; names starting or ending
    with an underscore are left alone.
    """
    if not name or name[0] == "_" or name[-1] == "_" or "_" not in name:
        return name
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def _folded(name: str) -> str:
    return re.sub(r"[\s_\-.]", "", name).casefold()


_REQUIRED_FOLDED = {_folded(key): key for key in REQUIRED_CREDENTIALS}


def credential_meaning(name: str) -> str | None:
    """Why option `name` is a credential (which one ccxt reads it as), None when it is not."""
    attribute = ccxt_attribute_name(name)
    if attribute in REQUIRED_CREDENTIALS:
        if attribute == name:
            return f"'{name}' is a ccxt credential"
        return f"ccxt reads '{name}' as its credential '{attribute}'"
    folded = _folded(name)
    if folded in _REQUIRED_FOLDED:
        return f"'{name}' is a spelling of the ccxt credential '{_REQUIRED_FOLDED[folded]}'"
    if folded in _EXACT_FOLDED or folded.endswith("key"):
        return f"'{name}' names a key or login"
    for fragment in _SECRET_FRAGMENTS:
        if fragment in folded:
            return f"'{name}' names a secret"
    return None


def refused_options(options: Mapping[str, Any]) -> list[RefusedOption]:
    """Every credential, header or login in ccxt options, at any depth, in file order."""
    found: list[RefusedOption] = []
    _walk(options, (), found)
    return found


def _walk(value: Any, path: Path, found: list[RefusedOption]) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            name = str(key)
            here = (*path, name)
            meaning = credential_meaning(name)
            if meaning is not None:
                found.append(RefusedOption(here, _credential_reason(meaning)))
                continue
            if _folded(name) in _HEADER_MAPS and isinstance(item, Mapping):
                found += _header_problems(item, here)
                continue
            _walk(item, here, found)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _walk(item, (*path, index), found)
    elif isinstance(value, str) and path[:1] == ("urls",) and _USERINFO.match(value.strip()):
        found.append(
            RefusedOption(
                path,
                "this URL carries a user name or password, which is sent to the host as a "
                "login; arbscope never logs in anywhere: remove the part before '@'",
            )
        )


def _credential_reason(meaning: str) -> str:
    return (
        f"{meaning}, which would let ccxt act on an account; arbscope only reads public "
        "market data and never takes credentials: remove it"
    )


def _header_problems(headers: Mapping[str, Any], path: Path) -> list[RefusedOption]:
    allowed = {name.casefold() for name in ALLOWED_HEADERS}
    return [
        RefusedOption(
            (*path, str(name)),
            f"the header '{name}' would be sent to the venue with every request and can "
            "carry a key; arbscope sends only the headers "
            f"{', '.join(ALLOWED_HEADERS)}: remove it",
        )
        for name in headers
        if str(name).casefold() not in allowed
    ]


def dotted(path: Path) -> str:
    """("headers", "KC-API-KEY") -> "headers.KC-API-KEY"."""
    return ".".join(f"[{part}]" if isinstance(part, int) else part for part in path)
