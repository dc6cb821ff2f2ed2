"""The SQLite trade log: one transaction per trade, WAL, schema version, migration, restarts."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import signal
import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from arbscope.storage import paths
from arbscope.trading.balances import Balances
from arbscope.trading.broker import PaperBroker
from arbscope.trading.execution import Execution, Exposure
from arbscope.trading.export import CSV_COLUMNS, export_csv, write_csv
from arbscope.trading.tradelog import MIGRATIONS, SCHEMA_VERSION, TradeLog, TradeLogError
from tests.trading.helpers import (
    ENOUGH,
    T0,
    Books,
    ScriptedSleep,
    spatial_books,
    spatial_markets,
    spatial_opportunity,
)

ROOT = Path(__file__).resolve().parents[2]


def executed(size: float = 1.5) -> Execution:
    broker = PaperBroker(
        Books(*spatial_books()), spatial_markets(), Balances(ENOUGH), sleep=ScriptedSleep(),
        clock=lambda: T0 + 1,
    )
    return asyncio.run(broker.execute(spatial_opportunity(size=size)))


def test_file_is_in_the_data_dir_in_wal_mode_with_the_schema_version() -> None:
    with TradeLog() as log:
        assert log.path == paths.data_dir() / "trades.sqlite3"
        assert log.journal_mode() == "wal"
        assert log.schema_version == SCHEMA_VERSION == max(MIGRATIONS)


def test_each_execution_is_exactly_one_transaction() -> None:
    with TradeLog() as log:
        statements: list[str] = []
        log._db.set_trace_callback(statements.append)
        log.record(executed())
        verbs = [s.split()[0].upper() for s in statements]
        assert verbs[0] == "BEGIN" and verbs[-1] == "COMMIT"
        assert verbs.count("BEGIN") == 1 and verbs.count("COMMIT") == 1
        assert {"INSERT"} == set(verbs[1:-1])


def test_a_write_that_fails_half_way_leaves_nothing_behind() -> None:
    # An exposure without a currency violates NOT NULL after trade, legs and fills are
    # inserted: the whole trade must roll back.
    broken = replace(executed(), exposures=(Exposure("beta", None, 1.0, None),))  # type: ignore[arg-type]
    with TradeLog() as log:
        with pytest.raises(sqlite3.IntegrityError):
            log.record(broken)
        assert log.count() == 0
        assert log._query("SELECT COUNT(*) FROM fills")[0][0] == 0
        log.record(executed())  # the log is still usable
        assert log.count() == 1


def test_history_survives_a_reopen() -> None:
    first = executed()
    with TradeLog() as log:
        logged = log.record(first)
    with TradeLog() as log:
        (row,) = log.recent_trades()
        assert row.trade_id == logged.trade_id
        assert row.realized_profit == pytest.approx(3.1955)
        assert row.route_id == "spatial:BTC/USDT:alpha>beta"
        assert [leg["side"] for leg in log.legs(row.trade_id)] == ["buy", "sell"]
        assert log.latest_balances()["beta"]["BTC"] == pytest.approx(0.5)


def test_queries_recent_running_total_and_latest_balances() -> None:
    with TradeLog() as log:
        one = log.record(executed(size=1.0))
        two = log.record(replace(executed(size=0.5), balances_after={"alpha": {"USDT": 7.0}}))
        assert [t.trade_id for t in log.recent_trades()] == [two.trade_id, one.trade_id]
        assert [t.trade_id for t in log.recent_trades(limit=1)] == [two.trade_id]
        # size 1: 103 * 0.999 - 100 * 1.001 = 2.797; size 0.5: 0.5 * 2.797 = 1.3985
        assert log.running_total() == {"USDT": pytest.approx(2.797 + 1.3985)}
        balances = log.latest_balances()
        assert balances["alpha"]["USDT"] == 7.0  # newest trade wins for that currency
        assert balances["alpha"]["BTC"] == pytest.approx(3.0)  # older trade still the latest


def test_migration_from_version_1_keeps_old_trades() -> None:
    path = paths.trades_db()
    path.parent.mkdir(parents=True)
    db = sqlite3.connect(path, isolation_level=None)
    MIGRATIONS[1](db)
    db.execute("PRAGMA user_version = 1")
    db.execute(
        "INSERT INTO trades (ts, requested_ts, route_id, kind, status, size, size_currency, "
        "profit_currency, expected_profit, realized_profit, fees) "
        "VALUES (1.0, 1.0, 'spatial:BTC/USDT:a>b', 'spatial', 'filled', 1, 'BTC', 'USDT', "
        "2, 1.5, 0.2)"
    )
    db.close()
    with TradeLog(path) as log:
        assert log.schema_version == 2
        (row,) = log.all_trades()
        assert (row.action, row.realized_profit, row.position_id) == ("trade", 1.5, None)
        assert log.positions() == []
        log.record(executed())
        assert log.count() == 2


def test_a_newer_schema_is_refused_with_what_to_do() -> None:
    path = paths.trades_db()
    path.parent.mkdir(parents=True)
    sqlite3.connect(path).execute("PRAGMA user_version = 99").connection.close()
    with pytest.raises(TradeLogError, match="schema 99, newer than this arbscope"):
        TradeLog(path)


def test_a_file_that_is_not_a_database_is_reported_not_overwritten() -> None:
    path = paths.trades_db()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(TradeLogError, match="move it away"):
        TradeLog(path)
    assert path.read_bytes().startswith(b"not sqlite at all")


def test_csv_export_has_one_row_per_leg() -> None:
    with TradeLog() as log:
        log.record(executed())
        out = io.StringIO()
        assert write_csv(log, out) == 2
        rows = list(csv.DictReader(io.StringIO(out.getvalue())))
        assert tuple(rows[0]) == CSV_COLUMNS
        assert [r["side"] for r in rows] == ["buy", "sell"]
        assert float(rows[0]["realized_profit"]) == pytest.approx(3.1955)
        assert float(rows[0]["vwap"]) == pytest.approx(150.5 / 1.5)
        target = paths.data_dir() / "out.csv"
        assert export_csv(log, target) == 2
        assert target.read_text() == out.getvalue()


def test_sigkill_during_a_burst_leaves_every_committed_trade(tmp_path: Path) -> None:
    db = tmp_path / "burst.sqlite3"
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.trading.burst_child", str(db), "100000"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None
    printed: list[int] = []
    try:
        for line in child.stdout:  # bounded: the child stops after 100000 trades
            printed.append(int(line))
            if len(printed) >= 40:
                break
    finally:
        child.send_signal(signal.SIGKILL)
        rest = child.stdout.read()
        child.wait(timeout=30)
    printed += [int(x) for x in rest.split()]
    assert child.returncode == -signal.SIGKILL
    assert len(printed) >= 40

    with TradeLog(db) as log:
        assert log.integrity_ok()
        stored = log.trade_ids()
        assert set(printed) <= stored
        # Every stored trade is whole: its legs and its balances came with it.
        counts = log._query(
            "SELECT COUNT(*) FROM trades t WHERE (SELECT COUNT(*) FROM legs l "
            "WHERE l.trade_id = t.id) != 2"
        )
        assert counts[0][0] == 0
