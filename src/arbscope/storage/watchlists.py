"""Watchlists: named lists of symbols (optionally venues and alert thresholds) in `watchlists.toml`.

```toml
schema_version = 1
active = "majors"

[watchlists.majors]
symbols = ["BTC/USDT", "ETH/USDT"]
venues = ["binance", "okx"]          # optional: empty means every venue of the source

[watchlists.majors.alerts]           # optional: route id (or glob) -> net bps threshold
"spatial:BTC/USDT:*" = 12.0
```

Every change is written at once. Two arbscope processes changing watchlists
at the same time lose neither change: each change takes a lock beside the
file, re-reads the file as it is on disk, applies itself to that, and writes
atomically (through a symlink to its target). A file that does not load is
reported (file, line, problem) and the store runs empty; a change is then
refused, naming those lines, rather than written over it. A read-only file
is never rewritten either.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from pathlib import Path

import tomlkit
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from tomlkit.items import Table
from tomlkit.toml_document import TOMLDocument

from arbscope.models import split_symbol
from arbscope.storage.atomic import atomic_write_text, file_lock
from arbscope.storage.paths import watchlists_file
from arbscope.storage.settings import broken_file_message
from arbscope.storage.tomlfile import (
    BrokenFileError,
    Problem,
    merge_model,
    read_toml,
    validation_problems,
)
from arbscope.storage.userfile import FileRefusedError

WATCHLISTS_SCHEMA_VERSION = 1
MAX_NAME_LENGTH = 40


class WatchlistError(ValueError):
    """A change that cannot be made; the message says why and what would work."""


class WatchlistFileError(WatchlistError):
    """The file may not be replaced (it does not load, is read-only, is not a regular file)."""


class UnknownWatchlistError(WatchlistError):
    def __init__(self, name: str, existing: Iterable[str]) -> None:
        self.name = name
        self.existing = list(existing)
        listed = ", ".join(self.existing) if self.existing else "none yet"
        super().__init__(
            f"no watchlist named {name!r}; existing watchlists: {listed} "
            f"(create one with `arbscope watchlist create {name}`)"
        )


def normalize_name(name: str) -> str:
    """A watchlist name as stored: trimmed, 1-40 printable characters."""
    clean = name.strip()
    if not clean:
        raise WatchlistError("a watchlist name cannot be empty")
    if len(clean) > MAX_NAME_LENGTH:
        raise WatchlistError(
            f"watchlist name {clean!r} is longer than {MAX_NAME_LENGTH} characters"
        )
    if not clean.isprintable():
        raise WatchlistError(f"watchlist name {clean!r} contains control characters")
    return clean


def normalize_symbol(symbol: str) -> str:
    """`" btc/usdt "` -> `"BTC/USDT"`; anything that is not BASE/QUOTE is refused."""
    clean = symbol.strip().upper()
    try:
        split_symbol(clean)
    except ValueError as exc:
        raise WatchlistError(str(exc)) from exc
    return clean


class WatchlistEntry(BaseModel):
    """One `[watchlists.NAME]` table (the name is its key)."""

    model_config = ConfigDict(extra="allow")

    symbols: list[str] = Field(default_factory=list)
    """ccxt unified symbols, in the order the user added them."""
    venues: list[str] = Field(default_factory=list)
    """Venue ids to watch the symbols on; empty means every venue the source has."""
    alerts: dict[str, float] = Field(default_factory=dict)
    """Route id, or a glob of route ids (`spatial:BTC/USDT:*`), -> net bps that raises an alert."""

    @field_validator("symbols")
    @classmethod
    def _symbols(cls, symbols: list[str]) -> list[str]:
        for symbol in symbols:
            split_symbol(symbol)
        if len(set(symbols)) != len(symbols):
            raise ValueError("a symbol is listed twice")
        return symbols

    @field_validator("alerts")
    @classmethod
    def _alerts(cls, alerts: dict[str, float]) -> dict[str, float]:
        for route, bps in alerts.items():
            if not route.strip():
                raise ValueError("an alert needs a route id or pattern as its key")
            if not math.isfinite(bps):
                raise ValueError(f"alert {route!r}: threshold must be a finite number of bps")
        return alerts


class Watchlist(WatchlistEntry):
    """A watchlist with its name, as the rest of arbscope sees it."""

    model_config = ConfigDict(frozen=True, extra="allow")

    name: str


class WatchlistsFile(BaseModel):
    """The whole of `watchlists.toml`."""

    model_config = ConfigDict(extra="allow")

    schema_version: int = WATCHLISTS_SCHEMA_VERSION
    active: str | None = None
    """Name of the watchlist the monitor follows; unset follows the source's own symbols."""
    watchlists: dict[str, WatchlistEntry] = Field(default_factory=dict)

    @field_validator("watchlists")
    @classmethod
    def _names(cls, watchlists: dict[str, WatchlistEntry]) -> dict[str, WatchlistEntry]:
        for name in watchlists:
            if normalize_name(name) != name:
                raise ValueError(f"watchlist name {name!r} has spaces at either end")
        return watchlists

    @field_validator("schema_version")
    @classmethod
    def _version(cls, version: int) -> int:
        if version > WATCHLISTS_SCHEMA_VERSION:
            raise ValueError(
                f"written by a newer arbscope (this one reads up to {WATCHLISTS_SCHEMA_VERSION})"
            )
        return version


class WatchlistStore:
    """Watchlists on disk. Reads are from memory; every change goes straight to the file."""

    def __init__(self, path: Path | None = None, lock_timeout_s: float = 10.0) -> None:
        self.path = path or watchlists_file()
        self.lock_timeout_s = lock_timeout_s
        self.problems: tuple[Problem, ...] = ()
        """Why the file on disk was not used at the last read (empty when it loaded)."""
        self._state = WatchlistsFile()
        self.reload()

    # --- reading ------------------------------------------------------------------

    def reload(self) -> tuple[Problem, ...]:
        """Re-read the file (another process may have changed it); returns its problems."""
        state, _doc, problems = self._read()
        self._state = state
        self.problems = tuple(problems)
        return self.problems

    @property
    def message(self) -> str | None:
        """A paragraph for the user when the file was not used, None when it loaded."""
        return broken_file_message(self.path, self.problems, "no watchlists")

    def names(self) -> list[str]:
        return list(self._state.watchlists)

    def all(self) -> list[Watchlist]:
        return [self._public(name) for name in self._state.watchlists]

    def get(self, name: str) -> Watchlist:
        if name not in self._state.watchlists:
            raise UnknownWatchlistError(name, self.names())
        return self._public(name)

    @property
    def active_name(self) -> str | None:
        """The active watchlist's name; None when unset or naming one that no longer exists."""
        active = self._state.active
        return active if active in self._state.watchlists else None

    @property
    def active(self) -> Watchlist | None:
        name = self.active_name
        return None if name is None else self._public(name)

    # --- changing (each one saved at once) ------------------------------------------

    def create(
        self, name: str, symbols: Iterable[str] = (), venues: Iterable[str] = ()
    ) -> Watchlist:
        name = normalize_name(name)
        entry = WatchlistEntry(
            symbols=_unique(normalize_symbol(s) for s in symbols),
            venues=_unique(v.strip().lower() for v in venues if v.strip()),
        )

        def apply(state: WatchlistsFile) -> None:
            if name in state.watchlists:
                raise WatchlistError(f"a watchlist named {name!r} already exists")
            state.watchlists[name] = entry

        self._change(apply)
        return self.get(name)

    def rename(self, old: str, new: str) -> Watchlist:
        new = normalize_name(new)

        def apply(state: WatchlistsFile) -> None:
            self._require(state, old)
            if new != old and new in state.watchlists:
                raise WatchlistError(f"a watchlist named {new!r} already exists")
            # Rebuild the dict so the renamed list keeps its place in the order.
            state.watchlists = {
                (new if key == old else key): entry for key, entry in state.watchlists.items()
            }
            if state.active == old:
                state.active = new

        def move_table(doc: TOMLDocument) -> None:
            # Re-key the TOML tables themselves (in order) so comments inside them survive.
            tables = doc.get("watchlists")
            if isinstance(tables, Table) and old in tables and new != old:
                entries = [(key, tables[key], tables[key].trivia.indent) for key in tables]
                for key, _, _ in entries:
                    del tables[key]
                for key, item, indent in entries:
                    renamed = new if key == old else key
                    tables[renamed] = item
                    # Re-adding gives the first table an extra blank line; keep the user's.
                    tables[renamed].trivia.indent = indent

        self._change(apply, move_table)
        return self.get(new)

    def delete(self, name: str) -> None:
        def apply(state: WatchlistsFile) -> None:
            self._require(state, name)
            del state.watchlists[name]
            if state.active == name:
                state.active = None

        self._change(apply)

    def add_symbols(self, name: str, symbols: Iterable[str]) -> Watchlist:
        """Append the symbols not already listed (order kept); returns the watchlist as saved."""
        wanted = [normalize_symbol(s) for s in symbols]

        def apply(state: WatchlistsFile) -> None:
            entry = self._require(state, name)
            entry.symbols = _unique([*entry.symbols, *wanted])

        self._change(apply)
        return self.get(name)

    def remove_symbols(self, name: str, symbols: Iterable[str]) -> Watchlist:
        """Remove the symbols; refuses (changing nothing) if one of them is not listed."""
        unwanted = [normalize_symbol(s) for s in symbols]

        def apply(state: WatchlistsFile) -> None:
            entry = self._require(state, name)
            missing = [s for s in unwanted if s not in entry.symbols]
            if missing:
                listed = ", ".join(entry.symbols) or "no symbols"
                raise WatchlistError(
                    f"{', '.join(missing)} not in watchlist {name!r} (it has {listed})"
                )
            entry.symbols = [s for s in entry.symbols if s not in unwanted]

        self._change(apply)
        return self.get(name)

    def set_venues(self, name: str, venues: Iterable[str]) -> Watchlist:
        chosen = _unique(v.strip().lower() for v in venues if v.strip())

        def apply(state: WatchlistsFile) -> None:
            self._require(state, name).venues = chosen

        self._change(apply)
        return self.get(name)

    def set_alert(self, name: str, route: str, net_bps: float | None) -> Watchlist:
        """Set (or with None, clear) the alert threshold of a route id or glob."""
        if net_bps is not None and not math.isfinite(net_bps):
            raise WatchlistError(f"alert threshold for {route!r} must be a finite number of bps")

        def apply(state: WatchlistsFile) -> None:
            entry = self._require(state, name)
            if net_bps is None:
                entry.alerts.pop(route, None)
            else:
                entry.alerts[route] = float(net_bps)

        self._change(apply)
        return self.get(name)

    def set_active(self, name: str | None) -> None:
        def apply(state: WatchlistsFile) -> None:
            if name is not None:
                self._require(state, name)
            state.active = name

        self._change(apply)

    # --- internals ----------------------------------------------------------------

    def _public(self, name: str) -> Watchlist:
        return Watchlist(name=name, **self._state.watchlists[name].model_dump())

    @staticmethod
    def _require(state: WatchlistsFile, name: str) -> WatchlistEntry:
        if name not in state.watchlists:
            raise UnknownWatchlistError(name, state.watchlists)
        return state.watchlists[name]

    def _read(self) -> tuple[WatchlistsFile, TOMLDocument | None, list[Problem]]:
        read = read_toml(self.path)
        if read.problems or read.document is None:
            return WatchlistsFile(), None, read.problems
        try:
            return WatchlistsFile.model_validate(read.document.unwrap()), read.document, []
        except ValidationError as exc:
            return WatchlistsFile(), None, validation_problems(self.path, read.text, exc)

    def _change(
        self,
        apply: Callable[[WatchlistsFile], None],
        edit_document: Callable[[TOMLDocument], None] | None = None,
    ) -> None:
        """Lock, re-read what is on disk now, apply, validate, write atomically.

        Raises `WatchlistFileError` when the file may not be replaced: one that
        does not load is refused before the change is even tried, so the user
        hears about the file, not about a watchlist it seems to lack.
        """
        with file_lock(self.path, timeout_s=self.lock_timeout_s):
            state, doc, problems = self._read()
            if problems:
                self.problems = tuple(problems)
                error = BrokenFileError(self.path, problems)
                raise WatchlistFileError(str(error)) from error
            apply(state)
            try:
                state = WatchlistsFile.model_validate(state.model_dump())
            except ValidationError as exc:
                raise WatchlistError("; ".join(str(e["msg"]) for e in exc.errors())) from exc
            doc = doc if doc is not None else _new_document()
            if edit_document is not None:
                edit_document(doc)
            merge_model(doc, state.model_dump(mode="json"), WatchlistsFile)
            try:
                atomic_write_text(self.path, tomlkit.dumps(doc))
            except FileRefusedError as exc:
                raise WatchlistFileError(str(exc)) from exc
        self._state = state
        self.problems = ()


def _new_document() -> TOMLDocument:
    doc = tomlkit.document()
    doc.add(tomlkit.comment("arbscope watchlists: `arbscope watchlist --help`, or w in the app."))
    doc.add(tomlkit.comment("Comments and keys arbscope does not know are kept when it saves."))
    doc.add("schema_version", WATCHLISTS_SCHEMA_VERSION)
    return doc


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
