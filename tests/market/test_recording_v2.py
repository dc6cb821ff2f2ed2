"""Recording format version 2: both times per book, disconnect and resync lines; a replay
makes a venue's books unusable from a disconnect until each one's next snapshot."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from arbscope.engine.config import EngineConfig
from arbscope.market.base import FeedGap, RawLevels
from arbscope.market.recorder import Recorder
from arbscope.market.replay import ReplayFeed
from arbscope.market.scanner import Scanner
from arbscope.market.service import MarketService
from arbscope.models import Market, VenueState

V1_RECORDING = Path(__file__).parent.parent / "data" / "recording-v1.jsonl"
"""Written by the version 1 recorder (arbscope before format 2), kept as it came out."""

HEADER = {"type": "header", "version": 2, "created": 1000.0, "source": "test"}
FEES = [
    {"type": "venue", "venue": "alpha", "taker_fee": 0.001, "maker_fee": 0.0},
    {"type": "venue", "venue": "beta", "taker_fee": 0.002, "maker_fee": 0.0},
]


def _write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _book(ts: float, venue: str, symbol: str, bid: float, ask: float) -> dict[str, Any]:
    return {"type": "book", "ts": ts, "venue": venue, "symbol": symbol,
            "bids": [[bid, 1.0]], "asks": [[ask, 1.0]]}


def _market(venue: str, symbol: str) -> Market:
    base, quote = symbol.split("/")
    return Market(venue=venue, symbol=symbol, base=base, quote=quote, taker_fee=0.001)


def test_the_recorder_writes_both_times_and_the_gap_lines(tmp_path: Path) -> None:
    service = MarketService([], clock=lambda: 2000.0)
    service.add_markets([_market("alpha", "BTC/USD"), _market("alpha", "ETH/USD")])
    recorder = Recorder(tmp_path / "rec.jsonl", "live", service.markets, created=5.0)
    service.add_listener(recorder.on_book)
    service.add_gap_listener(recorder.on_gap)
    bids: RawLevels = [[99.0, 1.0]]
    asks: RawLevels = [[100.0, 1.0]]
    service.submit("alpha", "BTC/USD", 1000.5, bids, asks, exchange_ts=1000.25)
    service.report_gap(FeedGap("resync", "alpha", 1001.0, "ETH/USD", "sequence gap"))
    service.report_gap(FeedGap("disconnect", "alpha", 1002.0, reason="connection reset"))
    service.submit("alpha", "BTC/USD", 1003.0, bids, asks)
    recorder.close()
    lines = [json.loads(x) for x in (tmp_path / "rec.jsonl").read_text().splitlines()]
    assert lines[0] == {"type": "header", "version": 2, "created": 5.0, "source": "live"}
    written = [line for line in lines if line["type"] in ("book", "disconnect", "resync")]
    assert written == [
        {"type": "book", "ts": 1000.5, "exchange_ts": 1000.25, "venue": "alpha",
         "symbol": "BTC/USD", "bids": [[99.0, 1.0]], "asks": [[100.0, 1.0]]},
        {"type": "resync", "ts": 1001.0, "venue": "alpha", "symbol": "ETH/USD",
         "reason": "sequence gap"},
        {"type": "disconnect", "ts": 1002.0, "venue": "alpha", "reason": "connection reset"},
        # No venue time given: the field is left out, as in version 1.
        {"type": "book", "ts": 1003.0, "venue": "alpha", "symbol": "BTC/USD",
         "bids": [[99.0, 1.0]], "asks": [[100.0, 1.0]]},
    ]
    # ...and it replays as recorded: the venue time, and each gap in its place.
    feed = ReplayFeed(tmp_path / "rec.jsonl")
    replayed = MarketService([feed], clock=feed.clock)
    events: list[Any] = []
    replayed.add_listener(lambda book: events.append((book.ts, book.exchange_ts)))
    replayed.add_gap_listener(lambda gap: events.append(gap))
    asyncio.run(feed.run(replayed))
    assert events == [
        (1000.5, 1000.25),
        FeedGap("resync", "alpha", 1001.0, "ETH/USD", "sequence gap"),
        FeedGap("disconnect", "alpha", 1002.0, None, "connection reset"),
        (1003.0, None),
    ]
    assert replayed.health()["alpha"].latency_p50_s == 0.25  # 1000.5 - 1000.25


async def test_a_version_1_recording_still_replays() -> None:
    feed = ReplayFeed(V1_RECORDING)
    service = MarketService([feed], clock=feed.clock)
    await feed.run(service)
    assert feed.skipped_summary() is None
    books = service.books
    assert sorted(books) == [("alpha", "BTC/USD"), ("alpha", "ETH/USD"), ("beta", "BTC/USD")]
    assert books[("beta", "BTC/USD")].ts == 1732400001.25
    assert all(book.exchange_ts is None for book in books.values())
    rules = {m.key: m for m in feed.markets()}
    assert rules[("beta", "BTC/USD")].taker_fee == 0.002
    assert rules[("alpha", "ETH/USD")].amount_step == 0.0001


class _SteppedScanner:
    """The scanner's service as a replay's sink, stepping the scanner after every line, so
    each line's effect on the routes is seen (a test driver: no timing involved)."""

    def __init__(self, scanner: Scanner) -> None:
        self.scanner = scanner
        self.service = scanner.service
        self.routes: list[tuple[float, tuple[str, ...]]] = []
        """(market time, open route ids) after each line."""

    def _step(self) -> None:
        snapshot = self.scanner.step()
        self.routes.append((snapshot.ts, tuple(o.route_id for o in snapshot.opportunities)))

    def submit(
        self, venue: str, symbol: str, ts: float, bids: RawLevels, asks: RawLevels,
        *, exchange_ts: float | None = None,
    ) -> bool:
        accepted = self.service.submit(venue, symbol, ts, bids, asks, exchange_ts=exchange_ts)
        self._step()
        return accepted

    def report_gap(self, gap: FeedGap) -> None:
        self.service.report_gap(gap)
        self._step()

    def set_state(self, venue: str, state: VenueState) -> None:
        self.service.set_state(venue, state)

    def report_error(self, venue: str, message: str, next_retry_ts: float | None = None) -> None:
        self.service.report_error(venue, message, next_retry_ts)

    def set_down_symbols(self, venue: str, symbols: Any) -> None:
        self.service.set_down_symbols(venue, symbols)


BTC = "spatial:BTC/USD:alpha>beta"
ETH = "spatial:ETH/USD:alpha>beta"


def _replay_stepped(path: Path) -> dict[float, tuple[str, ...]]:
    feed = ReplayFeed(path)
    config = EngineConfig(default_max_book_age=60.0)
    scanner = Scanner([feed], config, clock=feed.clock)
    stepped = _SteppedScanner(scanner)
    asyncio.run(feed.run(stepped))  # type: ignore[arg-type]
    assert feed.skipped_summary() is None
    return {ts: tuple(sorted(ids)) for ts, ids in stepped.routes}


def test_a_disconnect_leaves_the_venues_books_unusable_until_each_ones_next_snapshot(
    tmp_path: Path,
) -> None:
    # alpha asks 100 while beta bids 101 (BTC), alpha asks 3400 while beta bids 3420 (ETH):
    # both cross alpha>beta (1 % and about 0.6 % against 0.3 % of fees) until the disconnect.
    path = _write(tmp_path / "gap.jsonl", [
        HEADER, *FEES,
        _book(1000.0, "alpha", "BTC/USD", 99.0, 100.0),
        _book(1000.0, "alpha", "ETH/USD", 3399.0, 3400.0),
        _book(1000.5, "beta", "ETH/USD", 3420.0, 3425.0),
        _book(1001.0, "beta", "BTC/USD", 101.0, 102.0),
        {"type": "disconnect", "ts": 1002.0, "venue": "alpha", "reason": "connection reset"},
        # beta keeps moving; alpha's books from before the disconnect must not meet it.
        _book(1003.0, "beta", "BTC/USD", 101.5, 102.0),
        _book(1004.0, "alpha", "BTC/USD", 99.0, 100.0),  # alpha's next BTC snapshot
        _book(1005.0, "beta", "ETH/USD", 3421.0, 3425.0),
        _book(1006.0, "alpha", "ETH/USD", 3399.0, 3400.0),  # ... and its next ETH one
    ])
    routes = _replay_stepped(path)
    assert routes[1001.0] == (BTC, ETH)
    assert routes[1002.0] == ()  # the disconnect closes every alpha route at once
    assert routes[1003.0] == ()  # beta's new book meets no alpha book
    assert routes[1004.0] == (BTC,)  # BTC is back; alpha's ETH is still unusable
    assert routes[1005.0] == (BTC,)
    assert routes[1006.0] == (BTC, ETH)


def test_a_resync_leaves_only_that_symbols_book_unusable(tmp_path: Path) -> None:
    path = _write(tmp_path / "resync.jsonl", [
        HEADER, *FEES,
        _book(1000.0, "alpha", "BTC/USD", 99.0, 100.0),
        _book(1000.0, "alpha", "ETH/USD", 3399.0, 3400.0),
        _book(1000.5, "beta", "ETH/USD", 3420.0, 3425.0),
        _book(1001.0, "beta", "BTC/USD", 101.0, 102.0),
        {"type": "resync", "ts": 1002.0, "venue": "alpha", "symbol": "ETH/USD",
         "reason": "sequence gap"},
        _book(1003.0, "beta", "ETH/USD", 3421.0, 3425.0),
        _book(1004.0, "alpha", "ETH/USD", 3399.0, 3400.0),
    ])
    routes = _replay_stepped(path)
    assert routes[1001.0] == (BTC, ETH)
    assert routes[1002.0] == (BTC,)
    assert routes[1003.0] == (BTC,)
    assert routes[1004.0] == (BTC, ETH)


async def test_a_disconnect_shows_the_venue_down_until_a_book_arrives(tmp_path: Path) -> None:
    path = _write(tmp_path / "down.jsonl", [
        HEADER, *FEES,
        _book(1000.0, "alpha", "BTC/USD", 99.0, 100.0),
        _book(1000.0, "beta", "BTC/USD", 99.0, 100.0),
        {"type": "disconnect", "ts": 1002.0, "venue": "alpha", "reason": "connection reset"},
    ])
    feed = ReplayFeed(path)
    service = MarketService([feed], clock=feed.clock)
    await feed.run(service)
    assert service.state("alpha") is VenueState.DOWN
    assert ("alpha", "BTC/USD") not in service.books
    assert ("beta", "BTC/USD") in service.books


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ({"type": "resync", "ts": 1001.0, "venue": "alpha"}, "field 'symbol' must be"),
        ({"type": "disconnect", "ts": -1.0, "venue": "alpha"}, "ts -1.0 must be seconds"),
        ({"type": "disconnect", "ts": 1001.0, "venue": "alpha", "reason": 7},
         "field 'reason' must be a string"),
        ({**_book(1001.0, "alpha", "BTC/USD", 99.0, 100.0), "exchange_ts": "soon"},
         "field 'exchange_ts' must be a number"),
    ],
)
async def test_a_bad_v2_line_is_skipped_with_its_reason(
    tmp_path: Path, line: dict[str, Any], problem: str
) -> None:
    path = _write(tmp_path / "bad.jsonl", [
        HEADER, *FEES, _book(1000.0, "alpha", "BTC/USD", 99.0, 100.0), line,
    ])
    feed = ReplayFeed(path)
    service = MarketService([feed], clock=feed.clock)
    await feed.run(service)
    summary = feed.skipped_summary()
    assert summary is not None and "line 5" in summary and problem in summary, summary
    assert ("alpha", "BTC/USD") in service.books  # the bad line dropped nothing
