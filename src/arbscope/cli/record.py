"""`arbscope record`: write the books of a source to a JSON Lines recording (format v1)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from arbscope.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError
from arbscope.cli.sources import (
    add_source_arguments,
    build_feeds,
    load_cli_settings,
    market_clock,
    positive_float,
)
from arbscope.market.recorder import Recorder
from arbscope.market.replay import ReplayError
from arbscope.market.scanner import source_name
from arbscope.market.service import MarketService
from arbscope.models import OrderBook


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
    parser.set_defaults(handler=main)


async def _record(
    service: MarketService,
    stopped: asyncio.Event,
    clock: Callable[[], float],
    end: float,
    poll_s: float = 0.05,
) -> None:
    await service.start()
    try:
        # The clock check ends a live recording on time even when no venue sends a book.
        while not stopped.is_set() and not service.finished and clock() <= end:
            await asyncio.sleep(poll_s)
    finally:
        await service.stop()


def main(args: argparse.Namespace) -> int:
    settings = load_cli_settings()
    out = Path(args.out)
    if out.is_dir():
        raise UsageError(f"--out {out} is a folder; give a file name, e.g. {out / 'books.jsonl'}")
    if not out.parent.is_dir():
        raise UsageError(f"--out {out}: the folder {out.parent} does not exist; create it first")
    feeds = build_feeds(args, settings)
    clock = market_clock(feeds)
    config = settings.engine_config()
    service = MarketService(feeds, clock=clock, max_book_age=config.book_age_limit)
    try:
        recorder = Recorder(out, source=source_name(feeds).lower(), markets=service.markets)
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
    try:
        asyncio.run(_record(service, stopped, clock, end))
    except KeyboardInterrupt:
        pass  # what was recorded so far is kept
    finally:
        recorder.close()

    for _feed, failure in service.feed_errors:
        if isinstance(failure, ReplayError):
            print(f"arbscope record: error: cannot replay: {failure}", file=sys.stderr)
            return EXIT_USAGE
    if recorder.error is not None:
        print(f"arbscope record: failed writing {out}: {recorder.error}", file=sys.stderr)
        return EXIT_FAILURE
    venues = {venue for venue, _ in service.books}
    print(
        f"recorded {recorder.books_written} books of {len(service.books)} markets on "
        f"{len(venues)} venues to {out}",
        file=sys.stderr,
    )
    return EXIT_OK
