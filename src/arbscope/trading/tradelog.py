"""The trade log: every paper execution in `trades.sqlite3`, one transaction each.

WAL mode so readers (the CLI while the app runs) never block the writer, and
`synchronous=FULL` so a committed trade survives a crash of the process and of
the machine. `PRAGMA user_version` holds the schema version; MIGRATIONS maps
each version to the function that brings the previous one up to it, so an old
file is upgraded in place, inside one transaction, on open.
"""

from __future__ import annotations

import json
import sqlite3
import threading
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

Migration = Callable[[sqlite3.Connection], None]


def _create_v1(db: sqlite3.Connection) -> None:
    """Version 1: trades, their legs, fills and the balances after each trade."""
    db.execute(
        """CREATE TABLE trades (
            id INTEGER PRIMARY KEY,
            ts REAL NOT NULL, requested_ts REAL NOT NULL,
            route_id TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            size REAL NOT NULL, size_currency TEXT NOT NULL, profit_currency TEXT NOT NULL,
            expected_profit REAL NOT NULL, realized_profit REAL NOT NULL, fees REAL NOT NULL)"""
    )
    db.execute(
        """CREATE TABLE legs (
            trade_id INTEGER NOT NULL REFERENCES trades(id), idx INTEGER NOT NULL,
            venue TEXT NOT NULL, symbol TEXT NOT NULL, side TEXT NOT NULL,
            status TEXT NOT NULL, requested REAL NOT NULL, filled REAL NOT NULL,
            cost REAL NOT NULL, fee REAL NOT NULL, fee_rate REAL NOT NULL, vwap REAL NOT NULL,
            expected_vwap REAL NOT NULL, limit_price REAL, book_ts REAL,
            latency_s REAL NOT NULL, reason TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (trade_id, idx))"""
    )
    db.execute(
        """CREATE TABLE fills (
            id INTEGER PRIMARY KEY, trade_id INTEGER NOT NULL REFERENCES trades(id),
            leg_idx INTEGER NOT NULL, price REAL NOT NULL, amount REAL NOT NULL,
            cost REAL NOT NULL, fee REAL NOT NULL)"""
    )
    db.execute(
        """CREATE TABLE balances (
            trade_id INTEGER NOT NULL REFERENCES trades(id), venue TEXT NOT NULL,
            currency TEXT NOT NULL, amount REAL NOT NULL,
            PRIMARY KEY (trade_id, venue, currency))"""
    )
    db.execute("CREATE INDEX balances_latest ON balances (venue, currency, trade_id)")


def _add_positions_v2(db: sqlite3.Connection) -> None:
    """Version 2: open exposures and statistical positions; trades say what they did."""
    db.execute("ALTER TABLE trades ADD COLUMN action TEXT NOT NULL DEFAULT 'trade'")
    db.execute("ALTER TABLE trades ADD COLUMN position_id INTEGER")
    db.execute("ALTER TABLE legs ADD COLUMN expected_amount REAL NOT NULL DEFAULT 0")
    db.execute(
        """CREATE TABLE exposures (
            trade_id INTEGER NOT NULL REFERENCES trades(id), venue TEXT NOT NULL,
            currency TEXT NOT NULL, amount REAL NOT NULL, value REAL)"""
    )
    db.execute(
        """CREATE TABLE positions (
            id INTEGER PRIMARY KEY, route_id TEXT NOT NULL, profit_currency TEXT NOT NULL,
            opened_ts REAL NOT NULL, open_trade_id INTEGER NOT NULL REFERENCES trades(id),
            legs TEXT NOT NULL, open_flow REAL NOT NULL, expected_profit REAL NOT NULL,
            entry_z REAL,
            closed_ts REAL, close_trade_id INTEGER REFERENCES trades(id))"""
    )


MIGRATIONS: dict[int, Migration] = {1: _create_v1, 2: _add_positions_v2}
"""Schema version -> function that upgrades the version before it to this one."""

SCHEMA_VERSION = max(MIGRATIONS)


class TradeLogError(RuntimeError):
    """The trade log file cannot be used (newer schema, not a database ...)."""


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


def _trade_row(row: tuple[Any, ...]) -> TradeRow:
    # Column order is _TRADE_COLUMNS, the field order of TradeRow.
    return TradeRow(*row)


class TradeLog:
    """The SQLite trade log. Thread-safe: one connection behind a lock."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = paths.trades_db() if path is None else path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a trade is
            # exactly one explicit transaction and nothing commits behind our back.
            self._db = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=10.0
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise TradeLogError(
                f"{self.path} is not a usable trade log ({exc}); move it away to start a new one"
            ) from exc

    def close(self) -> None:
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
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise TradeLogError(
                f"{self.path} has trade log schema {version}, newer than this arbscope "
                f"({SCHEMA_VERSION}); upgrade arbscope or move the file away"
            )
        if version == SCHEMA_VERSION:
            return
        with self._transaction() as db:
            for target in range(version + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[target](db)
            # PRAGMA takes no parameters; the value is our own integer.
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    # -- writing ---------------------------------------------------------------

    def record(self, execution: Execution, entry_z: float | None = None) -> Execution:
        """Write one execution (trade, legs, fills, exposures, balances after, and the
        position it opens or closes) in ONE transaction; returns it with its ids."""
        with self._lock, self._transaction() as db:
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

    def _query(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def recent_trades(self, limit: int = 50) -> list[TradeRow]:
        """Newest first."""
        rows = self._query(
            f"SELECT {_TRADE_COLUMNS} FROM trades ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [_trade_row(r) for r in rows]

    def all_trades(self) -> list[TradeRow]:
        """Oldest first (exports and `trades list`)."""
        rows = self._query(f"SELECT {_TRADE_COLUMNS} FROM trades ORDER BY id")
        return [_trade_row(r) for r in rows]

    def trade_ids(self) -> set[int]:
        return {int(r[0]) for r in self._query("SELECT id FROM trades")}

    def count(self) -> int:
        return int(self._query("SELECT COUNT(*) FROM trades")[0][0])

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
        with self._lock:
            cur = self._db.execute(
                "SELECT idx, venue, symbol, side, status, requested, filled, vwap, cost, fee, "
                "fee_rate, expected_vwap, expected_amount, limit_price, book_ts, latency_s, "
                "reason FROM legs WHERE trade_id = ? ORDER BY idx",
                (trade_id,),
            )
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def exposures(self, trade_id: int) -> list[dict[str, object]]:
        with self._lock:
            cur = self._db.execute(
                "SELECT venue, currency, amount, value FROM exposures WHERE trade_id = ?",
                (trade_id,),
            )
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def exposure_totals(self) -> dict[tuple[str, str], float]:
        """Every exposure ever left, summed per (venue, currency): what is still open."""
        rows = self._query(
            "SELECT venue, currency, SUM(amount) FROM exposures GROUP BY venue, currency "
            "ORDER BY venue, currency"
        )
        return {(str(v), str(c)): float(a) for v, c, a in rows if abs(float(a)) > 1e-12}

    def fill_count(self, trade_id: int) -> int:
        rows = self._query("SELECT COUNT(*) FROM fills WHERE trade_id = ?", (trade_id,))
        return int(rows[0][0])

    def positions(self, open_only: bool = True) -> list[Position]:
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
        return bool(self._query("PRAGMA integrity_check")[0][0] == "ok")

    def journal_mode(self) -> str:
        return str(self._query("PRAGMA journal_mode")[0][0])
