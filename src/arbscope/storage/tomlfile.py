"""TOML files the user may edit by hand: read with precise problems, write back keeping their text.

Both `settings.toml` and `watchlists.toml` follow the same rules:

* reading never raises for a bad file: it returns `Problem`s naming the file,
  the line and what is wrong, and the caller runs with defaults; anything
  but a regular file (a FIFO, a folder) is such a problem, found without
  opening it;
* a file that does not load is never replaced: a save raises
  `BrokenFileError` with its problems, so a typo never costs the rest;
* writing merges the new values into the *document as it is on disk*
  (tomlkit keeps comments, order and keys arbscope does not know), so a
  round trip changes only what the app changed.
"""

from __future__ import annotations

import functools
import re
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import tomlkit
from pydantic import BaseModel, ValidationError
from tomlkit.container import Container
from tomlkit.exceptions import ParseError, TOMLKitError
from tomlkit.items import InlineTable, Table
from tomlkit.toml_document import TOMLDocument

from arbscope.storage.userfile import FileRefusedError, read_regular_bytes


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with a file the user owns, precise enough to fix by hand."""

    file: Path
    line: int | None
    """1-based line the problem is on, None when it cannot be pinned to one."""
    message: str

    def __str__(self) -> str:
        where = f"{self.file}, line {self.line}" if self.line else str(self.file)
        return f"{where}: {self.message}"


@dataclass(slots=True)
class ReadResult:
    """A TOML file as found on disk."""

    path: Path
    exists: bool
    text: str = ""
    document: TOMLDocument | None = None
    """None when the file is missing (callers start a new document) or does not parse."""
    problems: list[Problem] = field(default_factory=list)


class BrokenFileError(FileRefusedError):
    """A save refused because the file on disk does not load: writing would lose what it holds."""

    def __init__(self, path: Path, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        listed = "".join(f"\n  {problem}" for problem in self.problems)
        super().__init__(
            path,
            f"does not load, so nothing was saved over it:{listed}\n"
            "Fix the line(s) named above by hand (`arbscope config check` checks again), "
            "or move the file away to start a new one.",
        )


_POSITION_SUFFIX = re.compile(r"\s+at line \d+ col \d+$")


def read_toml(path: Path) -> ReadResult:
    """Read and parse `path`; a missing file is an empty document, a bad one a problem."""
    try:
        raw = read_regular_bytes(path)
    except FileNotFoundError:
        return ReadResult(path=path, exists=False)
    except FileRefusedError as exc:
        return ReadResult(path, True, problems=[Problem(path, None, exc.reason)])
    except OSError as exc:
        return ReadResult(path, True, problems=[Problem(path, None, f"cannot be read: {exc}")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return ReadResult(path, True, problems=[Problem(path, line, "is not UTF-8 text")])
    try:
        document = tomlkit.parse(text)
    except ParseError as exc:
        reason = _POSITION_SUFFIX.sub("", str(exc))
        # tomlkit reports running out of text as the character NUL.
        reason = reason.replace("Unexpected character: '\\x00'", "unexpected end of file")
        message = f"not valid TOML: {reason} (column {exc.col})"
        return ReadResult(path, True, text, problems=[Problem(path, exc.line, message)])
    except TOMLKitError as exc:
        # e.g. a key defined twice: tomlkit names the key but not the line.
        problem = Problem(path, None, f"not valid TOML: {exc}")
        return ReadResult(path, True, text, problems=[problem])
    return ReadResult(path, True, text, document)


# --- where a key is written ------------------------------------------------------------

_BARE_OR_QUOTED = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_DOTTED = rf"{_BARE_OR_QUOTED}(?:\s*\.\s*{_BARE_OR_QUOTED})*"
_HEADER = re.compile(rf"^\s*\[\[?\s*({_DOTTED})\s*\]\]?")
_KEY_LINE = re.compile(rf"^\s*({_DOTTED})\s*=")
_INLINE_KEY = re.compile(rf"({_DOTTED})\s*=")


def _split_dotted(dotted: str) -> list[str]:
    parts = re.findall(_BARE_OR_QUOTED, dotted)
    return [p[1:-1] if p[:1] in "\"'" else p for p in parts]


def locate_key(text: str, loc: Sequence[str | int]) -> int | None:
    """The 1-based line that best matches the key path `loc`, found by reading the text.

    tomlkit does not keep line numbers, so this scans table headers and
    `key =` lines (including keys inside one-line inline tables) and picks the
    line whose full key path is the longest prefix of `loc`.
    """
    wanted = [str(part) for part in loc if isinstance(part, str)]
    best_line: int | None = None
    best_len = 0
    table: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        candidates: list[list[str]] = []
        if header:
            table = _split_dotted(header.group(1))
            candidates.append(table)
        else:
            key = _KEY_LINE.match(line)
            if key:
                path = table + _split_dotted(key.group(1))
                candidates.append(path)
                rest = line[key.end():]
                if "{" in rest:
                    candidates += [path + _split_dotted(k) for k in _INLINE_KEY.findall(rest)]
        for path in candidates:
            if len(path) > best_len and wanted[: len(path)] == path:
                best_line, best_len = number, len(path)
    return best_line


def validation_problems(
    path: Path, text: str, exc: ValidationError,
    as_written: Callable[[tuple[str | int, ...]], tuple[str | int, ...]] | None = None,
) -> list[Problem]:
    """One problem per pydantic error, with the field's dotted name, the reason and the line.

    `as_written` maps a model's key path to the one in the file when a migration moved
    keys, so the problem names the key the user wrote, on the line they wrote it.
    """
    problems = []
    for error in exc.errors():
        loc = as_written(tuple(error["loc"])) if as_written else tuple(error["loc"])
        dotted = ".".join(str(part) for part in loc) or "(whole file)"
        # pydantic prefixes messages of custom validators; the user needs only the reason.
        reason = str(error["msg"]).removeprefix("Value error, ")
        value = error.get("input")
        got = "" if isinstance(value, dict) or value is None else f" (found {value!r})"
        problems.append(Problem(path, locate_key(text, loc), f"{dotted}: {reason}{got}"))
    return problems


# --- merging new values into the document on disk ------------------------------------


@dataclass(frozen=True, slots=True)
class MapOf:
    """A table whose keys the user chooses (venue ids, currencies...): a missing key is deleted."""

    value: Shape


Shape = type[BaseModel] | MapOf | None
"""How a value is laid out: a model (unknown keys kept), a user-keyed map, or a plain value."""


def shape_of(annotation: Any) -> Shape:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = get_origin(annotation)
    if origin in (dict, Mapping):
        args = get_args(annotation)
        return MapOf(shape_of(args[1]) if len(args) == 2 else None)
    if origin in (Union, types.UnionType):
        inner = [a for a in get_args(annotation) if a is not type(None)]
        return shape_of(inner[0]) if len(inner) == 1 else None
    return None


TomlTable = Container | Table | InlineTable


def merge_model(table: TomlTable, data: Mapping[str, Any], model: type[BaseModel]) -> None:
    """Write `data` (a `model_dump(mode="json")`, whole or partial) into `table`.

    Keys arbscope does not know are left alone; a known field set to None is
    removed; a known field missing from the file is written only when it
    differs from its default, so a save does not freeze today's defaults.
    """
    for key, value in data.items():
        info = model.model_fields.get(key)
        shape = shape_of(info.annotation) if info is not None else None
        if value is None:
            if key in table:
                del table[key]
            continue
        if key not in table:
            if not _is_default(model, key, value):
                table[key] = fresh_value(value, shape)
            continue
        _merge_value(table, key, value, shape)


def merge_map(table: TomlTable, data: Mapping[str, Any], value_shape: Shape) -> None:
    """Make the user-keyed `table` hold exactly `data`'s keys, merging each value in place."""
    for key in [k for k in table if k not in data]:
        del table[key]
    for key, value in data.items():
        if value is None:
            if key in table:
                del table[key]
        elif key not in table:
            table[key] = fresh_value(value, value_shape)
        else:
            _merge_value(table, key, value, value_shape)


def _merge_value(table: TomlTable, key: str, value: Any, shape: Shape) -> None:
    current = table[key]
    if isinstance(value, dict) and isinstance(current, Table | InlineTable) and shape is not None:
        if isinstance(shape, MapOf):
            merge_map(current, value, shape.value)
        else:
            merge_model(current, value, shape)
        return
    plain = current.unwrap() if hasattr(current, "unwrap") else current
    if plain != value:
        table[key] = fresh_value(value, shape)


def fresh_value(value: Any, shape: Shape) -> Any:
    """`value` ready to insert: no None (TOML has none), model defaults left out."""
    if not isinstance(value, dict):
        return value
    if isinstance(shape, MapOf):
        return {k: fresh_value(v, shape.value) for k, v in value.items() if v is not None}
    if shape is None:
        return {k: v for k, v in value.items() if v is not None}
    out: dict[str, Any] = {}
    for key, item in value.items():
        info = shape.model_fields.get(key)
        if item is None or _is_default(shape, key, item):
            continue
        out[key] = fresh_value(item, shape_of(info.annotation) if info is not None else None)
    return out


def _is_default(model: type[BaseModel], key: str, value: Any) -> bool:
    """True when `value` (JSON form) is the field's default, so need not be written."""
    defaults = _json_defaults(model)
    return key in defaults and defaults[key] == value


@functools.cache
def _json_defaults(model: type[BaseModel]) -> dict[str, Any]:
    """Each defaulted field's default in JSON form, serialised as the model serialises it
    (a set field with an ordering serializer compares as that list, not in hash order)."""
    fields = {
        name: info.get_default(call_default_factory=True)
        for name, info in model.model_fields.items()
        if not info.is_required()
    }
    dumped = model.model_construct(**fields).model_dump(mode="json", include=set(fields))
    return {name: dumped[name] for name in fields if name in dumped}
