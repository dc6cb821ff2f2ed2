"""`scan` on hostile recordings: bad lines named and skipped, strict JSON, exit 0."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from arbscope.cli import run
from tests.market.test_replay_bad_lines import BAD_LINES
from tests.test_cli import HEADER, write_recording


def _crossing(
    ts: float, alpha: tuple[float, float], beta: tuple[float, float]
) -> list[dict[str, Any]]:
    """alpha (bid, ask) and beta (bid, ask) books of one BTC each."""
    return [
        {"type": "book", "ts": ts, "venue": "alpha", "symbol": "BTC/USD",
         "bids": [[alpha[0], 1.0]], "asks": [[alpha[1], 1.0]]},
        {"type": "book", "ts": ts, "venue": "beta", "symbol": "BTC/USD",
         "bids": [[beta[0], 1.0]], "asks": [[beta[1], 1.0]]},
    ]


def _refuse_constant(name: str) -> None:
    raise AssertionError(f"scan --json printed the non-JSON token {name}")


def test_scan_skips_hostile_lines_names_them_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [HEADER, *(line for line, _ in BAD_LINES if isinstance(line, dict))]
    lines += _crossing(5.0, (50.0, 100.0), (101.0, 202.0))
    recording = write_recording(tmp_path / "hostile.jsonl", lines)
    assert run(["scan", "--replay", str(recording), "--json"]) == 0
    out, err = capsys.readouterr()
    rows = [json.loads(line, parse_constant=_refuse_constant) for line in out.splitlines()]
    assert [row["route_id"] for row in rows] == ["spatial:BTC/USD:alpha>beta"]
    assert f"skipped {len(BAD_LINES) - 1} bad lines of {recording}: line 2: " in err
    assert "Traceback" not in err


def test_scan_json_is_strict_json_at_the_edges_of_the_accepted_range(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An ask of 2e-12 against a bid of 5e11: every figure is huge but finite, and the
    # line must still parse as JSON (no bare Infinity or NaN anywhere).
    books = _crossing(5.0, (1e-12, 2e-12), (1e12 / 2, 1e12))
    recording = write_recording(tmp_path / "edges.jsonl", [HEADER, *books])
    assert run(["scan", "--replay", str(recording), "--json", "--min-bps=-1e9"]) == 0
    out = capsys.readouterr().out
    rows = [json.loads(line, parse_constant=_refuse_constant) for line in out.splitlines()]
    assert rows and all(row["net_bps"] > 0 for row in rows)
