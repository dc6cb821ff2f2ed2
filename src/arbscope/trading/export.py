"""CSV export of the trade log: one row per leg, trade columns repeated.

One row per leg (not per trade) so a spreadsheet can check each fill price and
fee by hand; the trade's own figures repeat on each of its rows. The same
function serves the `e` key of the UI and `arbscope trades export`. Text
cells (venue, symbol, route ids, reasons) can come from a replay or the user,
so they are escaped against spreadsheet formulas; numbers stay numbers.
Where an export may be written is `storage.outputs`' rule.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from arbscope.storage import paths
from arbscope.storage.outputs import (
    OutputAppeared,
    OutputKind,
    atomic_output,
    check_output,
    fresh_path,
    spreadsheet_safe,
)
from arbscope.trading.tradelog import TradeLog

CSV_COLUMNS = (
    "trade_id", "time_utc", "ts", "route_id", "kind", "action", "status", "size",
    "size_currency", "profit_currency", "expected_profit", "realized_profit", "slippage",
    "trade_fees", "position_id", "leg", "venue", "symbol", "side", "leg_status", "requested",
    "filled", "vwap", "expected_vwap", "cost", "fee", "fee_rate", "limit_price", "latency_s",
    "leg_reason",
)

CSV_HEADER = ",".join(CSV_COLUMNS)
"""The first line of every export (how arbscope knows an export of its own)."""


def _text_first_line(head: bytes) -> str | None:
    try:
        return head.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _is_csv(path: Path, head: bytes) -> bool:
    text = _text_first_line(head)
    return path.suffix.lower() == ".csv" and text is not None and "\0" not in text


def _is_our_export(path: Path, head: bytes) -> bool:
    return _is_csv(path, head) and _text_first_line(head) == CSV_HEADER


CSV_EXPORT = OutputKind("a CSV export", is_same_kind=_is_csv, made_by_arbscope=_is_our_export)


def write_csv(log: TradeLog, out: IO[str]) -> int:
    """Write every trade's legs to `out` (oldest first); returns the data rows written."""
    writer = csv.writer(out, lineterminator="\n")
    out.write(CSV_HEADER + "\n")
    rows = 0
    for trade in log.all_trades():
        when = datetime.fromtimestamp(trade.ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        head = [
            trade.trade_id, when, trade.ts, trade.route_id, trade.kind, trade.action,
            trade.status, trade.size, trade.size_currency, trade.profit_currency,
            trade.expected_profit, trade.realized_profit, trade.slippage, trade.fees,
            "" if trade.position_id is None else trade.position_id,
        ]
        for leg in log.legs(trade.trade_id):
            writer.writerow(
                spreadsheet_safe(cell)
                for cell in [
                    *head, leg["idx"], leg["venue"], leg["symbol"], leg["side"], leg["status"],
                    leg["requested"], leg["filled"], leg["vwap"], leg["expected_vwap"],
                    leg["cost"], leg["fee"], leg["fee_rate"],
                    "" if leg["limit_price"] is None else leg["limit_price"],
                    leg["latency_s"], leg["reason"],
                ]
            )
            rows += 1
    return rows


def export_csv(log: TradeLog | None, path: Path, *, force: bool = False) -> int:
    """Write the CSV to `path` atomically, under `storage.outputs`' rule (OutputRefused).

    Without a log it is just the header row. Returns the data rows written.
    """
    target = check_output(path, CSV_EXPORT, force=force)
    with atomic_output(target, replace=force) as out:
        return write_csv(log, out) if log is not None else _header_only(out)


def export_csv_fresh(log: TradeLog, path: Path) -> tuple[Path, int]:
    """The UI's export: never replaces anything, so a taken name becomes `NAME-1.csv` ..."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        target = fresh_path(path)
        try:
            return target, export_csv(log, target)
        except OutputAppeared:
            continue  # another export took the name meanwhile: the next one


def _header_only(out: IO[str]) -> int:
    out.write(CSV_HEADER + "\n")
    return 0


def default_export_path(now: float) -> Path:
    """Where the UI's `e` writes: `exports/trades-YYYYmmdd-HHMMSS.csv` in the data folder.

    A folder of its own, so an export never sits beside (or is named like) the trade log.
    """
    stamp = datetime.fromtimestamp(now, UTC).strftime("%Y%m%d-%H%M%S")
    return paths.data_dir() / "exports" / f"trades-{stamp}.csv"
