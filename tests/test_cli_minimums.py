"""`scan` never prints a size a venue would refuse as a trade (issue 12 §4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from arbscope.cli import run
from tests.test_cli import HEADER, write_recording


@pytest.fixture
def minimums(tmp_path: Path) -> Path:
    """alpha asks 100 for 2 BTC, beta bids 101 for 2 BTC; min_cost 100 USD on both.

    --size 20 (USD) asks for about 0.2 BTC: a 20 USD order, below both minimums.
    The smallest size on the 0.001 grid both accept: alpha's buy 100 * a >= 100, a >= 1.0
    (beta's sale of 1.0 brings 101). At 1 BTC: gross 1.0 USD, fees 100 * 0.001 + 101 * 0.002
    = 0.302, net +0.698 USD (69.8 bps of 100): it pays, so it is printed at 1 BTC.
    The whole 2 BTC pays (101 * 0.998 - 100 * 1.001 = +0.698 a BTC): max size 2 BTC.
    """
    rules = {"amount_step": 0.001, "min_cost": 100.0}
    return write_recording(tmp_path / "minimums.jsonl", [
        HEADER,
        {"type": "venue", "venue": "alpha", "taker_fee": 0.001, "maker_fee": 0.0},
        {"type": "venue", "venue": "beta", "taker_fee": 0.002, "maker_fee": 0.0},
        {"type": "market", "venue": "alpha", "symbol": "BTC/USD", "taker_fee": 0.001, **rules},
        {"type": "market", "venue": "beta", "symbol": "BTC/USD", "taker_fee": 0.002, **rules},
        {"type": "book", "ts": 1000.0, "venue": "alpha", "symbol": "BTC/USD",
         "bids": [[99.0, 1.0]], "asks": [[100.0, 2.0]]},
        {"type": "book", "ts": 1000.0, "venue": "beta", "symbol": "BTC/USD",
         "bids": [[101.0, 2.0]], "asks": [[102.0, 1.0]]},
    ])


def test_scan_size_20_prints_the_route_at_the_smallest_size_allowed_and_the_minimum(
    minimums: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["scan", "--replay", str(minimums), "--size", "20"]) == 0
    out = capsys.readouterr().out.splitlines()
    row, note = out[1], out[2]
    assert row.split()[1:] == [
        "spatial", "BTC/USD", "alpha>beta", "1", "BTC", "2", "BTC", "100.00", "69.80",
        "+0.70", "USD",
    ]
    assert note.split(": ", 1)[0].strip() == "below minimum"
    assert "alpha BTC/USD min_cost 100 USD (order " in note
    assert note.endswith("shown at the smallest size allowed")


def test_scan_json_names_the_minimum_the_size_asked_for_breaks(
    minimums: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["scan", "--replay", str(minimums), "--json", "--size", "20"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    opp = json.loads(line)
    assert opp["size"] == 1.0
    assert [leg["cost"] for leg in opp["legs"]] == pytest.approx([100.0, 101.0])
    breach = opp["minimum_breach"]
    assert (breach["venue"], breach["symbol"], breach["rule"]) == ("alpha", "BTC/USD", "min_cost")
    assert breach["minimum"] == 100.0
    assert breach["ordered"] < 100.0
    assert breach["resized"] is True
