"""The `[paper]` and `[ui]` sections of settings.toml (the engine's and the risk
checklist's sections are their own models: `EngineConfig`, `RiskThresholds`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


def _starting_balances() -> dict[str, dict[str, float]]:
    return {
        "*": {"USD": 10000.0, "USDT": 10000.0, "USDC": 10000.0, "EUR": 10000.0,
              "BTC": 0.5, "ETH": 5.0, "SOL": 100.0}
    }


class PaperConfig(BaseModel):
    """How paper orders behave: the `[paper]` section. The broker reads this very model."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)

    limit_tolerance_bps: float | None = Field(default=10.0, ge=0)
    """Paper orders are IOC limits at the worst expected level widened by this many bps
    (unset: market IOC, no limit)."""
    stat_auto_close: bool = False
    """Close a statistical paper position by itself once abs(z) <= `engine.stat_exit_z`."""
    starting_balances: dict[str, dict[str, float]] = Field(default_factory=_starting_balances)
    """Paper balances per venue (`"*"` applies to every venue not listed)."""


class UiSettings(BaseModel):
    """What the monitor looks like and how it reacts: the `[ui]` section."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)

    refresh_hz: float = Field(default=10.0, gt=0, le=60)
    """How often the monitor redraws."""
    theme: str = "arbscope-dark"
    """Theme used at start (the last one picked with `t` is saved here)."""
    alert_bell: bool = False
    """Ring the terminal bell when a watchlist alert threshold is crossed."""
    trade_notional_step: float = Field(default=0.25, gt=0, lt=1)
    """How much `+` and `-` change the trade size (a fraction of it)."""
