"""Theme files: every shipped theme is complete and valid; broken files are reported, not fatal."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.color import Color

from arbscope.ui.themes import (
    APP_VARIABLES,
    DEFAULT_THEME,
    ThemeFileError,
    builtin_themes_dir,
    default_variables,
    load_theme_file,
    load_themes,
)
from tests.fifo import fifo_never_read
from tests.ui.bad_themes import good_theme, write_bad_themes

REPO_THEMES = Path(__file__).resolve().parents[2] / "themes"
SHIPPED = sorted(builtin_themes_dir().glob("*.toml"))


def test_the_package_ships_at_least_four_themes_and_the_top_level_folder_is_the_same() -> None:
    names = {path.name for path in SHIPPED}
    assert {"arbscope-dark.toml", "arbscope-light.toml", "arbscope-high-contrast.toml",
            "arbscope-colorblind.toml"} <= names
    assert {path.name for path in REPO_THEMES.glob("*.toml")} == names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_theme_defines_every_app_variable_as_a_colour(path: Path) -> None:
    theme = load_theme_file(path).to_textual()
    assert theme.name == path.stem
    for name in APP_VARIABLES:
        Color.parse(theme.variables[name])  # raises if not a colour


def test_the_light_theme_is_light_and_the_others_dark() -> None:
    loaded = load_themes([builtin_themes_dir()])
    assert not loaded.errors
    assert loaded.themes["arbscope-light"].dark is False
    assert loaded.themes[DEFAULT_THEME].dark is True


def _contrast_ratio(a: Color, b: Color) -> float:
    # WCAG: (L1 + 0.05) / (L2 + 0.05) with relative luminance of linear sRGB.
    def luminance(colour: Color) -> float:
        def linear(channel: int) -> float:
            c = channel / 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

        return 0.2126 * linear(colour.r) + 0.7152 * linear(colour.g) + 0.0722 * linear(colour.b)

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_high_contrast_theme_meets_wcag_aaa_for_text_and_prices() -> None:
    theme = load_themes([builtin_themes_dir()]).themes["arbscope-high-contrast"]
    background = Color.parse(theme.background or "")
    for colour in (theme.foreground, theme.variables.bid, theme.variables.ask,
                   theme.variables.muted, theme.variables.warn):
        assert _contrast_ratio(Color.parse(colour or ""), background) >= 7.0, colour


def _as_deuteranope(colour: Color) -> tuple[float, float, float]:
    """Viénot, Brettel & Mollon (1999) deuteranopia simulation on linear RGB."""
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = linear(colour.r), linear(colour.g), linear(colour.b)
    return (0.29275 * r + 0.70725 * g, 0.29275 * r + 0.70725 * g, -0.02234 * r + 0.02234 * g + b)


def _seen_apart(a: str, b: str) -> float:
    sa, sb = _as_deuteranope(Color.parse(a)), _as_deuteranope(Color.parse(b))
    return sum((x - y) ** 2 for x, y in zip(sa, sb, strict=True)) ** 0.5


def test_colour_blind_theme_keeps_bid_ask_and_gain_loss_apart_for_a_deuteranope() -> None:
    themes = load_themes([builtin_themes_dir()]).themes
    safe = themes["arbscope-colorblind"].variables
    usual = themes[DEFAULT_THEME].variables
    # The usual green/red nearly merge for a deuteranope; blue/orange stay far apart.
    assert _seen_apart(safe.bid, safe.ask) > 2 * _seen_apart(usual.bid, usual.ask)
    assert _seen_apart(safe.bid, safe.ask) > 0.3
    assert _seen_apart(safe.heat_pos, safe.heat_neg) > 0.2


def test_a_file_that_is_not_toml_is_reported_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "broken.toml"
    bad.write_text('name = "x"\nprimary = \n', encoding="utf-8")
    with pytest.raises(ThemeFileError) as caught:
        load_theme_file(bad)
    assert caught.value.path == bad
    assert "not valid TOML" in str(caught.value) and "line 2" in str(caught.value)


def test_a_missing_variable_and_a_bad_colour_are_named(tmp_path: Path) -> None:
    text = (builtin_themes_dir() / "arbscope-dark.toml").read_text(encoding="utf-8")
    text = text.replace('bid = "#3FB950"\n', "").replace('ask = "#F85149"', 'ask = "reddish"')
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ThemeFileError) as caught:
        load_theme_file(path)
    message = str(caught.value)
    assert "variables.bid: Field required" in message
    assert "variables.ask" in message and "'reddish' is not a colour" in message


def test_broken_files_are_listed_next_to_the_themes_that_loaded(tmp_path: Path) -> None:
    user = tmp_path / "themes"
    user.mkdir()
    (user / "broken.toml").write_text("name = 1", encoding="utf-8")
    mine = (builtin_themes_dir() / "arbscope-light.toml").read_text(encoding="utf-8")
    (user / "mine.toml").write_text(mine.replace('"arbscope-light"', '"mine"'), encoding="utf-8")
    loaded = load_themes([builtin_themes_dir(), user, tmp_path / "absent"])
    assert "mine" in loaded.themes and DEFAULT_THEME in loaded.themes
    assert [error.path.name for error in loaded.errors] == ["broken.toml"]


def test_a_user_theme_with_a_builtin_name_replaces_it(tmp_path: Path) -> None:
    text = (builtin_themes_dir() / "arbscope-dark.toml").read_text(encoding="utf-8")
    (tmp_path / "dark.toml").write_text(text.replace('bid = "#3FB950"', 'bid = "#0000FF"'),
                                        encoding="utf-8")
    loaded = load_themes([builtin_themes_dir(), tmp_path])
    assert loaded.themes[DEFAULT_THEME].variables.bid == "#0000FF"
    assert default_variables(loaded)["bid"] == "#0000FF"


def test_every_kind_of_bad_theme_is_reported_with_file_and_line_and_the_rest_load(
    tmp_path: Path,
) -> None:
    user = tmp_path / "themes"
    expected = write_bad_themes(user)
    (user / "mine.toml").write_text(good_theme("mine"), encoding="utf-8")
    with fifo_never_read(user / "pipe.toml"):
        loaded = load_themes([builtin_themes_dir(), user])
    assert "mine" in loaded.themes and DEFAULT_THEME in loaded.themes
    reports = {error.path.name: str(error) for error in loaded.errors}
    assert set(reports) == {*expected, "pipe.toml"}
    for name, report in expected.items():
        assert report in reports[name], reports[name]
    assert "pipe.toml: is a FIFO (named pipe), not a regular file" in reports["pipe.toml"]


def test_a_file_that_is_not_utf8_names_the_line_of_the_first_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    # Lines 1-2 are ASCII; line 3 holds 0xFF, which no UTF-8 text contains.
    path.write_bytes(b'name = "mine"\nprimary = "#000000"\ndescription = "\xff"\n')
    with pytest.raises(ThemeFileError) as caught:
        load_theme_file(path)
    assert caught.value.line == 3 and caught.value.path == path
    assert str(caught.value) == f"{path}, line 3: is not UTF-8 text; save it as UTF-8"


def test_extra_variables_must_be_css_values_textual_can_use(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    for extra, reason in (
        ('odd = "}{"', "odd = '}{' is not a CSS value"),
        ('odd = "$bid"', "odd = '$bid' may not refer to another variable"),
        ("odd = { a = 1 }", "odd must be a string"),
    ):
        path.write_text(good_theme("mine") + extra + "\n", encoding="utf-8")
        with pytest.raises(ThemeFileError, match=re.escape(reason)):
            load_theme_file(path)
    # A style variable keeps its style value; colours and plain values stay allowed.
    path.write_text(good_theme("mine") + 'block-cursor-text-style = "bold"\n', encoding="utf-8")
    variables = load_theme_file(path).to_textual().variables
    assert variables["block-cursor-text-style"] == "bold"
