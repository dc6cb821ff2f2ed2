"""The trade log: every paper execution in `trades.sqlite3`, one transaction each.

WAL mode so readers (the CLI while the app runs) never block the writer, and
`synchronous=FULL` so a committed trade survives a crash of the process and of
the machine. Schema versions, migrations (only when opened for writing, after
a backup) and read-only opening are in `logschema`.

Two connections: writes (`record`, called on a worker thread by the broker so
a busy log never stalls the event loop) hold the write lock for at most the
busy timeout, while reads (the panes, on the event loop) use the other and
never wait for them. A write that does not commit raises
`TradeNotRecordedError` with what went wrong.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arbscope.models import Side
from arbscope.storage import paths
from arbscope.trading.execution import (
    Execution,
    Position,
    PositionLeg,
    TradeAction,
    currency_flow,
)
from arbscope.trading.logschema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    TradeLogError,
    TradeLogReadOnlyError,
    TradeNotRecordedError,
    connect_read_only,
    describe_write_failure,
    migrate,
    refuse_newer,
    schema_version,
    unwritable_reason,
)

__all__ = [
    "MIGRATIONS", "SCHEMA_VERSION", "TradeLog", "TradeLogError", "TradeLogReadOnlyError",
    "TradeNotRecordedError", "TradeRow",
]

BUSY_TIMEOUT_S = 5.0
"""How long a write waits for another program's write lock before giving up (on a
worker thread: the screen keeps running meanwhile)."""


@dataclass(frozen=True, slots=True)
class TradeRow:
    """One logged trade as the pane and the CLI show it."""

    trade_id: int
    ts: float
    route_id: str
    kind: str
    action: str
    status: str
    size: float
    size_currency: str
    profit_currency: str
    expected_profit: float
    realized_profit: float
    fees: float
    reason: str
    position_id: int | None

    @property
    def slippage(self) -> float:
        return self.expected_profit - self.realized_profit


_TRADE_COLUMNS = (
    "id, ts, route_id, kind, action, status, size, size_currency, profit_currency, "
    "expected_profit, realized_profit, fees, reason, position_id"
)
_TRADE_COLUMNS_V1 = _TRADE_COLUMNS.replace("action", "'trade'").replace(
    "position_id", "NULL"
)
"""Version 1 had no actions (every trade a plain trade) and no positions."""


def _trade_row(row: tuple[Any, ...]) -> TradeRow:
    # Column order is _TRADE_COLUMNS, the field order of TradeRow.
    return TradeRow(*row)


class TradeLog:
    """The SQLite trade log. Thread-safe: each connection behind its own lock."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        read_only: bool = False,
        busy_timeout_s: float = BUSY_TIMEOUT_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`read_only`: never write nor migrate the file (read commands); else an
        existing log that cannot be written raises TradeLogReadOnlyError, and an old
        schema is backed up, then migrated. `clock` names the backup."""
        self.path = paths.trades_db() if path is None else path
        self.read_only = read_only
        self.busy_timeout_s = busy_timeout_s
        self.backup: Path | None = None
        """The copy taken before this open migrated the file, if it did."""
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        try:
            if read_only:
                if not self.path.is_file():
                    raise TradeLogError(f"{self.path} does not exist")
                self._db = connect_read_only(self.path, busy_timeout_s)
                self._reader = self._db
                self._version = schema_version(self._db)
                refuse_newer(self.path, self._version)
                return
            reason = unwritable_reason(self.path)
            if reason:
                raise TradeLogReadOnlyError(
                    f"{reason}, so the trade log can be read but not written")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a trade is
            # exactly one explicit transaction and nothing commits behind our back.
            self._db = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False,
                timeout=busy_timeout_s,
            )
            refuse_newer(self.path, schema_version(self._db))
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self.backup = migrate(self._db, self.path, clock())
            self._version = SCHEMA_VERSION
            self._reader = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False,
                timeout=busy_timeout_s,
            )
            self._reader.execute("PRAGMA query_only=ON")
        except sqlite3.OperationalError as exc:
            if "readonly" in str(exc):
                raise TradeLogReadOnlyError(
                    f"{self.path} cannot be written ({exc}), so the trade log can be read "
                    "but not written") from exc
            raise TradeLogError(f"{self.path} cannot be opened ({exc})") from exc
        except sqlite3.DatabaseError as exc:
            raise TradeLogError(
                f"{self.path} is not a usable trade log ({exc}); move it away to start a new one"
            ) from exc

    def close(self) -> None:
        if self._reader is not self._db:
            self._reader.close()
        with self._write_lock:  # a commit still running on its thread finishes first
            self._db.close()

    def __enter__(self) -> TradeLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            if self._db.in_transaction:  # SQLite may have rolled back already
                self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @property
    def schema_version(self) -> int:
        with self._lock:
            return schema_version(self._reader)

    # -- writing ---------------------------------------------------------------

    def record(self, execution: Execution, entry_z: float | None = None) -> Execution:
        """Write one execution (trade, legs, fills, exposures, balances after, and the
        position it opens or closes) in ONE transaction; returns it with its ids.

        Blocks up to the busy timeout when another program holds the write lock: call
        it off the event loop. Raises TradeNotRecordedError when it did not commit."""
        if self.read_only:
            raise TradeLogReadOnlyError(f"{self.path} is open read-only: trade not recorded")
        try:
            with self._write_lock:
                return self._record(execution, entry_z)
        except sqlite3.IntegrityError:
            raise  # a bug of ours, not the file's: let it be seen as one
        except sqlite3.Error as exc:
            raise TradeNotRecordedError(
                describe_write_failure(self.path, exc, self.busy_timeout_s)) from exc

    def _record(self, execution: Execution, entry_z: float | None) -> Execution:
        with self._transaction() as db:
            cur = db.execute(
                "INSERT INTO trades (ts, requested_ts, route_id, kind, action, status, reason, "
                "size, size_currency, profit_currency, expected_profit, realized_profit, fees, "
                "position_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    execution.completed_ts, execution.requested_ts, execution.route_id,
                    execution.kind.value, execution.action.value, execution.status.value,
                    execution.reason, execution.size, execution.size_currency,
                    execution.profit_currency, execution.expected_profit,
                    execution.realized_profit, execution.fees, execution.position_id,
                ),
            )
            trade_id = int(cur.lastrowid or 0)
            db.executemany(
                "INSERT INTO legs (trade_id, idx, venue, symbol, side, status, requested, "
                "filled, cost, fee, fee_rate, vwap, expected_vwap, expected_amount, "
                "limit_price, book_ts, latency_s, reason) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        trade_id, leg.index, leg.venue, leg.symbol, leg.side.value,
                        leg.status.value, leg.requested, leg.filled, leg.cost, leg.fee,
                        leg.fee_rate, leg.vwap, leg.expected_vwap, leg.expected_amount,
                        leg.limit_price, leg.book_ts, leg.latency_s, leg.reason,
                    )
                    for leg in execution.legs
                ],
            )
            db.executemany(
                "INSERT INTO fills (trade_id, leg_idx, price, amount, cost, fee) "
                "VALUES (?,?,?,?,?,?)",
                [
                    (trade_id, leg.index, f.price, f.amount, f.cost, f.fee)
                    for leg in execution.legs
                    for f in leg.fills
                ],
            )
            db.executemany(
                "INSERT INTO exposures (trade_id, venue, currency, amount, value) "
                "VALUES (?,?,?,?,?)",
                [(trade_id, e.venue, e.currency, e.amount, e.value) for e in execution.exposures],
            )
            db.executemany(
                "INSERT INTO balances (trade_id, venue, currency, amount) VALUES (?,?,?,?)",
                [
                    (trade_id, venue, currency, amount)
                    for venue, amounts in execution.balances_after.items()
                    for currency, amount in amounts.items()
                ],
            )
            position_id = execution.position_id
            opens = any(leg.filled > 0 for leg in execution.legs)
            if execution.action is TradeAction.OPEN and opens:
                position_id = self._open_position(db, execution, trade_id, entry_z)
                db.execute(
                    "UPDATE trades SET position_id = ? WHERE id = ?", (position_id, trade_id)
                )
            elif execution.action is TradeAction.CLOSE and position_id is not None:
                db.execute(
                    "UPDATE positions SET closed_ts = ?, close_trade_id = ? WHERE id = ?",
                    (execution.completed_ts, trade_id, position_id),
                )
        return execution.with_ids(trade_id, position_id)

    @staticmethod
    def _open_position(
        db: sqlite3.Connection, execution: Execution, trade_id: int, entry_z: float | None
    ) -> int:
        legs = [
            {"venue": leg.venue, "symbol": leg.symbol, "side": leg.side.value,
             "amount": leg.filled}
            for leg in execution.legs
            if leg.filled > 0
        ]
        cur = db.execute(
            "INSERT INTO positions (route_id, profit_currency, opened_ts, open_trade_id, legs, "
            "open_flow, expected_profit, entry_z) VALUES (?,?,?,?,?,?,?,?)",
            (
                execution.route_id, execution.profit_currency, execution.completed_ts,
                trade_id, json.dumps(legs),
                currency_flow(execution.legs, execution.profit_currency),
                execution.expected_profit, entry_z,
            ),
        )
        return int(cur.lastrowid or 0)

    # -- reading ---------------------------------------------------------------

    # Reads use the reader connection, which never waits for the writer (WAL). A
    # read-only log of an older schema is read as it is: version 0 (an empty file)
    # has no tables, version 1 no actions, exposures nor positions.

    def _query(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        if self._version == 0:
            return []
        with self._lock:
            return self._reader.execute(sql, params).fetchall()

    def _dicts(self, sql: str, params: tuple[object, ...]) -> list[dict[str, object]]:
        if self._version == 0:
            return []
        with self._lock:
            cur = self._reader.execute(sql, params)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    @property
    def _trade_columns(self) -> str:
        return _TRADE_COLUMNS if self._version >= 2 else _TRADE_COLUMNS_V1

    def recent_trades(self, limit: int = 50) -> list[TradeRow]:
        """Newest first."""
        rows = self._query(
            f"SELECT {self._trade_columns} FROM trades ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [_trade_row(r) for r in rows]

    def all_trades(self) -> list[TradeRow]:
        """Oldest first (exports and `trades list`)."""
        rows = self._query(f"SELECT {self._trade_columns} FROM trades ORDER BY id")
        return [_trade_row(r) for r in rows]

    def trade_ids(self) -> set[int]:
        return {int(r[0]) for r in self._query("SELECT id FROM trades")}

    def count(self) -> int:
        rows = self._query("SELECT COUNT(*) FROM trades")
        return int(rows[0][0]) if rows else 0

    def running_total(self) -> dict[str, float]:
        """Realized profit summed per profit currency (never added across currencies)."""
        rows = self._query(
            "SELECT profit_currency, SUM(realized_profit) FROM trades "
            "GROUP BY profit_currency ORDER BY profit_currency"
        )
        return {str(cur): float(total) for cur, total in rows}

    def latest_balances(self) -> dict[str, dict[str, float]]:
        """Balances per venue as the newest trade that touched each left them."""
        rows = self._query(
            "SELECT b.venue, b.currency, b.amount FROM balances b "
            "WHERE b.trade_id = (SELECT MAX(trade_id) FROM balances l "
            "WHERE l.venue = b.venue AND l.currency = b.currency) ORDER BY b.venue, b.currency"
        )
        result: dict[str, dict[str, float]] = {}
        for venue, currency, amount in rows:
            result.setdefault(str(venue), {})[str(currency)] = float(amount)
        return result

    def legs(self, trade_id: int) -> list[dict[str, object]]:
        """The legs of one trade, in order, as plain dicts (JSON and CSV)."""
        expected_amount = "expected_amount" if self._version >= 2 else "0 AS expected_amount"
        return self._dicts(
            "SELECT idx, venue, symbol, side, status, requested, filled, vwap, cost, fee, "
            f"fee_rate, expected_vwap, {expected_amount}, limit_price, book_ts, latency_s, "
            "reason FROM legs WHERE trade_id = ? ORDER BY idx",
            (trade_id,),
        )

    def exposures(self, trade_id: int) -> list[dict[str, object]]:
        if self._version < 2:
            return []
        return self._dicts(
            "SELECT venue, currency, amount, value FROM exposures WHERE trade_id = ?",
            (trade_id,),
        )

    def exposure_totals(self) -> dict[tuple[str, str], float]:
        """Every exposure ever left, summed per (venue, currency): what is still open."""
        if self._version < 2:
            return {}
        rows = self._query(
            "SELECT venue, currency, SUM(amount) FROM exposures GROUP BY venue, currency "
            "ORDER BY venue, currency"
        )
        return {(str(v), str(c)): float(a) for v, c, a in rows if abs(float(a)) > 1e-12}

    def fill_count(self, trade_id: int) -> int:
        rows = self._query("SELECT COUNT(*) FROM fills WHERE trade_id = ?", (trade_id,))
        return int(rows[0][0]) if rows else 0

    def positions(self, open_only: bool = True) -> list[Position]:
        if self._version < 2:
            return []
        sql = (
            "SELECT id, route_id, profit_currency, opened_ts, open_trade_id, legs, open_flow, "
            "expected_profit, entry_z, closed_ts, close_trade_id FROM positions"
        )
        if open_only:
            sql += " WHERE closed_ts IS NULL"
        result = []
        for row in self._query(sql + " ORDER BY id"):
            (pid, route_id, cur, opened, open_tid, legs, flow, expected, z, closed, close_tid) = row
            result.append(
                Position(
                    position_id=int(pid),
                    route_id=str(route_id),
                    profit_currency=str(cur),
                    opened_ts=float(opened),
                    open_trade_id=int(open_tid),
                    legs=tuple(
                        PositionLeg(d["venue"], d["symbol"], Side(d["side"]), float(d["amount"]))
                        for d in json.loads(str(legs))
                    ),
                    open_flow=float(flow),
                    expected_profit=float(expected),
                    entry_z=None if z is None else float(z),
                    closed_ts=None if closed is None else float(closed),
                    close_trade_id=None if close_tid is None else int(close_tid),
                )
            )
        return result

    def integrity_ok(self) -> bool:
        with self._lock:
            return bool(self._reader.execute("PRAGMA integrity_check").fetchone()[0] == "ok")

    def journal_mode(self) -> str:
        with self._lock:
            return str(self._reader.execute("PRAGMA journal_mode").fetchone()[0])
