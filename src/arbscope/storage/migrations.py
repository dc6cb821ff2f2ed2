"""Bring an older `settings.toml` layout up to `SCHEMA_VERSION`, editing the document in place.

Working on the document (not on a plain dict) keeps the user's comments and
unknown keys through a migration. Each step takes version N to N+1 and returns
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

import tomlkit
from tomlkit.items import InlineTable, Table
from tomlkit.toml_document import TOMLDocument

SCHEMA_VERSION = 2
"""The layout this arbscope writes (mirrored as `Settings.schema_version`'s default)."""


class MigrationError(ValueError):
    """The file claims or has a layout that cannot be brought up to date."""

    def __init__(self, key: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.key = key
        """Key path the problem is about, to find its line."""


def _v0_to_v1(doc: TOMLDocument) -> list[str]:
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
    return notes


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
    "max_cycle_legs": ("engine", "max_cycle_legs"),
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


def _v1_to_v2(doc: TOMLDocument) -> list[str]:
    notes: list[str] = []
    for old, (section, new) in FLAT_KEYS.items():
        if old not in doc:
            continue
        if section not in doc:
            doc.add(section, tomlkit.table())
        target = doc[section]
        if not isinstance(target, Table | InlineTable):
            raise MigrationError((section,), f"{section} must be a table of settings")
        if new in target:
            raise MigrationError(
                (old,), f"{old} (old layout) and {section}.{new} are both set; keep only one"
            )
        # The item itself moves, so its end-of-line comment goes with it.
        target[new] = doc.item(old)
        del doc[old]
        notes.append(f"{old} moved to [{section}] {new}")
    return notes


MIGRATIONS: dict[int, Callable[[TOMLDocument], list[str]]] = {0: _v0_to_v1, 1: _v1_to_v2}
"""Step from version N (the key) to N+1."""


def migrate(doc: TOMLDocument) -> tuple[int, list[str]]:
    """Migrate `doc` in place to SCHEMA_VERSION; returns (version found, notes of what moved)."""
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
        notes += MIGRATIONS[version](doc)
        version += 1
    if found != SCHEMA_VERSION:
        doc["schema_version"] = SCHEMA_VERSION
    return int(found), notes


def _version_by_shape(doc: TOMLDocument) -> int:
    """The layout of a file without `schema_version`: a hand-written file in today's
    sections is today's, only old keys at the top make it an older one."""
    if "max_book_age" in doc or "fee_overrides" in doc:
        return 0
    if any(key in doc for key in FLAT_KEYS):
        return 1
    return SCHEMA_VERSION
