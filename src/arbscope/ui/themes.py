"""Theme files: a TOML file validated by a pydantic model, turned into a Textual `Theme`.

Built-in themes ship inside the package (`arbscope/themes/*.toml`); the user's
own live in the config folder (`themes/*.toml`) and win over a built-in of the
same name. A file that does not load (unreadable, not UTF-8, not TOML, nested
too deeply, a colour that is not one, a FIFO in its place) is reported by
path and line with what is wrong, next to the themes that did load (as
posting does), and never stops the app.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from textual.color import Color, ColorParseError
from textual.css.tokenize import tokenize_value
from textual.css.tokenizer import TokenError
from textual.theme import Theme

from arbscope.storage.tomlfile import locate_key
from arbscope.storage.userfile import FileRefusedError, read_regular_bytes

DEFAULT_THEME = "arbscope-dark"

APP_VARIABLES = (
    "bid",
    "ask",
    "heat-pos",
    "heat-neg",
    "heat-zero",
    "pass",
    "warn",
    "fail",
    "muted",
    "source-sim",
    "source-replay",
    "source-live",
)
"""Variables every arbscope theme defines; panes and TCSS use only these names."""


def _check_colour(value: str) -> str:
    try:
        Color.parse(value)
    except ColorParseError as error:
        raise ValueError(f"{value!r} is not a colour (use #RRGGBB, rgb(...) or a name)") from error
    return value


@cache
def _textual_colour_variables() -> frozenset[str]:
    """Textual's own theme variables that hold a colour (others hold styles: `bold`)."""
    defaults = Theme(name="probe", primary="#000000").to_color_system().generate()
    colours = set()
    for name, value in defaults.items():
        try:
            Color.parse(value)
        except ColorParseError:
            continue
        colours.add(name)
    return frozenset(colours)


def _check_extra_variable(name: str, value: object) -> None:
    """An extra `[variables]` entry must be a value Textual's CSS can use, or the monitor
    would fail when the theme is applied rather than when the file is read."""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string such as \"#F0B429\"")
    if name in _textual_colour_variables():
        try:
            _check_colour(value)
        except ValueError as error:
            raise ValueError(f"{name} = {error}") from None
        return
    try:
        tokens = list(tokenize_value(value, ("__name__", "")))
    except TokenError:
        raise ValueError(f"{name} = {value!r} is not a CSS value") from None
    if any(token.name == "variable_ref" for token in tokens):
        raise ValueError(f"{name} = {value!r} may not refer to another variable")


class ThemeColours(BaseModel):
    """The `[variables]` table: arbscope's own colours plus optional Textual variables."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    bid: str
    """Bid prices and the buy side of a book."""
    ask: str
    """Ask prices and the sell side of a book."""
    heat_pos: str = Field(alias="heat-pos")
    """Heatmap colour of the most profitable cell (positive bps)."""
    heat_neg: str = Field(alias="heat-neg")
    """Heatmap colour of the most losing cell (negative bps)."""
    heat_zero: str = Field(alias="heat-zero")
    """Heatmap colour of zero bps, the middle of the diverging scale."""
    pass_: str = Field(alias="pass")
    """A risk check that passes; positive net figures."""
    warn: str
    """A risk check that warns; stale or thin data."""
    fail: str
    """A risk check that fails; negative net figures."""
    muted: str
    """Secondary text: ages, units, axis labels."""
    source_sim: str = Field(alias="source-sim")
    """Status-bar badge when the books are simulated."""
    source_replay: str = Field(alias="source-replay")
    """Status-bar badge when the books are replayed from a recording."""
    source_live: str = Field(alias="source-live")
    """Status-bar badge when the books are live from exchanges."""

    @field_validator(
        "bid", "ask", "heat_pos", "heat_neg", "heat_zero", "pass_", "warn", "fail",
        "muted", "source_sim", "source_replay", "source_live",
    )
    @classmethod
    def _is_colour(cls, value: str) -> str:
        return _check_colour(value)

    @model_validator(mode="after")
    def _extras_are_css_values(self) -> ThemeColours:
        for name, value in (self.model_extra or {}).items():
            _check_extra_variable(name, value)
        return self

    def as_variables(self) -> dict[str, str]:
        """Textual variable name -> value, arbscope's and any extra Textual ones."""
        return {key: str(value) for key, value in self.model_dump(by_alias=True).items()}


class ThemeFile(BaseModel):
    """One theme file. Field names follow Textual's `Theme`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    """What the theme picker shows and `Settings.theme` names."""
    description: str = ""
    """One line saying what the theme is for."""
    dark: bool = True
    """Whether the background is dark (Textual derives shades from it)."""
    primary: str
    """Focus borders, the table cursor, titles."""
    secondary: str | None = None
    accent: str | None = None
    warning: str | None = None
    error: str | None = None
    success: str | None = None
    foreground: str | None = None
    """Default text colour."""
    background: str | None = None
    """Screen background."""
    surface: str | None = None
    """Pane background."""
    panel: str | None = None
    """Borders and panel shading."""
    luminosity_spread: float = Field(default=0.15, ge=0, le=1)
    """How far Textual's derived shades step from each base colour."""
    text_alpha: float = Field(default=0.95, gt=0, le=1)
    """Opacity of default text over its background."""
    variables: ThemeColours
    """arbscope's colours (`bid`, `ask`, `heat-pos` ...), see `APP_VARIABLES`."""

    @field_validator(
        "primary", "secondary", "accent", "warning", "error", "success",
        "foreground", "background", "surface", "panel",
    )
    @classmethod
    def _is_colour(cls, value: str | None) -> str | None:
        return None if value is None else _check_colour(value)

    def to_textual(self) -> Theme:
        return Theme(
            name=self.name,
            primary=self.primary,
            secondary=self.secondary,
            accent=self.accent,
            warning=self.warning,
            error=self.error,
            success=self.success,
            foreground=self.foreground,
            background=self.background,
            surface=self.surface,
            panel=self.panel,
            dark=self.dark,
            luminosity_spread=self.luminosity_spread,
            text_alpha=self.text_alpha,
            variables=self.variables.as_variables(),
        )


class ThemeFileError(ValueError):
    """A theme file that did not load: which file, which line when known, what is wrong."""

    def __init__(self, path: Path, problem: str, line: int | None = None) -> None:
        where = f"{path}, line {line}" if line else str(path)
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.problem = problem
        self.line = line


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "file"
        # pydantic prefixes messages of custom validators; the user needs only the reason.
        parts.append(f"{where}: {str(item['msg']).removeprefix('Value error, ')}")
    return "; ".join(parts)


_TOML_POSITION = re.compile(r"\(at line (\d+), column \d+\)")


def load_theme_file(path: Path) -> ThemeFile:
    """Read, parse and validate one file; `ThemeFileError` says what is wrong and where.

    Every way a file can fail ends here, so one bad file never stops the app.
    """
    try:
        raw = read_regular_bytes(path)
    except FileRefusedError as error:
        raise ThemeFileError(path, error.reason) from error
    except OSError as error:
        raise ThemeFileError(path, f"cannot be read ({error.strerror or error})") from error
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        bad_line = raw[: error.start].count(b"\n") + 1
        raise ThemeFileError(path, "is not UTF-8 text; save it as UTF-8", bad_line) from error
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = _TOML_POSITION.search(str(error))
        line = int(found.group(1)) if found else None
        reason = _TOML_POSITION.sub("", str(error)).strip()
        raise ThemeFileError(path, f"is not valid TOML: {reason}", line) from error
    except RecursionError:
        raise ThemeFileError(path, "is nested too deeply to read; a theme is flat") from None
    try:
        theme = ThemeFile.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]["loc"] if error.error_count() else ()
        raise ThemeFileError(path, _describe(error), locate_key(text, first)) from error
    except RecursionError:
        raise ThemeFileError(path, "is nested too deeply to read; a theme is flat") from None
    return theme


@dataclass(frozen=True)
class LoadedThemes:
    """Themes by name in load order, and the files that failed."""

    themes: dict[str, ThemeFile] = field(default_factory=dict)
    errors: list[ThemeFileError] = field(default_factory=list)


def builtin_themes_dir() -> Path:
    """The themes shipped inside the package."""
    return Path(str(files("arbscope").joinpath("themes")))


def load_themes(folders: Iterable[Path]) -> LoadedThemes:
    """Every `*.toml` in each folder, in order; a later theme of the same name wins."""
    loaded = LoadedThemes()
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                theme = load_theme_file(path)
            except ThemeFileError as error:
                loaded.errors.append(error)
                continue
            loaded.themes[theme.name] = theme
    return loaded


def default_variables(loaded: LoadedThemes) -> dict[str, str]:
    """Fallback values for the app variables, from the default theme (TCSS needs every name)."""
    theme = loaded.themes.get(DEFAULT_THEME) or next(iter(loaded.themes.values()), None)
    if theme is None:
        raise RuntimeError(
            f"no theme could be loaded from {builtin_themes_dir()}: reinstall arbscope"
        )
    return {name: value for name, value in theme.variables.as_variables().items()
            if name in APP_VARIABLES}
