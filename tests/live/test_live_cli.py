"""`--live` from the command line, pointed at the fake venues through settings.toml."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import tomlkit

from arbscope.cli import run
from tests.live.fake_exchange import FakeBinance
from tests.live.recorded import binance_book


def write_settings(config_dir: Path, venues: dict[str, dict[str, Any]]) -> Path:
    """settings.toml as a user writes it to use a test host (or a proxy) for a venue."""
    config_dir.mkdir(parents=True, exist_ok=True)
    path = config_dir / "settings.toml"
    path.write_text(tomlkit.dumps({"venues": venues}))
    return path


async def test_record_live_binance_first_book_is_the_recorded_snapshot(
    isolated_user_dirs: dict[str, Path], tmp_path: Path
) -> None:
    # Real-time pace: the diffs after the snapshot reach the client as far apart as
    # they reached the recorder (the first 0.24 s after it), as on the day.
    server = await FakeBinance(speed=1.0).start()
    try:
        settings = write_settings(
            isolated_user_dirs["config"],
            # The whole book is recorded: 1,000 levels a side, not the default 50.
            {"binance": {"transport": "websocket", "book_depth": 1000,
                         "ccxt_options": server.ccxt_options()}},
        )
        assert "[venues.binance.ccxt_options.urls.api.ws]" in settings.read_text()
        out = tmp_path / "live.jsonl"
        argv = ["record", "--live", "binance", "--symbols", "NKN/USDT", "--duration", "1",
                "--out", str(out)]
        status = await asyncio.to_thread(run, argv)
    finally:
        await server.stop()
    assert status == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines[0]["type"] == "header" and lines[0]["source"] == "live"
    books = [line for line in lines if line["type"] == "book"]
    assert books and books[0]["venue"] == "binance" and books[0]["symbol"] == "NKN/USDT"
    bids, asks = binance_book("NKNUSDT")
    # Level for level: 609 bids and 1000 asks exactly as Binance sent them.
    assert [tuple(level) for level in books[0]["bids"]] == bids
    assert [tuple(level) for level in books[0]["asks"]] == asks
    markets = [line for line in lines if line["type"] == "market"]
    assert any(m.get("symbol") == "NKN/USDT" and m.get("taker_fee") == 0.001 for m in markets)


def test_live_unknown_venue_is_exit_2_with_a_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    status = run(["scan", "--live", "binance,krakn", "--duration", "1"])
    assert status == 2
    assert "unknown venue 'krakn' — did you mean 'kraken'?" in capsys.readouterr().err


async def test_live_unknown_symbol_is_exit_2_with_a_suggestion(
    isolated_user_dirs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    server = await FakeBinance().start()
    try:
        binance = {"ccxt_options": server.ccxt_options()}
        write_settings(isolated_user_dirs["config"], {"binance": binance})
        argv = ["scan", "--live", "binance", "--symbols", "NKN/USDTT", "--duration", "1"]
        status = await asyncio.to_thread(run, argv)
    finally:
        await server.stop()
    assert status == 2
    err = capsys.readouterr().err
    assert "unknown symbol 'NKN/USDTT' on binance — did you mean 'NKN/USDT'?" in err
    assert server.ws_connections == 0  # refused before anything streamed


async def test_credentials_in_settings_stop_live_mode_with_exit_2(
    isolated_user_dirs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    server = await FakeBinance().start()
    try:
        options = {**server.ccxt_options(), "apiKey": "k", "secret": "s"}
        write_settings(isolated_user_dirs["config"], {"binance": {"ccxt_options": options}})
        argv = ["scan", "--live", "binance", "--symbols", "NKN/USDT", "--duration", "1"]
        status = await asyncio.to_thread(run, argv)
    finally:
        await server.stop()
    assert status == 2
    err = capsys.readouterr().err
    # The settings' reason, one line per key.
    assert "ccxt_options.apiKey: 'apiKey' is a ccxt credential" in err
    assert "ccxt_options.secret: 'secret' is a ccxt credential" in err
    assert "never takes credentials" in err
    assert "live markets use the venues' settings as written" in err
    # Refused before any venue was asked anything.
    assert sum(server.requests.values()) == 0 and server.seen == []
