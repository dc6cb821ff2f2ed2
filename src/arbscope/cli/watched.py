"""Which symbols the monitor's feeds start with: the flags, else the followed watchlist.

The command-line half of `ui/watching.py`: it reads the parsed flags and the
usage errors of `cli/`, and hands the UI a `WatchSetup`, which knows neither.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeVar

from arbscope.cli import UsageError
from arbscope.storage.watchlists import WatchlistStore
from arbscope.ui.watching import Notice, WatchSetup, watchlist_notices

T = TypeVar("T")


def watched_feeds(
    args: argparse.Namespace,
    store: WatchlistStore,
    build: Callable[[argparse.Namespace], T],
    chosen_source: str,
) -> tuple[T, WatchSetup]:
    """Feeds for the flags, narrowed to the followed watchlist, and the app's WatchSetup.

    `--symbols` follows nothing (the flags win); `--watchlist NAME` follows NAME
    (`build` checks it); neither follows the active watchlist, whose symbols (and,
    for live markets without a venue list, venues) the feeds then start with. If
    the source refuses them (a symbol the simulator does not list), the run falls
    back to every symbol and says why rather than not starting at all.
    """
    setup = WatchSetup(store, None, watchlist_notices(store))
    if args.symbols is not None:
        return build(args), setup
    if args.watchlist is not None:
        feeds = build(args)  # raises UsageError for an unknown or empty watchlist
        setup.following = store.get(args.watchlist)
        return feeds, setup
    active = store.active
    if active is None or not active.symbols:
        setup.following = active
        return build(args), setup
    narrowed = argparse.Namespace(**vars(args))
    narrowed.symbols = list(active.symbols)
    if chosen_source == "live" and not args.live and active.venues:
        narrowed.live = list(active.venues)
    try:
        feeds = build(narrowed)
    except UsageError as exc:
        setup.notices.append(Notice(
            f"Watchlist {active.name} not applied at start",
            f"{exc}. Every symbol of the source is shown; fix the watchlist with w.",
        ))
        return build(args), setup
    setup.following = active
    return feeds, setup
