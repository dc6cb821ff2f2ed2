"""`scan --replay` over a version 2 recording with a disconnect: the venue's books from
before it are never traded against, only its next snapshot is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from arbscope.cli import run


def test_scan_replay_uses_no_book_of_a_venue_between_its_disconnect_and_next_snapshot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before the disconnect nothing crosses: beta bids 99.5, below alpha's ask of 100.
    # At 1002 beta bids 101: alpha's book of 1000 would cross it (1 % against 0.3 % of fees)
    # but it is from before the disconnect; alpha's next snapshot, at 1003, does.
    records = [
        {"type": "header", "version": 2, "created": 1000.0, "source": "live"},
        {"type": "venue", "venue": "alpha", "taker_fee": 0.001, "maker_fee": 0.0},
        {"type": "venue", "venue": "beta", "taker_fee": 0.002, "maker_fee": 0.0},
        {"type": "book", "ts": 1000.0, "exchange_ts": 999.9, "venue": "alpha",
         "symbol": "BTC/USD", "bids": [[99.0, 1.0]], "asks": [[100.0, 0.5]]},
        {"type": "book", "ts": 1000.0, "exchange_ts": 999.95, "venue": "beta",
         "symbol": "BTC/USD", "bids": [[99.5, 0.4]], "asks": [[102.0, 1.0]]},
        {"type": "disconnect", "ts": 1001.0, "venue": "alpha", "reason": "connection reset"},
        {"type": "book", "ts": 1002.0, "exchange_ts": 1001.95, "venue": "beta",
         "symbol": "BTC/USD", "bids": [[101.0, 0.4]], "asks": [[102.0, 1.0]]},
        {"type": "book", "ts": 1003.0, "exchange_ts": 1002.9, "venue": "alpha",
         "symbol": "BTC/USD", "bids": [[99.0, 1.0]], "asks": [[100.0, 0.5]]},
    ]
    path = tmp_path / "gap.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    assert run(["scan", "--replay", str(path), "--json", "--size", "100000"]) == 0
    out, err = capsys.readouterr()
    opened = [json.loads(line) for line in out.splitlines()]
    # One run of alpha>beta, opened on alpha's next snapshot, never on its old book.
    assert [(o["route_id"], o["ts"]) for o in opened] == [
        ("spatial:BTC/USD:alpha>beta", 1003.0)
    ], out + err


def test_record_from_a_replay_keeps_its_gap_lines_and_counts_a_disconnected_venue(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = [
        {"type": "header", "version": 2, "created": 1000.0, "source": "live"},
        {"type": "book", "ts": 1000.0, "exchange_ts": 999.9, "venue": "alpha",
         "symbol": "BTC/USD", "bids": [[99.0, 1.0]], "asks": [[100.0, 0.5]]},
        {"type": "book", "ts": 1000.5, "venue": "beta",
         "symbol": "BTC/USD", "bids": [[99.5, 0.4]], "asks": [[102.0, 1.0]]},
        {"type": "resync", "ts": 1001.0, "venue": "beta", "symbol": "BTC/USD",
         "reason": "sequence gap"},
        {"type": "disconnect", "ts": 1002.0, "venue": "alpha", "reason": "connection reset"},
    ]
    source = tmp_path / "gap.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "again.jsonl"
    assert run(["record", "--replay", str(source), "--duration", "60", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    # Both venues' books were written, though neither is held at the end.
    assert "recorded 2 books of 2 markets on 2 venues" in err, err
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    kept = [line for line in lines if line["type"] in ("book", "resync", "disconnect")]
    assert kept == records[1:]
