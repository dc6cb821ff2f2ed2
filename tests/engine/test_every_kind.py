"""Properties every registered kind has: a new kind is tested by being registered.

Each test runs once per `KindSpec` in `engine.kinds.KINDS`, on the calculator
with that kind alone enabled, over random books of the markets of
`test_calculator` (three venues, five symbols: every kind has routes there).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arbscope.engine.calculator import OpportunityCalculator
from arbscope.engine.fills import FLOAT_NOISE, walk_base
from arbscope.engine.kinds import KINDS
from arbscope.engine.route_index import KindSpec
from arbscope.models import BookKey, Market, Opportunity, OrderBook, Side
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


def _calculator(
    spec: KindSpec, notional: float, markets: Sequence[Market] = HYPO_MARKETS
) -> OpportunityCalculator:
    return OpportunityCalculator(
        _hypo_config(trade_notional=notional, kinds=frozenset({spec.kind})), markets
    )


def _open_after(
    spec: KindSpec,
    moves: list[tuple[float, int]],
    notional: float,
    markets: Sequence[Market] = HYPO_MARKETS,
) -> tuple[list[Opportunity], dict[tuple[str, str], OrderBook]]:
    """The opportunities of `spec`'s kind once the books have moved by `moves`.

    Statistical pairs need a window of samples first: the opening books are
    fed a few times, then every book moves.
    """
    calc = _calculator(spec, notional, markets)
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


# --- max_size is a size that pays (issue 12 §3) -------------------------------------------

_STEPS = st.lists(
    st.sampled_from([None, 0.001, 0.01, 0.1]), min_size=len(HYPO_MARKETS),
    max_size=len(HYPO_MARKETS),
)


def _stepped(steps: list[float | None]) -> list[Market]:
    pairs = zip(HYPO_MARKETS, steps, strict=True)
    return [m.model_copy(update={"amount_step": s}) for m, s in pairs]


def _on_grid(amount: float, step: float | None) -> bool:
    """Exactly a whole number of steps, in decimals (no float tolerance)."""
    return step is None or Decimal(repr(amount)) % Decimal(repr(step)) == 0


def _exact(value: float) -> Fraction:
    """The decimal a float is written as (prices, sizes and steps are decimals)."""
    return Fraction(Decimal(repr(value)))


def _floor(amount: Fraction, step: float | None) -> Fraction:
    """Down to the step; within `FLOAT_NOISE` below a step is that step (`fills.round_down`'s
    rule: what a quote buys is a float a hair off the exact amount)."""
    if step is None:
        return amount
    unit = _exact(step)
    return ((amount * (1 + Fraction(FLOAT_NOISE))) // unit) * unit


def _cost(levels: Sequence[tuple[float, float]], amount: Fraction) -> tuple[Fraction, Fraction]:
    """(base filled, quote cost) of taking `amount` base, exactly."""
    left, cost = amount, Fraction(0)
    for price, size in levels:
        take = min(left, _exact(size))
        cost += take * _exact(price)
        left -= take
        if left == 0:
            break
    return amount - left, cost


def _affordable(levels: Sequence[tuple[float, float]], quote: Fraction) -> Fraction:
    """Base that `quote` (before fees) buys on `levels`, exactly."""
    amount = Fraction(0)
    for price, size in levels:
        level_cost = _exact(price) * _exact(size)
        if level_cost >= quote:
            return amount + quote / _exact(price)
        amount += _exact(size)
        quote -= level_cost
    return amount


def _net_walked_by_hand(
    opp: Opportunity, books: dict[tuple[str, str], OrderBook], markets: dict[BookKey, Market],
    size: float,
) -> tuple[Fraction, Fraction]:
    """(first leg's amount, net) of the legs walked at `size` in exact fractions.

    Every locked-in kind is a chain of conversions, leg by leg: a buy spends the
    currency at hand on the asks (fee on top), a sell sells it on the bids (fee
    off); each base amount rounds down to its market's step, the rest is dust. The
    first leg trades `size` base when the size is in base, else what `size` of its
    quote buys.
    """
    spent = have = Fraction(0)
    first_amount = Fraction(0)
    for k, leg in enumerate(opp.legs):
        market = markets[(leg.venue, leg.symbol)]
        book = books[(leg.venue, leg.symbol)]
        fee = _exact(market.taker_fee)
        if k == 0 and opp.size_currency == market.base:
            amount = _exact(size)
        elif leg.side is Side.BUY:
            quote = _exact(size) if k == 0 else have
            amount = _floor(_affordable(book.asks, quote / (1 + fee)), market.amount_step)
        else:
            amount = _floor(have, market.amount_step)
        if leg.side is Side.BUY:
            amount, cost = _cost(book.asks, amount)
            paid, have = cost * (1 + fee), amount
        else:
            amount, cost = _cost(book.bids, amount)
            paid, have = amount, cost * (1 - fee)
        if k == 0:
            spent, first_amount = paid, amount
    return first_amount, have - spent


@EVERY_KIND
@settings(max_examples=40, deadline=None)
@given(moves=_moves, steps=_STEPS, notional=st.sampled_from([50.0, 5000.0]))
def test_the_net_at_max_size_is_not_a_loss_and_max_size_is_on_the_first_legs_grid(
    spec: KindSpec, moves: list[tuple[float, int]], steps: list[float | None], notional: float
) -> None:
    markets = _stepped(steps)
    by_key = {m.key: m for m in markets}
    found, books = _open_after(spec, moves, notional, markets)
    config = _hypo_config(trade_notional=notional)
    for opp in found:
        if opp.max_size == 0.0:
            assert opp.net_profit_at_max == 0.0
            continue
        at_max = spec.resize(opp, opp.max_size, books, by_key, opp.ts, config)
        assert at_max is not None
        # The figure shown is the net at exactly that size, and it is not a loss.
        assert at_max.size == opp.max_size
        assert at_max.net_profit == opp.net_profit_at_max
        assert opp.net_profit_at_max > 0
        first = at_max.legs[0]
        assert _on_grid(first.amount, by_key[(first.venue, first.symbol)].amount_step)
        if spec.expected:
            continue  # an expected net: no chain of legs locks it in
        amount, net = _net_walked_by_hand(opp, books, by_key, opp.max_size)
        assert float(amount) == pytest.approx(first.amount, rel=1e-12)
        assert net >= 0
        assert float(net) == pytest.approx(opp.net_profit_at_max, rel=1e-9, abs=1e-12)


# --- a size below a market's minimum is never shown as a trade (issue 12 §4) --------------


def _breaks(leg_amount: float, leg_cost: float, market: Market) -> str | None:
    if leg_amount < market.min_amount:
        return "min_amount"
    if leg_cost < market.min_cost:
        return "min_cost"
    return None


@EVERY_KIND
@settings(max_examples=30, deadline=None)
@given(
    moves=_moves,
    min_costs=st.lists(
        st.sampled_from([0.0, 20.0, 100.0, 300.0]), min_size=len(HYPO_MARKETS),
        max_size=len(HYPO_MARKETS),
    ),
    steps=_STEPS,
)
def test_a_route_below_a_minimum_names_it_and_is_shown_only_at_a_size_allowed_that_pays(
    spec: KindSpec, moves: list[tuple[float, int]], min_costs: list[float],
    steps: list[float | None],
) -> None:
    pairs = zip(_stepped(steps), min_costs, strict=True)
    markets = [m.model_copy(update={"min_cost": c}) for m, c in pairs]
    by_key = {m.key: m for m in markets}
    found, _ = _open_after(spec, moves, 50.0, markets)
    for opp in found:
        broken = [
            (leg, rule) for leg in opp.legs
            if (rule := _breaks(leg.amount, leg.cost, by_key[(leg.venue, leg.symbol)]))
        ]
        breach = opp.minimum_breach
        if breach is None:
            assert broken == []  # every order shown is one its venue accepts
            continue
        market = by_key[(breach.venue, breach.symbol)]
        assert breach.minimum == getattr(market, breach.rule) > 0
        if breach.resized:
            # Shown at the smallest size allowed, because it pays there.
            assert broken == []
            assert opp.net_profit > 0
            assert breach.ordered < breach.minimum
        else:
            # Shown at the size asked for, naming the first minimum its orders break.
            assert broken, "a breach is named only when an order breaks it"
            leg, rule = broken[0]
            assert (leg.venue, leg.symbol, rule) == (breach.venue, breach.symbol, breach.rule)
