"""`arbscope config path|show|check`: where the files are, what arbscope runs with, what is wrong.

`check` exits 2 when settings.toml, watchlists.toml or a user theme does not
load (not TOML, not UTF-8, a bad value, a FIFO in its place ...), listing each
problem as `file, line N: field: reason`.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import tomlkit
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from arbscope.cli import EXIT_OK, EXIT_USAGE
from arbscope.storage import paths
from arbscope.storage.settings import Settings, VenueSettings, load_settings
from arbscope.storage.watchlists import WatchlistStore


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "config",
        help="where settings live, what they are, whether they load",
        description="Show where arbscope keeps its files and check that they load.",
    )
    actions = parser.add_subparsers(dest="config_action", metavar="ACTION", required=True)
    actions.add_parser(
        "path",
        help="the files and folders arbscope uses",
        description="Print the settings, watchlists and themes files and the data folder "
        "(ARBSCOPE_CONFIG_DIR and ARBSCOPE_DATA_DIR override them).",
    ).set_defaults(handler=show_paths)
    actions.add_parser(
        "show",
        help="the settings arbscope runs with, every field with its meaning",
        description="Print the effective settings (the file over the defaults) as TOML.",
    ).set_defaults(handler=show_settings)
    actions.add_parser(
        "check",
        help="check settings, watchlists and user themes; exit 2 if one does not load",
        description="Load every file arbscope reads and report each problem with its line.",
    ).set_defaults(handler=check)


def show_paths(args: argparse.Namespace) -> int:
    rows = (
        ("settings", paths.settings_file()),
        ("watchlists", paths.watchlists_file()),
        ("themes", paths.user_themes_dir()),
        ("trade log", paths.trades_db()),
    )
    for label, path in rows:
        state = "" if path.exists() else "  (not created yet)"
        print(f"{label:<11}{path}{state}")
    return EXIT_OK


def settings_as_toml(settings: Settings) -> str:
    """Every field, section by section, each preceded by its one-line meaning and default:
    the reference a user edits from."""
    doc = tomlkit.document()
    data, defaults = settings.model_dump(mode="json"), Settings().model_dump(mode="json")
    for key, info in Settings.model_fields.items():
        if not isinstance(data.get(key), dict):
            doc.add(tomlkit.nl())
            _add_field(doc, key, info, data[key], defaults[key])
    for key, info in Settings.model_fields.items():
        if not isinstance(data.get(key), dict):
            continue
        table = tomlkit.table()
        table.add(tomlkit.comment(" ".join((info.description or "").split())))
        model = _model_of(info)
        if model is not None:
            for name, field in model.model_fields.items():
                if name in data[key]:
                    _add_field(table, name, field, data[key][name], defaults[key][name])
        else:
            # venues: what a venue may set, then each venue's own table.
            venue_defaults = VenueSettings().model_dump(mode="json")
            for name, field in VenueSettings.model_fields.items():
                table.add(tomlkit.comment(f"NAME.{_one_line(name, field, venue_defaults[name])}"))
            for venue, values in data[key].items():
                table.add(venue, _inline(_without_none(values)))
        doc.add(key, table)
    return tomlkit.dumps(doc)


def _add_field(table: Any, key: str, info: FieldInfo, value: Any, default: Any) -> None:
    table.add(tomlkit.comment(_one_line(key, info, default)))
    if value is None:
        table.add(tomlkit.comment(f"{key} is unset"))
    else:
        table.add(key, _inline(_without_none(value)) if isinstance(value, dict) else value)


def _one_line(key: str, info: FieldInfo, default: Any) -> str:
    """`key: meaning (default: X)`, the field's docstring on one line."""
    meaning = " ".join((info.description or "").split())
    shown = "unset" if default is None else json.dumps(default)
    return f"{key}: {meaning} (default: {shown})"


def _model_of(info: FieldInfo) -> type[BaseModel] | None:
    annotation = info.annotation
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _inline(value: dict[str, Any]) -> Any:
    # Inline, so a table-valued field stays under its own comment inside its section.
    table = tomlkit.inline_table()
    for key, item in value.items():
        table.append(key, _inline(item) if isinstance(item, dict) else item)
    return table


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    return value


def show_settings(args: argparse.Namespace) -> int:
    loaded = load_settings()
    if loaded.message:
        print(loaded.message, file=sys.stderr)
    source = loaded.path if loaded.exists and loaded.ok else "defaults only"
    print(f"# Effective settings ({source}); `arbscope config check` checks the file.")
    print(settings_as_toml(loaded.settings), end="")
    return EXIT_OK


def check(args: argparse.Namespace) -> int:
    problems: list[str] = []
    loaded = load_settings()
    problems += [str(problem) for problem in loaded.problems]
    for note in loaded.notes:
        print(f"note: {loaded.path.name}: {note}")
    store = WatchlistStore()
    problems += [str(problem) for problem in store.problems]
    theme_names, theme_problems = _check_themes()
    problems += theme_problems
    if loaded.ok and theme_names is not None and loaded.settings.ui.theme not in theme_names:
        known = ", ".join(sorted(theme_names))
        print(f"note: theme {loaded.settings.ui.theme!r} is not installed ({known}); "
              "the app starts with the default theme")
    if problems:
        print("arbscope config: error: these files do not load, so arbscope runs without them:",
              file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        print("Fix them by hand: arbscope never saves over a file that does not load.",
              file=sys.stderr)
        return EXIT_USAGE
    described = "found" if loaded.exists else "not created yet, defaults apply"
    print(f"ok: {loaded.path} ({described})")
    print(f"ok: {store.path} ({len(store.names())} watchlist(s))")
    if theme_names is not None:
        print(f"ok: {paths.user_themes_dir()} ({len(theme_names)} theme(s) available)")
    return EXIT_OK


def _check_themes() -> tuple[set[str] | None, list[str]]:
    """Names of every theme (built-in and user), and the user theme files that do not load."""
    try:
        from arbscope.ui.themes import builtin_themes_dir, load_themes
    except ImportError:  # the UI is optional for this check
        return None, []
    loaded = load_themes([builtin_themes_dir(), paths.user_themes_dir()])
    return set(loaded.themes), [str(error) for error in loaded.errors]
