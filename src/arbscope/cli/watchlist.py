"""`arbscope watchlist list|show|create|rename|delete|add|remove|use`: edit watchlists.toml.

Every change is saved at once, safely beside another arbscope doing the same
(see `arbscope.storage.watchlists`). Bad input exits 2 with what would work.
"""

from __future__ import annotations

import argparse
from typing import Any

from arbscope.cli import EXIT_OK, UsageError
from arbscope.storage.watchlists import Watchlist, WatchlistError, WatchlistStore


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "watchlist",
        help="list and edit watchlists (also `w` in the monitor)",
        description="List and edit watchlists; each change is saved at once. "
        "`--watchlist NAME` on monitor, scan and record follows one.",
    )
    actions = parser.add_subparsers(dest="watchlist_action", metavar="ACTION", required=True)

    actions.add_parser("list", help="every watchlist; * marks the active one").set_defaults(
        handler=list_watchlists
    )
    show = actions.add_parser("show", help="the symbols, venues and alerts of one watchlist")
    show.add_argument("name", metavar="NAME")
    show.set_defaults(handler=show_watchlist)

    create = actions.add_parser("create", help="a new watchlist, optionally with symbols")
    create.add_argument("name", metavar="NAME")
    create.add_argument("symbols", metavar="SYMBOL", nargs="*", help="e.g. BTC/USDT ETH/USDT")
    create.add_argument(
        "--venues", metavar="VENUE,...", help="watch the symbols on these venues only"
    )
    create.set_defaults(handler=create_watchlist)

    rename = actions.add_parser("rename", help="give a watchlist another name")
    rename.add_argument("name", metavar="NAME")
    rename.add_argument("new_name", metavar="NEW_NAME")
    rename.set_defaults(handler=rename_watchlist)

    delete = actions.add_parser("delete", help="delete a watchlist")
    delete.add_argument("name", metavar="NAME")
    delete.set_defaults(handler=delete_watchlist)

    add = actions.add_parser("add", help="add symbols to a watchlist")
    add.add_argument("name", metavar="NAME")
    add.add_argument("symbols", metavar="SYMBOL", nargs="+", help="e.g. BTC/USDT ETH/USDT")
    add.set_defaults(handler=add_symbols)

    remove = actions.add_parser("remove", help="remove symbols from a watchlist")
    remove.add_argument("name", metavar="NAME")
    remove.add_argument("symbols", metavar="SYMBOL", nargs="+")
    remove.set_defaults(handler=remove_symbols)

    use = actions.add_parser("use", help="make a watchlist the one the monitor follows")
    use.add_argument("name", metavar="NAME", nargs="?", help="omit with --none")
    use.add_argument("--none", action="store_true", help="follow no watchlist")
    use.set_defaults(handler=use_watchlist)


def _store(read_only: bool) -> WatchlistStore:
    store = WatchlistStore()
    # A change to a file that does not load is refused by the store, naming its lines.
    if store.problems and read_only:
        raise UsageError(store.message or "watchlists.toml does not load")
    return store


def _symbols_line(watchlist: Watchlist) -> str:
    count = len(watchlist.symbols)
    listed = ", ".join(watchlist.symbols) if watchlist.symbols else "no symbols yet"
    return f"{count} symbol{'' if count == 1 else 's'}: {listed}"


def list_watchlists(args: argparse.Namespace) -> int:
    store = _store(read_only=True)
    if not store.names():
        print("no watchlists yet; create one with `arbscope watchlist create NAME SYMBOL...`")
        return EXIT_OK
    width = max(len(name) for name in store.names())
    for watchlist in store.all():
        mark = "*" if watchlist.name == store.active_name else " "
        print(f"{mark} {watchlist.name:<{width}}  {_symbols_line(watchlist)}")
    return EXIT_OK


def show_watchlist(args: argparse.Namespace) -> int:
    store = _store(read_only=True)
    watchlist = _get(store, args.name)
    active = " (active)" if watchlist.name == store.active_name else ""
    print(f"{watchlist.name}{active}")
    print(f"  symbols: {', '.join(watchlist.symbols) or 'none yet'}")
    print(f"  venues:  {', '.join(watchlist.venues) or 'every venue of the source'}")
    if watchlist.alerts:
        print("  alerts (net bps):")
        for route, bps in watchlist.alerts.items():
            print(f"    {route} >= {bps:g}")
    return EXIT_OK


def _get(store: WatchlistStore, name: str) -> Watchlist:
    try:
        return store.get(name)
    except WatchlistError as exc:
        raise UsageError(str(exc)) from None


def create_watchlist(args: argparse.Namespace) -> int:
    store = _store(read_only=False)
    venues = [v for v in (args.venues or "").split(",") if v.strip()]
    try:
        watchlist = store.create(args.name, args.symbols, venues)
    except WatchlistError as exc:
        raise UsageError(str(exc)) from None
    print(f"created {watchlist.name}: {_symbols_line(watchlist)}")
    return EXIT_OK


def rename_watchlist(args: argparse.Namespace) -> int:
    store = _store(read_only=False)
    try:
        watchlist = store.rename(args.name, args.new_name)
    except WatchlistError as exc:
        raise UsageError(str(exc)) from None
    print(f"renamed {args.name} to {watchlist.name}")
    return EXIT_OK


def delete_watchlist(args: argparse.Namespace) -> int:
    store = _store(read_only=False)
    try:
        store.delete(args.name)
    except WatchlistError as exc:
        raise UsageError(str(exc)) from None
    print(f"deleted {args.name}")
    return EXIT_OK


def add_symbols(args: argparse.Namespace) -> int:
    store = _store(read_only=False)
    before = set(store.get(args.name).symbols) if args.name in store.names() else set()
    try:
        watchlist = store.add_symbols(args.name, args.symbols)
    except WatchlistError as exc:
        raise UsageError(str(exc)) from None
    already = [s for s in watchlist.symbols if s in before and s in _upper(args.symbols)]
    if already:
        print(f"already in {watchlist.name}: {', '.join(already)}")
    print(f"{watchlist.name}: {_symbols_line(watchlist)}")
    return EXIT_OK


def remove_symbols(args: argparse.Namespace) -> int:
    store = _store(read_only=False)
    try:
        watchlist = store.remove_symbols(args.name, args.symbols)
    except WatchlistError as exc:
        raise UsageError(str(exc)) from None
    print(f"{watchlist.name}: {_symbols_line(watchlist)}")
    return EXIT_OK


def use_watchlist(args: argparse.Namespace) -> int:
    if (args.name is None) == (not args.none):
        raise UsageError("give a watchlist NAME, or --none to follow no watchlist")
    store = _store(read_only=False)
    try:
        store.set_active(None if args.none else args.name)
    except WatchlistError as exc:
        raise UsageError(str(exc)) from None
    print("following no watchlist" if args.none else f"following {args.name}")
    return EXIT_OK


def _upper(symbols: list[str]) -> set[str]:
    return {s.strip().upper() for s in symbols}

