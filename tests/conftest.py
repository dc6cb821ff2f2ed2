"""Every test gets its own config and data folders: nothing touches the user's real files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# The same examples on every run (CI included): a property test that fails does so on
# every machine, and is a bug to fix, never a roll of the dice. `HYPOTHESIS_PROFILE=explore`
# draws fresh random examples, to hunt for new failures by hand.
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    config = tmp_path / "config"
    data = tmp_path / "data"
    monkeypatch.setenv("ARBSCOPE_CONFIG_DIR", str(config))
    monkeypatch.setenv("ARBSCOPE_DATA_DIR", str(data))
    return {"config": config, "data": data}
