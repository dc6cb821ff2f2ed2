"""`arbscope monitor` (and plain `arbscope`): the Textual monitor on a SOURCE of books.

Textual is imported only when the monitor actually starts, so the other
commands (and `--help`) stay quick; `--sim` never imports ccxt.
"""

from __future__ import annotations

import argparse
import gc
from typing import TYPE_CHECKING, Any

from arbscope.cli import EXIT_FAILURE, EXIT_OK
from arbscope.cli.sources import (
    add_source_arguments,
    build_feeds,
    chosen_source,
    load_cli_settings,
    market_clock,
)
from arbscope.cli.watched import watched_feeds
from arbscope.market.scanner import Scanner
from arbscope.market.sim_venues import all_symbols
from arbscope.storage.settings import load_settings
from arbscope.storage.watchlists import WatchlistStore
from arbscope.ui.watching import settings_notices

if TYPE_CHECKING:
    from arbscope.ui.app import ArbscopeApp

REPLAY_SPEED = 1.0
"""The monitor replays a recording at real time unless --speed says otherwise."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "monitor",
        help="the live monitor: books, opportunities, heatmaps (the default command)",
        description=(
            "Open the monitor on the simulated market (default), a recording (--replay FILE) "
            "or live venues. Press ? inside for every key, q to quit."
        ),
    )
    add_source_arguments(parser)
    parser.set_defaults(handler=main)


def build_app(args: argparse.Namespace) -> ArbscopeApp:
    """The app for the parsed flags, with its scanner on a background thread (not started)."""
    settings = load_cli_settings({"seed": args.seed})
    # Without --symbols or --watchlist, the feeds start with the active watchlist's symbols.
    feeds, watch = watched_feeds(
        args, WatchlistStore(),
        lambda chosen: build_feeds(chosen, settings, default_speed=REPLAY_SPEED),
        chosen_source(args, settings),
    )
    # Shown inside the monitor too: the message printed above is hidden once it starts.
    watch.notices[:0] = settings_notices(load_settings())
    if chosen_source(args, settings) == "sim":
        watch.known_symbols = all_symbols()  # completion offers what the next start can simulate
    clock = market_clock(feeds)
    scanner = Scanner(
        feeds, settings.engine_config(), clock=clock, book_depth=settings.book_depth
    )

    from arbscope.market.runner import ScannerThread
    from arbscope.ui.app import ArbscopeApp

    return ArbscopeApp(ScannerThread(scanner), settings, clock=clock, watch=watch)


def settle_memory() -> None:
    """Hand garbage collection to the app, which collects between frames.

    The scanner keeps each snapshot's objects alive for a step or two, so the
    collector's automatic runs (triggered by allocation counts, at any moment)
    walk them by the hundred a second and pile them into full passes of 40-60
    ms in the middle of frames. Off, the app collects right after each frame is
    on screen (`ArbscopeApp._collect_garbage`).
    """
    gc.collect()
    # Everything loaded so far lives as long as the app: out of every pass.
    gc.freeze()
    gc.disable()


def main(args: argparse.Namespace) -> int:
    app = build_app(args)
    settle_memory()
    app.run()
    failure = getattr(app.scanner, "failure", None)
    if failure is not None:
        print(f"arbscope monitor: the market stopped: {type(failure).__name__}: {failure}")
        return EXIT_FAILURE
    return EXIT_OK if app.return_code in (None, 0) else EXIT_FAILURE
