"""The incremental calculator: same result as a full recompute, fresh books only, every kind."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from arbscope.engine.calculator import OpportunityCalculator
from arbscope.engine.config import EngineConfig
from arbscope.engine.cross_currency import evaluate_cross, find_cross_routes
from arbscope.engine.route_index import fee_floor
from arbscope.engine.spatial import evaluate_spatial
from arbscope.engine.triangular import evaluate_triangle, find_triangles
from arbscope.models import Kind, Market, Opportunity, OrderBook

T0 = 1_732_400_000.0


def _market(venue: str, symbol: str, fee: float = 0.001) -> Market:
    base, quote = symbol.split("/")
    return Market(venue=venue, symbol=symbol, base=base, quote=quote, taker_fee=fee)


def _book(
    venue: str, symbol: str, bid: float, ask: float, ts: float, size: float = 10.0
) -> OrderBook:
    """Two levels a side; the second 0.1% further out."""
    return OrderBook(
        venue=venue,
        symbol=symbol,
        ts=ts,
        bids=((bid, size), (bid * 0.999, size)),
        asks=((ask, size), (ask * 1.001, size)),
    )


# A handful of books with one route of each price-based kind open:
#  spatial    buy BTC/USDT on alpha @ 100.0, sell on beta @ 101.0
#  triangular on alpha: 1 USDT -> 0.01 BTC (ask 100) -> 0.2 ETH (ETH/BTC ask 0.05)
#             -> 1.02 USDT (ETH/USDT bid 5.1): +2% before fees
#  cross      buy BTC/USDT on alpha @ 100, sell BTC/EUR on beta @ 95 EUR,
#             EUR -> USDT on gamma @ 1.08: 95 * 1.08 = 102.6 USDT per BTC
MARKETS = [
    _market("alpha", "BTC/USDT"),
    _market("alpha", "ETH/USDT"),
    _market("alpha", "ETH/BTC"),
    _market("beta", "BTC/USDT"),
    _market("beta", "BTC/EUR"),
    _market("gamma", "EUR/USDT"),
]


def _books(ts: float) -> list[OrderBook]:
    return [
        _book("alpha", "BTC/USDT", 99.9, 100.0, ts),
        _book("alpha", "ETH/USDT", 5.1, 5.11, ts),
        _book("alpha", "ETH/BTC", 0.0499, 0.05, ts),
        _book("beta", "BTC/USDT", 101.0, 101.1, ts),
        _book("beta", "BTC/EUR", 95.0, 95.1, ts),
        _book("gamma", "EUR/USDT", 1.08, 1.081, ts, size=10_000.0),
    ]


def _config(**changes: Any) -> EngineConfig:
    values: dict[str, Any] = {"reference_currency": "USDT", "stat_min_samples": 5}
    values.update(changes)
    return EngineConfig(**values)


def _by_kind(opportunities: list[Opportunity]) -> dict[Kind, list[Opportunity]]:
    found: dict[Kind, list[Opportunity]] = {}
    for opp in opportunities:
        found.setdefault(opp.kind, []).append(opp)
    return found


# A 4-leg ring on its own venue, sharing no symbol with the handful (no other route reads it):
#  USDT -> SOL (ask 100) -> ADA (ADA/SOL ask 0.05) -> DOT (ADA/DOT bid 4.8)
#       -> USDT (DOT/USDT bid 1.1): 1/100/0.05 * 4.8 * 1.1 = 1.056, +5.6% before fees
RING = {"SOL/USDT": (99.9, 100.0), "ADA/SOL": (0.0499, 0.05), "ADA/DOT": (4.8, 4.81),
        "DOT/USDT": (1.1, 1.101)}
RING_MARKETS = [_market("delta", symbol) for symbol in RING]


def _ring_books(ts: float) -> list[OrderBook]:
    return [_book("delta", s, bid, ask, ts, size=10_000.0) for s, (bid, ask) in RING.items()]


def test_a_handful_of_books_produces_every_kind() -> None:
    # 500 USDT is about 5 BTC: every leg stays within the first level of 10.
    calc = OpportunityCalculator(
        _config(trade_notional=500.0, max_cycle_legs=4), MARKETS + RING_MARKETS
    )
    # Statistical: 10 calm samples of the alpha~beta BTC/USDT spread, then beta jumps 1%.
    for i in range(10):
        wobble = 0.01 * (i % 2)
        calc.update(
            [
                _book("alpha", "BTC/USDT", 99.9 + wobble, 100.0 + wobble, T0 + i * 0.1),
                _book("beta", "BTC/USDT", 99.9, 100.0, T0 + i * 0.1),
            ],
            T0 + i * 0.1,
        )
    now = T0 + 1.5
    calc.update(_books(now) + _ring_books(now), now)
    found = _by_kind(calc.opportunities(now))
    assert set(found) == set(Kind)
    [spatial] = found[Kind.SPATIAL]
    assert spatial.route_id == "spatial:BTC/USDT:alpha>beta"
    assert spatial.buy_vwap == pytest.approx(100.0) and spatial.sell_vwap == pytest.approx(101.0)
    # 100 bps gross, minus 10 bps fee each side on about the same notional.
    assert spatial.gross_bps == pytest.approx(100.0)
    assert spatial.net_bps == pytest.approx(100.0 - 10.0 - 10.1)
    triangles = {o.route_id for o in found[Kind.TRIANGULAR]}
    assert "triangular:alpha:USDT>BTC>ETH>USDT" in triangles
    [cross] = found[Kind.CROSS_CURRENCY]
    assert cross.route_id == "cross:BTC:alpha BTC/USDT>beta BTC/EUR>gamma EUR/USDT"
    assert cross.gross_bps == pytest.approx(260.0)  # 102.6 / 100 - 1
    [stat] = found[Kind.STATISTICAL]
    # log(100.05 / 100.95) < 0 far below the calm mean: alpha is cheap, buy alpha, sell beta.
    assert stat.z_score is not None and stat.z_score < -2.0
    assert [(leg.venue, leg.side.value) for leg in stat.legs] == [
        ("alpha", "buy"),
        ("beta", "sell"),
    ]
    assert stat.detail["expected"] == "expected (not risk-free)"
    for opp in calc.opportunities(now):
        assert opp.opened_ts == now
        assert opp.net_profit_ref is not None
    ranked = [o.net_bps for o in calc.opportunities(now)]
    assert ranked == sorted(ranked, reverse=True)


def test_sizes_follow_the_trade_notional_through_the_valuation() -> None:
    calc = OpportunityCalculator(_config(trade_notional=500.0), MARKETS)
    calc.update(_books(T0), T0)
    assert dict(calc.valuation()) == {"USDT": 1.0}  # refreshed when routes are evaluated
    [spatial] = _by_kind(calc.opportunities(T0))[Kind.SPATIAL]
    # BTC is worth the alpha BTC/USDT mid 99.95 USDT (alpha sorts first).
    assert calc.valuation()["BTC"] == pytest.approx(99.95)
    assert spatial.size == pytest.approx(500.0 / 99.95)  # 5.0025 BTC
    calc.set_config(_config(trade_notional=800.0))
    [spatial] = _by_kind(calc.opportunities(T0 + 1.0))[Kind.SPATIAL]
    assert spatial.size == pytest.approx(800.0 / 99.95)
    # net_profit_ref = net profit in USDT * 1.0 (the reference)
    assert spatial.net_profit_ref == pytest.approx(spatial.net_profit)


def test_the_valuation_refreshes_at_most_once_per_second() -> None:
    calc = OpportunityCalculator(_config(trade_notional=500.0), MARKETS)
    calc.update(_books(T0), T0)
    calc.opportunities(T0)
    assert calc.valuation()["BTC"] == pytest.approx(99.95)
    # alpha's BTC/USDT mid jumps 2% (99.95 -> 101.95), beyond the 1% tolerance.
    calc.update([_book("alpha", "BTC/USDT", 101.9, 102.0, T0 + 0.5)], T0 + 0.5)
    calc.opportunities(T0 + 0.5)
    assert calc.valuation()["BTC"] == pytest.approx(99.95)  # not yet a second
    [spatial] = _by_kind(calc.opportunities(T0 + 1.0))[Kind.SPATIAL]
    assert calc.valuation()["BTC"] == pytest.approx(101.95)
    # alpha is now the rich side: buy on beta (ask 101.1), sell on alpha (bid 101.9).
    assert spatial.route_id == "spatial:BTC/USDT:beta>alpha"
    assert spatial.size == pytest.approx(500.0 / 101.95)


def test_an_update_re_evaluates_only_the_routes_reading_that_book() -> None:
    calc = OpportunityCalculator(_config(), MARKETS)
    calc.update(_books(T0), T0)
    calc.opportunities(T0)
    calc.update([_book("gamma", "EUR/USDT", 1.081, 1.082, T0 + 0.5)], T0 + 0.5)
    for opp in calc.opportunities(T0 + 0.5):
        reads_gamma = any(leg.venue == "gamma" for leg in opp.legs)
        # Figures are as of the last evaluation: only the cross route was redone.
        assert opp.ts == (T0 + 0.5 if reads_gamma else T0)
        assert opp.kind is Kind.CROSS_CURRENCY or not reads_gamma


def test_without_a_value_routes_are_sized_at_their_max_size() -> None:
    # CHF is the reference: no market and no sizing peer leads to it, so
    # nothing has a value.
    calc = OpportunityCalculator(_config(reference_currency="CHF"), MARKETS)
    calc.update(_books(T0), T0)
    [spatial] = _by_kind(calc.opportunities(T0))[Kind.SPATIAL]
    assert dict(calc.valuation()) == {"CHF": 1.0}
    assert spatial.size == spatial.max_size > 0
    assert spatial.net_profit_ref is None


def test_stale_books_never_produce_an_opportunity_and_open_ones_age_out() -> None:
    calc = OpportunityCalculator(_config(default_max_book_age=5.0), MARKETS)
    calc.update(_books(T0), T0)
    assert calc.opportunities(T0 + 5.0)  # exactly 5 s old is still usable
    assert calc.opportunities(T0 + 5.01) == []  # no update needed to age out
    late = OpportunityCalculator(_config(default_max_book_age=5.0), MARKETS)
    late.update(_books(T0), T0 + 6.0)  # already 6 s old when they arrive
    assert late.opportunities(T0 + 6.0) == []
    late.recompute_all(T0 + 6.0)
    assert late.opportunities(T0 + 6.0) == []


def test_a_venue_override_of_the_age_limit_applies_to_its_books_only() -> None:
    calc = OpportunityCalculator(_config(max_book_age={"gamma": 1.0}), MARKETS)
    calc.update(_books(T0), T0)
    kinds = {o.kind for o in calc.opportunities(T0 + 2.0)}
    # The cross route reads gamma's EUR/USDT: gone after 1 s; the others remain.
    assert Kind.CROSS_CURRENCY not in kinds and Kind.SPATIAL in kinds


@pytest.mark.parametrize(
    ("bids", "asks", "problem"),
    [
        (((101.0, 1.0),), ((100.0, 1.0),), "crossed"),
        (((100.0, 1.0),), ((100.0, 1.0),), "crossed"),
        (((-1.0, 1.0),), ((100.0, 1.0),), "between"),
        (((99.0, 0.0),), ((100.0, 1.0),), "between"),
        (((math.nan, 1.0),), ((100.0, 1.0),), "between"),
        (((98.0, 1.0), (99.0, 1.0)), ((100.0, 1.0),), "bids are best"),
        (((99.0, 1.0),), ((101.0, 1.0), (100.0, 1.0)), "asks are best"),
    ],
)
def test_crossed_or_invalid_books_cannot_even_be_built(
    bids: tuple[tuple[float, float], ...], asks: tuple[tuple[float, float], ...], problem: str
) -> None:
    with pytest.raises(ValidationError, match=problem):
        OrderBook(venue="alpha", symbol="BTC/USDT", ts=T0, bids=bids, asks=asks)


def test_drop_venue_removes_its_routes_until_its_books_return() -> None:
    calc = OpportunityCalculator(_config(), MARKETS)
    calc.update(_books(T0), T0)
    assert any(leg.venue == "beta" for o in calc.opportunities(T0) for leg in o.legs)
    calc.drop_venue("beta")
    left = calc.opportunities(T0)
    assert left and all(leg.venue != "beta" for o in left for leg in o.legs)
    calc.update([b for b in _books(T0 + 1) if b.venue == "beta"], T0 + 1)
    assert any(o.route_id == "spatial:BTC/USDT:alpha>beta" for o in calc.opportunities(T0 + 1))


def test_kinds_switched_off_are_not_looked_for() -> None:
    calc = OpportunityCalculator(_config(kinds=frozenset({Kind.TRIANGULAR})), MARKETS)
    calc.update(_books(T0), T0)
    assert {o.kind for o in calc.opportunities(T0)} == {Kind.TRIANGULAR}
    assert calc.route_counts()["spatial"] == 0
    calc.set_config(_config(kinds=frozenset({Kind.SPATIAL, Kind.TRIANGULAR})))
    assert {o.kind for o in calc.opportunities(T0)} == {Kind.SPATIAL, Kind.TRIANGULAR}


def test_opened_ts_holds_across_updates_and_resets_after_the_route_closes() -> None:
    calc = OpportunityCalculator(_config(), MARKETS)
    calc.update(_books(T0), T0)
    route = "spatial:BTC/USDT:alpha>beta"
    assert route in {o.route_id for o in calc.opportunities(T0)}  # first seen at T0
    calc.update([_book("beta", "BTC/USDT", 101.5, 101.6, T0 + 1)], T0 + 1)
    [opp] = [o for o in calc.opportunities(T0 + 1) if o.route_id == route]
    assert opp.opened_ts == T0 and opp.ts == T0 + 1
    calc.update([_book("beta", "BTC/USDT", 99.0, 99.1, T0 + 2)], T0 + 2)  # edge gone
    assert route not in {o.route_id for o in calc.opportunities(T0 + 2)}
    calc.update([_book("beta", "BTC/USDT", 101.0, 101.1, T0 + 3)], T0 + 3)
    [opp] = [o for o in calc.opportunities(T0 + 3) if o.route_id == route]
    assert opp.opened_ts == T0 + 3


def test_a_route_that_aged_out_unseen_starts_a_new_run_when_its_books_return() -> None:
    calc = OpportunityCalculator(_config(default_max_book_age=5.0), MARKETS)
    calc.update(_books(T0), T0)
    # Nobody asked for opportunities while the books were too old (T0 + 5 .. T0 + 10).
    calc.update(_books(T0 + 10), T0 + 10)
    for opp in calc.opportunities(T0 + 10):
        assert opp.opened_ts == T0 + 10


def test_a_book_older_than_the_one_held_is_ignored() -> None:
    calc = OpportunityCalculator(_config(), MARKETS)
    calc.update(_books(T0 + 1), T0 + 1)
    calc.update([_book("beta", "BTC/USDT", 99.0, 99.1, T0)], T0 + 1)  # late, out of order
    assert "spatial:BTC/USDT:alpha>beta" in {o.route_id for o in calc.opportunities(T0 + 1)}


# --- incremental == full recompute ------------------------------------------------------------

VENUES = ("alpha", "beta", "gamma")
SYMBOLS = {"BTC/USDT": 100.0, "ETH/USDT": 5.0, "ETH/BTC": 0.05, "BTC/EUR": 92.0, "EUR/USDT": 1.08}
HYPO_MARKETS = [
    _market(venue, symbol, fee=(0.0005, 0.001, 0.002)[(i + j) % 3])
    for i, venue in enumerate(VENUES)
    for j, symbol in enumerate(SYMBOLS)
]

_update = st.tuples(
    st.integers(0, len(VENUES) - 1),
    st.integers(0, len(SYMBOLS) - 1),
    st.one_of(st.sampled_from([-0.02, -0.006, 0.0, 0.006, 0.02]), st.floats(-0.03, 0.03)),
    st.integers(1, 30),  # spread in bps
    st.sampled_from([0.0, 0.05, 0.05, 0.2, 0.6, 2.5]),  # time step; books live 2 s
    st.sampled_from(["fresh"] * 6 + ["stale", "one-sided", "drop", "check"]),
)


def _hypo_book(venue: str, symbol: str, move: float, spread_bps: int, ts: float) -> OrderBook:
    mid = SYMBOLS[symbol] * (1.0 + move)
    half = mid * spread_bps / 2e4
    return _book(venue, symbol, mid - half, mid + half, ts, size=1.0 + spread_bps / 10)


def _opening_books(ts: float) -> list[OrderBook]:
    """Every book, each venue priced a little apart so that routes of every kind open."""
    offsets = {"alpha": 0.0, "beta": 0.012, "gamma": -0.008}
    return [
        _hypo_book(venue, symbol, offsets[venue] * (1 + j % 2), 4 + j, ts)
        for venue in VENUES
        for j, symbol in enumerate(SYMBOLS)
    ]


def _hypo_config(**changes: Any) -> EngineConfig:
    """The random streams' config: short statistical windows, books live 2 s, every kind on."""
    values: dict[str, Any] = {
        "stat_min_samples": 3, "stat_entry_z": 1.0, "stat_window_s": 30.0,
        "default_max_book_age": 2.0, "max_cycle_legs": 4,
    }
    values.update(changes)
    return _config(**values)


def _comparable(opportunities: list[Opportunity]) -> list[dict[str, Any]]:
    # `ts` is when figures were produced: the incremental ones are older by design.
    return [o.model_dump(exclude={"ts"}) for o in opportunities]


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(_update, min_size=1, max_size=60), notional=st.sampled_from([50.0, 5000.0]))
def test_incremental_updates_equal_a_full_recompute(
    steps: list[tuple[int, int, float, int, float, str]], notional: float
) -> None:
    config = _hypo_config(trade_notional=notional)
    incremental = OpportunityCalculator(config, HYPO_MARKETS)
    full = OpportunityCalculator(config, HYPO_MARKETS)
    now = T0
    incremental.update(_opening_books(now), now)
    full.update(_opening_books(now), now)
    symbols = list(SYMBOLS)
    for venue_index, symbol_index, move, spread, dt, what in steps:
        now += dt
        venue, symbol = VENUES[venue_index], symbols[symbol_index]
        if what == "drop":
            incremental.drop_venue(venue)
            full.drop_venue(venue)
            continue
        if what == "check":
            full.recompute_all(now)
            expected = full.opportunities(now)
            got = incremental.opportunities(now)
            assert _comparable(got) == _comparable(expected)
            for opp in got:
                assert all(now - ts <= 2.0 for ts in opp.book_ts)
            continue
        book = _hypo_book(venue, symbol, move, spread, now - (2.5 if what == "stale" else 0.0))
        if what == "one-sided":
            book = book.model_copy(update={"asks": ()})
        incremental.update([book], now)
        full.update([book], now)
    full.recompute_all(now)
    assert _comparable(incremental.opportunities(now)) == _comparable(full.opportunities(now))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_long_random_stream_stays_equal_to_a_full_recompute(seed: int) -> None:
    # Long enough for statistical windows to fill and signal (hypothesis keeps streams short).
    rng = random.Random(seed)
    config = _hypo_config(trade_notional=rng.choice([50.0, 5000.0]))
    incremental = OpportunityCalculator(config, HYPO_MARKETS)
    full = OpportunityCalculator(config, HYPO_MARKETS)
    now = T0
    for calc in (incremental, full):
        calc.update(_opening_books(now), now)
    seen: set[Kind] = set()
    for step in range(400):
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
            seen.update(o.kind for o in got)
    assert seen == set(Kind)  # the comparison covered every kind


def _best_through_fx(found: list[Opportunity], fx_of: dict[str, list[str]]) -> Opportunity:
    """The exhaustive pick of a pairing: highest net_bps, then lowest route id, with the
    pairing's other FX books named as its alternatives."""
    best = min(found, key=lambda o: (-o.net_bps, o.route_id))
    pairing = best.route_id.rsplit(">", 1)[0]
    if len(fx_of[pairing]) == 1:
        return best
    chosen = best.route_id.rsplit(">", 1)[1]
    others = ", ".join(fx for fx in fx_of[pairing] if fx != chosen)
    return best.model_copy(update={"detail": {**best.detail, "fx_alternatives": others}})


@settings(max_examples=40, deadline=None)
@given(
    moves=st.lists(
        st.tuples(st.floats(-0.03, 0.03), st.integers(1, 30), st.booleans()),
        min_size=len(HYPO_MARKETS),
        max_size=len(HYPO_MARKETS),
    ),
    min_net_bps=st.sampled_from([-1000.0, -40.0, -5.0, 0.0, 25.0]),
    near_miss_bps=st.sampled_from([0.0, 10.0, 30.0]),
)
def test_the_pruned_calculator_equals_an_exhaustive_search(
    moves: list[tuple[float, int, bool]], min_net_bps: float, near_miss_bps: float
) -> None:
    # Brute force: call every evaluator on every route (each cross-currency pairing through
    # every FX book), no index, no bounds; keep what reaches min_net_bps - near_miss_bps.
    kinds = frozenset({Kind.SPATIAL, Kind.TRIANGULAR, Kind.CROSS_CURRENCY})
    config = _config(
        kinds=kinds, trade_notional=300.0, min_net_bps=min_net_bps, near_miss_bps=near_miss_bps
    )
    books = {}
    for market, (move, spread, one_sided) in zip(HYPO_MARKETS, moves, strict=True):
        book = _hypo_book(market.venue, market.symbol, move, spread, T0)
        books[market.key] = book.model_copy(update={"bids": ()}) if one_sided else book
    calc = OpportunityCalculator(config, HYPO_MARKETS)
    calc.update(books.values(), T0)
    got = {o.route_id: o for o in calc.opportunities(T0)}
    markets = {m.key: m for m in HYPO_MARKETS}
    values = calc.valuation()
    expected: dict[str, Opportunity] = {}

    def size_in(currency: str) -> float:
        return 300.0 / values[currency] if currency in values else math.inf

    for (venue_a, symbol), book_a in books.items():
        for (venue_b, other), book_b in books.items():
            if symbol == other and venue_a != venue_b:
                base = markets[(venue_a, symbol)].base
                opp = evaluate_spatial(
                    book_a, book_b, markets[(venue_a, symbol)], markets[(venue_b, symbol)],
                    size_in(base), T0,
                )
                if opp is not None:
                    expected[opp.route_id] = opp
    for venue in VENUES:
        venue_markets = [m for m in HYPO_MARKETS if m.venue == venue]
        by_symbol = {m.symbol: books[m.key] for m in venue_markets}
        rules = {m.symbol: m for m in venue_markets}
        for triangle in find_triangles(venue_markets):
            opp = evaluate_triangle(triangle, by_symbol, rules, size_in(triangle.start), T0)
            if opp is not None:
                expected[opp.route_id] = opp
    # A pairing closes through its best FX book of the moment, the others are its
    # alternatives: one opportunity per pairing, not one per FX book.
    through: dict[str, list[Opportunity]] = {}
    fx_of: dict[str, list[str]] = {}
    for cross in find_cross_routes(HYPO_MARKETS, {}):
        pairing, fx = cross.route_id.rsplit(">", 1)
        fx_of.setdefault(pairing, []).append(fx)
        opp = evaluate_cross(cross, books, markets, size_in(cross.base), T0, {})
        if opp is not None:
            through.setdefault(pairing, []).append(opp)
    for found in through.values():
        best = _best_through_fx(found, fx_of)
        expected[best.route_id] = best
    floor = min_net_bps - near_miss_bps
    expected = {k: o for k, o in expected.items() if o.net_bps >= floor}
    assert set(got) == set(expected)
    for route_id, opp in expected.items():
        assert got[route_id].model_dump(exclude={"opened_ts", "net_profit_ref"}) == opp.model_dump(
            exclude={"opened_ts", "net_profit_ref"}
        )


def test_a_near_miss_is_kept_and_a_route_below_the_band_is_not_walked() -> None:
    # Spatial BTC/USDT alpha -> beta, 10 bps taker fee a side, top levels only (size 1 BTC,
    # trade 50 USDT = 0.5 BTC): buy @ 100.0, sell @ 100.15: gross 15 bps,
    # net = 100.15 * 0.999 - 100.0 * 1.001 = 100.04985 - 100.1 = -0.05015 per BTC = -5.015 bps.
    markets = [_market("alpha", "BTC/USDT"), _market("beta", "BTC/USDT")]
    books = [_book("alpha", "BTC/USDT", 99.9, 100.0, T0, size=1.0),
             _book("beta", "BTC/USDT", 100.15, 100.2, T0, size=1.0)]
    kinds = frozenset({Kind.SPATIAL})

    def found(min_net_bps: float, near_miss_bps: float) -> list[float]:
        config = _config(kinds=kinds, trade_notional=50.0, min_net_bps=min_net_bps,
                         near_miss_bps=near_miss_bps)
        calc = OpportunityCalculator(config, markets)
        calc.update(books, T0)
        return [round(o.net_bps, 3) for o in calc.opportunities(T0)]

    assert found(0.0, 10.0) == [-5.015]  # within 10 bps below 0: a near miss, kept
    assert found(0.0, 5.0) == []  # 5.015 bps below: outside a 5 bps band
    assert found(-5.0, 0.0) == []
    assert found(-5.1, 0.0) == [-5.015]


def test_the_fee_floor_is_the_top_rate_a_route_needs_to_reach_the_threshold() -> None:
    # Two legs of 10 bps: F = 1.001^2 = 1.002001. Threshold -20 bps: (1 - 0.002) * F =
    # 0.999997998; below 1, so the floor is 1 (no evaluator returns a non-crossing route).
    assert fee_floor([0.001, 0.001], -20.0) == pytest.approx(1.0)
    # Threshold 0: F itself; +25 bps: F + 0.0025 = 1.004501.
    assert fee_floor([0.001, 0.001], 0.0) == pytest.approx(1.002001)
    assert fee_floor([0.001, 0.001], 25.0) == pytest.approx(1.004501)
    # A spatial route at exactly that floor nets at most 0 bps: bid/ask = 1.002001 with
    # fee 10 bps a side gives 1.002001 * 0.999 - 1.001 = -0.000999 per unit spent < 0.
    assert 1.002001 * 0.999 - 1.001 < 0


def test_spread_z_reads_a_pair_below_the_entry_threshold() -> None:
    # x = log(mid_alpha / mid_beta), mid_beta = 100 and mid_alpha = 100 * e^v, so x = v.
    # Samples +d, -d, +d, -d, 0 (d = 0.01): mean 0, so the z of the newest (0) is 0.
    # One more at +d: six samples summing to d, mean d/6; mean of squares 5d^2/6, so
    # variance 5d^2/6 - d^2/36 = 29d^2/36, std d*sqrt(29)/6 and
    # z = (d - d/6) / (d*sqrt(29)/6) = 5/sqrt(29) = 0.928..., below the entry of 2.
    from arbscope.engine.statistical import statistical_route_id

    d = 0.01
    route_id = statistical_route_id("BTC/USDT", "alpha", "beta")
    calc = OpportunityCalculator(
        _config(stat_entry_z=2.0, stat_window_s=60.0, default_max_book_age=60.0),
        [_market("alpha", "BTC/USDT"), _market("beta", "BTC/USDT")],
    )

    def alpha(v: float, ts: float) -> OrderBook:
        mid = 100.0 * math.exp(v)
        return _book("alpha", "BTC/USDT", mid - 0.1, mid + 0.1, ts)

    calc.update([_book("beta", "BTC/USDT", 99.9, 100.1, T0)], T0)
    for i, v in enumerate([d, -d, d, -d], start=1):
        calc.update([alpha(v, T0 + i)], T0 + i)
    assert calc.spread_z(route_id) is None  # 4 samples < stat_min_samples 5
    calc.update([alpha(0.0, T0 + 5)], T0 + 5)
    assert calc.spread_z(route_id) == pytest.approx(0.0, abs=1e-9)
    calc.update([alpha(d, T0 + 6)], T0 + 6)
    assert calc.spread_z(route_id) == pytest.approx(5 / math.sqrt(29), rel=1e-6)
    # Below the entry: no statistical opportunity shows it, only spread_z does.
    assert Kind.STATISTICAL not in _by_kind(calc.opportunities(T0 + 6))
    assert calc.spread_z("statistical:ETH/USDT:alpha~beta") is None
    calc.drop_venue("beta")
    assert calc.spread_z(route_id) is None  # the window was cleared with the venue
