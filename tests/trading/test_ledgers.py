"""Balances, the own-depth ledger, mid marks and the volatility tracker."""

from __future__ import annotations

import math

import pytest

from arbscope.models import Side
from arbscope.trading.balances import Balances, InsufficientBalanceError
from arbscope.trading.depth import DepthLedger
from arbscope.trading.marking import Marks
from arbscope.trading.volatility import VolatilityTracker
from tests.trading.helpers import T0, book


def test_starting_balances_use_the_star_default_for_unlisted_venues() -> None:
    balances = Balances({"*": {"USDT": 100.0}, "kraken": {"USD": 50.0}})
    assert balances.get("binance", "USDT") == 100.0
    assert balances.get("kraken", "USD") == 50.0
    assert balances.get("kraken", "USDT") == 0.0  # a listed venue does not inherit "*"
    assert balances.touched_venues() == ()  # reading materialises nothing


def test_debit_never_overdraws_and_says_what_is_missing() -> None:
    balances = Balances({"*": {"USDT": 100.0}})
    balances.debit("okx", "USDT", 60.0)
    with pytest.raises(InsufficientBalanceError, match="not enough USDT on okx: needs 50, has 40"):
        balances.debit("okx", "USDT", 50.0)
    assert balances.get("okx", "USDT") == 40.0
    balances.credit("okx", "BTC", 0.1)
    assert balances.snapshot() == {"okx": {"USDT": 40.0, "BTC": 0.1}}
    with pytest.raises(ValueError, match="must not be negative"):
        balances.credit("okx", "BTC", -1.0)
    with pytest.raises(ValueError, match="must be zero or more"):
        Balances({"*": {"USDT": -5.0}})


def test_restored_balances_replace_the_starting_ones_of_their_venue() -> None:
    balances = Balances({"*": {"USDT": 100.0, "BTC": 1.0}}, {"okx": {"USDT": 7.0}})
    assert balances.get("okx", "USDT") == 7.0
    assert balances.get("okx", "BTC") == 1.0  # not in the log: still the starting amount
    assert balances.get("binance", "USDT") == 100.0


def test_depth_ledger_forgets_when_the_book_updates() -> None:
    ledger = DepthLedger()
    first = book("alpha", "BTC/USDT", [(99.0, 1.0)], [(100.0, 1.0), (101.0, 2.0)], T0)
    ledger.take(first, Side.BUY, [(100.0, 1.0), (101.0, 0.5)])
    assert ledger.levels(first, Side.BUY) == ((101.0, 1.5),)
    assert ledger.levels(first, Side.SELL) == ((99.0, 1.0),)  # the other side untouched
    newer = first.model_copy(update={"ts": T0 + 1})
    assert ledger.levels(newer, Side.BUY) == first.asks
    assert ledger.taken(first.key) == 0.0


def test_marks_convert_through_books_and_static_rates() -> None:
    marks = Marks(
        [
            book("a", "BTC/USDT", [(99.0, 1.0)], [(101.0, 1.0)]),  # mid 100
            book("a", "ETH/BTC", [(0.049, 1.0)], [(0.051, 1.0)]),  # mid 0.05
        ],
        {"EUR/USDT": 1.1},
    )
    assert marks.value("ETH", 2.0, "USDT") == pytest.approx(2 * 0.05 * 100)
    assert marks.value("USDT", 100.0, "BTC") == pytest.approx(1.0)
    assert marks.value("EUR", 10.0, "USDT") == pytest.approx(11.0)
    assert marks.value("SOL", 1.0, "USDT") is None


def test_volatility_is_the_ewma_of_squared_returns_per_second() -> None:
    tracker = VolatilityTracker(half_life_s=30.0, min_samples=2)
    key = ("a", "BTC/USDT")

    def at(ts: float, mid: float) -> None:
        tracker.update(book("a", "BTC/USDT", [(mid - 0.5, 1.0)], [(mid + 0.5, 1.0)], ts))

    at(T0, 100.0)
    at(T0 + 1.0, 100.1)  # r = ln(1.001), dt 1 s: variance r^2 per second
    assert tracker.sigma_bps(key) is None  # one return: not trusted yet
    at(T0 + 1.0, 105.0)  # same time again: ignored
    at(T0 + 2.0, 100.0)  # r = ln(100 / 100.1)
    first = math.log(1.001) ** 2
    second = math.log(100.0 / 100.1) ** 2
    weight = 1 - math.exp(-1.0 / (30.0 / math.log(2)))
    expected = first + weight * (second - first)
    assert tracker.sigma_bps(key) == pytest.approx(math.sqrt(expected) * 1e4)
    assert tracker.snapshot() == {key: pytest.approx(math.sqrt(expected) * 1e4)}
