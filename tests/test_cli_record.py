"""`arbscope record --out FILE`: the output rule, progress, and a run that recorded nothing."""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path

import pytest
import tomlkit

from arbscope.cli import run
from arbscope.market.recorder import Recorder
from arbscope.market.service import MarketService
from arbscope.storage import paths
from tests.test_cli import HEADER, write_recording

BOOK = {"type": "book", "ts": 1000.0, "venue": "alpha", "symbol": "BTC/USD",
        "bids": [[99.0, 1.0]], "asks": [[100.0, 0.5]]}


@pytest.fixture
def replay(tmp_path: Path) -> Path:
    """One book of alpha's: what a `record --replay` of it writes back."""
    return write_recording(tmp_path / "in.jsonl", [
        HEADER, {"type": "venue", "venue": "alpha", "taker_fee": 0.001, "maker_fee": 0.0}, BOOK,
    ])


def record(replay: Path, out: Path, *extra: str) -> int:
    return run(["record", "--replay", str(replay), "--duration", "60", "--out", str(out), *extra])


def books_in(path: Path) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    return [line for line in lines if line["type"] == "book"]


def test_an_existing_recording_is_replaced_only_with_force(
    replay: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "recordings"
    folder.mkdir()
    old = write_recording(folder / "old.jsonl", [HEADER])
    before = old.read_bytes()
    assert record(replay, old) == 2
    assert f"{old} already exists; pass --force to replace it" in capsys.readouterr().err
    assert old.read_bytes() == before
    assert record(replay, old, "--force") == 0
    assert books_in(old) == [BOOK]
    assert sorted(p.name for p in folder.iterdir()) == ["old.jsonl"]  # no temporary file left


def test_record_never_writes_over_the_trade_log_or_a_file_that_is_not_a_recording(
    replay: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths.data_dir().mkdir(parents=True)
    paths.trades_db().write_bytes(b"SQLite format 3\x00 stand-in for a real log")
    notes = tmp_path / "notes.jsonl"
    notes.write_text('{"my": "own json lines"}\n')
    for target in (paths.trades_db(), notes):
        before = target.read_bytes()
        assert record(replay, target, "--force") == 2
        assert str(target) in capsys.readouterr().err
        assert target.read_bytes() == before
    assert record(replay, paths.trades_db(), "--force") == 2
    assert "is arbscope's trade log; choose another name" in capsys.readouterr().err


def test_a_failed_recording_leaves_the_old_file_and_no_temporary_file(tmp_path: Path) -> None:
    old = write_recording(tmp_path / "old.jsonl", [HEADER, BOOK])
    before = old.read_bytes()
    service = MarketService([])
    recorder = Recorder(old, source="sim", markets=service.markets, replace=True)

    class FullDisk(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError(28, "No space left on device")

    recorder._file = FullDisk()
    service.add_listener(recorder.on_book)
    service.submit("alpha", "BTC/USD", 2000.0, [[99.0, 1.0]], [[100.0, 0.5]])
    recorder.close()
    assert isinstance(recorder.error, OSError) and recorder.error.errno == 28
    assert old.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["old.jsonl"]


def test_progress_is_shown_about_once_a_second_not_per_book() -> None:
    from arbscope.cli.record import Progress

    now = [0.0]
    out = io.StringIO()
    progress = Progress(out, clock=lambda: now[0], interval_s=1.0)
    # Ticks at 0.5, 1.0, 1.5, 2.2 and 2.9 s: a line at 1.0 and at 2.2 (1.2 s after it) only.
    for at, books in ((0.5, 3), (1.0, 7), (1.5, 9), (2.2, 12), (2.9, 15)):
        now[0] = at
        progress.update(books, markets=2)
    assert out.getvalue().splitlines() == [
        "recording: 7 books of 2 markets so far",
        "recording: 12 books of 2 markets so far",
    ]


def test_record_live_against_a_dead_venue_says_why_and_exits_1(
    isolated_user_dirs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:  # a port nothing listens on once the probe closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dead = {"urls": {"api": {"public": f"http://127.0.0.1:{port}/api/v3"}}, "timeout": 500}
    config = isolated_user_dirs["config"]
    config.mkdir(parents=True)
    settings = {"venues": {"binance": {"transport": "rest", "ccxt_options": dead}}}
    (config / "settings.toml").write_text(tomlkit.dumps(settings))
    out = tmp_path / "live.jsonl"
    argv = ["record", "--live", "binance", "--symbols", "BTC/USDT", "--duration", "0.5",
            "--out", str(out)]
    assert run(argv) == 1
    err = capsys.readouterr().err
    assert f"nothing was recorded; {out} was not written" in err
    [reason] = [line for line in err.splitlines() if line.startswith("  binance: ")]
    assert "ExchangeNotAvailable" in reason and f"127.0.0.1:{port}" in reason
    assert not out.exists()


def test_each_venue_keeps_the_depth_its_settings_give(tmp_path: Path) -> None:
    # alpha is set to 2 levels a side, beta keeps the default (50): 4 levels recorded for
    # beta, 2 of alpha's 4.
    def deep(venue: str, ts: float) -> dict[str, object]:
        return {"type": "book", "ts": ts, "venue": venue, "symbol": "BTC/USD",
                "bids": [[99.0 - i, 1.0] for i in range(4)],
                "asks": [[100.0 + i, 1.0] for i in range(4)]}

    replay = write_recording(
        tmp_path / "deep.jsonl", [HEADER, deep("alpha", 1.0), deep("beta", 2.0)]
    )
    settings = paths.settings_file()
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text("schema_version = 2\n[venues.alpha]\nbook_depth = 2\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert record(replay, out) == 0
    depths = {book["venue"]: (len(book["bids"]), len(book["asks"])) for book in books_in(out)}  # type: ignore[arg-type]
    assert depths == {"alpha": (2, 2), "beta": (4, 4)}
