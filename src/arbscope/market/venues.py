"""Checks on what the user asked of live markets, before anything connects.

Venue names are checked against ccxt's list, symbols against the markets each
venue lists, and ccxt options against credentials; every refusal is a
`LiveSetupError` whose message says what was wrong and what would be right
(the CLI turns it into exit status 2). ccxt is imported only inside the
functions that need its lists, so importing this module stays cheap.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from arbscope.storage.credentials import REQUIRED_CREDENTIALS, dotted, refused_options

TRANSPORTS = ("auto", "websocket", "rest")


class LiveSetupError(ValueError):
    """A live-market request that cannot work; the message says why and what to do."""


def close_match(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like `word` (case-insensitive), None when nothing is close."""
    by_folded: dict[str, str] = {}
    for candidate in candidates:
        by_folded.setdefault(candidate.casefold(), candidate)
    found = difflib.get_close_matches(word.casefold(), list(by_folded), n=1, cutoff=0.6)
    return by_folded[found[0]] if found else None


def _did_you_mean(word: str, candidates: Iterable[str]) -> str:
    match = close_match(word, candidates)
    return f" — did you mean '{match}'?" if match else ""


def parse_venue_list(text: str) -> list[str]:
    """`"binance, Kraken"` -> `["binance", "kraken"]`: trimmed, lower case, no repeats."""
    names: list[str] = []
    for part in text.split(","):
        name = part.strip().lower()
        if name and name not in names:
            names.append(name)
    if not names:
        raise LiveSetupError("--live needs at least one venue, for example --live binance,kraken")
    return names


def ccxt_venues() -> tuple[str, ...]:
    """Every exchange id ccxt knows (imports ccxt: live mode only)."""
    import ccxt

    return tuple(ccxt.exchanges)


def websocket_venues() -> frozenset[str]:
    """Exchange ids with ccxt's websocket (pro) layer."""
    import ccxt.pro

    return frozenset(ccxt.pro.exchanges)


def check_venues(names: Sequence[str], known: Collection[str] | None = None) -> list[str]:
    """`names` if ccxt knows each one; otherwise a LiveSetupError naming every unknown one."""
    known = ccxt_venues() if known is None else known
    problems = [
        f"unknown venue '{name}'{_did_you_mean(name, known)}" for name in names if name not in known
    ]
    if problems:
        examples = ", ".join(v for v in ("binance", "kraken", "okx", "coinbase") if v in known)
        raise LiveSetupError(
            "; ".join(problems) + f" (venues are ccxt exchange ids such as {examples})"
        )
    return list(names)


def check_credentials(venue: str, options: Mapping[str, Any]) -> None:
    """Refuse ccxt options that carry credentials, in any spelling: arbscope never trades.

    The settings file is checked the same way when it loads; this second check
    holds for settings built by other means (model_construct, a changed dict).
    """
    found = refused_options(options)
    if found:
        problems = "; ".join(
            f"venues.{venue}.ccxt_options.{dotted(item.path)}: {item.reason}" for item in found
        )
        raise LiveSetupError(
            f"{problems} (arbscope reads public market data only and never trades for real; "
            "fix settings.toml)"
        )


def credentials_held(exchange: Any) -> list[str]:
    """The credentials a built ccxt exchange holds (ccxt's `requiredCredentials` set): none,
    unless an option spelling slipped past `check_credentials`."""
    names = set(REQUIRED_CREDENTIALS) | set(getattr(exchange, "requiredCredentials", None) or ())
    return sorted(name for name in names if getattr(exchange, name, None))


NEGOTIATED_WEBSOCKET = frozenset({"kucoin", "kucoinfutures"})
"""Venues whose websocket URL ccxt asks the REST host for (KuCoin's bullet token): a
redirected REST host names the websocket host too."""


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def named_hosts(options: Mapping[str, Any]) -> frozenset[str]:
    """Hosts the venue's ccxt options send it to (`urls`, `hostname`); empty: ccxt's own."""
    hosts = {urlsplit(url.strip()).hostname for url in _strings(options.get("urls"))}
    hostname = options.get("hostname")
    if isinstance(hostname, str) and hostname.strip():
        hosts.add(hostname.strip())
    return frozenset(host.casefold() for host in hosts if host)


def websocket_host_problem(venue: str, options: Mapping[str, Any]) -> str | None:
    """Why the websocket cannot be used without reaching a host the settings do not name,
    None when it can: the REST host is redirected but no websocket URL is given."""
    if not named_hosts(options) or venue in NEGOTIATED_WEBSOCKET:
        return None
    schemes = {urlsplit(url.strip()).scheme.casefold() for url in _strings(options.get("urls"))}
    if schemes & {"ws", "wss"}:
        return None
    return (
        f"venues.{venue}.ccxt_options redirects REST but gives no websocket URL, so ccxt "
        "would stream from the venue's own host; polling REST instead (add the websocket "
        "URL under ccxt_options.urls.api, where ccxt keeps it, to stream)"
    )


def check_transport(
    venue: str,
    transport: str,
    has_websocket: bool,
    has_rest: bool,
    websocket_problem: str | None = None,
) -> None:
    """Refuse a transport the venue cannot provide (or not without an unnamed host)."""
    if transport not in TRANSPORTS:
        raise LiveSetupError(
            f"venues.{venue}.transport is '{transport}'{_did_you_mean(transport, TRANSPORTS)} "
            f"(one of {', '.join(TRANSPORTS)})"
        )
    if transport == "websocket" and not has_websocket:
        raise LiveSetupError(
            f"{venue} has no websocket order books in ccxt; set venues.{venue}.transport "
            "to 'rest' or 'auto' to poll its REST API instead"
        )
    if transport == "websocket" and websocket_problem is not None:
        raise LiveSetupError(
            f"venues.{venue}.transport is 'websocket' but ccxt_options redirects REST and "
            "gives no websocket URL, so ccxt would stream from the venue's own host; add the "
            "websocket URL under ccxt_options.urls.api, or set transport to 'rest' or 'auto'"
        )
    if transport == "rest" and not has_rest:
        raise LiveSetupError(f"{venue} has no REST order book in ccxt; use transport 'websocket'")
    if not has_websocket and not has_rest:
        raise LiveSetupError(f"{venue} publishes no order books through ccxt")


def normalize_symbol(symbol: str) -> str:
    """`" btc/usdt "` -> `"BTC/USDT"`: ccxt unified symbols are upper case."""
    return symbol.strip().upper()


def check_symbols(
    requested: Sequence[str], listed: Mapping[str, Collection[str]], complete: bool = True
) -> dict[str, list[str]]:
    """Which requested symbols each venue will watch.

    `listed` maps each venue whose markets are known to the symbols it lists.
    A symbol no venue lists is refused with the closest listed one (unless
    `complete` is False: a venue whose markets are unknown yet may list it); so
    is a venue that lists none of the symbols. A symbol some venues lack is
    fine: comparing venues is the point.
    """
    symbols = list(dict.fromkeys(normalize_symbol(s) for s in requested if s.strip()))
    if not symbols:
        raise LiveSetupError("--symbols needs at least one symbol, for example BTC/USDT")
    everywhere = set().union(*listed.values()) if listed else set()
    problems: list[str] = []
    for symbol in symbols:
        if complete and listed and symbol not in everywhere:
            where = ", ".join(listed)
            hint = _did_you_mean(symbol, everywhere)
            problems.append(f"unknown symbol '{symbol}' on {where}{hint}")
    chosen = {venue: [s for s in symbols if s in names] for venue, names in listed.items()}
    for venue, names in chosen.items():
        if not names and not problems:
            problems.append(
                f"{venue} lists none of {', '.join(symbols)}; drop it from --live or ask for "
                "symbols it lists"
            )
    if problems:
        raise LiveSetupError("; ".join(problems))
    return chosen
