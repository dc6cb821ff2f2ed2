"""Every test gets its own config and data folders: nothing touches the user's real files."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    config = tmp_path / "config"
    data = tmp_path / "data"
    monkeypatch.setenv("ARBSCOPE_CONFIG_DIR", str(config))
    monkeypatch.setenv("ARBSCOPE_DATA_DIR", str(data))
    return {"config": config, "data": data}
