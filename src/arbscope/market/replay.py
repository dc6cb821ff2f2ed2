"""ReplayFeed: books from a JSON Lines recording (format v2 or v1, docs/ARCHITECTURE.md).

The file is read twice: once when the feed is built, to check the header and
to learn the venues, symbols and fees (so markets are known before the replay
starts), and once while replaying. A bad line is skipped and counted on its
venue (`skipped` keeps the first few line numbers and reasons); with
`strict=True` it stops the replay with a `ReplayError` naming the file, the
line and the problem. A file without a header is never a recording: it stops
at once either way.

A `disconnect` line (version 2) makes every book of its venue unusable until
that book's next line, a `resync` line the same for one symbol: the replay
hands them to the service as the live feed did (`BookSink.report_gap`).

Besides the documented `header`, `venue` and `book` lines, a `market` line
(written by our recorder) carries one symbol's full trading rules; readers that
do not know it skip it, as the format allows for unknown types.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from arbscope.market.base import BookSink, FeedGap
from arbscope.models import MAX_TS, MIN_TS, Market, OrderBook, split_symbol
from arbscope.storage.settings import Settings

FORMAT_VERSION = 2
"""The version the recorder writes."""

READABLE_VERSIONS = (1, 2)
"""Version 1 has no venue time and no disconnect or resync lines; it replays as written."""

_GAP_KINDS = ("disconnect", "resync")

DEFAULT_TAKER_FEE = 0.001
"""Taker fee (10 bps) of a venue with neither a `venue` line nor a settings override."""

DEFAULT_MAKER_FEE = 0.0
"""Maker fee used with `DEFAULT_TAKER_FEE`."""

_MARKET_RULE_FIELDS = (
    "taker_fee",
    "maker_fee",
    "price_tick",
    "amount_step",
    "min_amount",
    "min_cost",
)


SKIPPED_KEPT = 5
"""How many skipped lines keep their number and reason for the final summary."""


class ReplayError(ValueError):
    """A recording that cannot be replayed; the message names the file, the line and the problem."""

    def __init__(self, path: Path, line: int | None, problem: str) -> None:
        where = f"{path}" if line is None else f"{path}, line {line}"
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


@dataclass(slots=True)
class _Contents:
    """What the first pass learns about a recording."""

    venue_fees: dict[str, tuple[float, float]] = field(default_factory=dict)
    market_rules: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    keys: dict[tuple[str, str], None] = field(default_factory=dict)
    """(venue, symbol) in order of first appearance."""
    first_ts: float | None = None
    last_ts: float | None = None
    books: int = 0


def _number(record: dict[str, Any], name: str) -> float:
    value = record.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"field {name!r} must be a number, got {value!r}")
    return float(value)


def _text(record: dict[str, Any], name: str) -> str:
    value = record.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"field {name!r} must be a non-empty string, got {value!r}")
    return value


def _time(record: dict[str, Any], name: str) -> float:
    value = _number(record, name)
    # Checked here, not only by the book model: the replay's clock follows ts, and
    # one absurd ts would put every later book in the past.
    if not MIN_TS <= value < MAX_TS:
        raise ValueError(f"{name} {value!r} must be seconds since the epoch from 1970 to 2200")
    return value


def _levels(record: dict[str, Any], name: str) -> list[Any]:
    value = record.get(name)
    if not isinstance(value, list):
        raise ValueError(f"field {name!r} must be a list of [price, size] pairs, got {value!r}")
    for index, level in enumerate(value):
        if not isinstance(level, list) or len(level) < 2:
            raise ValueError(f"level {index} of {name} needs [price, size], got {level!r}")
        for what, figure in zip(("price", "size"), level, strict=False):
            # Strings and booleans are refused here rather than coerced by the model:
            # "1.0" or true in a recording is a writer's bug, not a size.
            if isinstance(figure, bool) or not isinstance(figure, int | float):
                raise ValueError(
                    f"level {index} of {name}: {what} must be a number, got {figure!r}"
                )
    return value


def _parse(raw: str) -> dict[str, Any]:
    try:
        record = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(record, dict):
        raise ValueError("each line must be a JSON object")
    if "type" not in record:
        raise ValueError("missing field 'type' (header, venue, book ...)")
    return record


def _check_header(record: dict[str, Any]) -> None:
    if record.get("type") != "header":
        raise ValueError(
            'the first line must be the header, e.g. {"type": "header", "version": 1, ...}'
        )
    version = record.get("version")
    if isinstance(version, bool) or version not in READABLE_VERSIONS:
        readable = " and ".join(str(v) for v in READABLE_VERSIONS)
        raise ValueError(
            f"recording format version {version!r} is not supported "
            f"(this arbscope reads versions {readable})"
        )


class ReplayFeed:
    """Implements `market.base.Feed` from a recording file; finite (run returns at the end)."""

    name = "REPLAY"

    def __init__(
        self,
        path: str | Path,
        speed: float | None = None,
        settings: Settings | None = None,
        symbols: Sequence[str] | None = None,
        batch_s: float = 0.05,
        strict: bool = False,
    ) -> None:
        """
        speed: None or 0 replays as fast as possible, X replays at X times real time.
        symbols: replay only these (ValueError listing the recorded ones if one is unknown).
        batch_s: as fast as possible, the feed yields to the event loop after each
            `batch_s` of recording time, so a scanner stepping every loop turn sees
            the market at about the cadence it would live.
        strict: stop at the first bad line (ReplayError) instead of skipping it.
        """
        self.path = Path(path)
        self.strict = strict
        self.skipped: list[tuple[int, str]] = []
        """(line, reason) of the first `SKIPPED_KEPT` lines skipped while replaying."""
        self.skipped_count = 0
        if speed is not None and not (math.isfinite(speed) and speed >= 0):
            raise ValueError(
                f"speed {speed!r} must be 0 (as fast as possible) or a positive number"
            )
        self.speed = speed or None
        self.batch_s = batch_s
        self._settings = settings or Settings()
        self._contents = self._scan()
        self._symbols = None if symbols is None else self._recorded(symbols)
        self._markets = [
            self._market(venue, symbol)
            for venue, symbol in self._contents.keys
            if self._wanted(symbol)
        ]
        self._now = self._contents.first_ts if self._contents.first_ts is not None else time.time()
        self._base_ts = self._now
        self._started_at: float | None = None  # monotonic wall time matching `_base_ts` when paced
        self._next_yield = self._now
        self._finished = False

    # --- Feed ------------------------------------------------------------------------------

    @property
    def venues(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.venue for m in self._markets))

    def markets(self) -> list[Market]:
        return list(self._markets)

    @property
    def books_in_file(self) -> int:
        return self._contents.books

    @property
    def first_ts(self) -> float | None:
        return self._contents.first_ts

    @property
    def finished(self) -> bool:
        return self._finished

    def clock(self) -> float:
        """Recording time: the ts of the book being replayed (advancing with speed when paced)."""
        if self.speed is None or self._started_at is None or self._finished:
            return self._now
        return max(self._now, self._base_ts + (time.monotonic() - self._started_at) * self.speed)

    async def run(self, sink: BookSink) -> None:
        first_ts = self._contents.first_ts
        self._base_ts = first_ts if first_ts is not None else self._now
        self._started_at = time.monotonic()
        self._next_yield = self._base_ts + self.batch_s
        venues = set(self.venues)
        try:
            for line_no, record, problem in self._records():
                if problem is not None:
                    venue = record.get("venue") if record is not None else None
                    self._skip(sink, venue, line_no, problem)
                    continue
                assert record is not None
                kind = record.get("type")
                if kind == "book":
                    if self._wanted(record["symbol"]):
                        await self._book(sink, line_no, record)
                elif kind in _GAP_KINDS and record["venue"] in venues:
                    symbol = record.get("symbol") if kind == "resync" else None
                    if symbol is None or self._wanted(symbol):
                        await self._pace(float(record["ts"]))
                        gap = FeedGap(
                            kind, record["venue"], float(record["ts"]), symbol,
                            record.get("reason", ""),
                        )
                        sink.report_gap(gap)
        finally:
            self._finished = True

    async def _pace(self, ts: float) -> None:
        """Wait until `ts` is due (paced), or yield once per batch (as fast as possible)."""
        if self.speed is not None:
            assert self._started_at is not None
            delay = (ts - self._base_ts) / self.speed - (time.monotonic() - self._started_at)
            if delay > 0:
                await asyncio.sleep(delay)
        elif ts >= self._next_yield:
            self._next_yield = ts + self.batch_s
            await asyncio.sleep(0)
        self._now = max(self._now, ts)

    async def _book(self, sink: BookSink, line_no: int, record: dict[str, Any]) -> None:
        ts = float(record["ts"])
        await self._pace(ts)
        exchange_ts = record.get("exchange_ts")
        accepted = sink.submit(
            record["venue"],
            record["symbol"],
            ts,
            record["bids"],
            record["asks"],
            exchange_ts=None if exchange_ts is None else float(exchange_ts),
        )
        if not accepted:
            # The service has counted the rejection on the venue, with its reason.
            self._skip(None, None, line_no, f"invalid book: {self._why(record)}")

    def _skip(self, sink: BookSink | None, venue: Any, line_no: int, problem: str) -> None:
        """Count a bad line (on its venue when it names one), or stop there when strict."""
        if self.strict:
            raise ReplayError(self.path, line_no, problem)
        self.skipped_count += 1
        if len(self.skipped) < SKIPPED_KEPT:
            self.skipped.append((line_no, problem))
        if sink is not None and isinstance(venue, str) and venue:
            sink.report_error(venue, f"replay line {line_no} skipped: {problem}")

    def skipped_summary(self) -> str | None:
        """`skipped 3 bad lines of FILE: line 4: ...; line 9: ...`, None when none was."""
        if not self.skipped_count:
            return None
        shown = "; ".join(f"line {line}: {problem}" for line, problem in self.skipped)
        more = "" if self.skipped_count <= len(self.skipped) else "; ..."
        plural = "" if self.skipped_count == 1 else "s"
        return f"skipped {self.skipped_count} bad line{plural} of {self.path}: {shown}{more}"

    # --- reading ---------------------------------------------------------------------------

    def _recorded(self, symbols: Sequence[str]) -> frozenset[str]:
        """The recorded symbols asked for (case does not matter); ValueError names the rest."""
        recorded = {symbol.upper(): symbol for _, symbol in self._contents.keys}
        unknown = [s for s in symbols if s.strip().upper() not in recorded]
        if unknown:
            raise ValueError(
                f"symbol(s) {', '.join(unknown)} not in {self.path}; "
                f"it has: {', '.join(sorted(recorded.values())) or 'no books'}"
            )
        return frozenset(recorded[s.strip().upper()] for s in symbols)

    def _wanted(self, symbol: str) -> bool:
        return self._symbols is None or symbol in self._symbols

    def _records(self) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
        """Every line after the header as (line number, record, problem): problem is None
        for a checked record, else why the line is bad (record None if it did not parse).
        A missing or bad header raises: such a file is not a recording at all."""
        header_seen = False
        try:
            with self.path.open(encoding="utf-8") as lines:
                for line_no, raw in enumerate(lines, start=1):
                    if not raw.strip():
                        continue
                    record: dict[str, Any] | None = None
                    try:
                        record = _parse(raw)
                        if not header_seen:
                            _check_header(record)
                            header_seen = True
                            continue
                        self._check(record)
                    except ValueError as exc:
                        if not header_seen:
                            raise ReplayError(self.path, line_no, str(exc)) from None
                        yield line_no, record, str(exc)
                        continue
                    yield line_no, record, None
        except UnicodeDecodeError as exc:
            raise ReplayError(self.path, None, f"not a UTF-8 text file ({exc.reason})") from None
        except OSError as exc:
            raise ReplayError(
                self.path, None, f"cannot read the file ({exc.strerror or exc})"
            ) from None
        if not header_seen:
            raise ReplayError(
                self.path, None, "the file is empty; a recording starts with a header line"
            )

    def _check(self, record: dict[str, Any]) -> None:
        kind = record["type"]
        if kind == "book":
            _time(record, "ts")
            if record.get("exchange_ts") is not None:
                _time(record, "exchange_ts")
            split_symbol(_text(record, "symbol"))
            _text(record, "venue")
            _levels(record, "bids")
            _levels(record, "asks")
        elif kind in _GAP_KINDS:
            _time(record, "ts")
            _text(record, "venue")
            if kind == "resync":
                split_symbol(_text(record, "symbol"))
            if not isinstance(record.get("reason", ""), str):
                raise ValueError(f"field 'reason' must be a string, got {record['reason']!r}")
        elif kind == "venue":
            _text(record, "venue")
            _number(record, "taker_fee")
            if "maker_fee" in record:
                _number(record, "maker_fee")
        elif kind == "market":
            _text(record, "venue")
            split_symbol(_text(record, "symbol"))
        elif kind == "header":
            raise ValueError("a second header line; a recording has one, on its first line")

    def _scan(self) -> _Contents:
        contents = _Contents()
        for line_no, record, problem in self._records():
            if problem is not None or record is None:
                if self.strict:  # strict: the file is refused before anything replays
                    raise ReplayError(self.path, line_no, problem or "unreadable line")
                continue  # counted while replaying
            kind = record["type"]
            if kind == "book":
                key = (record["venue"], record["symbol"])
                contents.keys.setdefault(key, None)
                ts = float(record["ts"])
                contents.first_ts = ts if contents.first_ts is None else min(contents.first_ts, ts)
                contents.last_ts = ts if contents.last_ts is None else max(contents.last_ts, ts)
                contents.books += 1
            elif kind == "venue":
                maker = float(record.get("maker_fee", DEFAULT_MAKER_FEE))
                contents.venue_fees[record["venue"]] = (float(record["taker_fee"]), maker)
            elif kind == "market":
                rules = {k: record[k] for k in _MARKET_RULE_FIELDS if record.get(k) is not None}
                contents.market_rules[(record["venue"], record["symbol"])] = rules
        return contents

    def _market(self, venue: str, symbol: str) -> Market:
        """Rules of one recorded book: market line, else venue line, else settings, else default."""
        base, quote = split_symbol(symbol)
        overrides = self._settings.venue(venue)
        taker, maker = self._contents.venue_fees.get(venue, (DEFAULT_TAKER_FEE, DEFAULT_MAKER_FEE))
        if venue not in self._contents.venue_fees:
            taker = overrides.taker_fee if overrides.taker_fee is not None else taker
            maker = overrides.maker_fee if overrides.maker_fee is not None else maker
        rules: dict[str, Any] = {"taker_fee": taker, "maker_fee": maker}
        rules.update(self._contents.market_rules.get((venue, symbol), {}))
        try:
            return Market(venue=venue, symbol=symbol, base=base, quote=quote, **rules)
        except ValidationError as exc:
            problem = "; ".join(str(e["msg"]) for e in exc.errors())
            raise ReplayError(
                self.path, None, f"bad trading rules for {venue} {symbol}: {problem}"
            ) from None

    @staticmethod
    def _why(record: dict[str, Any]) -> str:
        try:
            OrderBook(
                venue=record["venue"],
                symbol=record["symbol"],
                ts=record["ts"],
                exchange_ts=record.get("exchange_ts"),
                bids=record["bids"],
                asks=record["asks"],
            )
        except ValidationError as exc:
            return "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        return "rejected by the market service"
