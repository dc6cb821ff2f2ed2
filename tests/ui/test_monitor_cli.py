"""`arbscope` / `arbscope monitor`: the command opens the monitor on the chosen source."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from arbscope.cli import run
from arbscope.market.runner import ScannerThread
from arbscope.storage.paths import user_themes_dir
from arbscope.ui.app import ArbscopeApp
from arbscope.ui.widgets.opportunities import OpportunitiesTable
from arbscope.ui.widgets.status_bar import StatusBar
from tests.ui.bad_themes import write_bad_themes

FIRST_FRAME = """
import json, sys
from arbscope.cli import build_parser
from arbscope.cli.monitor import build_app

parser, _ = build_parser()
app = build_app(parser.parse_args(["monitor", "--sim", "--symbols", "BTC/USDT,ETH/USDT"]))

async def until_first_full_frame(pilot):
    for _ in range(1200):  # a hang guard only (~60 s): a loaded machine waits, not fails
        await pilot.pause(0.05)
        if app.frames and app.shown_snapshot is not None and app.shown_snapshot.books:
            break
    app.exit()

app.run(headless=True, size=(160, 48), auto_pilot=until_first_full_frame)
print(json.dumps({"modules": sorted(sys.modules), "books": len(app.shown_snapshot.books),
                  "source": app.shown_snapshot.source}))
"""


def test_the_simulated_monitor_runs_without_importing_ccxt() -> None:
    out = subprocess.run([sys.executable, "-c", FIRST_FRAME], check=True, capture_output=True,
                         text=True, timeout=60)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["source"] == "SIM" and report["books"] > 0  # it really ran the market
    assert not [m for m in report["modules"] if m == "ccxt" or m.startswith("ccxt.")]
    assert "textual" in report["modules"]


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[ArbscopeApp]]:
    """Apps `run` would have opened (ArbscopeApp.run replaced: no terminal in tests)."""
    opened: list[ArbscopeApp] = []

    def fake_run(self: ArbscopeApp, *args: Any, **kwargs: Any) -> None:
        opened.append(self)

    monkeypatch.setattr(ArbscopeApp, "run", fake_run)
    yield opened
    gc.unfreeze()  # main() set the process up for the monitor: undo it for the other tests
    gc.enable()


def test_plain_arbscope_opens_the_monitor_on_the_simulated_market(
    runs: list[ArbscopeApp],
) -> None:
    assert run([]) == 0
    assert run(["--seed", "11"]) == 0
    assert run(["monitor", "--sim", "--symbols", "BTC/USDT"]) == 0
    assert len(runs) == 3
    first, seeded, narrowed = runs
    assert isinstance(first.scanner, ScannerThread)
    assert first.scanner.snapshot.source == "SIM"
    assert seeded.settings.seed == 11
    assert {symbol for _, symbol in narrowed.scanner.scanner.service.markets()} == {"BTC/USDT"}


def test_the_monitor_opens_beside_theme_files_that_do_not_load(
    runs: list[ArbscopeApp], capsys: pytest.CaptureFixture[str]
) -> None:
    expected = write_bad_themes(user_themes_dir())
    assert run(["monitor", "--sim", "--symbols", "BTC/USDT"]) == 0
    assert "failed" not in capsys.readouterr().err
    (app,) = runs
    reported = [str(error) for error in app.loaded_themes.errors]
    for report in expected.values():
        assert any(report in line for line in reported), report


def test_bad_source_flags_exit_2_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["monitor", "--speed", "2"]) == 2
    assert "--speed applies to --replay FILE only" in capsys.readouterr().err
    assert run(["monitor", "--replay", "/nonexistent/recording.jsonl"]) == 2
    assert "cannot replay" in capsys.readouterr().err


def test_the_monitor_replays_a_recording_and_shows_its_crossing(tmp_path: Path) -> None:
    from arbscope.cli import build_parser
    from arbscope.cli.monitor import build_app

    recording = tmp_path / "crossing.jsonl"
    lines = [
        {"type": "header", "version": 1, "created": 1000.0, "source": "test"},
        {"type": "venue", "venue": "alpha", "taker_fee": 0.001},
        {"type": "venue", "venue": "beta", "taker_fee": 0.002},
        {"type": "book", "ts": 1000.0, "venue": "alpha", "symbol": "BTC/USD",
         "bids": [[99.0, 1.0]], "asks": [[100.0, 0.5], [100.5, 1.0]]},
        {"type": "book", "ts": 1000.0, "venue": "beta", "symbol": "BTC/USD",
         "bids": [[101.0, 0.4], [100.2, 1.0]], "asks": [[102.0, 1.0]]},
    ]
    recording.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    parser, _ = build_parser()
    app = build_app(parser.parse_args(["monitor", "--replay", str(recording), "--speed", "0"]))
    seen: dict[str, object] = {}

    async def until_the_route_shows(pilot: Pilot[None]) -> None:
        table = app.query_one(OpportunitiesTable)
        for _ in range(1200):  # a hang guard only (~60 s): a loaded machine waits, not fails
            await pilot.pause(0.05)
            if table.routes:
                break
        seen["routes"] = table.routes
        seen["status"] = str(app.query_one(StatusBar).render())
        app.exit()

    app.run(headless=True, size=(160, 48), auto_pilot=until_the_route_shows)
    assert seen["routes"] == ["spatial:BTC/USD:alpha>beta"]
    assert "REPLAY" in str(seen["status"])
