"""`arbscope record`: write the books of a source to a JSON Lines recording (format v1).

`--out` follows `storage.outputs`' rule: an existing recording is replaced only
with `--force`, and never anything else. Progress goes to stderr about once a
second; a run that recorded nothing writes nothing and exits 1 with each
venue's last error.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from arbscope.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError
from arbscope.cli.sources import (
    add_source_arguments,
    build_feeds,
    load_cli_settings,
    market_clock,
    positive_float,
)
from arbscope.market.base import FeedGap
from arbscope.market.recorder import RECORDING, Recorder
from arbscope.market.replay import ReplayError
from arbscope.market.scanner import source_name
from arbscope.market.service import MarketService
from arbscope.models import OrderBook
from arbscope.storage.outputs import OutputRefused, check_output


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "record",
        help="record order books to a file for --replay",
        description="Record every accepted order book of a source to a JSON Lines file "
        "that `--replay FILE` plays back.",
    )
    add_source_arguments(parser)
    parser.add_argument(
        "--duration",
        type=positive_float,
        metavar="SEC",
        required=True,
        help="how long to record (simulated: real time; replay: recording time)",
    )
    parser.add_argument("--out", metavar="FILE", required=True, help="the recording to write")
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace --out if it is an existing arbscope recording (never anything else)",
    )
    parser.set_defaults(handler=main)


class Progress:
    """`recording: N books ...` on stderr, at most once per `interval_s` of `clock` time.

    On a terminal the line is rewritten in place; in a log it is one line each time.
    """

    def __init__(
        self,
        out: TextIO,
        clock: Callable[[], float] = time.monotonic,
        interval_s: float = 1.0,
    ) -> None:
        self.out = out
        self.clock = clock
        self.interval_s = interval_s
        self._last = clock()
        self._shown = False

    def update(self, books: int, markets: int) -> None:
        now = self.clock()
        if now - self._last < self.interval_s:
            return
        self._last = now
        line = f"recording: {books} book{'s' if books != 1 else ''} of {markets} markets so far"
        if self.out.isatty():
            self.out.write(f"\r{line}\x1b[K")
        else:
            self.out.write(line + "\n")
        self.out.flush()
        self._shown = True

    def done(self) -> None:
        """End the rewritten line so the summary starts on its own."""
        if self._shown and self.out.isatty():
            self.out.write("\n")
            self.out.flush()


async def _record(
    service: MarketService,
    stopped: asyncio.Event,
    clock: Callable[[], float],
    end: float,
    poll_s: float = 0.05,
    on_tick: Callable[[], None] | None = None,
) -> None:
    await service.start()
    try:
        # The clock check ends a live recording on time even when no venue sends a book.
        while not stopped.is_set() and not service.finished and clock() <= end:
            await asyncio.sleep(poll_s)
            if on_tick is not None:
                on_tick()
    finally:
        await service.stop()


def main(args: argparse.Namespace) -> int:
    settings = load_cli_settings()
    out = Path(args.out).expanduser()
    if out.is_dir():
        raise UsageError(f"--out {out} is a folder; give a file name, e.g. {out / 'books.jsonl'}")
    if not out.parent.is_dir():
        raise UsageError(f"--out {out}: the folder {out.parent} does not exist; create it first")
    try:
        target = check_output(out, RECORDING, force=args.force)
    except OutputRefused as exc:
        raise UsageError(f"--out {exc}") from None
    feeds = build_feeds(args, settings)
    clock = market_clock(feeds)
    config = settings.engine_config()
    service = MarketService(
        feeds, clock=clock, max_book_age=config.book_age_limit, book_depth=settings.book_depth
    )
    try:
        recorder = Recorder(
            target, source=source_name(feeds).lower(), markets=service.markets, replace=args.force
        )
    except OSError as exc:
        raise UsageError(f"cannot write --out {out}: {exc.strerror or exc}") from None

    end = clock() + args.duration
    stopped = asyncio.Event()

    def record_until_the_end(book: OrderBook) -> None:
        # Checked per book so a replay read as fast as possible stops at the same place.
        if stopped.is_set() or book.ts > end or recorder.error is not None:
            stopped.set()
            return
        recorder.on_book(book)

    service.add_listener(record_until_the_end)

    def record_gaps_until_the_end(gap: FeedGap) -> None:
        if not stopped.is_set() and gap.ts <= end:
            recorder.on_gap(gap)

    service.add_gap_listener(record_gaps_until_the_end)
    progress = Progress(sys.stderr)

    def show_progress() -> None:
        progress.update(recorder.books_written, len(recorder.keys_written))

    try:
        asyncio.run(_record(service, stopped, clock, end, on_tick=show_progress))
    except KeyboardInterrupt:
        pass  # what was recorded so far is kept
    finally:
        progress.done()
        if recorder.books_written:
            recorder.close()
        else:
            recorder.discard()  # a header alone is not worth replacing anything with

    for _feed, failure in service.feed_errors:
        if isinstance(failure, ReplayError):
            print(f"arbscope record: error: cannot replay: {failure}", file=sys.stderr)
            return EXIT_USAGE
    if recorder.error is not None:
        print(f"arbscope record: failed writing {out}: {recorder.error}", file=sys.stderr)
        return EXIT_FAILURE
    errors = {v: h.last_error for v, h in service.health().items() if h.last_error and h.errors}
    if not recorder.books_written:
        print(f"arbscope record: nothing was recorded; {out} was not written", file=sys.stderr)
        for venue in sorted(set(service.venues) | set(errors)):
            print(f"  {venue}: {errors.get(venue) or 'no book arrived'}", file=sys.stderr)
        return EXIT_FAILURE
    for venue, error in errors.items():
        print(f"note: {venue}: {error}", file=sys.stderr)
    # What was written, not what is held now: a venue's books go at its disconnect.
    keys = recorder.keys_written
    venues = {venue for venue, _ in keys}
    print(
        f"recorded {recorder.books_written} books of {len(keys)} markets on "
        f"{len(venues)} venues to {out}",
        file=sys.stderr,
    )
    return EXIT_OK
