"""Recorder: writes accepted books to a JSON Lines recording (format v2, docs/ARCHITECTURE.md).

Attach it to a MarketService with `service.add_listener(recorder.on_book)` and
`service.add_gap_listener(recorder.on_gap)` (the disconnect and resync lines).
Besides the documented lines it writes one `market` line per (venue, symbol)
with the full trading rules, so a replay of our own recordings keeps amount
steps and minimum sizes; other readers skip it as an unknown type.

The recording goes to a temporary file beside `path`, renamed into place by
`close()`: a failed recording leaves whatever was at `path` untouched. Whether
`path` may be written at all is `storage.outputs`' rule (`RECORDING`).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from arbscope.market.base import FeedGap
from arbscope.market.replay import FORMAT_VERSION
from arbscope.models import BookKey, Market, OrderBook
from arbscope.storage.outputs import AtomicOutput, OutputKind


def _is_recording(path: Path, head: bytes) -> bool:
    """The first line of an arbscope recording: a JSON header object with its version."""
    try:
        record = json.loads(head)
    except ValueError:
        return False
    return isinstance(record, dict) and record.get("type") == "header" and "version" in record


RECORDING = OutputKind(
    "an arbscope recording", is_same_kind=_is_recording, made_by_arbscope=_is_recording
)


class Recorder:
    """Streams books to a temporary file, flushed every `flush_interval_s`, `path` on close."""

    def __init__(
        self,
        path: str | Path,
        source: str,
        markets: Mapping[BookKey, Market] | Callable[[], Mapping[BookKey, Market]],
        flush_interval_s: float = 1.0,
        created: float | None = None,
        *,
        replace: bool = False,
    ) -> None:
        """
        source: what the books come from ("sim", "replay", "live"), written in the header.
        markets: the rules in force, or a function returning them now (rules a feed
            learns later are written when their first book is).
        replace: whether `close()` may replace an existing `path` (else it is left alone
            and `error` says so).
        """
        self.path = Path(path)
        self.source = source
        self._markets = markets if callable(markets) else (lambda: markets)
        self.flush_interval_s = flush_interval_s
        self.books_written = 0
        self.keys_written: set[BookKey] = set()
        """(venue, symbol) of every book written (a venue that disconnected still counts)."""
        self.error: Exception | None = None
        """The write error that stopped the recording, if one did."""
        self._venues_written: set[str] = set()
        self._markets_written: set[BookKey] = set()
        self._output = AtomicOutput(self.path, replace=replace)
        self._file: IO[str] | None = self._output.handle
        self._last_flush = time.monotonic()
        self._write(
            {
                "type": "header",
                "version": FORMAT_VERSION,
                "created": time.time() if created is None else created,
                "source": source,
            }
        )
        markets_now = self._markets()
        self._write_rules(markets_now.values(), markets_now)

    def __enter__(self) -> Recorder:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def on_book(self, book: OrderBook) -> None:
        """Service listener: append one `book` line (after its rules, the first time)."""
        if self._file is None:
            return
        if book.key not in self._markets_written:
            markets_now = self._markets()
            market = markets_now.get(book.key)
            if market is not None:
                self._write_rules([market], markets_now)
        record: dict[str, Any] = {"type": "book", "ts": book.ts}
        if book.exchange_ts is not None:
            record["exchange_ts"] = book.exchange_ts  # absent: the venue gave no time
        record.update(
            venue=book.venue,
            symbol=book.symbol,
            bids=[list(level) for level in book.bids],
            asks=[list(level) for level in book.asks],
        )
        self._write(record)
        self.books_written += 1
        self.keys_written.add(book.key)
        now = time.monotonic()
        if now - self._last_flush >= self.flush_interval_s:
            self._last_flush = now
            self._flush()

    def on_gap(self, gap: FeedGap) -> None:
        """Service gap listener: append one `disconnect` or `resync` line."""
        record: dict[str, Any] = {"type": gap.kind, "ts": gap.ts, "venue": gap.venue}
        if gap.symbol is not None:
            record["symbol"] = gap.symbol
        record["reason"] = gap.reason
        self._write(record)

    def close(self) -> None:
        """Put the recording in place (fsync, rename); after an error, remove it instead."""
        if self._file is None:
            return
        self._file = None
        try:
            self._output.commit()
        except Exception as exc:  # OSError, or OutputAppeared: the temporary file is gone
            self.error = self.error or exc

    def discard(self) -> None:
        """Drop what was recorded: `path` stays as it was (nothing worth keeping came)."""
        self._file = None
        self._output.discard()

    def _write_rules(self, markets: Iterable[Market], every: Mapping[BookKey, Market]) -> None:
        for market in markets:
            if market.venue not in self._venues_written:
                self._venues_written.add(market.venue)
                taker, maker = _venue_fees(market.venue, every.values())
                self._write(
                    {"type": "venue", "venue": market.venue, "taker_fee": taker, "maker_fee": maker}
                )
            if market.key not in self._markets_written:
                self._markets_written.add(market.key)
                self._write({"type": "market", **market.model_dump(exclude={"base", "quote"})})

    def _write(self, record: dict[str, Any]) -> None:
        if self._file is None:
            return
        try:
            self._file.write(json.dumps(record, separators=(", ", ": ")) + "\n")
        except OSError as exc:
            self._stop(exc)

    def _flush(self) -> None:
        if self._file is None:
            return
        try:
            self._file.flush()
        except OSError as exc:
            self._stop(exc)

    def _stop(self, exc: OSError) -> None:
        # A full disk ends the recording, not the feeds: keep the error for the caller.
        self.error = exc
        self._file = None
        self._output.discard()


def _venue_fees(venue: str, markets: Iterable[Market]) -> tuple[float, float]:
    """The venue's most common (taker, maker) fee pair: a venue line has one fee for all."""
    pairs = Counter((m.taker_fee, m.maker_fee) for m in markets if m.venue == venue)
    return pairs.most_common(1)[0][0]
