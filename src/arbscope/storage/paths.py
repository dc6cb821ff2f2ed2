"""Where arbscope keeps files: platformdirs folders, overridable by env vars."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "arbscope"


def config_dir() -> Path:
    """settings.toml, watchlists.toml, themes/ (ARBSCOPE_CONFIG_DIR overrides)."""
    override = os.environ.get("ARBSCOPE_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    """trades.sqlite3 and recordings (ARBSCOPE_DATA_DIR overrides)."""
    override = os.environ.get("ARBSCOPE_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))


def settings_file() -> Path:
    return config_dir() / "settings.toml"


def watchlists_file() -> Path:
    return config_dir() / "watchlists.toml"


def user_themes_dir() -> Path:
    return config_dir() / "themes"


def trades_db() -> Path:
    return data_dir() / "trades.sqlite3"
