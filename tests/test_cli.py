"""The command line: `scan` and `record` on hand-made recordings, and its usage errors."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from arbscope.cli import run
from arbscope.market.replay import ReplayFeed
from arbscope.models import Market

HEADER = {"type": "header", "version": 1, "created": 1000.0, "source": "test"}


def write_recording(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def crossing(tmp_path: Path) -> Path:
    """alpha asks 100.0 while beta bids 101.0 for BTC/USD: one spatial route, alpha>beta.

    Worked by hand, at a trade size the depth caps (--size 100000 USD is ~1000 BTC):
      merge-walk alpha's asks against beta's bids, fees 0.1% (alpha) and 0.2% (beta):
        100.0 x 0.5  vs 101.0 x 0.4: marginal 101*0.998 - 100*1.001 = +0.698 -> take 0.4
        100.0 x 0.1  vs 100.2 x 1.0: marginal 100.2*0.998 - 100.1 = -0.1004 -> stop
      max_size = size = 0.4 BTC; buy 0.4 @ 100 = 40.0 USD, sell 0.4 @ 101 = 40.4 USD
      gross = 0.4 USD = 100 bps of 40.0; fees = 40*0.001 + 40.4*0.002 = 0.04 + 0.0808
      net = 0.4 - 0.1208 = 0.2792 USD = 69.8 bps
    beta>alpha does not cross (beta's ask 102 is above alpha's bid 99).
    """
    return write_recording(tmp_path / "crossing.jsonl", [
        HEADER,
        {"type": "venue", "venue": "alpha", "taker_fee": 0.001, "maker_fee": 0.0},
        {"type": "venue", "venue": "beta", "taker_fee": 0.002, "maker_fee": 0.0},
        {"type": "book", "ts": 1000.0, "venue": "alpha", "symbol": "BTC/USD",
         "bids": [[99.0, 1.0]], "asks": [[100.0, 0.5], [100.5, 1.0]]},
        {"type": "book", "ts": 1000.0, "venue": "beta", "symbol": "BTC/USD",
         "bids": [[101.0, 0.4], [100.2, 1.0]], "asks": [[102.0, 1.0]]},
    ])


def test_scan_replay_json_prints_the_crossing_with_the_documented_fields(
    crossing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["scan", "--replay", str(crossing), "--json", "--size", "100000"]) == 0
    out, err = capsys.readouterr()
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 1, out
    opp = lines[0]
    assert opp["kind"] == "spatial"
    assert [(leg["venue"], leg["symbol"], leg["side"]) for leg in opp["legs"]] == [
        ("alpha", "BTC/USD", "buy"),
        ("beta", "BTC/USD", "sell"),
    ]
    assert opp["size"] == pytest.approx(0.4)
    assert opp["max_size"] == pytest.approx(0.4)
    assert opp["buy_vwap"] == pytest.approx(100.0)
    assert opp["sell_vwap"] == pytest.approx(101.0)
    assert opp["gross_bps"] == pytest.approx(100.0)
    assert opp["fees"] == pytest.approx(0.1208)
    assert opp["net_profit"] == pytest.approx(0.2792)
    assert opp["net_bps"] == pytest.approx(69.8)
    assert opp["ts"] == 1000.0  # recording time, not the wall clock
    assert "scan summary: 1 opportunity opened" in err  # summary kept off stdout


def test_scan_replay_table_is_aligned_and_ends_with_a_summary(
    crossing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["scan", "--replay", str(crossing), "--size", "100000"]) == 0
    out = capsys.readouterr().out.splitlines()
    header, row = out[0], out[1]
    assert header.split() == [
        "time", "UTC", "kind", "route", "size", "max", "size", "gross", "bps", "net", "bps",
        "net", "profit",
    ]
    assert row.split() == [
        "00:16:40.000", "spatial", "BTC/USD", "alpha>beta", "0.4", "BTC", "0.4", "BTC",
        "100.00", "69.80", "+0.28", "USD",
    ]
    # Columns line up: each right-aligned figure ends where its title ends.
    assert row.index("69.80") + len("69.80") == header.index("net bps") + len("net bps")
    assert out[2].startswith("scan summary: 1 opportunity opened")
    assert out[3].split() == ["kind", "opened", "best", "net", "bps"]
    assert out[4].split() == ["spatial", "1", "69.80"]


def test_min_bps_filters_on_net_bps(crossing: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["scan", "--replay", str(crossing), "--json", "--size", "1e5", "--min-bps", "70"]
    assert run(argv) == 0
    out, err = capsys.readouterr()
    assert out == ""  # 69.8 bps is below 70
    assert "scan summary: 0 opportunities opened" in err


def test_scan_reports_a_bad_replay_line_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(HEADER) + "\n{oops\n")
    assert run(["scan", "--replay", str(bad), "--strict"]) == 2
    err = capsys.readouterr().err
    assert f"{bad}, line 2: not valid JSON" in err


def test_an_invalid_book_mid_replay_is_exit_2_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crossed = write_recording(tmp_path / "crossed.jsonl", [
        HEADER,
        {"type": "book", "ts": 1.0, "venue": "alpha", "symbol": "BTC/USD",
         "bids": [[101.0, 1.0]], "asks": [[100.0, 1.0]]},
    ])
    assert run(["scan", "--replay", str(crossed), "--strict"]) == 2
    assert f"{crossed}, line 2: invalid book: crossed book" in capsys.readouterr().err


def test_missing_replay_file_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["scan", "--replay", str(tmp_path / "nope.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "nope.jsonl: cannot read the file (No such file or directory)" in err


def test_unknown_flag_is_exit_2_with_a_suggestion_and_the_options(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["scan", "--duraton", "5"]) == 2
    err = capsys.readouterr().err
    expected = "unrecognized argument(s): --duraton (did you mean --duration?)"
    assert f"arbscope scan: error: {expected}" in err
    assert "--min-bps" in err and "(see 'arbscope scan --help')" in err


def test_bad_values_are_exit_2_saying_what_would_be_right(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["scan", "--size", "-5"]) == 2
    assert "argument --size: '-5' must be a number above 0" in capsys.readouterr().err
    assert run(["scan", "--sim", "--replay", "x.jsonl"]) == 2
    assert "not allowed with argument" in capsys.readouterr().err
    assert run(["scan", "--sim", "--speed", "2"]) == 2
    assert "--speed applies to --replay FILE only" in capsys.readouterr().err


def test_unknown_symbol_for_the_sim_is_exit_2_with_the_known_list(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["scan", "--sim", "--symbols", "DOGE/XYZ", "--duration", "1"]) == 2
    err = capsys.readouterr().err
    assert "unknown symbol 'DOGE/XYZ'" in err and "BTC/USDT" in err


def test_unknown_symbol_for_a_replay_is_exit_2_with_the_recorded_ones(
    crossing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["scan", "--replay", str(crossing), "--symbols", "ETH/USD"]) == 2
    assert "ETH/USD not in" in capsys.readouterr().err


class _SilentFeed:
    """A live venue that never sends a book (unreachable, say)."""

    name = "LIVE"
    venues = ("nowhere",)

    def markets(self) -> list[Market]:
        return []

    async def run(self, sink: object) -> None:
        await asyncio.sleep(3600)


def test_recording_ends_on_time_when_no_book_arrives() -> None:
    from arbscope.cli.record import _record
    from arbscope.market.service import MarketService

    service = MarketService([_SilentFeed()])
    end = time.time() + 0.3
    # Without the clock check this waits forever and wait_for raises TimeoutError.
    asyncio.run(asyncio.wait_for(_record(service, asyncio.Event(), time.time, end), timeout=10))
    assert time.time() >= end


def test_record_from_a_replay_gives_back_the_same_books(crossing: Path, tmp_path: Path) -> None:
    out = tmp_path / "again.jsonl"
    assert run(["record", "--replay", str(crossing), "--duration", "60", "--out", str(out)]) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines[0]["type"] == "header" and lines[0]["source"] == "replay"
    fees = {r["venue"]: r["taker_fee"] for r in lines if r["type"] == "venue"}
    assert fees == {"alpha": 0.001, "beta": 0.002}
    original = [r for r in (json.loads(x) for x in crossing.read_text().splitlines())
                if r["type"] == "book"]
    assert [r for r in lines if r["type"] == "book"] == original
    assert ReplayFeed(out).markets() == ReplayFeed(crossing).markets()


def test_record_needs_duration_and_out(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["record", "--sim"]) == 2
    assert "the following arguments are required: --duration, --out" in capsys.readouterr().err


def test_record_into_a_missing_folder_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "no" / "such" / "rec.jsonl"
    assert run(["record", "--sim", "--duration", "1", "--out", str(target)]) == 2
    assert "does not exist; create it first" in capsys.readouterr().err


def test_record_the_sim_for_a_moment(tmp_path: Path) -> None:
    out = tmp_path / "sim.jsonl"
    assert run(["record", "--sim", "--symbols", "BTC/USDT", "--duration", "0.3",
                "--out", str(out)]) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines[0]["source"] == "sim"
    books = [r for r in lines if r["type"] == "book"]
    assert books and {r["symbol"] for r in books} == {"BTC/USDT"}
    # What was recorded replays: every venue of those books has its fees.
    assert {m.venue for m in ReplayFeed(out).markets()} == {r["venue"] for r in books}


def test_python_dash_m_scan_on_the_sim_runs_and_exits_0(tmp_path: Path) -> None:
    env = {**os.environ, "ARBSCOPE_CONFIG_DIR": str(tmp_path / "c"),
           "ARBSCOPE_DATA_DIR": str(tmp_path / "d")}
    done = subprocess.run(
        [sys.executable, "-m", "arbscope", "scan", "--sim", "--duration", "2", "--json"],
        capture_output=True, text=True, timeout=60, env=env,
    )
    assert done.returncode == 0, done.stderr
    for line in done.stdout.splitlines():
        assert {"kind", "legs", "net_bps", "ts"} <= set(json.loads(line))
    assert "scan summary:" in done.stderr


def test_scan_and_record_import_neither_textual_nor_ccxt() -> None:
    code = (
        "import json, sys, arbscope.cli.scan, arbscope.cli.record, arbscope.cli.sources, "
        "arbscope.market.replay, arbscope.market.recorder, arbscope.market.scanner; "
        "print(json.dumps(sorted(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(done.stdout))
    assert not {m for m in loaded if m.split(".")[0] in ("textual", "ccxt")}


def test_plain_arbscope_runs_the_monitor_when_registered_else_scan(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from arbscope import cli

    monkeypatch.setattr(cli, "COMMAND_MODULES", ("monitor", "scan", "record"))
    assert cli.with_default_command([]) == ["monitor"]
    assert cli.with_default_command(["--sim"]) == ["monitor", "--sim"]
    assert cli.with_default_command(["--help"]) == ["--help"]
    assert cli.with_default_command(["scan", "--sim"]) == ["scan", "--sim"]
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("scan", "record"))
    assert run(["--sim", "--symbols", "BTC/USDT", "--duration", "0.3", "--json"]) == 0
    assert "scan summary:" in capsys.readouterr().err


def _signal_state(pid: int) -> str:
    """The child's signal masks from /proc (blocked, ignored, caught), for a hang's report."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "(no /proc status)"
    masks = ("SigBlk", "SigIgn", "SigCgt")
    return " ".join(line for line in status.splitlines() if line.startswith(masks))


def test_ctrl_c_ends_a_scan_cleanly_with_the_summary(tmp_path: Path) -> None:
    env = {**os.environ, "ARBSCOPE_CONFIG_DIR": str(tmp_path / "c")}
    # A user's Ctrl-C reaches a scan started in the foreground, where SIGINT has its default
    # action. A shell without job control starts background jobs with SIGINT ignored, and a
    # child inherits that (Python keeps an ignored SIGINT ignored): pytest run from such a job
    # used to leave this scan deaf to the signal until the watchdog. Restore what a terminal gives.
    launcher = (
        "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "from arbscope.__main__ import main; sys.exit(main(sys.argv[1:]))"
    )
    argv = [sys.executable, "-X", "faulthandler", "-c", launcher, "scan", "--sim", "--json"]
    argv += ["--min-bps", "-100000"]
    hung: list[str] = []

    def report_hang() -> None:
        # Bounded only against a hang: say what the child was doing (its signal masks, then
        # every thread's stack, which faulthandler prints on SIGABRT), rather than just kill.
        hung.append(_signal_state(scan.pid))
        scan.send_signal(signal.SIGABRT)

    with subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as scan:
        # A loaded machine may take many seconds to stop and drain the output, and must not fail.
        watchdog = threading.Timer(300.0, report_hang)
        watchdog.start()
        try:
            assert scan.stdout is not None
            first = scan.stdout.readline()  # the scan is running once it prints
            assert json.loads(first)["kind"]
            before = _signal_state(scan.pid)
            scan.send_signal(signal.SIGINT)
            _, err = scan.communicate()
        finally:
            watchdog.cancel()
    assert not hung, f"scan hung after SIGINT; before: {before}; at hang: {hung}\n{err}"
    assert scan.returncode == 0, err
    assert "scan summary:" in err and "Traceback" not in err


def test_watchlist_narrows_the_source_to_its_symbols(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from arbscope.storage.watchlists import WatchlistStore

    WatchlistStore().create("majors", ["ETH/USDT", "SOL/USDT"])
    out = tmp_path / "majors.jsonl"
    argv = ["record", "--sim", "--watchlist", "majors", "--duration", "0.3", "--out", str(out)]
    assert run(argv) == 0
    assert {m.symbol for m in ReplayFeed(out).markets()} == {"ETH/USDT", "SOL/USDT"}
    assert run(["scan", "--sim", "--watchlist", "minors", "--duration", "1"]) == 2
    err = capsys.readouterr().err
    assert "no watchlist named 'minors'; existing watchlists: majors" in err
