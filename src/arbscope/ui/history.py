"""A short memory of each route's figures, for the spread history chart.

The screen samples every open route on each refresh; a route the user selects
later already has its last minutes. Bounded by a time window and a sampling
interval, so memory stays flat however long the monitor runs.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from arbscope.models import MarketSnapshot


@dataclass(frozen=True, slots=True)
class Sample:
    ts: float
    net_bps: float
    z_score: float | None


class RouteHistory:
    def __init__(self, window_s: float = 300.0, min_interval_s: float = 1.0) -> None:
        self.window_s = window_s
        """How far back the chart can look, seconds."""
        self.min_interval_s = min_interval_s
        """Samples of one route closer together than this are skipped."""
        self._series: dict[str, deque[Sample]] = {}

    def record(self, snapshot: MarketSnapshot) -> None:
        """Add one sample per open route and forget what fell out of the window."""
        now = snapshot.ts
        for opportunity in snapshot.opportunities:
            series = self._series.get(opportunity.route_id)
            if series is None:
                series = self._series[opportunity.route_id] = deque()
            if series and now - series[-1].ts < self.min_interval_s:
                continue
            series.append(Sample(now, opportunity.net_bps, opportunity.z_score))
        horizon = now - self.window_s
        for route_id in list(self._series):
            series = self._series[route_id]
            while series and series[0].ts < horizon:
                series.popleft()
            if not series:
                del self._series[route_id]

    def samples(self, route_id: str) -> tuple[Sample, ...]:
        return tuple(self._series.get(route_id, ()))

    def __len__(self) -> int:
        return len(self._series)
