"""Parameters of the opportunity calculator: the `[engine]` section of settings.toml.

Storage reads the file into this very model; only `max_book_age` is filled in
from the per-venue settings (`Settings.engine_config`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from arbscope.models import Kind


class EngineConfig(BaseModel):
    """Everything the pure core needs to know about the user's choices."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)

    trade_notional: float = Field(default=1000.0, gt=0)
    """Trade size as a notional in the reference currency (`reference_currency`);
    each route converts it into its own size currency through `Valuation`."""
    reference_currency: str = "USD"
    """Currency `trade_notional` is expressed in."""
    kinds: frozenset[Kind] = frozenset(Kind)
    """Kinds of opportunity to look for."""
    default_max_book_age: float = Field(default=5.0, gt=0)
    """Seconds after which a book is too old to be used, unless the venue overrides it."""
    max_book_age: dict[str, float] = Field(default_factory=dict, exclude=True)
    """Per-venue override of `default_max_book_age`, filled from `venues.NAME.max_book_age_s`
    (never written to the file)."""
    stat_window_s: float = Field(default=60.0, gt=0)
    """Statistical: length of the rolling window of log(mid_A/mid_B), seconds."""
    stat_min_samples: int = Field(default=30, ge=2)
    """Statistical: samples needed in the window before a z-score is trusted."""
    stat_entry_z: float = Field(default=2.0, gt=0)
    """Statistical: signal when abs(z) >= this."""
    stat_exit_z: float = Field(default=0.5, ge=0)
    """Statistical: the position is expected to close when abs(z) <= this."""
    fx_static_rates: dict[str, float] = Field(default_factory=dict)
    """Static FX rates from settings, e.g. {"EUR/USD": 1.08}; used only where no
    real market converts, and always flagged."""
    max_cycle_legs: int = Field(default=3, ge=3, le=4)
    """Longest cycle on one venue: 3 (triangles only) or 4 (4-leg cycles too)."""
    withdrawal_fees: dict[str, float] = Field(default_factory=dict)
    """Withdrawal fee per asset, in that asset, for the rebalancing cost of
    inter-exchange routes (`{"BTC": 0.0002}`)."""

    min_net_bps: float = -1000.0
    """Opportunities below this net edge are not shown (negative shows losing crossings too)."""
    near_miss_bps: float = Field(default=10.0, ge=0)
    """The calculator also keeps routes up to this far below `min_net_bps` (near misses);
    routes that cannot reach even that are not walked in depth."""

    @field_serializer("kinds")
    def _kinds_in_order(self, kinds: frozenset[Kind]) -> list[Kind]:
        # A set has no order; the file lists kinds as the monitor does.
        return [kind for kind in Kind if kind in kinds]

    @property
    def near_miss_floor_bps(self) -> float:
        """The net edge the calculator keeps routes down to: `min_net_bps - near_miss_bps`."""
        return self.min_net_bps - self.near_miss_bps

    def book_age_limit(self, venue: str) -> float:
        return self.max_book_age.get(venue, self.default_max_book_age)
