"""UI fixtures: the app on a deterministic simulated market, stepped by the test."""

from __future__ import annotations

from typing import Any

import pytest

from arbscope.ui.app import ArbscopeApp
from tests.ui.sim_driver import SteppedMarket

SIZE = (160, 48)
"""Terminal size of every UI test and snapshot."""

SNAPSHOT_AT_S = 6.0
"""Seconds of simulated market before the shared snapshot: spatial and
cross-currency routes are open and profitable at that moment (seed 7)."""


@pytest.fixture(scope="session")
def shared_market() -> SteppedMarket:
    """One market advanced once per test process; tests that read it must not step it."""
    market = SteppedMarket(seed=7)
    market.advance(SNAPSHOT_AT_S)
    return market


@pytest.fixture
def market() -> SteppedMarket:
    """A market of the test's own, to step as it likes."""
    market = SteppedMarket(seed=7)
    market.advance(2.0)
    return market


def make_app(market: SteppedMarket, **settings: Any) -> ArbscopeApp:
    """The monitor on `market` with its timer off: the test decides when it refreshes."""
    return ArbscopeApp(
        market.scanner,
        market.settings.model_copy(update=settings),
        clock=market.clock,
        refresh_timer=False,
        start_scanner=False,
    )
