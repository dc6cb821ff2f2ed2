"""The user's settings: one pydantic model with a documented default for every field.

Loading, saving and migration live beside it (see `load_settings`); this module
only describes what a setting is and how it feeds the engine.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from arbscope.engine.config import EngineConfig
from arbscope.models import Kind

SCHEMA_VERSION = 1

CREDENTIAL_KEYS = frozenset(
    {"apiKey", "secret", "password", "uid", "privateKey", "walletAddress", "token"}
)
"""ccxt constructor keys that would let arbscope trade for real: always refused."""


class VenueSettings(BaseModel):
    """Per-venue choices; every field optional, unset means the venue's own value."""

    model_config = ConfigDict(extra="allow")

    taker_fee: float | None = Field(default=None, ge=0, lt=1)
    """Overrides the venue's taker fee (fraction, 0.001 = 10 bps)."""
    maker_fee: float | None = Field(default=None, ge=-1, lt=1)
    """Overrides the venue's maker fee."""
    latency_ms: float = Field(default=150.0, ge=0)
    """Simulated order latency for paper execution, milliseconds."""
    max_book_age_s: float | None = Field(default=None, gt=0)
    """A book older than this is not used; unset uses `max_book_age_s` of Settings."""
    transport: Literal["auto", "websocket", "rest"] = "auto"
    """Live feeds: websocket books, REST polling, or websocket falling back to REST."""
    ccxt_options: dict[str, Any] = Field(default_factory=dict)
    """Passed to the ccxt exchange constructor as given (urls, timeout, proxies, options)."""


class Settings(BaseModel):
    """Everything the user can set. Command-line flags win over the file."""

    model_config = ConfigDict(extra="allow")

    schema_version: int = SCHEMA_VERSION
    """Version of this file's layout; older files are migrated on load."""
    source: Literal["sim", "replay", "live"] = "sim"
    """Where books come from when no flag says otherwise."""
    seed: int = 7
    """Seed of the simulated market."""
    live_venues: list[str] = Field(default_factory=lambda: ["binance", "kraken", "okx"])
    """Venues for `--live` when no list is given."""
    venues: dict[str, VenueSettings] = Field(default_factory=dict)
    """Per-venue settings by ccxt id."""
    trade_notional: float = Field(default=1000.0, gt=0)
    """Trade size as a notional in `reference_currency`."""
    reference_currency: str = "USD"
    """Currency the trade size is expressed in."""
    trade_notional_step: float = Field(default=0.25, gt=0, lt=1)
    """How much `+` and `-` change the trade size (a fraction of it)."""
    max_book_age_s: float = Field(default=5.0, gt=0)
    """Default age after which a book is too old to use."""
    min_net_bps: float = -1000.0
    """Opportunities below this net edge are not shown (negative shows losing crossings too)."""
    min_profit_threshold: float = 0.0
    """Risk checklist: net profit at the trade size must exceed this."""
    kinds: list[Kind] = Field(default_factory=lambda: list(Kind))
    """Kinds of opportunity to look for."""
    refresh_hz: float = Field(default=10.0, gt=0, le=60)
    """How often the monitor redraws."""
    theme: str = "arbscope-dark"
    """Theme used at start."""
    stat_window_s: float = Field(default=60.0, gt=0)
    """Statistical: rolling window length, seconds."""
    stat_min_samples: int = Field(default=30, ge=2)
    """Statistical: samples needed before a z-score is trusted."""
    stat_entry_z: float = Field(default=2.0, gt=0)
    """Statistical: entry threshold on abs(z)."""
    stat_exit_z: float = Field(default=0.5, ge=0)
    """Statistical: exit threshold on abs(z)."""
    fx_static_rates: dict[str, float] = Field(default_factory=dict)
    """Static FX rates ("EUR/USD" = 1.08) used only where no market converts; flagged."""
    withdrawal_fees: dict[str, float] = Field(default_factory=dict)
    """Withdrawal fee per asset, in that asset, when the venue does not publish one."""
    starting_balances: dict[str, dict[str, float]] = Field(
        default_factory=lambda: {
            "*": {"USD": 10000.0, "USDT": 10000.0, "USDC": 10000.0, "EUR": 10000.0,
                  "BTC": 0.5, "ETH": 5.0, "SOL": 100.0}
        }
    )
    """Paper balances per venue (`"*"` applies to every venue not listed)."""

    def venue(self, venue: str) -> VenueSettings:
        return self.venues.get(venue) or VenueSettings()

    def engine_config(self) -> EngineConfig:
        return EngineConfig(
            trade_notional=self.trade_notional,
            reference_currency=self.reference_currency,
            kinds=frozenset(self.kinds),
            default_max_book_age=self.max_book_age_s,
            max_book_age={
                name: v.max_book_age_s for name, v in self.venues.items() if v.max_book_age_s
            },
            stat_window_s=self.stat_window_s,
            stat_min_samples=self.stat_min_samples,
            stat_entry_z=self.stat_entry_z,
            stat_exit_z=self.stat_exit_z,
            fx_static_rates=self.fx_static_rates,
            withdrawal_fees=self.withdrawal_fees,
        )
