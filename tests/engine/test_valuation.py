"""Valuation: currency values in the reference currency, for sizing and ranking only."""

from __future__ import annotations

import random

import pytest

from arbscope.engine.valuation import ValuationGraph, ValuationSnapshot
from arbscope.models import BookKey, Market


def _market(venue: str, symbol: str) -> Market:
    base, quote = symbol.split("/")
    return Market(venue=venue, symbol=symbol, base=base, quote=quote, taker_fee=0.001)


MARKETS = [
    _market("kraken", "BTC/USD"),
    _market("kraken", "EUR/USD"),
    _market("binance", "BTC/USDT"),
    _market("binance", "ETH/BTC"),
    _market("okx", "SOL/USDC"),  # no market path to USD: USDC is valued at par, for sizing only
]
MIDS: dict[BookKey, float] = {
    ("kraken", "BTC/USD"): 100_000.0,
    ("kraken", "EUR/USD"): 1.08,
    ("binance", "BTC/USDT"): 100_100.0,
    ("binance", "ETH/BTC"): 0.05,
    ("okx", "SOL/USDC"): 150.0,
}


def test_breadth_first_walk_from_the_reference_currency() -> None:
    values = ValuationGraph(MARKETS).values("USD", MIDS.get)
    assert values["USD"] == 1.0
    assert values["BTC"] == 100_000.0  # BTC/USD mid
    assert values["EUR"] == 1.08  # EUR/USD mid
    # USDT through BTC: 100_000 USD per BTC / 100_100 USDT per BTC = 0.999001 USD per USDT
    assert values["USDT"] == pytest.approx(100_000.0 / 100_100.0)
    # ETH through BTC: 0.05 BTC * 100_000 = 5_000 USD
    assert values["ETH"] == pytest.approx(5_000.0)
    # No market links USDC to USD, so USDC is a sizing peer at par (1.0, never
    # used for profit) and SOL is 150 USDC * 1.0 = 150.
    assert values["USDC"] == 1.0 and values["SOL"] == 150.0


def test_a_usdt_only_market_is_sized_through_the_peer_at_par() -> None:
    # A watchlist of BTC/USDT and ETH/USDT has no path to USD at all: without the
    # peer, "1,000 USD" could not become a size and routes fell back to their
    # whole profitable depth (several BTC).
    markets = [_market("binance", "BTC/USDT"), _market("okx", "ETH/USDT")]
    mids = {("binance", "BTC/USDT"): 100_000.0, ("okx", "ETH/USDT"): 4_000.0}
    values = ValuationGraph(markets).values("USD", mids.get)
    assert values == {"USD": 1.0, "USDT": 1.0, "BTC": 100_000.0, "ETH": 4_000.0}


def test_a_real_market_wins_over_the_sizing_peer() -> None:
    # USDT/USD trades at 0.998: the walk reaches USDT through it before any peer
    # is seeded, so USDT is worth 0.998 and BTC 100_000 USDT * 0.998.
    markets = [_market("kraken", "USDT/USD"), _market("binance", "BTC/USDT")]
    mids = {("kraken", "USDT/USD"): 0.998, ("binance", "BTC/USDT"): 100_000.0}
    values = ValuationGraph(markets).values("USD", mids.get)
    assert values["USDT"] == 0.998
    assert values["BTC"] == pytest.approx(99_800.0)


def test_the_walk_does_not_depend_on_market_order() -> None:
    shuffled = [*MARKETS, _market("bitstamp", "BTC/USD")]
    mids = dict(MIDS)
    mids[("bitstamp", "BTC/USD")] = 99_000.0
    expected = ValuationGraph(shuffled).values("USD", mids.get)
    for seed in range(5):
        random.Random(seed).shuffle(shuffled)
        assert ValuationGraph(shuffled).values("USD", mids.get) == expected
    # bitstamp sorts before kraken, so its BTC/USD mid is the one used.
    assert expected["BTC"] == 99_000.0


def test_markets_without_a_usable_mid_carry_no_value_and_another_path_is_taken() -> None:
    markets = [*MARKETS, _market("kraken", "USDT/USD")]
    mids: dict[BookKey, float | None] = dict(MIDS)
    mids[("kraken", "BTC/USD")] = None  # a stale book has no usable mid
    mids[("kraken", "USDT/USD")] = 1.001
    values = ValuationGraph(markets).values("USD", mids.get)
    assert values["USDT"] == 1.001
    # BTC now via USDT: 100_100 USDT * 1.001 USD per USDT
    assert values["BTC"] == pytest.approx(100_100.0 * 1.001)


def test_snapshot_keeps_values_within_tolerance_and_reports_what_moved() -> None:
    snapshot = ValuationSnapshot("USD", tolerance=0.01, period_s=1.0)
    assert snapshot.due(0.0)
    changed = snapshot.refresh(0.0, {"USD": 1.0, "BTC": 100_000.0, "EUR": 1.08})
    assert changed == {"BTC", "EUR"}
    assert not snapshot.due(0.5)
    assert snapshot.due(1.0)
    # BTC moved 0.5% (kept), EUR 2% (adopted), ETH appeared, nothing vanished.
    changed = snapshot.refresh(1.0, {"USD": 1.0, "BTC": 100_500.0, "EUR": 1.1016, "ETH": 5e3})
    assert changed == {"EUR", "ETH"}
    assert snapshot.values["BTC"] == 100_000.0
    assert snapshot.values["EUR"] == 1.1016
    # EUR lost its path: gone, and reported.
    changed = snapshot.refresh(2.0, {"USD": 1.0, "BTC": 100_000.0, "ETH": 5e3})
    assert changed == {"EUR"}
    assert snapshot.value_of("EUR") is None
    assert snapshot.target(1000.0, "EUR") is None
    # 1000 USD of BTC at 100_000 USD per BTC = 0.01 BTC
    assert snapshot.target(1000.0, "BTC") == pytest.approx(0.01)
    assert snapshot.target(1000.0, "USD") == 1000.0


def test_snapshot_values_are_read_only() -> None:
    snapshot = ValuationSnapshot("USD")
    with pytest.raises(TypeError):
        snapshot.values["USD"] = 2.0  # type: ignore[index]


def test_bad_snapshot_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="reference currency"):
        ValuationSnapshot("")
    with pytest.raises(ValueError, match="tolerance"):
        ValuationSnapshot("USD", tolerance=1.5)
