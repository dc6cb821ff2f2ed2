"""How numbers and routes read on screen: one place, so every pane agrees."""

from __future__ import annotations

import math
import time

from arbscope.engine.kinds import KINDS
from arbscope.models import CycleRoute, Kind, Opportunity

KIND_SHORT: dict[Kind, str] = {spec.kind: spec.short for spec in KINDS}
"""Kind as the opportunities table shows it (fixed narrow column)."""

KIND_KEYS: tuple[Kind, ...] = tuple(spec.kind for spec in KINDS)
"""Kinds in the order the keys 1..N toggle them."""

KIND_LABELS: dict[Kind, str] = {spec.kind: spec.label for spec in KINDS}
"""Kind as its toggle names it (`cross-currency`)."""


def kind_short(kind: Kind) -> str:
    """The kind column's text; a kind without a short name shows its own, cut to fit."""
    return KIND_SHORT.get(kind) or kind.value[:5]


def fmt_bps(value: float | None) -> str:
    """Signed basis points with one decimal: `+12.3`, `-0.4`; `—` when unknown."""
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:+.1f}"


def fmt_price(value: float | None) -> str:
    """Enough significant digits to see a tick move at any magnitude."""
    if value is None or not math.isfinite(value) or value <= 0:
        return "—"
    if value >= 10_000:
        return f"{value:,.1f}"
    if value >= 100:
        return f"{value:,.2f}"
    if value >= 1:
        return f"{value:,.4f}"
    return f"{value:.6f}"


def fmt_amount(value: float) -> str:
    """A size or amount in at most 7 characters where possible: `0.0123`, `12.50`, `1,234`."""
    if not math.isfinite(value):
        return "—"
    magnitude = abs(value)
    if magnitude == 0:
        return "0"
    if magnitude >= 10_000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:,.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    if magnitude >= 0.01:
        return f"{value:.4f}"
    return f"{value:.2e}"


def fmt_money(value: float) -> str:
    """A signed profit: `+1.23`, `-0.05`, `+1,234`; small ones (in BTC, say) keep 3 digits."""
    if not math.isfinite(value):
        return "—"
    if abs(value) >= 1000:
        return f"{value:+,.0f}"
    if value == 0 or abs(value) >= 0.01:
        return f"{value:+.2f}"
    return f"{value:+.2g}"


def fmt_age(seconds: float | None) -> str:
    """`0.3s`, `12s`, `3m05`, `2h10`; `—` when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return "—"
    seconds = max(0.0, seconds)
    if seconds < 10:
        return f"{seconds:.1f}s"
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        minutes, rest = divmod(int(seconds), 60)
        return f"{minutes}m{rest:02d}"
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}h{rest // 60:02d}"


def fmt_clock(ts: float) -> str:
    """UTC wall clock of a snapshot: the same on every machine, so snapshots are stable.

    A time the platform cannot express (NaN, 1e20) reads as dashes rather than raising.
    """
    try:
        tenths = int(ts * 10) % 10
        return time.strftime("%H:%M:%S", time.gmtime(ts)) + f".{tenths}"
    except (OverflowError, ValueError, OSError):
        return "--:--:--.-"


def route_label(opportunity: Opportunity, width: int | None = None) -> str:
    """A route as a trader reads it: `BTC/USDT binance→okx`, `kraken USD→BTC→ETH→USD`,
    `BTC kraken→bitstamp→kraken USD/EUR` (cross-currency: buy, sell, then FX venue).

    `width`: the room the label has; a cross-currency label shortens its venue names
    to fit (the FX venue is what tells two such routes apart, so it must not be the
    part a truncation drops).
    """
    legs = opportunity.legs
    if opportunity.kind in (Kind.SPATIAL, Kind.STATISTICAL) and len(legs) >= 2:
        return f"{legs[0].symbol} {legs[0].venue}→{legs[1].venue}"
    remainder = opportunity.route_id.split(":", 1)[-1]
    if opportunity.kind is Kind.TRIANGULAR or isinstance(opportunity.route, CycleRoute):
        venue, _, cycle = remainder.partition(":")
        return f"{venue} {cycle.replace('>', '→')}" if cycle else remainder
    if opportunity.kind is Kind.CROSS_CURRENCY and len(legs) >= 2:
        # A cross route's id names its venues and markets, so its label never changes:
        # cached, as the table asks for hundreds of them every frame.
        key = (opportunity.route_id, width)
        label = _CROSS_LABELS.get(key)
        if label is None:
            if len(_CROSS_LABELS) >= _CROSS_LABELS_MAX:
                _CROSS_LABELS.clear()
            label = _CROSS_LABELS[key] = _cross_label(opportunity, width)
        return label
    return remainder.replace(">", "→")


_CROSS_LABELS: dict[tuple[str, int | None], str] = {}
_CROSS_LABELS_MAX = 20_000
"""Bound of the label cache (the sim has ~2,000 cross routes; live markets may have more)."""

MIN_VENUE_CHARS = 3
"""A cross-currency label never cuts a venue name shorter than this."""


def _cross_label(opportunity: Opportunity, width: int | None) -> str:
    """`BTC bybit→okx→okx USDC/USDT`: base, buy venue, sell venue, FX venue (when the route
    converts on a market rather than at a static rate), the two quotes."""
    legs = opportunity.legs
    base = legs[0].symbol.split("/", 1)[0]
    quotes = "/".join(leg.symbol.split("/", 1)[-1] for leg in legs[:2])
    venues = [leg.venue for leg in legs[:3]]

    def label(names: list[str]) -> str:
        return f"{base} {'→'.join(names)} {quotes}"

    full = label(venues)
    if width is None or len(full) <= width:
        return full
    # Cut the longest names first: the largest common cap whose names fit the room
    # (never below MIN_VENUE_CHARS; the table truncates whatever still does not fit).
    room = width - (len(full) - sum(len(v) for v in venues))
    keep = max(len(v) for v in venues)
    while keep > MIN_VENUE_CHARS and sum(min(len(v), keep) for v in venues) > room:
        keep -= 1
    return label([v[:keep] for v in venues])


def route_symbol(opportunity: Opportunity) -> str | None:
    """The symbol a route is about, for the heatmap: its first leg's."""
    return opportunity.legs[0].symbol if opportunity.legs else None


def truncate(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"
