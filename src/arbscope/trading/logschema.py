"""The trade log's file: its schema versions, how it is opened, and what went wrong.

`PRAGMA user_version` holds the schema version; MIGRATIONS maps each version to
the function that brings the previous one up to it. Only a log opened for
writing is migrated, inside one transaction, and only after a copy of the old
file is taken with SQLite's backup API (`trades.sqlite3.bak-v1-20261204T130000Z`):
reading (`trades list`, `trades export`, a monitor that cannot write) never
changes the file, and reads an old schema as it is.

A log opened read-only uses SQLite's `mode=ro` (and `query_only`); in a folder
nobody can write, with no write-ahead log beside it (so no writer), it is also
opened `immutable`, since SQLite could not create its shared-memory file there.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

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


class TradeLogReadOnlyError(TradeLogError):
    """A trade log that can be read but not written (read-only file or folder)."""


class TradeNotRecordedError(TradeLogError):
    """A trade's transaction did not commit (locked, damaged ...): nothing was written."""


def is_writable(path: Path) -> bool:
    """Whether this process may write `path` (a seam: as root every path is writable,
    so tests replace this to play a read-only folder)."""
    return os.access(path, os.W_OK)


def unwritable_reason(path: Path) -> str:
    """Why an existing log at `path` cannot be written ('' when it can)."""
    if not path.exists():
        return ""
    if not is_writable(path):
        return f"{path} is read-only"
    if not is_writable(path.parent):
        # WAL needs its -wal and -shm files beside the log.
        return f"its folder {path.parent} is read-only"
    return ""


def connect_read_only(path: Path, timeout: float) -> sqlite3.Connection:
    """A connection that cannot write `path` (SQLite `mode=ro`, `query_only`)."""
    uri = f"{path.absolute().as_uri()}?mode=ro"
    wal = path.with_name(path.name + "-wal")
    if not is_writable(path.parent) and not wal.exists():
        uri += "&immutable=1"  # no -shm can be made here, and no writer can be at work
    db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False,
                         timeout=timeout)
    db.execute("PRAGMA query_only=ON")
    return db


def schema_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def backup_path(path: Path, version: int, now: float) -> Path:
    """Where the copy of a version-`version` log goes before it is migrated (never an
    existing file)."""
    stamp = datetime.fromtimestamp(now, UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.bak-v{version}-{stamp}")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}.bak-v{version}-{stamp}-{counter}")
    return target


def backup(db: sqlite3.Connection, target: Path) -> None:
    """A consistent copy of `db` at `target` (SQLite's online backup)."""
    copy = sqlite3.connect(target)
    try:
        db.backup(copy)
    finally:
        copy.close()


def migrate(db: sqlite3.Connection, path: Path, now: float) -> Path | None:
    """Bring a writable log up to SCHEMA_VERSION, after a backup of an older one (a new,
    empty file has nothing to keep). Returns the backup's path, if one was made."""
    version = schema_version(db)
    if version >= SCHEMA_VERSION:
        return None
    kept = None
    if version >= 1:
        kept = backup_path(path, version, now)
        backup(db, kept)
    db.execute("BEGIN IMMEDIATE")
    try:
        for target in range(version + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[target](db)
        # PRAGMA takes no parameters; the value is our own integer.
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return kept


def refuse_newer(path: Path, version: int) -> None:
    if version > SCHEMA_VERSION:
        raise TradeLogError(
            f"{path} has trade log schema {version}, newer than this arbscope "
            f"({SCHEMA_VERSION}); upgrade arbscope or move the file away"
        )


def describe_write_failure(path: Path, error: sqlite3.Error, timeout: float) -> str:
    """What the user reads when a trade's transaction did not commit."""
    text = str(error)
    if "locked" in text or "busy" in text:
        what = (f"trade log is busy/locked by another program (waited {timeout:g} s: "
                f"close the other program)")
    elif "malformed" in text or "not a database" in text:
        what = (f"trade log {path} is damaged ({text}; check it with "
                f"sqlite3 {path} 'PRAGMA integrity_check')")
    elif "readonly" in text:
        what = f"trade log {path} cannot be written ({text})"
    else:
        what = f"trade log {path} failed ({text})"
    return f"{what} — trade not recorded; balances unchanged"
