"""Properties every registered kind has: a new kind is tested by being registered.

Each test runs once per `KindSpec` in `engine.kinds.KINDS`, on the calculator
with that kind alone enabled, over random books of the markets of
`test_calculator` (three venues, five symbols: every kind has routes there).
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arbscope.engine.calculator import OpportunityCalculator
from arbscope.engine.fills import walk_base
from arbscope.engine.kinds import KINDS
from arbscope.engine.route_index import KindSpec
from arbscope.models import Opportunity, OrderBook, Side
from tests.engine.test_calculator import (
    HYPO_MARKETS,
    SYMBOLS,
    T0,
    VENUES,
    _comparable,
    _hypo_book,
    _hypo_config,
    _opening_books,
)

MARKETS = {m.key: m for m in HYPO_MARKETS}
EVERY_KIND = pytest.mark.parametrize("spec", KINDS, ids=lambda spec: spec.kind.value)

_moves = st.lists(
    st.tuples(st.floats(-0.03, 0.03), st.integers(1, 30)),
    min_size=len(HYPO_MARKETS),
    max_size=len(HYPO_MARKETS),
)


def _calculator(spec: KindSpec, notional: float) -> OpportunityCalculator:
    return OpportunityCalculator(
        _hypo_config(trade_notional=notional, kinds=frozenset({spec.kind})), HYPO_MARKETS
    )


def _open_after(
    spec: KindSpec, moves: list[tuple[float, int]], notional: float
) -> tuple[list[Opportunity], dict[tuple[str, str], OrderBook]]:
    """The opportunities of `spec`'s kind once the books have moved by `moves`.

    Statistical pairs need a window of samples first: the opening books are
    fed a few times, then every book moves.
    """
    calc = _calculator(spec, notional)
    for i in range(4):
        calc.update(_opening_books(T0 + i * 0.1), T0 + i * 0.1)
    now = T0 + 0.5
    books = {
        m.key: _hypo_book(m.venue, m.symbol, move, spread, now)
        for m, (move, spread) in zip(HYPO_MARKETS, moves, strict=True)
    }
    calc.update(books.values(), now)
    found = calc.opportunities(now)
    assert {o.kind for o in found} <= {spec.kind}
    return found, books


@EVERY_KIND
@settings(max_examples=40, deadline=None)
@given(moves=_moves, notional=st.sampled_from([50.0, 300.0, 5000.0]))
def test_each_leg_re_executes_on_its_book_within_the_depth_walked(
    spec: KindSpec, moves: list[tuple[float, int]], notional: float
) -> None:
    found, books = _open_after(spec, moves, notional)
    for opp in found:
        assert opp.route is not None and opp.route.kind is opp.kind
        assert len(opp.book_ts) == len(opp.legs)
        for leg in opp.legs:
            book = books[(leg.venue, leg.symbol)]
            side = book.asks if leg.side is Side.BUY else book.bids
            depth = sum(size for _, size in side)
            # Never beyond the depth (an amount on the step grid may sit an ulp above it).
            assert 0 < leg.amount <= depth * (1 + 1e-12)
            fill = walk_base(side, leg.amount)
            # The same walk gives the same fills, to the last digit.
            assert (fill.amount, fill.cost, fill.levels_used) == (
                leg.amount, leg.cost, leg.levels_used
            )
            assert leg.fee == pytest.approx(leg.cost * leg.fee_rate, rel=1e-12, abs=1e-15)


@EVERY_KIND
@settings(max_examples=40, deadline=None)
@given(moves=_moves, notional=st.sampled_from([50.0, 300.0, 5000.0]))
def test_the_reported_net_is_what_its_route_gives_again_on_the_books(
    spec: KindSpec, moves: list[tuple[float, int]], notional: float
) -> None:
    found, books = _open_after(spec, moves, notional)
    config = _hypo_config(trade_notional=notional)
    for opp in found:
        assert opp.size <= opp.max_size or opp.max_size == 0.0 or opp.net_profit < 0
        waterfall = [step.amount for step in opp.waterfall]
        assert waterfall[-1] == opp.net_profit
        assert sum(waterfall[:-1]) == pytest.approx(opp.net_profit, rel=1e-9, abs=1e-12)
        assert opp.net_bps == pytest.approx(opp.net_profit / opp.notional * 1e4, rel=1e-9)
        # Re-executing the typed route at the reported size, through the kind's own
        # resize (what the ticket calls), gives the same legs and net.
        again = spec.resize(opp, opp.size, books, MARKETS, opp.ts, config)
        assert again is not None
        assert again.route_id == opp.route_id
        assert [(leg.symbol, leg.side) for leg in again.legs] == [
            (leg.symbol, leg.side) for leg in opp.legs
        ]
        assert again.net_profit == pytest.approx(opp.net_profit, rel=1e-9, abs=1e-12)
        assert again.size == pytest.approx(opp.size, rel=1e-9)


@EVERY_KIND
@pytest.mark.parametrize("seed", [1, 2])
def test_incremental_updates_equal_a_full_recompute_for_every_kind(
    spec: KindSpec, seed: int
) -> None:
    rng = random.Random(seed)
    notional = rng.choice([50.0, 5000.0])
    incremental, full = _calculator(spec, notional), _calculator(spec, notional)
    now = T0
    for calc in (incremental, full):
        calc.update(_opening_books(now), now)
    seen = 0
    for step in range(300):
        now += rng.choice([0.0, 0.05, 0.2, 0.6])
        book = _hypo_book(
            rng.choice(VENUES), rng.choice(list(SYMBOLS)), rng.uniform(-0.03, 0.03),
            rng.randint(1, 30), now - rng.choice([0.0, 0.0, 0.0, 2.5]),
        )
        for calc in (incremental, full):
            calc.update([book], now)
        if step % 10 == 9:
            full.recompute_all(now)
            got = incremental.opportunities(now)
            assert _comparable(got) == _comparable(full.opportunities(now))
            seen += len(got)
    assert seen > 0  # the comparison saw this kind open: its routes exist in these markets
