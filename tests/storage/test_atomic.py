"""Atomic writes and the lock: the old file or the new one, never a mix; a busy lock is reported."""

from __future__ import annotations

import os
import random
import signal
import stat
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from arbscope.storage.atomic import (
    FileBusyError,
    atomic_write_text,
    backup_path,
    file_lock,
    keep_broken_file,
)


def test_atomic_write_creates_folder_and_replaces_content(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "settings.toml"
    atomic_write_text(target, "a = 1\n")
    atomic_write_text(target, "a = 2\n")
    assert target.read_text() == "a = 2\n"
    # No temporary file is left beside it after a completed write.
    assert sorted(p.name for p in target.parent.iterdir()) == ["settings.toml"]


def test_atomic_write_keeps_the_files_permissions(tmp_path: Path) -> None:
    target = tmp_path / "settings.toml"
    target.write_text("old\n")
    target.chmod(0o640)
    atomic_write_text(target, "new\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_failed_write_leaves_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "settings.toml"
    target.write_text("old\n")
    with pytest.raises(UnicodeEncodeError):
        atomic_write_text(target, "bad \udcff surrogate")  # cannot be encoded as UTF-8
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["settings.toml"]


def test_temp_files_of_killed_writers_are_cleared_once_old(tmp_path: Path) -> None:
    target = tmp_path / "settings.toml"
    stale = tmp_path / ".settings.toml.abc123.tmp"
    recent = tmp_path / ".settings.toml.def456.tmp"
    stale.write_text("half a file")
    recent.write_text("a writer may still own this")
    an_hour_ago = time.time() - 3600
    os.utime(stale, (an_hour_ago, an_hour_ago))
    atomic_write_text(target, "a = 1\n")
    assert not stale.exists()
    assert recent.exists()


def test_backup_name_is_timestamped_and_never_reused(tmp_path: Path) -> None:
    target = tmp_path / "watchlists.toml"
    target.write_text("broken = \n")
    fixed = datetime(2024, 11, 24, 10, 15, 0, tzinfo=UTC)
    first = keep_broken_file(target, now=lambda: fixed)
    second = keep_broken_file(target, now=lambda: fixed)
    assert first.name == "watchlists.toml.bak-20241124T101500Z"
    assert second.name == "watchlists.toml.bak-20241124T101500Z-1"
    assert first.read_text() == second.read_text() == "broken = \n"
    # The broken file itself stays where it was until something replaces it.
    assert target.read_text() == "broken = \n"
    assert backup_path(target, now=lambda: fixed).name.endswith("-2")


def test_lock_held_elsewhere_is_refused_after_the_timeout(tmp_path: Path) -> None:
    target = tmp_path / "watchlists.toml"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(target)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(FileBusyError, match="another arbscope process"), file_lock(
            target, timeout_s=0.2
        ):
            pass
    finally:
        holder.kill()
        holder.wait(timeout=10)
    # Once the holder is gone the lock is free again (the kernel drops flock on exit).
    with file_lock(target, timeout_s=2):
        pass


_HOLD_LOCK = """
import sys
from pathlib import Path
from arbscope.storage.atomic import file_lock
with file_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    sys.stdin.read()  # holds until the test closes its input or kills it, however slow
"""

_WRITE_FOREVER = """
import sys
from pathlib import Path
from arbscope.storage.atomic import atomic_write_text
from tests.storage.test_atomic import big_version
target = Path(sys.argv[1])
versions = [big_version("old"), big_version("new")]
for i in range(1_000_000):  # bounded; the parent kills it long before
    atomic_write_text(target, versions[i % 2])
    if i == 1:
        print("writing", flush=True)
"""


def big_version(label: str) -> str:
    """~1.2 MB, large enough that a kill often lands in the middle of writing one."""
    return f"# {label}\n" + f"{label} = '{label * 16}'\n" * 20_000


def test_sigkill_during_writes_leaves_old_or_new_file_never_a_mix(tmp_path: Path) -> None:
    old, new = big_version("old"), big_version("new")
    rng = random.Random(20241124)
    target = tmp_path / "settings.toml"
    for _ in range(8):
        child = subprocess.Popen(
            [sys.executable, "-c", _WRITE_FOREVER, str(target)],
            cwd=Path(__file__).parents[2],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "writing"
        time.sleep(rng.uniform(0.0, 0.05))
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        assert child.returncode == -signal.SIGKILL
        content = target.read_text()
        assert content in (old, new), f"mixed file of {len(content)} characters"
