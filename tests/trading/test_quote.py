"""What the ticket shows: legs with the levels they take, the waterfall, the checklist."""

from __future__ import annotations

import math

import pytest

from arbscope.engine.risk import Check, RiskContext
from arbscope.models import VenueHealth, VenueState
from arbscope.storage.settings import Settings
from arbscope.trading.quote import build_quote
from tests.trading.helpers import T0, spatial_books, spatial_markets, spatial_opportunity


def context(volatility: dict[tuple[str, str], float] | None) -> RiskContext:
    alpha, beta = spatial_books()
    return RiskContext(
        now=T0 + 0.5,
        books={alpha.key: alpha, beta.key: beta},
        markets=spatial_markets().markets,
        health={v: VenueHealth(venue=v, state=VenueState.LIVE) for v in ("alpha", "beta")},
        balance=lambda venue, currency: 1e6,
        volatility=volatility,
        withdrawal_fees={"BTC": 0.0001},
    )


def test_waterfall_worked_by_hand() -> None:
    vol = {("alpha", "BTC/USDT"): 1.0, ("beta", "BTC/USDT"): 1.0}
    quote = build_quote(spatial_opportunity(0.5), context(vol))
    # gross: 0.5 * 103 - 0.5 * 100 = 1.5; fees 0.05 + 0.0515 = 0.1015;
    # expected slippage: 2 legs * 1 bps * sqrt(0.15 s) * sqrt(2/pi) = 0.618 bps of 50 USDT;
    # rebalancing: 0.0001 BTC * 103 = 0.0103; net = 1.5 - 0.1015 - 0.00309 - 0.0103.
    slip = 50.0 * 2 * math.sqrt(0.15) * math.sqrt(2 / math.pi) / 1e4
    assert [(w.label, w.amount) for w in quote.waterfall] == [
        ("gross", pytest.approx(1.5)),
        ("fees", pytest.approx(-0.1015)),
        ("expected slippage", pytest.approx(-slip)),
        ("rebalancing", pytest.approx(-0.0103)),
        ("net", pytest.approx(1.5 - 0.1015 - slip - 0.0103)),
    ]
    assert quote.net == quote.waterfall[-1].amount
    buy, sell = quote.legs
    assert buy.levels == ((100.0, 0.5),) and sell.levels == ((103.0, 0.5),)
    assert buy.fee_currency == "USDT"
    assert quote.report is not None and quote.report.verdict is Check.PASS


def test_unknown_figures_are_shown_as_unknown_and_count_as_zero() -> None:
    quote = build_quote(spatial_opportunity(1.5), context(None))
    lines = {w.label: w.amount for w in quote.waterfall}
    assert lines["expected slippage"] is None
    # 1.5 BTC: gross 154 - 150.5 = 3.5, fees 0.3045, rebalancing 0.0001 * 102.6667.
    assert lines["net"] == pytest.approx(3.5 - 0.3045 - 0.0001 * 154.0 / 1.5)


def test_no_route_gives_a_quote_that_says_why() -> None:
    quote = build_quote(None, context(None), size=3.0, message="the books no longer cross")
    assert quote.opportunity is None and quote.report is None
    assert (quote.size, quote.message) == (3.0, "the books no longer cross")


def test_thresholds_come_from_settings() -> None:
    settings = Settings.model_validate({"risk": {"min_net_profit": 0.5, "thin_edge_bps": 4}})
    thresholds = settings.risk
    assert thresholds.min_net_profit == 0.5
    assert thresholds.thin_edge_bps == 4.0
    assert thresholds.depth_warn_fraction == 0.5  # documented default
