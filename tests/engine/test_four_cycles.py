"""4-leg cycles on one venue (`max_cycle_legs = 4`): found, evaluated, reported by scan --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from arbscope.cli import run
from arbscope.engine.calculator import OpportunityCalculator
from arbscope.engine.config import EngineConfig
from arbscope.engine.four_cycles import find_four_cycles
from arbscope.models import FourCycleRoute, Kind, Market, OrderBook, Side
from arbscope.storage.paths import settings_file
from tests.test_cli import HEADER, write_recording

T0 = 1_732_400_000.0
SYMBOLS = ("BTC/USD", "ETH/BTC", "ETH/EUR", "EUR/USD")
"""USD-BTC-ETH-EUR-USD: a ring of four currencies and no triangle (no USD-ETH, no BTC-EUR)."""
FORWARD = "quadrangular:quad:USD>BTC>ETH>EUR>USD"


def _market(symbol: str) -> Market:
    base, quote = symbol.split("/")
    return Market(venue="quad", symbol=symbol, base=base, quote=quote, taker_fee=0.001)


# (bid, ask, size): one level a side, deep enough that 100 USD never reaches the end.
LEVELS = {
    "BTC/USD": (99.9, 100.0, 10.0),
    "ETH/BTC": (0.0499, 0.05, 100.0),
    "ETH/EUR": (4.8, 4.81, 100.0),
    "EUR/USD": (1.1, 1.101, 1000.0),
}


def _books(ts: float = T0) -> list[OrderBook]:
    return [
        OrderBook(venue="quad", symbol=s, ts=ts, bids=((bid, size),), asks=((ask, size),))
        for s, (bid, ask, size) in LEVELS.items()
    ]


def test_a_ring_of_four_currencies_is_one_cycle_in_each_direction() -> None:
    routes = find_four_cycles(_market(s) for s in SYMBOLS)
    assert [r.route_id for r in routes] == [FORWARD, "quadrangular:quad:USD>EUR>ETH>BTC>USD"]
    assert routes[0].steps == (
        ("BTC/USD", Side.BUY), ("ETH/BTC", Side.BUY), ("ETH/EUR", Side.SELL),
        ("EUR/USD", Side.SELL),
    )
    assert find_four_cycles(_market(s) for s in SYMBOLS[:3]) == []  # a chain, not a ring


def test_the_worked_four_leg_cycle() -> None:
    # 100 USD, 0.1% taker fee on every leg, fees on each fill's quote notional:
    #   buy BTC/USD @ 100:    100 / 1.001 = 99.9000999 USD of fills -> 0.999000999 BTC
    #   buy ETH/BTC @ 0.05:   0.999000999 / 1.001 / 0.05 = 19.96005992 ETH
    #   sell ETH/EUR @ 4.8:   19.96005992 * 4.8 * 0.999 = 95.71247933 EUR
    #   sell EUR/USD @ 1.1:   95.71247933 * 1.1 * 0.999 = 105.1784435 USD
    # = 100 * (1/100) * (1/0.05) * 4.8 * 1.1 * 0.999^2 / 1.001^2 = 105.178443 USD back:
    # net +5.178443 USD on 100 = +517.84 bps (+5.6% before fees: 1/100/0.05*4.8*1.1 = 1.056).
    # The other direction pays 99.9*0.0499/4.81/1.101 = 0.9413 before fees: closed.
    config = EngineConfig(
        reference_currency="USD", trade_notional=100.0, max_cycle_legs=4,
        kinds=frozenset({Kind.QUADRANGULAR}),
    )
    calc = OpportunityCalculator(config, [_market(s) for s in SYMBOLS])
    calc.update(_books(), T0)
    (opp,) = calc.opportunities(T0)
    assert (opp.kind, opp.route_id) == (Kind.QUADRANGULAR, FORWARD)
    assert isinstance(opp.route, FourCycleRoute) and len(opp.route.steps) == 4
    assert [(leg.symbol, leg.side) for leg in opp.legs] == list(opp.route.steps)
    assert opp.size == pytest.approx(100.0)
    assert [leg.amount for leg in opp.legs] == pytest.approx(
        [0.999000999, 19.96005992, 19.96005992, 95.71247933]
    )
    assert opp.net_profit == pytest.approx(5.178443534, rel=1e-9)
    assert opp.net_bps == pytest.approx(517.8443534, rel=1e-9)
    assert opp.gross_bps > opp.net_bps and opp.waterfall[-1].amount == opp.net_profit


def test_three_legs_by_default_so_no_four_leg_route_is_built() -> None:
    calc = OpportunityCalculator(EngineConfig(), [_market(s) for s in SYMBOLS])
    calc.update(_books(), T0)
    assert calc.route_counts()["quadrangular"] == 0 and calc.opportunities(T0) == []
    with pytest.raises(ValueError, match="less than or equal to 4"):
        EngineConfig(max_cycle_legs=5)


def test_scan_json_reports_a_four_leg_route_with_its_four_legs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings_file().parent.mkdir(parents=True, exist_ok=True)
    settings_file().write_text("[engine]\nmax_cycle_legs = 4\n", encoding="utf-8")
    books = [
        {"type": "book", "ts": 1000.0, "venue": "quad", "symbol": s,
         "bids": [[bid, size]], "asks": [[ask, size]]}
        for s, (bid, ask, size) in LEVELS.items()
    ]
    recording = write_recording(tmp_path / "ring.jsonl", [
        HEADER, {"type": "venue", "venue": "quad", "taker_fee": 0.001, "maker_fee": 0.0}, *books,
    ])
    assert run(["scan", "--replay", str(recording), "--json", "--size", "100"]) == 0
    out = capsys.readouterr().out
    (found,) = [json.loads(line) for line in out.splitlines()]
    assert found["kind"] == "quadrangular" and found["route_id"] == FORWARD
    assert [(leg["symbol"], leg["side"]) for leg in found["legs"]] == [
        ("BTC/USD", "buy"), ("ETH/BTC", "buy"), ("ETH/EUR", "sell"), ("EUR/USD", "sell"),
    ]
    assert found["route"]["steps"] == [[leg["symbol"], leg["side"]] for leg in found["legs"]]
    assert found["net_bps"] == pytest.approx(517.84, abs=0.01)  # the worked example above
