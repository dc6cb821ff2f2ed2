"""The statistical net after both crossings wherever it is read: ticket, checklist, broker, scan."""

from __future__ import annotations

import io
import json

import pytest

from arbscope.cli.scan import OpeningReport
from arbscope.engine.risk import Check, RiskContext
from arbscope.models import MarketSnapshot, VenueHealth, VenueState
from arbscope.trading.balances import Balances
from arbscope.trading.broker import PaperBroker
from arbscope.trading.execution import TradeAction
from arbscope.trading.quote import build_quote
from arbscope.ui.screens.ticket import waterfall_content
from arbscope.ui.widgets.risk_checklist import checklist_content
from tests.engine.test_statistical_net import ALPHA, BETA, TS, issue_opportunity, usdt_market
from tests.trading.helpers import ENOUGH, Books, Markets, ScriptedSleep

BOOKS = {ALPHA.key: ALPHA, BETA.key: BETA}
MARKETS = {key: usdt_market(venue) for key, venue in ((ALPHA.key, "alpha"), (BETA.key, "beta"))}


def context() -> RiskContext:
    return RiskContext(
        now=TS + 0.5,
        books=BOOKS,
        markets=MARKETS,
        health={v: VenueHealth(venue=v, state=VenueState.LIVE) for v in ("alpha", "beta")},
        balance=lambda venue, currency: 1e6,
    )


def test_the_ticket_lists_every_part_and_its_net_is_the_checklists_to_the_last_digit() -> None:
    # The issue's example (tests/engine/test_statistical_net.py): reversion 4.0883, entry
    # crossing -0.5906, exit crossing -0.5906, fees -4.0042, net -1.0971 USDT. No volatility
    # measured (slippage unknown, counts 0) and nothing to rebalance: the ticket's net is
    # the engine's net itself.
    opp = issue_opportunity()
    quote = build_quote(opp, context())
    lines = [(line.label, line.amount) for line in quote.waterfall]
    reversion, entry, exit_, *_ = opp.waterfall
    assert lines == [
        ("expected reversion", reversion.amount),
        ("entry crossing", entry.amount),
        ("exit crossing", exit_.amount),
        ("fees", -opp.fees),
        ("expected slippage", None),
        ("rebalancing", 0.0),
        ("net", opp.net_profit),
    ]
    assert quote.net == opp.net_profit == pytest.approx(-1.0971, abs=5e-5)
    shown = str(waterfall_content(quote, "USDT"))
    assert "entry crossing" in shown and "exit crossing" in shown
    assert f"{opp.net_profit:+12.4f} USDT" in shown and "-1.0971 USDT" in shown
    # The checklist reads the same float: a net at or below 0 fails its profit item.
    assert quote.report is not None
    profit = quote.report.item("profit")
    assert profit.status is Check.FAIL
    assert f"{opp.net_profit:+.4g} USDT ({opp.net_bps:+.1f} bps)" in profit.reason
    assert "-1.097 USDT (-5.5 bps)" in str(checklist_content(quote.report))


async def test_paper_trading_records_the_expected_net_after_both_crossings() -> None:
    opp = issue_opportunity()
    broker = PaperBroker(
        Books(ALPHA, BETA), Markets(*MARKETS.values()), Balances(ENOUGH),
        sleep=ScriptedSleep(), clock=lambda: TS + 1,
    )
    opened = await broker.execute(opp)
    assert opened.action is TradeAction.OPEN
    # What the position is expected to earn is the engine's net, -1.0971 (not +0.0841).
    assert opened.expected_profit == opp.net_profit == pytest.approx(-1.0971, abs=5e-5)
    (position,) = broker.open_positions()
    assert position.expected_profit == opp.net_profit


def test_a_statistical_route_that_loses_after_the_spread_falls_under_a_zero_floor() -> None:
    opp = issue_opportunity()
    snapshot = MarketSnapshot(
        ts=TS + 0.5, source="SIM", opportunities=(opp,), books=BOOKS, markets=MARKETS, health={}
    )
    paying_only = OpeningReport(out=io.StringIO(), as_json=True, min_bps=0.0)
    paying_only.on_snapshot(snapshot)
    assert paying_only.out.getvalue() == ""  # type: ignore[attr-defined]
    # Below the default floor (-1000 bps) it is still listed, with its loss.
    everything = OpeningReport(out=io.StringIO(), as_json=True, min_bps=-1000.0)
    everything.on_snapshot(snapshot)
    [line] = everything.out.getvalue().splitlines()  # type: ignore[attr-defined]
    printed = json.loads(line)
    assert printed["net_profit"] == opp.net_profit and printed["net_bps"] < 0
    assert [step["label"] for step in printed["waterfall"]][1:3] == [
        "entry crossing", "exit crossing",
    ]
