"""`arbscope trades list [--json]` and `arbscope trades export --csv FILE|-`."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

import pytest

from arbscope.cli import run
from arbscope.storage import paths
from arbscope.trading.balances import Balances
from arbscope.trading.broker import PaperBroker
from arbscope.trading.tradelog import TradeLog
from tests.trading.helpers import (
    T0,
    Books,
    ScriptedSleep,
    book,
    spatial_books,
    spatial_markets,
    spatial_opportunity,
)


def log_two_trades() -> None:
    """A full fill (+3.1955 USDT, see helpers) and one whose buy found only 0.4 BTC."""
    books = Books(*spatial_books())
    thin = book("alpha", "BTC/USDT", [(99.0, 2.0)], [(100.0, 0.4)], T0 + 5)
    with TradeLog() as log:
        broker = PaperBroker(
            books,
            spatial_markets(),
            Balances({"*": {"USDT": 10_000.0, "BTC": 5.0}}),
            log=log,
            sleep=ScriptedSleep(),
            clock=lambda: T0 + 1,
        )
        asyncio.run(broker.execute(spatial_opportunity()))
        books.put(book("alpha", "BTC/USDT", [(99.0, 2.0)], [(100.0, 1.0), (101.0, 1.0)], T0 + 2))
        books.put(book("beta", "BTC/USDT", [(103.0, 1.0), (102.0, 1.0)], [(104.0, 2.0)], T0 + 2))
        broker._sleep = ScriptedSleep(lambda: books.put(thin))
        asyncio.run(broker.execute(spatial_opportunity(books=books)))


def test_list_without_a_log_says_so_and_creates_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["trades", "list"]) == 0
    assert "no trades yet" in capsys.readouterr().out
    assert not paths.trades_db().exists()
    assert run(["trades", "list", "--json"]) == 0
    assert capsys.readouterr().out == ""


def test_list_shows_trades_total_balances_and_exposure(capsys: pytest.CaptureFixture[str]) -> None:
    log_two_trades()
    assert run(["trades", "list"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["id", "time", "(UTC)"]
    assert lines[1].split()[0] == "1" and "spatial:BTC/USDT:alpha>beta" in lines[1]
    assert "filled" in lines[1] and "3.1955" in lines[1]
    assert "partial" in lines[2]
    assert "running total:" in out
    assert "balances alpha:" in out and "balances beta:" in out
    # Second trade: bought 0.4 on alpha, sold 1.5 on beta -> 1.1 BTC short on beta.
    assert "open exposure beta: -1.1 BTC" in out


def test_list_json_is_one_object_per_trade_with_legs(capsys: pytest.CaptureFixture[str]) -> None:
    log_two_trades()
    assert run(["trades", "list", "--json", "--limit", "1"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    trade = json.loads(line)
    assert trade["trade_id"] == 2 and trade["status"] == "partial"
    assert [leg["side"] for leg in trade["legs"]] == ["buy", "sell"]
    assert trade["legs"][0]["filled"] == pytest.approx(0.4)
    assert trade["exposures"][0]["currency"] == "BTC"
    assert trade["slippage"] == pytest.approx(trade["expected_profit"] - trade["realized_profit"])


def test_export_to_a_file_and_to_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log_two_trades()
    target = tmp_path / "trades.csv"
    assert run(["trades", "export", "--csv", str(target)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote 4 leg rows to {target}"
    rows = list(csv.DictReader(target.open()))
    assert [(r["trade_id"], r["side"]) for r in rows] == [
        ("1", "buy"),
        ("1", "sell"),
        ("2", "buy"),
        ("2", "sell"),
    ]
    assert run(["trades", "export", "--csv", "-"]) == 0
    assert list(csv.DictReader(io.StringIO(capsys.readouterr().out))) == rows


def test_export_into_a_missing_folder_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["trades", "export", "--csv", str(tmp_path / "nope" / "t.csv")]) == 2
    assert "does not exist: create it or pick another FILE" in capsys.readouterr().err
    assert run(["trades", "export"]) == 2
    assert "--csv" in capsys.readouterr().err
