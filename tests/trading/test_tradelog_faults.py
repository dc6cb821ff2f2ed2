"""The trade log under faults: a lock held by another program, a damaged page, a log that
can only be read, an old schema. Balances follow the log: they change only on commit."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import threading
from pathlib import Path

import pytest

from arbscope.cli import run
from arbscope.storage import paths
from arbscope.storage.sections import PaperConfig
from arbscope.storage.settings import Settings
from arbscope.trading import logschema
from arbscope.trading.broker import PaperBroker
from arbscope.trading.execution import ExecutionStatus
from arbscope.trading.tradelog import (
    MIGRATIONS,
    SCHEMA_VERSION,
    TradeLog,
    TradeLogReadOnlyError,
    TradeNotRecordedError,
)
from tests.trading.helpers import (
    ENOUGH,
    Books,
    ScriptedSleep,
    spatial_books,
    spatial_markets,
    spatial_opportunity,
)
from tests.trading.test_tradelog import executed

BUY = ("alpha", "BTC/USDT")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def broker_on(log: TradeLog, books: Books | None = None) -> PaperBroker:
    return PaperBroker.from_settings(
        Settings(paper=PaperConfig(starting_balances=ENOUGH)),
        books or Books(*spatial_books()), spatial_markets(), log, sleep=ScriptedSleep(),
    )


def log_one_trade() -> Path:
    """trades.sqlite3 in the data folder with one filled 1.5 BTC trade (see helpers)."""
    with TradeLog() as log:
        asyncio.run(broker_on(log).execute(spatial_opportunity()))
        return log.path


def hold_write_lock(path: Path) -> sqlite3.Connection:
    """Another program's connection with a pending write (`BEGIN IMMEDIATE`)."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


# -- a lock held by another program -------------------------------------------------------


async def test_a_locked_log_keeps_the_event_loop_running_and_balances_wait_for_the_commit(
) -> None:
    with TradeLog(busy_timeout_s=600.0) as log:
        broker = broker_on(log)
        before = broker.balances.snapshot()
        began = threading.Event()  # the writer thread has issued BEGIN: it waits on the lock
        log._db.set_trace_callback(lambda sql: began.set() if sql.startswith("BEGIN") else None)
        other = hold_write_lock(log.path)
        try:
            trade = asyncio.create_task(broker.execute(spatial_opportunity()))
            await asyncio.to_thread(began.wait, 600.0)
            assert began.is_set()
            ticks = 0
            for _ in range(100):  # the loop keeps turning while the write waits
                await asyncio.sleep(0)
                ticks += 1
            assert ticks == 100 and not trade.done()
            # Nothing committed yet: balances, depth and log are as they were.
            assert broker.balances.snapshot() == before
            assert broker.ledger.taken(BUY) == 0.0
            assert log.count() == 0
        finally:
            other.rollback()
            other.close()
        execution = await trade
    assert execution.status is ExecutionStatus.FILLED
    # Committed: alpha bought 1.5 BTC (ENOUGH starts it at 2 BTC).
    assert broker.balances.get("alpha", "BTC") == pytest.approx(3.5)
    assert broker.ledger.taken(BUY) == pytest.approx(1.5)


async def test_a_write_that_never_gets_the_lock_records_nothing_and_changes_no_balance(
) -> None:
    with TradeLog(busy_timeout_s=0.05) as log:
        broker = broker_on(log)
        before = broker.balances.snapshot()
        other = hold_write_lock(log.path)
        try:
            with pytest.raises(TradeNotRecordedError,
                               match=r"busy/locked.*trade not recorded; balances unchanged"):
                await broker.execute(spatial_opportunity())
        finally:
            other.rollback()
            other.close()
        assert broker.balances.snapshot() == before  # main: alpha had already 3.5 BTC
        assert broker.ledger.taken(BUY) == 0.0
        assert log.count() == 0
        # Released: the same trade now commits, on the whole depth again.
        execution = await broker.execute(spatial_opportunity())
        assert execution.status is ExecutionStatus.FILLED and log.count() == 1
        assert log.latest_balances()["alpha"]["BTC"] == broker.balances.get("alpha", "BTC")


# -- a damaged page --------------------------------------------------------------------------


def test_a_damaged_page_records_nothing_and_changes_no_balance() -> None:
    path = log_one_trade()
    with sqlite3.connect(path) as db:
        (root,) = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'trades'").fetchone()
        (page_size,) = db.execute("PRAGMA page_size").fetchone()
    db.close()
    data = bytearray(path.read_bytes())
    start = (root - 1) * page_size
    data[start:start + page_size] = b"\xff" * page_size  # the trades table's root page
    path.write_bytes(bytes(data))

    with TradeLog(path) as log:
        broker = broker_on(log)
        before = broker.balances.snapshot()
        assert before == log.latest_balances()  # balances and positions still read
        with pytest.raises(TradeNotRecordedError,
                           match=r"damaged .*malformed.*trade not recorded; balances unchanged"):
            asyncio.run(broker.execute(spatial_opportunity(size=0.5)))  # beta has 0.5 BTC
        assert broker.balances.snapshot() == before
        assert broker.ledger.taken(BUY) == 0.0


# -- read commands open read-only ------------------------------------------------------------


def test_trades_list_opens_the_log_read_only_and_leaves_it_byte_identical(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = log_one_trade()
    kept = digest(path)
    assert run(["trades", "list"]) == 0
    assert "spatial:BTC/USDT:alpha>beta" in capsys.readouterr().out
    assert run(["trades", "export", "--csv", "-"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3  # header and two legs
    assert digest(path) == kept
    with TradeLog(path, read_only=True) as log:  # what the commands open
        assert log._db.execute("PRAGMA query_only").fetchone()[0] == 1
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            log._db.execute("PRAGMA query_only=OFF")
            log._db.execute("DELETE FROM trades")
        with pytest.raises(TradeLogReadOnlyError, match="read-only: trade not recorded"):
            log.record(executed())
    assert digest(path) == kept


def test_in_a_read_only_folder_list_works_and_a_writer_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    # As root chmod stops nothing, so the folder's permission is played through the one
    # seam every open asks (logschema.is_writable); SQLite itself is not fooled, so this
    # pins what arbscope decides, and that the read opens with `immutable` where no
    # shared-memory file could be created.
    path = log_one_trade()
    kept = digest(path)
    folder = path.parent
    monkeypatch.setattr(logschema, "is_writable", lambda p: Path(p) != folder)
    assert run(["trades", "list"]) == 0
    out = capsys.readouterr().out
    assert "spatial:BTC/USDT:alpha>beta" in out and "balances alpha:" in out
    assert digest(path) == kept
    assert sorted(p.name for p in folder.iterdir()) == ["trades.sqlite3"]  # no -wal, -shm
    with pytest.raises(TradeLogReadOnlyError, match=r"folder .* is read-only"):
        TradeLog(path)
    assert digest(path) == kept


# -- old schemas: read as they are, migrated on a write after a backup -----------------------


def write_version_1_log(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    MIGRATIONS[1](db)
    db.execute("PRAGMA user_version = 1")
    db.execute(
        "INSERT INTO trades (ts, requested_ts, route_id, kind, status, size, size_currency, "
        "profit_currency, expected_profit, realized_profit, fees) "
        "VALUES (1.0, 1.0, 'spatial:BTC/USDT:a>b', 'spatial', 'filled', 1, 'BTC', 'USDT', "
        "2, 1.5, 0.2)"
    )
    db.execute(
        "INSERT INTO legs (trade_id, idx, venue, symbol, side, status, requested, filled, "
        "cost, fee, fee_rate, vwap, expected_vwap, latency_s) "
        "VALUES (1, 0, 'a', 'BTC/USDT', 'buy', 'filled', 1, 1, 100, 0.1, 0.001, 100, 100, 0.15)"
    )
    db.close()


def test_a_read_on_an_old_schema_never_migrates_and_a_write_backs_it_up_first(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = paths.trades_db()
    write_version_1_log(path)
    kept = digest(path)
    assert run(["trades", "list"]) == 0
    assert "spatial:BTC/USDT:a>b" in capsys.readouterr().out
    assert run(["trades", "list", "--json"]) == 0
    assert '"action": "trade"' in capsys.readouterr().out  # v1 trades were plain trades
    assert digest(path) == kept
    assert not list(path.parent.glob("*.bak-*"))

    with TradeLog(path, clock=lambda: 1_764_853_200.0) as log:  # 2025-12-04 13:00:00 UTC
        log.record(executed())
        assert log.schema_version == SCHEMA_VERSION and log.count() == 2
        assert log.backup == path.with_name("trades.sqlite3.bak-v1-20251204T130000Z")
    assert log.backup is not None
    with TradeLog(log.backup, read_only=True) as old:
        assert old.schema_version == 1 and old.count() == 1
