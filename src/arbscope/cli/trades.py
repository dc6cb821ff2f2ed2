"""`arbscope trades list [--json]` and `arbscope trades export --csv FILE|-`: the paper trade log.

Reading never creates the trade log: without one there is simply nothing to
show (and an export is just the header row).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from arbscope.cli import EXIT_OK, UsageError
from arbscope.storage import paths
from arbscope.storage.outputs import OutputRefused
from arbscope.trading.export import CSV_HEADER, export_csv, write_csv
from arbscope.trading.tradelog import TradeLog, TradeRow


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "trades",
        help="the paper trade log: list trades or export them as CSV",
        description="Show or export the simulated trades arbscope has logged "
        f"(in {paths.trades_db()}).",
    )
    actions = parser.add_subparsers(dest="trades_action", metavar="ACTION", required=True)
    listing = actions.add_parser(
        "list",
        help="recent trades, the running total and balances per venue",
        description="List logged trades, newest last, with realized against expected profit.",
    )
    listing.add_argument(
        "--json", action="store_true", help="one JSON object per trade per line (with its legs)"
    )
    listing.add_argument(
        "--limit", type=_positive_int, default=None, metavar="N", help="only the newest N trades"
    )
    listing.set_defaults(handler=list_trades)
    export = actions.add_parser(
        "export",
        help="write every trade leg to a CSV file (or - for standard output)",
        description="Export the trade log as CSV, one row per leg with its trade's figures.",
    )
    export.add_argument(
        "--csv", required=True, metavar="FILE", help="CSV file to write, or - for standard output"
    )
    export.add_argument(
        "--force",
        action="store_true",
        help="replace FILE if it is an existing CSV (never arbscope's own files)",
    )
    export.set_defaults(handler=export_trades)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        message = f"{text!r} is not a whole number (e.g. --limit 20)"
        raise argparse.ArgumentTypeError(message) from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{value} must be 1 or more")
    return value


def _open_existing() -> TradeLog | None:
    """The log, opened read-only (SQLite `mode=ro`): listing and exporting never write it,
    never migrate an old schema, and work in a read-only folder."""
    path = paths.trades_db()
    return TradeLog(path, read_only=True) if path.exists() else None


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


def trade_json(log: TradeLog, row: TradeRow) -> dict[str, object]:
    return {
        "trade_id": row.trade_id,
        "ts": row.ts,
        "route_id": row.route_id,
        "kind": row.kind,
        "action": row.action,
        "status": row.status,
        "size": row.size,
        "size_currency": row.size_currency,
        "profit_currency": row.profit_currency,
        "expected_profit": row.expected_profit,
        "realized_profit": row.realized_profit,
        "slippage": row.slippage,
        "fees": row.fees,
        "position_id": row.position_id,
        "reason": row.reason,
        "legs": log.legs(row.trade_id),
        "exposures": log.exposures(row.trade_id),
    }


def list_trades(args: argparse.Namespace) -> int:
    log = _open_existing()
    if log is None:
        if not args.json:
            print(f"no trades yet (the trade log will be {paths.trades_db()})")
        return EXIT_OK
    with log:
        rows = log.recent_trades(args.limit) if args.limit else log.all_trades()
        rows.sort(key=lambda r: r.trade_id)
        if args.json:
            for row in rows:
                print(json.dumps(trade_json(log, row)))
            return EXIT_OK
        if not rows:
            print("no trades yet")
            return EXIT_OK
        print(
            f"{'id':>5}  {'time (UTC)':19}  {'route':44}  {'action':6}  {'status':8}  "
            f"{'expected':>12}  {'realized':>12}  {'slippage':>10}"
        )
        for row in rows:
            print(
                f"{row.trade_id:>5}  {_when(row.ts)}  {row.route_id[:44]:44}  {row.action:6}  "
                f"{row.status:8}  {row.expected_profit:>12.4f}  {row.realized_profit:>12.4f}  "
                f"{row.slippage:>10.4f} {row.profit_currency}"
            )
        totals = ", ".join(f"{v:+.4f} {c}" for c, v in log.running_total().items())
        print(f"\nrunning total: {totals}")
        for venue, amounts in log.latest_balances().items():
            held = ", ".join(f"{a:.8g} {c}" for c, a in sorted(amounts.items()))
            print(f"balances {venue}: {held}")
        for (venue, currency), amount in log.exposure_totals().items():
            print(f"open exposure {venue}: {amount:+.8g} {currency}")
    return EXIT_OK


def export_trades(args: argparse.Namespace) -> int:
    target: str = args.csv
    log = _open_existing()
    if target == "-":
        if log is None:
            print(CSV_HEADER)
        else:
            with log:
                write_csv(log, sys.stdout)
        return EXIT_OK
    path = Path(target).expanduser()
    if not path.parent.is_dir():
        raise UsageError(f"folder {path.parent} does not exist: create it or pick another FILE")
    if path.is_dir():
        raise UsageError(f"{path} is a folder: give a file name such as {path / 'trades.csv'}")
    try:
        if log is None:
            rows = export_csv(None, path, force=args.force)
        else:
            with log:
                rows = export_csv(log, path, force=args.force)
    except OutputRefused as exc:
        raise UsageError(str(exc)) from None
    print(f"wrote {rows} leg row{'s' if rows != 1 else ''} to {path}")
    return EXIT_OK
