"""The user's settings: one pydantic model with a documented default for every field.

`load_settings` reads `settings.toml` (migrating older layouts, reporting
every problem with its line and falling back to defaults); `save_settings`,
`update_settings` and `save_theme_choice` write it back atomically (through a
symlink to its target), keeping the user's comments and keys arbscope does
not know. A save never replaces a file that does not load (`BrokenFileError`
names its lines) nor a read-only one (`FileRefusedError`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import tomlkit
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import InitErrorDetails, PydanticCustomError
from tomlkit.toml_document import TOMLDocument

from arbscope.engine.config import EngineConfig
from arbscope.models import Kind
from arbscope.storage.atomic import atomic_write_text, file_lock
from arbscope.storage.credentials import REQUIRED_CREDENTIALS, refused_options
from arbscope.storage.migrations import SCHEMA_VERSION, MigrationError, migrate
from arbscope.storage.paths import settings_file
from arbscope.storage.tomlfile import (
    BrokenFileError,
    Problem,
    ReadResult,
    locate_key,
    merge_model,
    read_toml,
    validation_problems,
)

CREDENTIAL_KEYS = frozenset(REQUIRED_CREDENTIALS)
"""ccxt constructor keys that would let arbscope trade for real: always refused, in every
spelling ccxt accepts (see storage/credentials.py)."""


class VenueSettings(BaseModel):
    """Per-venue choices; every field optional, unset means the venue's own value."""

    model_config = ConfigDict(extra="allow", use_attribute_docstrings=True)

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
    websocket_retry_s: float = Field(default=300.0, gt=0)
    """Live feeds, `auto` transport: after falling back to REST, try the websocket again
    after this many seconds."""
    ccxt_options: dict[str, Any] = Field(default_factory=dict)
    """Passed to the ccxt exchange constructor as given (urls, timeout, proxies, options)."""

    @field_validator("ccxt_options")
    @classmethod
    def _refuse_credentials(cls, options: dict[str, Any]) -> dict[str, Any]:
        refused = refused_options(options)
        if refused:
            # One error per key, located at the key itself (its line in the file); the
            # value is never echoed, it may be a secret.
            raise ValidationError.from_exception_data(
                "ccxt_options",
                [
                    InitErrorDetails(
                        type=PydanticCustomError("credential", item.reason),
                        loc=item.path,
                        input=None,
                    )
                    for item in refused
                ],
            )
        return options


class Settings(BaseModel):
    """Everything the user can set. Command-line flags win over the file."""

    model_config = ConfigDict(extra="allow", use_attribute_docstrings=True)

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
    max_cycle_legs: int = Field(default=3, ge=3, le=4)
    """Longest cycle on one venue: 3 (triangles only) or 4 (4-leg cycles too)."""
    refresh_hz: float = Field(default=10.0, gt=0, le=60)
    """How often the monitor redraws."""
    theme: str = "arbscope-dark"
    """Theme used at start (the last one picked with `t` is saved here)."""
    alert_bell: bool = False
    """Ring the terminal bell when a watchlist alert threshold is crossed."""
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
    paper_limit_tolerance_bps: float | None = Field(default=10.0, ge=0)
    """Paper orders are IOC limits at the worst expected level widened by this many bps
    (unset: market IOC, no limit)."""
    stat_auto_close: bool = False
    """Close a statistical paper position by itself once abs(z) <= `stat_exit_z`."""
    risk_thin_edge_bps: float = Field(default=2.0, ge=0)
    """Risk checklist: a net edge below this many bps warns (one tick of noise eats it)."""
    risk_freshness_warn_fraction: float = Field(default=0.5, gt=0, le=1)
    """Risk checklist: warn when a leg's book is older than this fraction of its max age."""
    risk_depth_warn_fraction: float = Field(default=0.5, gt=0, le=1)
    """Risk checklist: warn when a leg takes more than this fraction of its side's depth."""
    risk_balance_warn_fraction: float = Field(default=0.9, gt=0, le=1)
    """Risk checklist: warn when a route needs more than this fraction of a balance."""
    risk_volatility_warn_ratio: float = Field(default=2.0, ge=0)
    """Risk checklist: warn when the net edge is less than this many typical moves
    during the legs' latency."""

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
            max_cycle_legs=self.max_cycle_legs,
            fx_static_rates=self.fx_static_rates,
            withdrawal_fees=self.withdrawal_fees,
        )


# --- the settings file ---------------------------------------------------------------

_NEW_FILE_HEADER = (
    "arbscope settings. Every field and its default: `arbscope config show`.\n"
    "Comments and keys arbscope does not know are kept when it saves this file."
)


@dataclass(frozen=True, slots=True)
class LoadedSettings:
    """What `load_settings` found: the settings to run with and what was wrong with the file."""

    settings: Settings
    """The file's settings, or defaults when it has problems."""
    path: Path
    exists: bool
    problems: tuple[Problem, ...] = ()
    """Why the file was not used; empty when it loaded."""
    notes: tuple[str, ...] = ()
    """Things worth telling that did not stop loading (migration steps, unknown keys)."""
    migrated_from: int | None = None
    """The file's older schema version when it was migrated in memory (written on next save)."""

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def message(self) -> str | None:
        """A paragraph for the user when the file was not used, None when it loaded."""
        return broken_file_message(self.path, self.problems, "default settings")


def broken_file_message(path: Path, problems: tuple[Problem, ...], fallback: str) -> str | None:
    if not problems:
        return None
    lines = [f"{path.name} could not be used, so arbscope runs with {fallback}:"]
    lines += [f"  {problem}" for problem in problems]
    lines.append(
        "The file is left as it is, and nothing is saved over it until it loads: "
        "fix it by hand (`arbscope config check` checks again)."
    )
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class SaveResult:
    path: Path

    @property
    def message(self) -> str:
        return f"saved {self.path}"


def load_settings(path: Path | None = None) -> LoadedSettings:
    """Read settings.toml; never raises for a bad file and never writes."""
    path = path or settings_file()
    read = read_toml(path)
    if not read.exists:
        return LoadedSettings(Settings(), path, False)
    try:
        settings, _, found, notes = _usable(read)
    except BrokenFileError as exc:
        return LoadedSettings(Settings(), path, True, exc.problems)
    notes += _unknown_key_notes(settings)
    migrated = found if found != SCHEMA_VERSION else None
    if migrated is not None:
        notes.insert(
            0,
            f"{path.name} has schema_version {found}; read as version {SCHEMA_VERSION} "
            "and written that way at the next save",
        )
    return LoadedSettings(settings, path, True, (), tuple(notes), migrated)


def _usable(read: ReadResult) -> tuple[Settings, TOMLDocument, int, list[str]]:
    """A file found on disk: its settings, its document (migrated in place), the schema
    version it was written in and the migration notes; `BrokenFileError` when it does not load."""
    path, doc = read.path, read.document
    if read.problems or doc is None:
        raise BrokenFileError(path, read.problems)
    try:
        found, notes = migrate(doc)
    except MigrationError as exc:
        problem = Problem(path, locate_key(read.text, exc.key), str(exc))
        raise BrokenFileError(path, [problem]) from exc
    try:
        return Settings.model_validate(doc.unwrap()), doc, found, notes
    except ValidationError as exc:
        raise BrokenFileError(path, validation_problems(path, read.text, exc)) from exc


def _unknown_key_notes(settings: Settings) -> list[str]:
    notes = [f"unknown key {key!r} kept as it is" for key in settings.model_extra or {}]
    for name, venue in settings.venues.items():
        extra = venue.model_extra or {}
        notes += [f"unknown key 'venues.{name}.{key}' kept as it is" for key in extra]
    return notes


def _write(path: Path, change: Mapping[str, Any] | None, whole: Settings | None) -> SaveResult:
    """Lock, re-read the file on disk, merge, validate, write atomically.

    A file that does not load is refused (`BrokenFileError`), never replaced.
    """
    with file_lock(path):
        read = read_toml(path)
        if read.exists:
            current, doc, _, _ = _usable(read)
        else:
            doc, current = _new_document(), Settings()
        if whole is not None:
            merge_model(doc, whole.model_dump(mode="json"), Settings)
        if change:
            candidate = Settings.model_validate({**current.model_dump(), **change})
            dumped = candidate.model_dump(mode="json")
            merge_model(doc, {key: dumped[key] for key in change}, Settings)
        # Never write what could not be read back.
        Settings.model_validate(doc.unwrap())
        atomic_write_text(path, tomlkit.dumps(doc))
    return SaveResult(path)


def _new_document() -> TOMLDocument:
    doc = tomlkit.document()
    for line in _NEW_FILE_HEADER.splitlines():
        doc.add(tomlkit.comment(line))
    doc.add("schema_version", SCHEMA_VERSION)
    return doc


def save_settings(settings: Settings, path: Path | None = None) -> SaveResult:
    """Write every field of `settings` into the file, keeping comments and unknown keys.

    Fields left at their default and absent from the file stay absent. A file
    that does not load is not replaced: `BrokenFileError` names its problems.
    """
    return _write(path or settings_file(), None, settings)


def update_settings(changes: Mapping[str, Any], path: Path | None = None) -> SaveResult:
    """Change only the named top-level fields in the file; everything else stays as written.

    Raises `ValidationError` (naming the field and why) when a value is not allowed, and
    `FileRefusedError` (`BrokenFileError` for a file that does not load) when the file
    may not be replaced.
    """
    unknown = sorted(set(changes) - set(Settings.model_fields))
    if unknown:
        raise KeyError(f"not a setting: {', '.join(unknown)}")
    return _write(path or settings_file(), changes, None)


def save_theme_choice(name: str, path: Path | None = None) -> SaveResult:
    """Remember the theme picked in the app; only the `theme` key changes."""
    return update_settings({"theme": name}, path)


class SettingsError(ValueError):
    """A value given on the command line is not allowed; the message names the field."""


def apply_cli_overrides(settings: Settings, overrides: Mapping[str, Any]) -> Settings:
    """`settings` with every non-None value of `overrides` in place: flags win over the file.

    Pure: nothing is read or written. Keys are field names (`trade_notional`,
    `seed`, `source`, `live_venues` ...).
    """
    changes = {key: value for key, value in overrides.items() if value is not None}
    unknown = sorted(set(changes) - set(Settings.model_fields))
    if unknown:
        raise SettingsError(f"not a setting: {', '.join(unknown)}")
    try:
        return Settings.model_validate({**settings.model_dump(), **changes})
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise SettingsError(reasons) from exc
