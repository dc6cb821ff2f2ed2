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
from arbscope.engine.risk import RiskThresholds
from arbscope.models import DEFAULT_BOOK_DEPTH
from arbscope.storage.atomic import atomic_write_text, file_lock, keep_broken_file
from arbscope.storage.credentials import REQUIRED_CREDENTIALS, refused_options
from arbscope.storage.migrations import (
    SCHEMA_VERSION,
    Migrated,
    MigrationError,
    flat_origin,
    migrate,
)
from arbscope.storage.paths import settings_file
from arbscope.storage.sections import PaperConfig, UiSettings
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
    """A book older than this is not used; unset uses `[engine] default_max_book_age`."""
    transport: Literal["auto", "websocket", "rest"] = "auto"
    """Live feeds: websocket books, REST polling, or websocket falling back to REST."""
    websocket_retry_s: float = Field(default=300.0, gt=0)
    """Live feeds, `auto` transport: after falling back to REST, try the websocket again
    after this many seconds."""
    book_depth: int = Field(default=DEFAULT_BOOK_DEPTH, ge=1, le=100_000)
    """Levels kept per side of each book, best first; deeper ones are dropped before
    validation (a live feed may hold 1,000 a side, updated every 100 ms)."""
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
    """Everything the user can set, one section per part of arbscope that uses it.

    Each section is the model its consumer reads (`engine` is the calculator's
    `EngineConfig`, `risk` the checklist's `RiskThresholds`, `paper` the broker's
    `PaperConfig`), so every default is written once. Command-line flags win over the file.
    """

    model_config = ConfigDict(extra="allow", use_attribute_docstrings=True)

    schema_version: int = SCHEMA_VERSION
    """Version of this file's layout; older files are migrated on load."""
    source: Literal["sim", "replay", "live"] = "sim"
    """Where books come from when no flag says otherwise."""
    seed: int = 7
    """Seed of the simulated market."""
    live_venues: list[str] = Field(default_factory=lambda: ["binance", "kraken", "okx"])
    """Venues for `--live` when no list is given."""
    engine: EngineConfig = Field(default_factory=EngineConfig)
    """What the opportunity calculator looks for and at what size."""
    risk: RiskThresholds = Field(default_factory=RiskThresholds)
    """Where the risk checklist turns from pass to warn or fail."""
    paper: PaperConfig = Field(default_factory=PaperConfig)
    """Paper execution: order limits, balances, auto-close."""
    ui: UiSettings = Field(default_factory=UiSettings)
    """The monitor: redraw rate, theme, bell, size step."""
    venues: dict[str, VenueSettings] = Field(default_factory=dict)
    """Per-venue settings by ccxt id."""

    def venue(self, venue: str) -> VenueSettings:
        return self.venues.get(venue) or VenueSettings()

    def engine_config(self) -> EngineConfig:
        """The `[engine]` section with each venue's own `max_book_age_s` in place: the one
        place a per-venue value reaches the engine."""
        ages = {name: v.max_book_age_s for name, v in self.venues.items() if v.max_book_age_s}
        return self.engine.model_copy(update={"max_book_age": ages})

    def book_depth(self, venue: str) -> int:
        """Levels the market service keeps per side of `venue`'s books."""
        return self.venue(venue).book_depth

    def latency_ms(self) -> dict[str, float]:
        """Each configured venue's paper order latency (others use `VenueSettings`' default)."""
        return {name: v.latency_ms for name, v in self.venues.items()}


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
    backup: Path | None = None
    """The file as it was before this save, when the save changed its layout (a migration)."""

    @property
    def message(self) -> str:
        kept = f" (the old layout is kept in {self.backup.name})" if self.backup else ""
        return f"saved {self.path}{kept}"


def load_settings(path: Path | None = None) -> LoadedSettings:
    """Read settings.toml; never raises for a bad file and never writes."""
    path = path or settings_file()
    read = read_toml(path)
    if not read.exists:
        return LoadedSettings(Settings(), path, False)
    try:
        settings, migrated = _usable(read)
    except BrokenFileError as exc:
        return LoadedSettings(Settings(), path, True, exc.problems)
    notes = migrated.notes + _unknown_key_notes(settings)
    if migrated.found == SCHEMA_VERSION:
        return LoadedSettings(settings, path, True, (), tuple(notes))
    said = (f"has schema_version {migrated.found}" if migrated.declared else
            f"has no schema_version and the layout of version {migrated.found}")
    notes.insert(
        0,
        f"{path.name} {said}; read as version {SCHEMA_VERSION}, and written that way at the "
        "next save (the old file is kept beside it as a backup)",
    )
    return LoadedSettings(settings, path, True, (), tuple(notes), migrated.found)


def _usable(read: ReadResult) -> tuple[Settings, Migrated]:
    """A file found on disk: its settings and its document in today's layout;
    `BrokenFileError` when it does not load."""
    path, doc = read.path, read.document
    if read.problems or doc is None:
        raise BrokenFileError(path, read.problems)
    try:
        migrated = migrate(doc)
    except MigrationError as exc:
        problem = Problem(path, locate_key(read.text, exc.key), str(exc))
        raise BrokenFileError(path, [problem]) from exc
    try:
        return Settings.model_validate(migrated.document.unwrap()), migrated
    except ValidationError as exc:
        def as_written(loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
            # A key that moved is named as, and where, the user wrote it.
            return flat_origin(loc, migrated.found) or loc

        raise BrokenFileError(path, validation_problems(path, read.text, exc, as_written)) from exc


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
        backup = None
        if read.exists:
            current, migrated = _usable(read)
            doc = migrated.document
        else:
            doc, current, migrated = _new_document(), Settings(), None
        if whole is not None:
            merge_model(doc, whole.model_dump(mode="json"), Settings)
        if change:
            dumped = with_changes(current, change).model_dump(mode="json")
            touched = {key.partition(".")[0] for key in change}
            merge_model(doc, {key: dumped[key] for key in touched}, Settings)
        # Never write what could not be read back.
        Settings.model_validate(doc.unwrap())
        if migrated is not None and migrated.found != SCHEMA_VERSION:
            # The first write in the new layout keeps the old file's bytes beside it.
            backup = keep_broken_file(path)
        atomic_write_text(path, tomlkit.dumps(doc))
    return SaveResult(path, backup)


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
    """Change only the named fields in the file (`seed`, `ui.theme` ...); everything else
    stays as written.

    Raises `ValidationError` (naming the field and why) when a value is not allowed, and
    `FileRefusedError` (`BrokenFileError` for a file that does not load) when the file
    may not be replaced.
    """
    unknown = unknown_keys(changes)
    if unknown:
        raise KeyError(f"not a setting: {', '.join(unknown)}")
    return _write(path or settings_file(), changes, None)


def save_theme_choice(name: str, path: Path | None = None) -> SaveResult:
    """Remember the theme picked in the app; only `[ui] theme` changes."""
    return update_settings({"ui.theme": name}, path)


def unknown_keys(changes: Mapping[str, Any]) -> list[str]:
    """Keys of `changes` that name no setting: a top-level field or `section.field`."""
    unknown = []
    for key in changes:
        section, _, name = key.rpartition(".")
        if section:
            model = _SECTIONS.get(section)
            known = model is not None and name in model.model_fields
        else:
            known = key in Settings.model_fields and key not in _SECTIONS
        if not known:
            unknown.append(key)
    return sorted(unknown)


def with_changes(settings: Settings, changes: Mapping[str, Any]) -> Settings:
    """`settings` with each `field` or `section.field` of `changes` set (validated)."""
    data = settings.model_dump()
    for key, value in changes.items():
        section, _, name = key.rpartition(".")
        (data[section] if section else data)[name] = value
    return Settings.model_validate(data)


_SECTIONS: dict[str, type[BaseModel]] = {
    name: info.annotation
    for name, info in Settings.model_fields.items()
    if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel)
}
"""The sections of the file by name (`engine`, `risk`, `paper`, `ui`)."""


class SettingsError(ValueError):
    """A value given on the command line is not allowed; the message names the field."""


def apply_cli_overrides(settings: Settings, overrides: Mapping[str, Any]) -> Settings:
    """`settings` with every non-None value of `overrides` in place: flags win over the file.

    Pure: nothing is read or written. Keys are field names, in their section
    (`seed`, `source`, `live_venues`, `engine.trade_notional` ...).
    """
    changes = {key: value for key, value in overrides.items() if value is not None}
    unknown = unknown_keys(changes)
    if unknown:
        raise SettingsError(f"not a setting: {', '.join(unknown)}")
    try:
        return with_changes(settings, changes)
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise SettingsError(reasons) from exc
