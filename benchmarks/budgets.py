"""The budget of each benchmark figure that has one, and the runs that could not be valid.

A budget is an upper bound unless it says ">=" (a rate that must be reached).
A module measuring at an asked rate reports `<prefix>rate_asked` and
`<prefix>rate_reached`; when it reached less than `REACHED_FRACTION` of the
asked rate, every figure of that module starting with `<prefix>` was taken
under a lighter load than the budget means and is reported as not valid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

REACHED_FRACTION = 0.95


@dataclass(frozen=True, slots=True)
class Budget:
    limit: float
    at_least: bool = False
    """True: the figure must reach `limit` (a rate); False: stay at or below it."""

    def holds(self, value: float) -> bool:
        return value >= self.limit if self.at_least else value <= self.limit

    def __str__(self) -> str:
        return f"{'>=' if self.at_least else '<='} {self.limit:g}"


BUDGETS: dict[str, Budget] = {
    # issue 2: one book update at 10 x 50
    "calculator_update_us_p50": Budget(50),
    "calculator_update_us_p99": Budget(500),
    # issue 3: the monitor
    "ui_key_to_screen_ms_p95": Budget(100),
    "ui_frame_ms_p95": Budget(50),
    "startup_first_frame_s": Budget(1.5),
    # issue 4: paper execution
    "paper_execute_ms_p95": Budget(50),
    # live feed
    "live_feed_overhead_us_p50": Budget(20),
    "live_feed_rss_mb_growth": Budget(20),
    # issue 13: scale
    "scale_20x200_read_ms_p99": Budget(20),
    "scale_20x200_update_us_p99": Budget(300),
    "scale_20x200_rss_mb": Budget(300),
    "sustained_10x50_cpu_share": Budget(0.5),
    "sustained_10x50_paying_cpu_share": Budget(0.5),
}


def invalid_figures(figures: Mapping[str, float]) -> dict[str, str]:
    """Figure -> why it is not valid (its run fell short of the rate it was asked for)."""
    invalid: dict[str, str] = {}
    for name, asked in figures.items():
        if not name.endswith("rate_asked"):
            continue
        prefix = name.removesuffix("rate_asked")
        reached = figures.get(f"{prefix}rate_reached")
        if reached is None or reached >= REACHED_FRACTION * asked:
            continue
        why = f"reached {reached:,.0f} of {asked:,.0f} updates/s asked"
        for figure in figures:
            if figure.startswith(prefix) and not figure.endswith(("rate_asked", "rate_reached")):
                invalid[figure] = why
    return invalid


def verdict(name: str, value: float, invalid: Mapping[str, str]) -> tuple[str, str]:
    """(budget text, mark) of one figure: mark is "", "ok", "MISS" or "NOT VALID: why"."""
    budget = BUDGETS.get(name)
    if name in invalid:
        return (str(budget) if budget else "", f"NOT VALID: {invalid[name]}")
    if budget is None:
        return ("", "")
    return (str(budget), "ok" if budget.holds(value) else "MISS")
