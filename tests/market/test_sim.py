"""The simulated market: deterministic, realistic-looking, and full of every kind of route."""

from __future__ import annotations

import asyncio
import math
import random
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Sequence

import pytest

from arbscope.engine.calculator import OpportunityCalculator
from arbscope.engine.config import EngineConfig
from arbscope.market.base import RawLevels
from arbscope.market.sim import EVENT_KINDS, SimFeed, SimMarket
from arbscope.models import Kind, Market, OrderBook, VenueState

START = 1_732_400_000.0


def _run(market: SimMarket, seconds: float, dt: float = 0.1) -> list[OrderBook]:
    return [book for _, books in market.run_for(seconds, dt) for book in books]


@pytest.fixture(scope="module")
def twenty_seconds() -> tuple[SimMarket, list[OrderBook]]:
    """20 s of the default market, shared by the read-only checks below."""
    market = SimMarket(seed=7, start_ts=START)
    return market, _run(market, 20.0)


@pytest.fixture(scope="module")
def rules(twenty_seconds: tuple[SimMarket, list[OrderBook]]) -> dict[tuple[str, str], Market]:
    return {m.key: m for m in twenty_seconds[0].markets()}


# -- determinism -----------------------------------------------------------------


def _fingerprint(books: Sequence[OrderBook]) -> list[tuple[object, ...]]:
    return [(b.venue, b.symbol, b.ts, b.bids, b.asks) for b in books]


def test_same_seed_and_times_give_identical_books() -> None:
    first = _fingerprint(_run(SimMarket(seed=11, start_ts=START), 5.0))
    second = _fingerprint(_run(SimMarket(seed=11, start_ts=START), 5.0))
    assert first == second
    assert len(first) > 500  # ~370 books a simulated second: the run did produce books


def test_a_different_seed_gives_different_books() -> None:
    first = _fingerprint(_run(SimMarket(seed=11, start_ts=START), 2.0))
    second = _fingerprint(_run(SimMarket(seed=12, start_ts=START), 2.0))
    assert first != second


def test_neither_the_global_rng_nor_the_wall_clock_matters(monkeypatch: pytest.MonkeyPatch) -> None:
    random.seed(1)
    first = _fingerprint(_run(SimMarket(seed=3, start_ts=START), 3.0))

    def no_wall_clock() -> float:
        raise AssertionError("SimMarket read the wall clock")

    monkeypatch.setattr(time, "time", no_wall_clock)
    random.seed(2)
    second = _fingerprint(_run(SimMarket(seed=3, start_ts=START), 3.0))
    assert first == second


def test_books_depend_only_on_the_times_stepped_to() -> None:
    # run_for(1.0, 0.25) steps to START + 0, 0.25, 0.5, 0.75, 1.0: the same as stepping by hand.
    by_hand = SimMarket(seed=5, start_ts=START)
    manual = [b for t in (0.0, 0.25, 0.5, 0.75, 1.0) for b in by_hand.step(START + t)]
    generated = _run(SimMarket(seed=5, start_ts=START), 1.0, dt=0.25)
    assert _fingerprint(manual) == _fingerprint(generated)


# -- stepping --------------------------------------------------------------------


def test_first_step_publishes_every_book_then_only_the_changed_ones() -> None:
    market = SimMarket(seed=7, start_ts=START)
    first = market.step(START)
    assert {b.key for b in first} == {m.key for m in market.markets()}
    assert len(first) == len({b.key for b in first})
    second = market.step(START + 0.05)
    # 50 ms later only the fast books (10-20 Hz) can have changed, each once.
    assert 0 < len(second) < len(first)
    assert len(second) == len({b.key for b in second})
    assert all(b.ts == START + 0.05 for b in second)


def test_a_time_that_does_not_move_forward_changes_nothing() -> None:
    market = SimMarket(seed=7, start_ts=START)
    market.step(START + 1.0)
    assert market.step(START + 1.0) == []
    assert market.step(START + 0.5) == []
    assert market.now == START + 1.0


def test_each_book_updates_at_its_own_rate_of_a_few_hz(
    twenty_seconds: tuple[SimMarket, list[OrderBook]],
) -> None:
    market, books = twenty_seconds
    per_key = Counter(b.key for b in books)
    assert set(per_key) == {m.key for m in market.markets()}
    rates = [count / 20.0 for count in per_key.values()]
    # Quiet markets run at half their venue's 2-20 Hz; stepping every 0.1 s caps at 10 Hz.
    assert min(rates) >= 0.8
    assert max(rates) <= 10.05
    assert len({round(r) for r in rates}) >= 4  # not one rate for all


def test_run_for_steps_on_an_exact_grid() -> None:
    market = SimMarket(seed=7, start_ts=START)
    times = [now for now, _ in market.run_for(1.0, dt=0.1)]
    assert times == [START + i * 0.1 for i in range(11)]
    more = [now for now, _ in market.run_for(0.2, dt=0.1)]
    assert more == [START + 1.0 + 0.1, START + 1.0 + 0.2]
    with pytest.raises(ValueError, match="dt > 0"):
        next(market.run_for(1.0, dt=0.0))


def test_rate_scale_multiplies_the_update_rate() -> None:
    normal = len(_run(SimMarket(seed=7, start_ts=START), 5.0, dt=0.01))
    fast = len(_run(SimMarket(seed=7, start_ts=START, rate_scale=3.0), 5.0, dt=0.01))
    assert 2.4 < fast / normal < 3.6
    with pytest.raises(ValueError, match="rate_scale"):
        SimMarket(rate_scale=0.0)


# -- books -----------------------------------------------------------------------


def _on_grid(value: float, step: float) -> bool:
    # A relative tolerance: 36127.84981876 / 1e-8 is 3.6e12 steps, beyond 1e-6 of float precision.
    ratio = value / step
    return abs(ratio - round(ratio)) < 1e-6 + 1e-12 * abs(ratio)


def test_every_book_is_deep_on_the_tick_grid_and_sized_in_steps(
    twenty_seconds: tuple[SimMarket, list[OrderBook]],
    rules: dict[tuple[str, str], Market],
) -> None:
    _, books = twenty_seconds
    for book in books:
        rule = rules[book.key]
        assert rule.price_tick is not None and rule.amount_step is not None
        # OrderBook itself refused anything crossed, unsorted or non-positive.
        assert len(book.bids) >= 20 and len(book.asks) >= 20, book.key
        for price, size in (*book.bids, *book.asks):
            assert _on_grid(price, rule.price_tick), (book.key, price)
            assert _on_grid(size, rule.amount_step), (book.key, size)


def test_spreads_are_a_few_ticks_to_a_few_bps(
    twenty_seconds: tuple[SimMarket, list[OrderBook]],
    rules: dict[tuple[str, str], Market],
) -> None:
    _, books = twenty_seconds
    spreads: dict[tuple[str, str], list[float]] = defaultdict(list)
    mids: dict[tuple[str, str], list[float]] = defaultdict(list)
    for book in books:
        assert book.best_ask is not None and book.best_bid is not None and book.mid is not None
        spreads[book.key].append((book.best_ask - book.best_bid) / book.mid * 1e4)
        mids[book.key].append(book.mid)
    for key, values in spreads.items():
        tick = rules[key].price_tick
        assert tick is not None
        tick_bps = tick / statistics.fmean(mids[key]) * 1e4
        typical = statistics.median(values)
        # Within 5 bps, unless one tick alone is wider (kraken ETH/BTC: 0.00001 / 0.035 = 2.9 bps).
        assert typical <= max(5.0, 1.5 * tick_bps), (key, typical)


def test_depth_grows_from_the_touch_then_thins_away_from_the_mid(
    twenty_seconds: tuple[SimMarket, list[OrderBook]],
) -> None:
    _, books = twenty_seconds
    sizes: dict[tuple[str, str, str], list[list[float]]] = defaultdict(list)
    for book in books:
        sizes[(*book.key, "bids")].append([s for _, s in book.bids[:20]])
        sizes[(*book.key, "asks")].append([s for _, s in book.asks[:20]])
    for key, rows in sizes.items():
        # Medians: one large resting order must not decide the shape.
        typical = [statistics.median(row[i] for row in rows) for i in range(20)]
        peak = max(typical)
        assert typical[0] < peak, key  # less rests at the touch than a few levels deeper
        assert statistics.fmean(typical[17:20]) < 0.75 * peak, key  # and it thins out


def test_sizes_are_jittered_not_a_fixed_ladder(
    twenty_seconds: tuple[SimMarket, list[OrderBook]],
) -> None:
    _, books = twenty_seconds
    btc = [b for b in books if b.key == ("binance", "BTC/USDT")]
    first_levels = {b.bids[5][1] for b in btc}
    assert len(first_levels) > 3


def test_venues_quote_around_one_fair_price(
    twenty_seconds: tuple[SimMarket, list[OrderBook]],
) -> None:
    market, books = twenty_seconds
    last: dict[tuple[str, str], OrderBook] = {}
    for book in books:
        last[book.key] = book
    for (venue, symbol), book in last.items():
        base, quote = symbol.split("/")
        fair = market.fair_usd(base) / market.fair_usd(quote)
        assert book.mid is not None
        # Lag, noise and an occasional dislocation (at most 80 bps) keep a venue close.
        assert abs(math.log(book.mid / fair)) * 1e4 < 120, (venue, symbol, book.mid, fair)


# -- venues, symbols, fees -------------------------------------------------------

# Each venue's published base-tier spot fees (taker, maker), as the sim's comment cites.
DOCUMENTED_FEES = {
    "binance": (0.0010, 0.0010),
    "okx": (0.0010, 0.0008),
    "bybit": (0.0010, 0.0010),
    "kraken": (0.0040, 0.0025),
    "coinbase": (0.0120, 0.0060),
    "bitstamp": (0.0040, 0.0030),
}


def test_fees_are_the_documented_base_tier() -> None:
    markets = SimMarket().markets()
    assert {m.venue for m in markets} == set(DOCUMENTED_FEES)
    for market in markets:
        assert (market.taker_fee, market.maker_fee) == DOCUMENTED_FEES[market.venue], market.key


def test_venues_symbols_and_fx_markets_cover_every_kind_of_route() -> None:
    market = SimMarket()
    listed: dict[str, set[str]] = defaultdict(set)
    for rule in market.markets():
        listed[rule.venue].add(rule.symbol)
    assert len(market.venues) >= 5
    assert len(market.symbols) >= 10
    required = {"BTC/USDT", "ETH/USDT", "ETH/BTC", "SOL/USDT", "BTC/USD", "BTC/EUR", "ETH/EUR",
                "EUR/USD", "USDT/USD", "EUR/USDT", "USDC/USDT"}
    assert required <= set(market.symbols)
    # Spatial: the majors on several venues.
    assert sum("BTC/USDT" in s for s in listed.values()) >= 4
    # Not every venue lists everything: fiat venues quote USD and EUR, the others USDT/USDC.
    for venue in ("kraken", "coinbase", "bitstamp"):
        assert {"BTC/USD", "BTC/EUR"} <= listed[venue]
        assert "BTC/USDC" not in listed[venue]
    for venue in ("binance", "okx", "bybit"):
        assert {"BTC/USDT", "BTC/USDC"} <= listed[venue]
        assert "BTC/USD" not in listed[venue]
    # Triangular: USDT-BTC-ETH on one venue.
    assert {"BTC/USDT", "ETH/USDT", "ETH/BTC"} <= listed["binance"]
    # Cross-currency closed by real FX: BTC/USD vs BTC/EUR with EUR/USD; BTC/USDT vs USDT/USD.
    assert {"BTC/USD", "EUR/USD"} <= listed["kraken"] and "BTC/EUR" in listed["bitstamp"]
    assert "USDT/USD" in listed["coinbase"] and "BTC/USDT" in listed["okx"]


def test_market_rules_look_like_the_real_ones() -> None:
    rules = {m.key: m for m in SimMarket().markets()}
    assert rules[("binance", "BTC/USDT")].price_tick == 0.01
    assert rules[("binance", "ETH/BTC")].price_tick == 0.00001
    assert rules[("kraken", "EUR/USD")].price_tick == 0.00001
    assert rules[("bitstamp", "BTC/USD")].price_tick == 1.0
    assert rules[("binance", "BTC/USDT")].min_cost == 5.0  # Binance's 5 USDT notional filter
    for rule in rules.values():
        assert rule.amount_step is not None and rule.amount_step > 0
        assert rule.min_amount >= rule.amount_step or rule.min_amount == 0


# -- symbols filter --------------------------------------------------------------


def test_symbols_filter_keeps_only_those_symbols() -> None:
    market = SimMarket(symbols=["BTC/USDT", "eth/usdt"])
    assert market.symbols == ("BTC/USDT", "ETH/USDT")
    assert {m.symbol for m in market.markets()} == {"BTC/USDT", "ETH/USDT"}
    assert {b.symbol for b in market.step(START)} == {"BTC/USDT", "ETH/USDT"}
    # kraken lists both; bitstamp lists BTC/USDT only; every venue stays.
    assert set(market.venues) == {"binance", "okx", "bybit", "kraken", "coinbase", "bitstamp"}


def test_unknown_symbol_names_the_known_ones_and_a_close_match() -> None:
    with pytest.raises(ValueError) as error:
        SimMarket(symbols=["BTC/USDT", "BTC/USTD"])
    message = str(error.value)
    assert "'BTC/USTD'" in message
    hint = message.split("Did you mean ", 1)[1].split("?", 1)[0]
    assert "BTC/USDT" in hint.replace(" or ", ", ").split(", ")
    assert "ETH/EUR" in message  # the list of known symbols


def test_no_symbols_at_all_is_refused() -> None:
    with pytest.raises(ValueError, match="no symbols given"):
        SimMarket(symbols=[])


# -- dislocations ----------------------------------------------------------------


def test_every_kind_of_dislocation_happens_within_twenty_seconds(
    twenty_seconds: tuple[SimMarket, list[OrderBook]],
) -> None:
    market, _ = twenty_seconds
    kinds = {event.kind for event in market.events}
    assert kinds == set(EVENT_KINDS)
    sizes = [abs(event.bps) for event in market.events]
    assert min(sizes) >= 6.0 and max(sizes) <= 80.0


def test_a_sweep_moves_the_book_and_thins_the_swept_side() -> None:
    market = SimMarket(seed=7, start_ts=START)
    previous: dict[tuple[str, str], OrderBook] = {}
    checked = 0
    for now, books in market.run_for(30.0, dt=0.1):
        sweeps = [e for e in market.events if e.kind == "sweep" and now - 0.1 < e.ts <= now]
        changed = {b.key: b for b in books}
        for sweep in sweeps:
            key = (sweep.venue, sweep.target)
            before, after = previous.get(key), changed.get(key)
            assert after is not None, "a sweep is itself a book update"
            if before is None or abs(sweep.bps) < 10:
                continue  # a small sweep can hide in the book's own noise
            assert before.mid is not None and after.mid is not None
            assert (after.mid > before.mid) == (sweep.bps > 0), sweep
            # A buy sweep took the asks: what is left on the first levels is thin.
            side = "asks" if sweep.bps > 0 else "bids"
            thin = sum(s for _, s in getattr(after, side)[:6])
            usual = sum(s for _, s in getattr(before, side)[:6])
            assert thin < 0.5 * usual, sweep
            checked += 1
        previous.update(changed)
    assert checked >= 2


@pytest.mark.parametrize("seed", [7, 3])
def test_a_minute_of_the_market_opens_every_kind_of_route_some_paying_most_not(seed: int) -> None:
    market = SimMarket(seed=seed, start_ts=START)
    calculator = OpportunityCalculator(EngineConfig(), market.markets())
    paying: dict[Kind, set[str]] = defaultdict(set)
    losing: dict[Kind, set[str]] = defaultdict(set)
    # Stepping twice a second (a scanner at 2 Hz) keeps the test quick; each book
    # still changes every step, and 60 s give the statistical pairs their 30
    # samples (~15 s) and several dislocations after that.
    for now, books in market.run_for(60.0, dt=0.5):
        calculator.update(books, now)
        for opportunity in calculator.opportunities(now):
            seen = paying if opportunity.net_profit > 0 else losing
            seen[opportunity.kind].add(opportunity.route_id)
    for kind in Kind:
        assert paying[kind], f"no {kind} route paid after fees"
        assert losing[kind], f"every {kind} route paid after fees"
        # Most routes that open do not cover their fees.
        assert len(losing[kind]) > len(paying[kind]), kind


# -- the feed --------------------------------------------------------------------


class RecordingSink:
    def __init__(self) -> None:
        self.books: list[tuple[str, str, float, RawLevels, RawLevels]] = []
        self.states: list[tuple[str, VenueState]] = []
        self.errors: list[str] = []

    def submit(self, venue: str, symbol: str, ts: float, bids: RawLevels, asks: RawLevels) -> bool:
        self.books.append((venue, symbol, ts, bids, asks))
        return True

    def set_state(self, venue: str, state: VenueState) -> None:
        self.states.append((venue, state))

    def report_error(self, venue: str, message: str, next_retry_ts: float | None = None) -> None:
        self.errors.append(message)

    def set_down_symbols(self, venue: str, symbols: Sequence[str]) -> None:
        pass


async def _publish_until(feed: SimFeed, sink: RecordingSink, books: int) -> None:
    """Run the feed until the sink holds `books` books, however long a busy machine takes."""
    task = asyncio.create_task(feed.run(sink))

    async def filled() -> None:
        while len(sink.books) < books:
            await asyncio.sleep(0.001)

    await asyncio.wait_for(filled(), 60.0)  # a bound against hangs only
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(sink.books) >= books


class SteppingClock:
    """A clock that moves 0.1 s each time it is read."""

    def __init__(self, start: float) -> None:
        self.now = start - 0.1

    def __call__(self) -> float:
        self.now += 0.1
        return self.now


async def test_sim_feed_publishes_books_and_marks_every_venue_live_once() -> None:
    feed = SimFeed(seed=7, clock=SteppingClock(START), tick_s=0.0001)
    assert feed.name == "SIM"
    sink = RecordingSink()
    # The first step publishes all 66 books; 200 is a few steps more.
    await _publish_until(feed, sink, 200)
    assert sorted(sink.states) == sorted((venue, VenueState.LIVE) for venue in feed.venues)
    assert {(venue, symbol) for venue, symbol, *_ in sink.books} == {
        m.key for m in feed.markets()
    }
    for venue, symbol, ts, bids, asks in sink.books:
        OrderBook(venue=venue, symbol=symbol, ts=ts, bids=tuple(map(tuple, bids)),
                  asks=tuple(map(tuple, asks)))
        assert ts >= START
    assert not sink.errors


async def test_sim_feed_with_the_same_seed_and_clock_publishes_the_same_books() -> None:
    async def record() -> list[tuple[object, ...]]:
        feed = SimFeed(seed=9, symbols=["ETH/BTC"], clock=SteppingClock(START), tick_s=0.0001)
        sink = RecordingSink()
        await _publish_until(feed, sink, 40)
        return [tuple(b) for b in sink.books[:40]]

    assert await record() == await record()


def test_sim_feed_refuses_a_tick_that_is_not_positive() -> None:
    with pytest.raises(ValueError, match="tick_s"):
        SimFeed(tick_s=0.0)
