"""Snapshots of the screen on the deterministic simulated market (seed 7, frozen clock, 160x48).

After an intended change of the screen: `make snapshots`, then look at the
new SVGs before committing them.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from tests.ui.conftest import SIZE, make_app
from tests.ui.sim_driver import SteppedMarket

SnapCompare = Callable[..., bool]


async def _pin_top_route(pilot: Pilot[None]) -> None:
    await pilot.press("enter")


def test_main_screen_in_the_default_dark_theme(
    snap_compare: SnapCompare, shared_market: SteppedMarket
) -> None:
    app = make_app(shared_market)
    assert snap_compare(app, terminal_size=SIZE, run_before=_pin_top_route)


def test_heatmap_mid_deviation_view(snap_compare: SnapCompare,
                                    shared_market: SteppedMarket) -> None:
    app = make_app(shared_market)
    assert snap_compare(app, press=["h"], terminal_size=SIZE)


def test_help_screen(snap_compare: SnapCompare, shared_market: SteppedMarket) -> None:
    app = make_app(shared_market)
    assert snap_compare(app, press=["question_mark"], terminal_size=SIZE)


@pytest.mark.parametrize(
    "theme", ["arbscope-light", "arbscope-high-contrast", "arbscope-colorblind"]
)
def test_each_other_theme(
    snap_compare: SnapCompare, shared_market: SteppedMarket, theme: str
) -> None:
    app = make_app(shared_market, theme=theme)
    assert snap_compare(app, terminal_size=SIZE, run_before=_pin_top_route)
