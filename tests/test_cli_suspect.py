"""`scan` flags an edge too good to be true, in its table and its --json lines, with the
causes the data shows."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from arbscope.cli import run
from arbscope.cli.scan import OpeningReport
from arbscope.engine.spatial import evaluate_spatial
from arbscope.models import (
    AssetNetwork,
    Market,
    MarketSnapshot,
    OrderBook,
    VenueHealth,
    VenueState,
)

HEADER = {"type": "header", "version": 1, "created": 1000.0, "source": "test"}


@pytest.fixture
def far_apart(tmp_path: Path) -> Path:
    """beta bids 110 for BTC/USD, received at 997.0; alpha asks 100, received at 1000.0.

    Roughly +1000 bps before fees (buy at 100, sell at 110, 0.1% fee each side), far
    beyond 500: the route is suspect, and its books are 3.0 s apart (beta's 3.0 s old
    when alpha's arrives, within the 5 s age limit so the route is still shown).
    """
    records: list[dict[str, Any]] = [
        HEADER,
        {"type": "venue", "venue": "alpha", "taker_fee": 0.001, "maker_fee": 0.0},
        {"type": "venue", "venue": "beta", "taker_fee": 0.001, "maker_fee": 0.0},
        {"type": "book", "ts": 997.0, "venue": "beta", "symbol": "BTC/USD",
         "bids": [[110.0, 1.0]], "asks": [[111.0, 1.0]]},
        {"type": "book", "ts": 1000.0, "venue": "alpha", "symbol": "BTC/USD",
         "bids": [[99.0, 1.0]], "asks": [[100.0, 1.0]]},
    ]
    path = tmp_path / "far-apart.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


AGES = "books 3.0s apart (BTC/USD@alpha 0.0s old, BTC/USD@beta 3.0s old)"


def test_scan_json_carries_the_suspect_field_with_its_causes(
    far_apart: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["scan", "--replay", str(far_apart), "--json", "--size", "50"]) == 0
    out, err = capsys.readouterr()
    [line] = [json.loads(text) for text in out.splitlines()]
    assert line["route_id"] == "spatial:BTC/USD:alpha>beta"
    assert line["net_bps"] > 500
    assert line["suspect"] == {"threshold_bps": 500.0, "causes": [AGES]}
    assert "1 suspect: net edge beyond 500 bps" in err


def test_scan_table_prints_a_suspect_line_under_the_route(
    far_apart: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["scan", "--replay", str(far_apart), "--size", "50"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "alpha>beta" in out[1]
    assert out[2].startswith("  ! suspect: net +")
    assert out[2].endswith(f"bps is beyond 500 bps: {AGES}")


def test_the_threshold_comes_from_the_risk_settings(
    far_apart: Path, isolated_user_dirs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config = isolated_user_dirs["config"]
    config.mkdir(parents=True, exist_ok=True)
    (config / "settings.toml").write_text("[risk]\nsuspect_edge_bps = 2000\n", encoding="utf-8")
    assert run(["scan", "--replay", str(far_apart), "--json", "--size", "50"]) == 0
    out, err = capsys.readouterr()
    [line] = [json.loads(text) for text in out.splitlines()]
    assert line["net_bps"] > 500 and line["suspect"] is None
    assert "suspect" not in err


def _market(venue: str, contract: str) -> Market:
    return Market(venue=venue, symbol="BTC/USDT", base="BTC", quote="USDT", taker_fee=0.001,
                  base_networks=(AssetNetwork(network="ERC20", contract=contract),
                                 AssetNetwork(network="BTC")))


def test_scan_names_venue_health_and_two_contracts() -> None:
    t0 = 1_732_400_000.0
    alpha, beta = _market("alpha", "0xaaaa1111"), _market("beta", "0xbbbb2222")
    buy = OrderBook(venue="alpha", symbol="BTC/USDT", ts=t0, bids=((99.0, 1.0),),
                    asks=((100.0, 1.0),))
    sell = OrderBook(venue="beta", symbol="BTC/USDT", ts=t0, bids=((110.0, 1.0),),
                     asks=((111.0, 1.0),))
    # +979.0 bps (test_suspect's hand-worked route: 4.895 USDT on a 50 USDT notional).
    opp = evaluate_spatial(buy, sell, alpha, beta, 0.5, t0)
    assert opp is not None
    snapshot = MarketSnapshot(
        ts=t0, source="SIM", opportunities=(opp,), books={},
        markets={alpha.key: alpha, beta.key: beta},
        health={
            "alpha": VenueHealth(venue="alpha", state=VenueState.LIVE,
                                 last_error="OnMaintenance: System maintenance"),
            "beta": VenueHealth(venue="beta", state=VenueState.LIVE,
                                down_symbols=("BTC/USDT",)),
        },
    )
    out = io.StringIO()
    OpeningReport(out=out, as_json=True, min_bps=0.0).on_snapshot(snapshot)
    assert json.loads(out.getvalue())["suspect"]["causes"] == [
        "alpha reported maintenance (OnMaintenance: System maintenance)",
        "BTC/USDT down on beta",
        "BTC may be two assets: alpha and beta publish different contracts on "
        "ERC20 (0xaaaa1111 vs 0xbbbb2222)",
    ]
