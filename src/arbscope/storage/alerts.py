"""Watchlist alerts: which routes have just crossed their net-bps threshold.

Pure: the caller keeps the set of routes already above their threshold and
passes it back each time, so a route is reported once when it crosses and
again only after it has fallen back (by `rearm_bps`) or closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from arbscope.models import Opportunity


@dataclass(frozen=True, slots=True)
class AlertHit:
    """A route whose net edge has just reached the threshold the user set for it."""

    route_id: str
    pattern: str
    """The watchlist's alert key that matched (the route id itself, or a glob)."""
    threshold_bps: float
    net_bps: float
    opportunity: Opportunity

    @property
    def message(self) -> str:
        return (
            f"{self.route_id}: net {self.net_bps:.1f} bps reached the alert at "
            f"{self.threshold_bps:g} bps"
        )


@dataclass(frozen=True, slots=True)
class AlertCheck:
    crossed: tuple[AlertHit, ...]
    """Routes that crossed since the previous check, best net bps first."""
    above: frozenset[str] = field(default_factory=frozenset)
    """Routes at or above their threshold now (armed-off): pass back as `previously_above`."""


def threshold_for(route_id: str, thresholds: Mapping[str, float]) -> tuple[str, float] | None:
    """The alert that applies to a route: its exact id first, else the longest matching glob."""
    if route_id in thresholds:
        return route_id, thresholds[route_id]
    matches = [p for p in thresholds if fnmatchcase(route_id, p)]
    if not matches:
        return None
    pattern = max(matches, key=len)
    return pattern, thresholds[pattern]


def check_alerts(
    thresholds: Mapping[str, float],
    opportunities: Iterable[Opportunity],
    previously_above: frozenset[str] = frozenset(),
    rearm_bps: float = 0.0,
) -> AlertCheck:
    """Routes whose net bps reached their threshold now and were not above it at the last check.

    A route stays "above" (and silent) until its net bps falls below
    `threshold - rearm_bps` or it stops being an opportunity; then the next
    crossing is reported again. `rearm_bps` > 0 keeps a route hovering at the
    threshold from raising an alert on every tick.
    """
    crossed: list[AlertHit] = []
    above: set[str] = set()
    if not thresholds:
        return AlertCheck((), frozenset())
    for opp in opportunities:
        rule = threshold_for(opp.route_id, thresholds)
        if rule is None:
            continue
        pattern, threshold = rule
        was_above = opp.route_id in previously_above
        if opp.net_bps >= threshold:
            above.add(opp.route_id)
            if not was_above:
                crossed.append(AlertHit(opp.route_id, pattern, threshold, opp.net_bps, opp))
        elif was_above and opp.net_bps >= threshold - rearm_bps:
            above.add(opp.route_id)  # still inside the re-arm band: stay quiet
    crossed.sort(key=lambda hit: hit.net_bps, reverse=True)
    return AlertCheck(tuple(crossed), frozenset(above))


class AlertWatcher:
    """Keeps `previously_above` between checks for one caller (the monitor's timer)."""

    def __init__(self, rearm_bps: float = 0.0) -> None:
        self.rearm_bps = rearm_bps
        self._above: frozenset[str] = frozenset()
        self._thresholds: dict[str, float] = {}

    def check(
        self, thresholds: Mapping[str, float], opportunities: Iterable[Opportunity]
    ) -> tuple[AlertHit, ...]:
        """New crossings; switching to other thresholds (another watchlist) starts afresh."""
        if dict(thresholds) != self._thresholds:
            self._thresholds = dict(thresholds)
            self._above = frozenset()
        result = check_alerts(thresholds, opportunities, self._above, self.rearm_bps)
        self._above = result.above
        return result.crossed
