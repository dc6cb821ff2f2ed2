"""`arbscope scan`: print each opportunity when its route opens, without the UI.

`--json` prints one JSON object per line (docs/ARCHITECTURE.md "Headless output") and
the summary on stderr; otherwise an aligned table and the summary on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import sys
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

from arbscope.cli import EXIT_OK, EXIT_USAGE
from arbscope.cli.sources import (
    add_source_arguments,
    build_feeds,
    finite_float,
    load_cli_settings,
    market_clock,
    positive_float,
)
from arbscope.engine.risk import RiskThresholds, suspicion_for
from arbscope.engine.suspect import Suspicion
from arbscope.market.replay import ReplayError, ReplayFeed
from arbscope.market.scanner import Scanner
from arbscope.models import Kind, MarketSnapshot, Opportunity


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "scan",
        help="print opportunities as they open, without the UI",
        description="Run the scanner headless and print each opportunity when its route opens.",
    )
    add_source_arguments(parser)
    parser.add_argument(
        "--duration",
        type=positive_float,
        metavar="SEC",
        help="stop after SEC seconds (simulated: real time; replay: recording time); "
        "default: until Ctrl-C, or the end of a replay",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument(
        "--min-bps",
        type=finite_float,
        metavar="X",
        help="only routes whose net edge reaches X bps (default: min_net_bps in settings)",
    )
    parser.add_argument(
        "--size",
        type=positive_float,
        metavar="NOTIONAL",
        help="trade size as a notional in the reference currency (default 1000 USD)",
    )
    parser.set_defaults(handler=main)


# --- output -------------------------------------------------------------------------------

_COLUMNS = (
    ("time UTC", 12, "<"),
    ("kind", 14, "<"),
    ("route", 52, "<"),
    ("size", 16, ">"),
    ("max size", 16, ">"),
    ("gross bps", 10, ">"),
    ("net bps", 9, ">"),
    ("net profit", 18, ">"),
)


def _row(cells: tuple[str, ...]) -> str:
    parts = []
    for (_, width, align), cell in zip(_COLUMNS, cells, strict=True):
        if len(cell) > width:
            cell = cell[: width - 1] + "…"
        parts.append(f"{cell:{align}{width}}")
    return "  ".join(parts).rstrip()


def _amount(value: float, currency: str) -> str:
    return f"{value:.6g} {currency}"


def _profit(value: float, currency: str) -> str:
    # Small profits (in BTC, say) would all read 0.00 with two decimals.
    text = f"{value:+.2f}" if value == 0 or abs(value) >= 0.01 else f"{value:+.3g}"
    return f"{text} {currency}"


def _finite(value: Any) -> Any:
    """`value` with every non-finite float made null: JSON has no Infinity or NaN."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def json_line(opp: Opportunity, suspect: Suspicion | None = None) -> str:
    """One route as a strict JSON line (non-finite figures as null, never a bare Infinity);
    `suspect` is null or the route's suspicion (docs/ARCHITECTURE.md)."""
    data = opp.as_json()
    data["suspect"] = None if suspect is None else suspect.as_json()
    return json.dumps(_finite(data), allow_nan=False)


def suspect_line(suspect: Suspicion) -> str:
    """The line under a suspect route's row in the text table."""
    return f"  ! suspect: {suspect.reason}"


def table_header() -> str:
    return _row(tuple(title for title, _, _ in _COLUMNS))


def table_row(opp: Opportunity) -> str:
    """The route's line; a size breaking a market's minimum adds a line saying which."""
    clock = time.strftime("%H:%M:%S", time.gmtime(opp.ts)) + f".{int(opp.ts * 1000) % 1000:03d}"
    route = opp.route_id.split(":", 1)[-1].replace(":", " ")
    row = _row(
        (
            clock,
            opp.kind.value,
            route,
            _amount(opp.size, opp.size_currency),
            _amount(opp.max_size, opp.size_currency),
            f"{opp.gross_bps:.2f}",
            f"{opp.net_bps:.2f}",
            _profit(opp.net_profit, opp.profit_currency),
        )
    )
    if opp.minimum_breach is not None:
        row += f"\n{'':12}  below minimum: {opp.minimum_breach.describe()}"
    return row


@dataclass
class OpeningReport:
    """Prints each route once per open run whose net edge reaches `min_bps`."""

    out: TextIO
    as_json: bool
    min_bps: float
    until_ts: float | None = None
    """Snapshots after this market time are ignored (the end of --duration)."""
    thresholds: RiskThresholds = field(default_factory=RiskThresholds)
    """`[risk]` settings: where a net edge becomes too good to be true."""
    suspects: int = 0
    """Printed routes marked suspect."""
    opened: dict[Kind, int] = field(default_factory=dict)
    best_bps: dict[Kind, float] = field(default_factory=dict)
    printed_runs: dict[str, float | None] = field(default_factory=dict)
    """route_id -> opened_ts of the run already printed, for routes still open."""
    header_done: bool = False
    done: bool = False

    def on_snapshot(self, snapshot: MarketSnapshot) -> None:
        if self.until_ts is not None and snapshot.ts > self.until_ts:
            self.done = True
            return
        open_now = {opp.route_id for opp in snapshot.opportunities}
        for route_id in [r for r in self.printed_runs if r not in open_now]:
            del self.printed_runs[route_id]  # the run ended: its next run prints again
        for opp in snapshot.opportunities:
            if opp.net_bps < self.min_bps:
                continue
            if opp.route_id in self.printed_runs and (
                self.printed_runs[opp.route_id] == opp.opened_ts or opp.opened_ts is None
            ):
                continue
            self.printed_runs[opp.route_id] = opp.opened_ts
            self._print(opp, suspicion_for(opp, snapshot.health, snapshot.markets,
                                           self.thresholds))

    def _print(self, opp: Opportunity, suspect: Suspicion | None) -> None:
        self.opened[opp.kind] = self.opened.get(opp.kind, 0) + 1
        self.best_bps[opp.kind] = max(self.best_bps.get(opp.kind, opp.net_bps), opp.net_bps)
        self.suspects += suspect is not None
        if self.as_json:
            self.out.write(json_line(opp, suspect) + "\n")
        else:
            if not self.header_done:
                self.header_done = True
                self.out.write(table_header() + "\n")
            self.out.write(table_row(opp) + "\n")
            if suspect is not None:
                self.out.write(suspect_line(suspect) + "\n")
        self.out.flush()

    def summary(self, source: str, seconds: float) -> str:
        total = sum(self.opened.values())
        lines = [
            f"scan summary: {total} opportunit{'y' if total == 1 else 'ies'} opened in "
            f"{seconds:.1f} s of {source} market time (min net {self.min_bps:g} bps)"
        ]
        if total:
            lines.append(f"  {'kind':<16}{'opened':>8}{'best net bps':>14}")
            for kind in Kind:
                if kind in self.opened:
                    lines.append(
                        f"  {kind.value:<16}{self.opened[kind]:>8}{self.best_bps[kind]:>14.2f}"
                    )
        if self.suspects:
            lines.append(
                f"  {self.suspects} suspect: net edge beyond "
                f"{self.thresholds.suspect_edge_bps:g} bps (suspect_edge_bps in [risk])"
            )
        return "\n".join(lines)


# --- running ------------------------------------------------------------------------------


async def _scan(scanner: Scanner, report: OpeningReport, poll_s: float = 0.05) -> None:
    await scanner.start()
    try:
        while not report.done and not scanner.service.finished:
            if scanner.failure is not None:
                raise scanner.failure
            if report.until_ts is not None and scanner.clock() > report.until_ts:
                break
            await asyncio.sleep(poll_s)
    finally:
        await scanner.stop()
    # Books the last feed turn delivered after the final step.
    if not report.done:
        scanner.step()


def main(args: argparse.Namespace) -> int:
    settings = load_cli_settings({"engine.trade_notional": args.size})
    feeds = build_feeds(args, settings)
    clock = market_clock(feeds)
    as_fast_as_possible = any(isinstance(f, ReplayFeed) and f.speed is None for f in feeds)
    min_bps = args.min_bps if args.min_bps is not None else settings.engine.min_net_bps
    scanner = Scanner(
        feeds,
        # The calculator keeps routes down to this edge less its near-miss band: --min-bps
        # below the setting must still find what it asks for.
        settings.engine_config().model_copy(update={"min_net_bps": min_bps}),
        clock=clock,
        # Replayed as fast as possible, step once per replay batch rather than per 50 ms.
        interval_s=0.0 if as_fast_as_possible else 0.05,
        book_depth=settings.book_depth,
    )
    start = clock()
    report = OpeningReport(
        out=sys.stdout,
        as_json=args.json,
        min_bps=min_bps,
        until_ts=None if args.duration is None else start + args.duration,
        thresholds=settings.risk,
    )
    scanner.add_listener(report.on_snapshot)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends the scan; the summary follows
        asyncio.run(_scan(scanner, report))
    elapsed = max(0.0, min(clock(), report.until_ts or clock()) - start)
    print(report.summary(scanner.source, elapsed), file=sys.stderr if args.json else sys.stdout)
    for feed in feeds:
        summary = feed.skipped_summary() if isinstance(feed, ReplayFeed) else None
        if summary:
            print(f"note: {summary}", file=sys.stderr)
    for _feed, exc in scanner.service.feed_errors:
        if isinstance(exc, ReplayError):
            print(f"arbscope scan: error: cannot replay: {exc}", file=sys.stderr)
            return EXIT_USAGE
    for venue, health in scanner.service.health().items():
        if health.last_error and health.errors:
            print(f"note: {venue}: {health.last_error}", file=sys.stderr)
        if health.down_symbols:
            print(f"note: {venue}: down now: {', '.join(health.down_symbols)}", file=sys.stderr)
    return EXIT_OK
