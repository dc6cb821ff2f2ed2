"""Theme files that fail in every way a user's theme folder has shown, with what must be said."""

from __future__ import annotations

from pathlib import Path

from arbscope.ui.themes import builtin_themes_dir


def good_theme(name: str) -> str:
    """The default theme's text under another name (line 4 holds the name)."""
    text = (builtin_themes_dir() / "arbscope-dark.toml").read_text(encoding="utf-8")
    return text.replace('name = "arbscope-dark"', f'name = "{name}"')


def write_bad_themes(folder: Path) -> dict[str, str]:
    """Write one bad theme per way of failing into `folder`; file name -> expected report."""
    folder.mkdir(parents=True, exist_ok=True)
    # Saved by an editor in Latin-1: the é on line 5 (the description) is byte 0xE9.
    latin1 = good_theme("latin1").replace("Dark default", "Défaut sombre").encode("latin-1")
    (folder / "latin1.toml").write_bytes(latin1)
    # 100 000 nested arrays: Python's TOML parser runs out of recursion.
    (folder / "deep.toml").write_text('name = "deep"\nprimary = ' + "[" * 100_000 + "]" * 100_000)
    # A Textual colour variable set to a size: the theme would fail when applied, so at load.
    unusable = good_theme("unusable").replace('footer-key-foreground = "#F0B429"',
                                              'footer-key-foreground = "12px"')
    (folder / "unusable.toml").write_text(unusable, encoding="utf-8")
    # A value that is Rich markup: the report must show it as text.
    (folder / "markup.toml").write_text(
        good_theme("markup").replace('bid = "#3FB950"', 'bid = "[/]"'), encoding="utf-8")
    (folder / "folder.toml").mkdir()
    return {
        "latin1.toml": f"{folder / 'latin1.toml'}, line 5: is not UTF-8 text",
        "deep.toml": f"{folder / 'deep.toml'}: is nested too deeply to read",
        "unusable.toml": f"{folder / 'unusable.toml'}, line 18: variables: "
        "footer-key-foreground = '12px' is not a colour",
        "markup.toml": f"{folder / 'markup.toml'}, line 19: variables.bid: '[/]' is not a colour",
        "folder.toml": f"{folder / 'folder.toml'}: is a folder, not a regular file",
    }
