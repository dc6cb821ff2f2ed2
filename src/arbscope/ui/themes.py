"""Theme files: a TOML file validated by a pydantic model, turned into a Textual `Theme`.

Built-in themes ship inside the package (`arbscope/themes/*.toml`); the user's
own live in the config folder (`themes/*.toml`) and win over a built-in of the
same name. A file that does not load is reported by path with what is wrong,
next to the themes that did load (as posting does), and never stops the app.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from textual.color import Color, ColorParseError
from textual.theme import Theme

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
    """A theme file that did not load: which file and what is wrong with it."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "file"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def load_theme_file(path: Path) -> ThemeFile:
    """Parse and validate one file; `ThemeFileError` says what is wrong (line for TOML errors)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ThemeFileError(path, f"cannot be read ({error.strerror})") from error
    except tomllib.TOMLDecodeError as error:
        raise ThemeFileError(path, f"is not valid TOML: {error}") from error
    try:
        return ThemeFile.model_validate(data)
    except ValidationError as error:
        raise ThemeFileError(path, _describe(error)) from error


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
