"""The monitor keeps running on hostile recordings: absurd figures refused at the door,
names that look like Rich markup shown as they are written (issue: no input crashes it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from arbscope.cli import build_parser
from arbscope.cli.monitor import build_app
from arbscope.ui.widgets.opportunities import OpportunitiesTable
from arbscope.ui.widgets.order_books import OrderBooksPane
from tests.market.test_replay_bad_lines import BAD_LINES

HANG_GUARD = 1200
"""Pauses of 0.05 s before giving up: a bound against a hang only (a minute), far above
what a loaded machine needs, so a slow run waits instead of failing."""


def _book(venue: str, ts: float, bid: float, ask: float) -> dict[str, Any]:
    return {"type": "book", "ts": ts, "venue": venue, "symbol": "BTC/USD",
            "bids": [[bid, 1.0]], "asks": [[ask, 1.0]]}


def test_the_monitor_survives_every_hostile_line_and_shows_names_as_text(
    tmp_path: Path,
) -> None:
    lines: list[Any] = [{"type": "header", "version": 1, "created": 1.0, "source": "test"}]
    lines += [line for line, _ in BAD_LINES]  # 1e-300, 1e308, ts 1e20, [60000], "1.0", ...
    # A venue whose name is a Rich closing tag, and one at the edges of the accepted range.
    lines += [_book("[/]", 5.0, 99.0, 100.0), _book("[bold]beta", 5.0, 101.0, 102.0)]
    lines += [_book("edge", 5.0, 1e-12, 2e-12)]
    recording = tmp_path / "hostile.jsonl"
    recording.write_text(
        "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines),
        encoding="utf-8",
    )
    parser, _ = build_parser()
    app = build_app(parser.parse_args(["monitor", "--replay", str(recording), "--speed", "0"]))
    seen: dict[str, Any] = {}

    async def drive(pilot: Pilot[None]) -> None:
        table = app.query_one(OpportunitiesTable)
        for _ in range(HANG_GUARD):
            await pilot.pause(0.05)
            if "spatial:BTC/USD:[/]>[bold]beta" in table.routes:
                break
        seen["routes"] = list(table.routes)
        table.focus()
        row = seen["routes"].index("spatial:BTC/USD:[/]>[bold]beta")
        table.cursor_row = row
        await pilot.press("enter")
        await pilot.pause()
        seen["books"] = str(app.query_one(OrderBooksPane).render())
        await pilot.press("v")  # the venues screen lists every venue's health
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        seen["running"] = app.is_running
        app.exit()

    app.run(headless=True, size=(160, 48), auto_pilot=drive)
    assert seen["running"] is True
    assert "spatial:BTC/USD:[/]>[bold]beta" in seen["routes"]
    assert "[/]" in seen["books"] and "[bold]beta" in seen["books"]
    assert app.return_code in (0, None)
