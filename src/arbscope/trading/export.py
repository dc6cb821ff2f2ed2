"""CSV export of the trade log: one row per leg, trade columns repeated.

One row per leg (not per trade) so a spreadsheet can check each fill price and
fee by hand; the trade's own figures repeat on each of its rows. The same
function serves the `e` key of the UI and `arbscope trades export`.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from arbscope.storage import paths
from arbscope.storage.atomic import atomic_write_text
from arbscope.trading.tradelog import TradeLog

CSV_COLUMNS = (
    "trade_id", "time_utc", "ts", "route_id", "kind", "action", "status", "size",
    "size_currency", "profit_currency", "expected_profit", "realized_profit", "slippage",
    "trade_fees", "position_id", "leg", "venue", "symbol", "side", "leg_status", "requested",
    "filled", "vwap", "expected_vwap", "cost", "fee", "fee_rate", "limit_price", "latency_s",
    "leg_reason",
)


def write_csv(log: TradeLog, out: TextIO) -> int:
    """Write every trade's legs to `out` (oldest first); returns the data rows written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
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
                [
                    *head, leg["idx"], leg["venue"], leg["symbol"], leg["side"], leg["status"],
                    leg["requested"], leg["filled"], leg["vwap"], leg["expected_vwap"],
                    leg["cost"], leg["fee"], leg["fee_rate"],
                    "" if leg["limit_price"] is None else leg["limit_price"],
                    leg["latency_s"], leg["reason"],
                ]
            )
            rows += 1
    return rows


def export_csv(log: TradeLog, path: Path) -> int:
    """Write the CSV to `path` atomically (a crash never leaves half a file)."""
    buffer = io.StringIO()
    rows = write_csv(log, buffer)
    atomic_write_text(path, buffer.getvalue())
    return rows


def default_export_path(now: float) -> Path:
    """Where the UI's `e` writes: `trades-YYYYmmdd-HHMMSS.csv` in the data folder."""
    stamp = datetime.fromtimestamp(now, UTC).strftime("%Y%m%d-%H%M%S")
    return paths.data_dir() / f"trades-{stamp}.csv"
