"""Bring an older `settings.toml` layout up to `SCHEMA_VERSION`.

Working on the TOML document (not on a plain dict) keeps the user's comments
and unknown keys through a migration. Each step takes version N to N+1 and returns
one note per change, so the user can be told what moved where.

Version 0 is the layout before `schema_version` existed:

```toml
max_book_age = 4                 # seconds; now `max_book_age_s`
[fee_overrides]                  # flat venue -> taker fee; now venues.<id>.taker_fee
binance = 0.00075
kraken = { taker = 0.0026, maker = 0.0016 }
```

Version 1 was flat (`trade_notional = 1000`, `theme = "nord"` at the top);
version 2 puts each key in the section of the model that uses it (`[engine]`,
`[risk]`, `[paper]`, `[ui]`), see `FLAT_KEYS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import tomlkit
from tomlkit.items import AoT, Comment, InlineTable, Item, Key, Table, Whitespace
from tomlkit.toml_document import TOMLDocument

SCHEMA_VERSION = 2
"""The layout this arbscope writes (mirrored as `Settings.schema_version`'s default)."""


class MigrationError(ValueError):
    """The file claims or has a layout that cannot be brought up to date."""

    def __init__(self, key: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.key = key
        """Key path the problem is about, to find its line."""


def _v0_to_v1(doc: TOMLDocument) -> tuple[TOMLDocument, list[str]]:
    notes: list[str] = []
    if "max_book_age" in doc:
        if "max_book_age_s" in doc:
            raise MigrationError(
                ("max_book_age",),
                "max_book_age (old name) and max_book_age_s are both set; keep only max_book_age_s",
            )
        doc["max_book_age_s"] = doc["max_book_age"]
        del doc["max_book_age"]
        notes.append("max_book_age was renamed max_book_age_s")
    if "fee_overrides" in doc:
        fees = doc["fee_overrides"]
        if not isinstance(fees, Table | InlineTable):
            raise MigrationError(
                ("fee_overrides",),
                "fee_overrides (old layout) must be a table of venue = taker fee, "
                "for example binance = 0.001",
            )
        if "venues" not in doc:
            doc["venues"] = tomlkit.table(is_super_table=True)
        venues = doc["venues"]
        if not isinstance(venues, Table | InlineTable):
            raise MigrationError(("venues",), "venues must be a table of per-venue settings")
        for venue, fee in fees.items():
            venue_fees = _venue_fees(venue, fee)
            if venue not in venues:
                venues[venue] = {}
            target = venues[venue]
            if not isinstance(target, Table | InlineTable):
                raise MigrationError(("venues", venue), f"venues.{venue} must be a table")
            for key, rate in venue_fees.items():
                if key in target and target[key] != rate:
                    raise MigrationError(
                        ("fee_overrides", venue),
                        f"fee_overrides.{venue} (old layout) disagrees with venues.{venue}.{key}; "
                        "keep only the venues one",
                    )
                target[key] = rate
            notes.append(f"fee_overrides.{venue} moved to venues.{venue}")
        del doc["fee_overrides"]
    return doc, notes


def _venue_fees(venue: str, fee: object) -> dict[str, float]:
    """Old `fee_overrides` entry: a number (taker fee) or `{taker = .., maker = ..}`."""
    if isinstance(fee, int | float) and not isinstance(fee, bool):
        return {"taker_fee": float(fee)}
    if isinstance(fee, Table | InlineTable) and set(fee) <= {"taker", "maker"}:
        out = {}
        for old, new in (("taker", "taker_fee"), ("maker", "maker_fee")):
            if old in fee:
                value = fee[old]
                if not isinstance(value, int | float) or isinstance(value, bool):
                    break
                out[new] = float(value)
        else:
            return out
    raise MigrationError(
        ("fee_overrides", venue),
        f"fee_overrides.{venue} (old layout) must be a fee such as 0.001 "
        "or a table such as { taker = 0.001, maker = 0.0008 }",
    )


FLAT_KEYS: dict[str, tuple[str, str]] = {
    "trade_notional": ("engine", "trade_notional"),
    "reference_currency": ("engine", "reference_currency"),
    "kinds": ("engine", "kinds"),
    "max_book_age_s": ("engine", "default_max_book_age"),
    "min_net_bps": ("engine", "min_net_bps"),
    "stat_window_s": ("engine", "stat_window_s"),
    "stat_min_samples": ("engine", "stat_min_samples"),
    "stat_entry_z": ("engine", "stat_entry_z"),
    "stat_exit_z": ("engine", "stat_exit_z"),
    "fx_static_rates": ("engine", "fx_static_rates"),
    "withdrawal_fees": ("engine", "withdrawal_fees"),
    "min_profit_threshold": ("risk", "min_net_profit"),
    "risk_thin_edge_bps": ("risk", "thin_edge_bps"),
    "risk_freshness_warn_fraction": ("risk", "freshness_warn_fraction"),
    "risk_depth_warn_fraction": ("risk", "depth_warn_fraction"),
    "risk_balance_warn_fraction": ("risk", "balance_warn_fraction"),
    "risk_volatility_warn_ratio": ("risk", "volatility_warn_ratio"),
    "paper_limit_tolerance_bps": ("paper", "limit_tolerance_bps"),
    "stat_auto_close": ("paper", "stat_auto_close"),
    "starting_balances": ("paper", "starting_balances"),
    "refresh_hz": ("ui", "refresh_hz"),
    "theme": ("ui", "theme"),
    "alert_bell": ("ui", "alert_bell"),
    "trade_notional_step": ("ui", "trade_notional_step"),
}
"""Version 1's top-level keys and where version 2 keeps them: (section, key)."""

_SECTION_ORDER = ("engine", "risk", "paper", "ui")


def flat_origin(loc: tuple[str | int, ...], version: int) -> tuple[str | int, ...] | None:
    """Where a key path of today's layout was written in a file of an older `version`
    (`("ui", "refresh_hz")` came from `("refresh_hz",)`), to name the user's own key on
    its line; None when the key did not move."""
    for old, (section, new) in FLAT_KEYS.items():
        if version < SCHEMA_VERSION and tuple(loc[:2]) == (section, new):
            if version == 0 and old == "max_book_age_s":
                old = "max_book_age"
            return (old, *loc[2:])
    return None


def _v1_to_v2(doc: TOMLDocument) -> tuple[TOMLDocument, list[str]]:
    """Rebuild the document with each flat key in its section. A key takes along the
    comment lines right above it and its end-of-line comment; everything else (unknown
    keys, [venues] tables, blank lines) stays where it was."""
    for old, (section, new) in FLAT_KEYS.items():
        if old in doc and section in doc:
            raise MigrationError(
                (old,), f"{old} (old layout, at the top) and a [{section}] table are both "
                f"set; move it into [{section}] as {new}",
            )
    sections = {name: tomlkit.table() for name in _SECTION_ORDER}
    notes: list[str] = []
    out = _Rebuilt()
    pending: list[Comment] = []  # comment lines waiting to learn which key they describe
    placed = False

    def flush() -> None:
        for comment in pending:
            out.add(None, comment)
        pending.clear()

    def place_sections() -> None:
        nonlocal placed
        for name, table in sections.items():
            if table.value.body:
                out.add(name, table)
        placed = True

    for key, item in doc.body:
        if key is None:
            if isinstance(item, Comment):
                pending.append(item)
            else:  # a blank line ends the comment block above a key
                flush()
                out.gap = True
            continue
        if "schema_version" not in out.doc and "schema_version" not in doc:
            # Written first, where a reader looks for it (`migrate` sets its value).
            out.doc.add("schema_version", 1)
        name = key.key
        if name in FLAT_KEYS:
            section, new = FLAT_KEYS[name]
            for comment in pending:
                sections[section].add(comment)
            pending.clear()
            if isinstance(item, Table):
                _trim_blank_tail(item)
            sections[section].add(new, item)
            notes.append(f"{name} moved to [{section}] {new}")
            continue
        flush()
        if not placed and isinstance(item, Table | AoT):
            place_sections()
        out.add(key, item)
    flush()
    if not placed:
        place_sections()
    body = out.doc.body
    if body and isinstance(body[-1][1], Table) and body[-1][1] is not doc.body[-1][1]:
        _trim_blank_tail(body[-1][1])  # a table that now ends the file ends without a blank
    return out.doc, notes


class _Rebuilt:
    """A document being rebuilt item by item, keeping the blank lines between them.

    A blank line is placed when the next item comes (never two in a row where a moved
    key left a gap), and between keys it goes into the line ending of the key above:
    tomlkit moves a key added after a trailing blank line above that line.
    """

    def __init__(self) -> None:
        self.doc = tomlkit.document()
        self.gap = False
        """A blank line was seen since the last item."""

    def add(self, key: Key | str | None, item: Item) -> None:
        last = self.doc.body[-1][1] if self.doc.body else None
        if self.gap and last is not None and not isinstance(last, Whitespace):
            if not isinstance(item, Table | AoT | Comment):
                last.trivia.trail += "\n"
            elif not isinstance(last, Table | AoT):  # tomlkit itself separates tables
                self.doc.add(tomlkit.nl())
        self.gap = False
        if key is None:
            self.doc.add(item)  # type: ignore[arg-type]
        else:
            self.doc.add(key, item)


def _trim_blank_tail(table: Table) -> None:
    """Drop the blank lines that end `table` (they separated it from the table after it)."""
    body = table.value.body
    while body and body[-1][0] is None and isinstance(body[-1][1], Whitespace):
        body.pop()
    if body and isinstance(body[-1][1], Table):
        _trim_blank_tail(body[-1][1])


MIGRATIONS: dict[int, Callable[[TOMLDocument], tuple[TOMLDocument, list[str]]]] = {
    0: _v0_to_v1,
    1: _v1_to_v2,
}
"""Step from version N (the key) to N+1: the document in the new layout and what moved."""


@dataclass(frozen=True, slots=True)
class Migrated:
    """A document brought up to `SCHEMA_VERSION`."""

    document: TOMLDocument
    found: int
    """The version the file was in (`SCHEMA_VERSION` when nothing was migrated)."""
    declared: bool
    """Whether the file said its version (`schema_version`) or it was told by its keys."""
    notes: list[str]
    """One line per key that moved."""


def migrate(doc: TOMLDocument) -> Migrated:
    """`doc` in the layout of SCHEMA_VERSION (`doc` itself may be edited on the way)."""
    declared = "schema_version" in doc
    found = doc.get("schema_version", _version_by_shape(doc))
    if not isinstance(found, int) or isinstance(found, bool) or found < 0:
        raise MigrationError(
            ("schema_version",), f"schema_version must be a whole number, found {found!r}"
        )
    if found > SCHEMA_VERSION:
        raise MigrationError(
            ("schema_version",),
            f"schema_version {found} was written by a newer arbscope "
            f"(this one reads up to {SCHEMA_VERSION}); upgrade arbscope to use this file",
        )
    notes: list[str] = []
    version = int(found)
    while version < SCHEMA_VERSION:
        doc, moved = MIGRATIONS[version](doc)
        notes += moved
        version += 1
    if found != SCHEMA_VERSION:
        doc["schema_version"] = SCHEMA_VERSION
    return Migrated(doc, int(found), declared, notes)


def _version_by_shape(doc: TOMLDocument) -> int:
    """The layout of a file without `schema_version`: a hand-written file in today's
    sections is today's, only old keys at the top make it an older one."""
    if "max_book_age" in doc or "fee_overrides" in doc:
        return 0
    if any(key in doc for key in FLAT_KEYS):
        return 1
    return SCHEMA_VERSION
