"""Where books come from, as every market command spells it: SOURCE and its options.

SOURCE is `--sim` (the default), `--replay FILE [--speed X]` or
`--live VENUE,...`; `--symbols`, `--seed` and `--watchlist` narrow it.
`build_feeds` turns the parsed flags into feeds through `SOURCES`, where each
source registers how its flag is recognised and how its feeds are built.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from arbscope.cli import UsageError
from arbscope.market.base import Feed
from arbscope.market.replay import ReplayError, ReplayFeed
from arbscope.storage.settings import Settings, SettingsError, apply_cli_overrides, load_settings


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number (e.g. 10 or 2.5)") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text!r} must be a number above 0")
    return value


def finite_float(text: str) -> float:
    """argparse type: any finite number (negative allowed)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number (e.g. 5 or -2.5)") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number")
    return value


def speed(text: str) -> float:
    """argparse type: 0 (as fast as possible) or a positive factor of real time."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number (e.g. 1, 10 or 0)") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(
            f"{text!r} must be 0 (as fast as possible) or a positive factor of real time"
        )
    return value


def name_list(what: str, example: str) -> Callable[[str], list[str]]:
    """argparse type: a comma-separated list of names, at least one."""

    def parse(text: str) -> list[str]:
        names = [part.strip() for part in text.split(",") if part.strip()]
        if not names:
            raise argparse.ArgumentTypeError(f"give at least one {what}, e.g. {example}")
        return list(dict.fromkeys(names))

    return parse


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    """`--sim | --replay FILE | --live VENUE,...` and the options that go with them."""
    source = parser.add_argument_group("source of books (one of)")
    choice = source.add_mutually_exclusive_group()
    choice.add_argument("--sim", action="store_true", help="the simulated market (default)")
    choice.add_argument("--replay", metavar="FILE", help="a recording made by `arbscope record`")
    choice.add_argument(
        "--live",
        metavar="VENUE,...",
        nargs="?",
        const=[],
        type=name_list("venue", "binance,kraken"),
        help="public order books of these venues (default: live_venues in settings)",
    )
    options = parser.add_argument_group("source options")
    options.add_argument(
        "--speed",
        type=speed,
        metavar="X",
        help="replay at X times real time; 0 replays as fast as possible",
    )
    options.add_argument(
        "--strict",
        action="store_true",
        help="stop a replay at its first bad line (default: skip bad lines and count them)",
    )
    options.add_argument(
        "--symbols",
        metavar="S,S",
        type=name_list("symbol", "BTC/USDT,ETH/USDT"),
        help="only these symbols (ccxt unified, e.g. BTC/USDT,ETH/USDT)",
    )
    options.add_argument("--seed", type=int, metavar="N", help="seed of the simulated market")
    options.add_argument("--watchlist", metavar="NAME", help="only the symbols of this watchlist")


def load_cli_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    """settings.toml (defaults when it does not load, with the reason on stderr) plus flags."""
    loaded = load_settings()
    if loaded.message:
        print(loaded.message, file=sys.stderr)
    try:
        return apply_cli_overrides(loaded.settings, overrides or {})
    except SettingsError as exc:
        raise UsageError(str(exc)) from None


@dataclass(frozen=True, slots=True)
class FeedRequest:
    """What a source's builder is given: the flags, the settings, the symbols they narrow to."""

    args: argparse.Namespace
    settings: Settings
    symbols: list[str] | None
    default_speed: float | None


@dataclass(frozen=True, slots=True)
class Source:
    """One SOURCE of books: how the flags name it and how its feeds are built."""

    name: str
    """As `source` in settings.toml says it: "sim", "replay", "live"."""
    usage: str
    """Its flag as the usage message spells it."""
    given: Callable[[argparse.Namespace], bool]
    """Whether the flags ask for it (else settings.toml's `source` decides)."""
    build: Callable[[FeedRequest], list[Feed]]
    """Its feeds; raises UsageError (exit 2) saying what is wrong with the flags."""


SOURCES: dict[str, Source] = {}
"""Every source, by name: a new feed is one builder plus one `register_source` call."""


def register_source(source: Source) -> None:
    SOURCES[source.name] = source


def chosen_source(args: argparse.Namespace, settings: Settings) -> str:
    """The source the flags name, else settings.toml's."""
    return next((s.name for s in SOURCES.values() if s.given(args)), settings.source)


def build_feeds(
    args: argparse.Namespace, settings: Settings, default_speed: float | None = None
) -> list[Feed]:
    """The feeds the flags ask for; UsageError (exit 2) says what is wrong with them.

    default_speed: replay speed when `--speed` is not given (None: as fast as possible).
    """
    name = chosen_source(args, settings)
    if args.speed is not None and name != "replay":
        raise UsageError("--speed applies to --replay FILE only")
    if args.seed is not None and name != "sim":
        raise UsageError("--seed applies to the simulated market (--sim) only")
    source = SOURCES.get(name)
    if source is None:
        spelled = ", ".join(s.usage for s in SOURCES.values())
        raise UsageError(f"unknown source {name!r}; use one of {spelled}")
    return source.build(FeedRequest(args, settings, _symbols(args), default_speed))


def _sim_feeds(request: FeedRequest) -> list[Feed]:
    from arbscope.market.sim import SimFeed

    try:
        return [SimFeed(seed=request.settings.seed, symbols=request.symbols)]
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _replay_feeds(request: FeedRequest) -> list[Feed]:
    args = request.args
    if args.replay is None:
        raise UsageError(
            "settings.toml says source = 'replay' but no file was given: "
            "add --replay FILE, or --sim"
        )
    pace = args.speed if args.speed is not None else request.default_speed
    try:
        return [
            ReplayFeed(
                args.replay,
                speed=pace,
                settings=request.settings,
                symbols=request.symbols,
                strict=getattr(args, "strict", False),
            )
        ]
    except ReplayError as exc:
        raise UsageError(f"cannot replay: {exc}") from None
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _live_feeds(request: FeedRequest) -> list[Feed]:
    # Imported here: ccxt loads only when live markets are asked for.
    from arbscope.market.ccxt_feed import DEFAULT_LIVE_SYMBOLS, CcxtFeed, LiveSetupError

    settings = request.settings
    venues = [name.lower() for name in (request.args.live or settings.live_venues)]
    if load_settings().problems:
        # The defaults would reach other hosts than the venue options the user wrote
        # (a proxy, a test host), and a refused file may hold credentials.
        raise UsageError(
            "settings.toml did not load (see above); live markets use the venues' "
            "settings as written, so fix the file first"
        )
    try:
        feed = CcxtFeed(venues, request.symbols or DEFAULT_LIVE_SYMBOLS, settings.venues)
        # Loads each venue's markets to check the symbols ("did you mean").
        unreachable = feed.prepare_blocking()
    except LiveSetupError as exc:
        raise UsageError(str(exc)) from None
    for venue, error in unreachable.items():
        print(f"{venue} unreachable now ({error}); retried while running", file=sys.stderr)
    return [feed]


register_source(Source("sim", "--sim", lambda a: bool(a.sim), _sim_feeds))
register_source(Source("replay", "--replay FILE", lambda a: a.replay is not None, _replay_feeds))
register_source(Source("live", "--live VENUE,...", lambda a: a.live is not None, _live_feeds))


def market_clock(feeds: Sequence[Feed]) -> Callable[[], float]:
    """Time of the market: a replay's own clock, else the wall clock."""
    for feed in feeds:
        if isinstance(feed, ReplayFeed):
            return feed.clock
    return time.time


def _symbols(args: argparse.Namespace) -> list[str] | None:
    symbols: list[str] | None = args.symbols
    if args.watchlist is not None:
        if symbols is not None:
            raise UsageError("give either --symbols or --watchlist, not both")
        symbols = _watchlist_symbols(args.watchlist)
    return symbols


def _watchlist_symbols(name: str) -> list[str]:
    from arbscope.storage.watchlists import WatchlistError, WatchlistStore

    store = WatchlistStore()
    if store.message:
        print(store.message, file=sys.stderr)
    try:
        symbols = list(store.get(name).symbols)
    except WatchlistError as exc:
        raise UsageError(str(exc)) from None
    if not symbols:
        raise UsageError(
            f"watchlist {name!r} has no symbols yet; add some with "
            f"`arbscope watchlist add {name} BTC/USDT`"
        )
    return symbols
