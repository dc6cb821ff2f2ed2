"""Recording format v1: record then replay, fees from venue lines, clear errors for bad lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from arbscope.market.recorder import Recorder
from arbscope.market.replay import DEFAULT_TAKER_FEE, ReplayError, ReplayFeed
from arbscope.market.service import MarketService
from arbscope.models import Market, OrderBook
from arbscope.storage.settings import Settings, VenueSettings

HEADER = {"type": "header", "version": 1, "created": 1732400000.0, "source": "test"}


def write_lines(path: Path, records: list[dict[str, Any] | str]) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def book(ts: float, venue: str, symbol: str, bid: float, ask: float) -> dict[str, Any]:
    return {
        "type": "book",
        "ts": ts,
        "venue": venue,
        "symbol": symbol,
        "bids": [[bid, 0.5], [bid - 1.0, 1.2]],
        "asks": [[ask, 0.3]],
    }


async def replay_all(feed: ReplayFeed) -> tuple[MarketService, list[OrderBook]]:
    service = MarketService([feed], clock=feed.clock)
    seen: list[OrderBook] = []
    service.add_listener(seen.append)
    await feed.run(service)
    return service, seen


def market(venue: str, symbol: str, taker: float, **rules: float) -> Market:
    base, quote = symbol.split("/")
    return Market(venue=venue, symbol=symbol, base=base, quote=quote, taker_fee=taker, **rules)


async def test_record_then_replay_gives_back_the_same_books_in_the_same_order(
    tmp_path: Path,
) -> None:
    markets = {
        m.key: m
        for m in (
            market("kraken", "BTC/USD", 0.0026, amount_step=0.0001, min_amount=0.0001),
            market("kraken", "ETH/USD", 0.0026),
            market("okx", "BTC/USD", 0.001, price_tick=0.1),
        )
    }
    recording = tmp_path / "rec.jsonl"
    source = MarketService([])
    with Recorder(recording, source="sim", markets=source.markets) as recorder:
        source.add_markets(markets.values())
        source.add_listener(recorder.on_book)
        source.submit(
            "kraken", "BTC/USD", 100.125, [[97000.1, 0.5], [96999.0, 1.2]], [[97001.0, 0.3]]
        )
        source.submit("okx", "BTC/USD", 100.25, [[97002.5, 0.1]], [[97003.0, 2.0]])
        source.submit("kraken", "BTC/USD", 100.5, [[97000.2, 0.4]], [[97001.0, 0.3]])
        source.submit("okx", "BTC/USD", 100.6, [[97003.0, 0.1]], [[97002.0, 1.0]])  # crossed
        source.submit("kraken", "ETH/USD", 101.0, [[3400.0, 2.0]], [[3400.5, 1.5]])
    assert recorder.books_written == 4 and recorder.error is None

    feed = ReplayFeed(recording)
    assert {m.key: m for m in feed.markets()} == markets  # full rules survive the round trip
    _, replayed = await replay_all(feed)
    original = [
        OrderBook(
            venue="kraken",
            symbol="BTC/USD",
            ts=100.125,
            bids=((97000.1, 0.5), (96999.0, 1.2)),
            asks=((97001.0, 0.3),),
        ),
        OrderBook(
            venue="okx", symbol="BTC/USD", ts=100.25, bids=((97002.5, 0.1),), asks=((97003.0, 2.0),)
        ),
        OrderBook(
            venue="kraken",
            symbol="BTC/USD",
            ts=100.5,
            bids=((97000.2, 0.4),),
            asks=((97001.0, 0.3),),
        ),
        OrderBook(
            venue="kraken", symbol="ETH/USD", ts=101.0, bids=((3400.0, 2.0),), asks=((3400.5, 1.5),)
        ),
    ]
    assert replayed == original
    assert feed.finished and feed.clock() == 101.0


def test_the_recording_starts_with_header_then_venue_lines(tmp_path: Path) -> None:
    recording = tmp_path / "rec.jsonl"
    markets = {
        m.key: m for m in (market("kraken", "BTC/USD", 0.0026), market("okx", "BTC/USD", 0.001))
    }
    Recorder(recording, source="sim", markets=markets, created=5.0).close()
    lines = [json.loads(line) for line in recording.read_text().splitlines()]
    assert lines[0] == {"type": "header", "version": 2, "created": 5.0, "source": "sim"}
    venue_lines = [line for line in lines if line["type"] == "venue"]
    assert venue_lines == [
        {"type": "venue", "venue": "kraken", "taker_fee": 0.0026, "maker_fee": 0.0},
        {"type": "venue", "venue": "okx", "taker_fee": 0.001, "maker_fee": 0.0},
    ]


def test_venue_lines_set_fees_and_others_come_from_settings_or_the_default(tmp_path: Path) -> None:
    recording = write_lines(
        tmp_path / "rec.jsonl",
        [
            HEADER,
            {"type": "venue", "venue": "kraken", "taker_fee": 0.0026, "maker_fee": 0.0016},
            {"type": "future-thing", "whatever": 1},  # unknown types are skipped
            book(1.0, "kraken", "BTC/USD", 97000.0, 97001.0),
            book(1.0, "bitstamp", "BTC/USD", 97000.0, 97001.0),
            book(1.0, "okx", "BTC/USD", 97000.0, 97001.0),
        ],
    )
    settings = Settings(venues={"bitstamp": VenueSettings(taker_fee=0.004)})
    fees = {
        m.venue: (m.taker_fee, m.maker_fee)
        for m in ReplayFeed(recording, settings=settings).markets()
    }
    assert fees == {
        "kraken": (0.0026, 0.0016),
        "bitstamp": (0.004, 0.0),
        "okx": (DEFAULT_TAKER_FEE, 0.0),
    }


def test_markets_and_venues_are_known_before_the_replay_runs(tmp_path: Path) -> None:
    recording = write_lines(
        tmp_path / "rec.jsonl",
        [
            HEADER,
            book(10.0, "kraken", "BTC/USD", 97000.0, 97001.0),
            book(11.0, "okx", "ETH/USDT", 3400.0, 3401.0),
        ],
    )
    feed = ReplayFeed(recording)
    assert feed.venues == ("kraken", "okx")
    assert [m.key for m in feed.markets()] == [("kraken", "BTC/USD"), ("okx", "ETH/USDT")]
    assert feed.clock() == 10.0  # recording time, before anything was replayed
    assert feed.books_in_file == 2


async def test_symbols_filter_and_unknown_symbols_are_named(tmp_path: Path) -> None:
    recording = write_lines(
        tmp_path / "rec.jsonl",
        [
            HEADER,
            book(10.0, "kraken", "BTC/USD", 97000.0, 97001.0),
            book(11.0, "okx", "ETH/USDT", 3400.0, 3401.0),
        ],
    )
    _, seen = await replay_all(ReplayFeed(recording, symbols=["ETH/USDT"]))
    assert [b.symbol for b in seen] == ["ETH/USDT"]
    with pytest.raises(ValueError, match=r"DOGE/USD not in .*it has: BTC/USD, ETH/USDT"):
        ReplayFeed(recording, symbols=["DOGE/USD"])


@pytest.mark.parametrize(
    ("lines", "line_no", "problem"),
    [
        ([HEADER, book(1.0, "kraken", "BTC/USD", 1.0, 2.0), "{not json"], 3, "not valid JSON"),
        (
            [
                HEADER,
                {"type": "book", "ts": 1.0, "venue": "kraken", "symbol": "BTC/USD", "asks": []},
            ],
            2,
            "field 'bids' must be a list",
        ),
        ([HEADER, {"ts": 1.0}], 2, "missing field 'type'"),
        (
            [HEADER, {**book(1.0, "kraken", "BTC/USD", 1.0, 2.0), "ts": "soon"}],
            2,
            "field 'ts' must be a number",
        ),
        ([{"type": "header", "version": 3}], 1, "version 3 is not supported"),
        ([book(1.0, "kraken", "BTC/USD", 1.0, 2.0)], 1, "the first line must be the header"),
    ],
)
def test_a_bad_line_names_the_file_the_line_and_the_problem(
    tmp_path: Path, lines: list[dict[str, Any] | str], line_no: int, problem: str
) -> None:
    recording = write_lines(tmp_path / "bad.jsonl", lines)
    with pytest.raises(ReplayError) as caught:
        ReplayFeed(recording, strict=True)
    assert caught.value.line == line_no
    assert str(caught.value).startswith(f"{recording}, line {line_no}: ")
    assert problem in str(caught.value)


async def test_an_invalid_book_stops_the_replay_at_its_line(tmp_path: Path) -> None:
    recording = write_lines(
        tmp_path / "crossed.jsonl",
        [
            HEADER,
            book(1.0, "kraken", "BTC/USD", 97000.0, 97001.0),
            book(2.0, "kraken", "BTC/USD", 97002.0, 97001.0),  # bid above ask
            book(3.0, "kraken", "BTC/USD", 97000.0, 97001.0),
        ],
    )
    feed = ReplayFeed(recording, strict=True)
    with pytest.raises(ReplayError) as caught:
        await replay_all(feed)
    assert str(caught.value) == (
        f"{recording}, line 3: invalid book: crossed book: best bid 97002.0 >= best ask 97001.0"
    )
    assert feed.clock() == 2.0


def test_empty_and_missing_files_are_reported(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(ReplayError, match="the file is empty"):
        ReplayFeed(empty)
    with pytest.raises(ReplayError, match=r"nothing\.jsonl: cannot read the file \(No such file"):
        ReplayFeed(tmp_path / "nothing.jsonl")


async def test_paced_replay_advances_the_clock_with_speed(tmp_path: Path) -> None:
    # Two books 1 s apart in recording time, at 50x: about 20 ms of wall time.
    recording = write_lines(
        tmp_path / "rec.jsonl",
        [
            HEADER,
            book(100.0, "kraken", "BTC/USD", 97000.0, 97001.0),
            book(101.0, "kraken", "BTC/USD", 97000.0, 97001.0),
        ],
    )
    feed = ReplayFeed(recording, speed=50.0)
    _, seen = await replay_all(feed)
    assert [b.ts for b in seen] == [100.0, 101.0]
    assert feed.clock() == 101.0


def test_bad_speed_is_refused(tmp_path: Path) -> None:
    recording = write_lines(tmp_path / "rec.jsonl", [HEADER])
    with pytest.raises(ValueError, match=r"speed -1\.0 must be 0"):
        ReplayFeed(recording, speed=-1.0)
