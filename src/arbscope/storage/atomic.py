"""Writes that leave the old file or the new one, never a mix, and a lock for read-modify-write.

A crash (or SIGKILL) at any point of `atomic_write_text` leaves either the
previous content or the complete new content under the final name: the new
bytes go to a temporary file in the same folder (so the rename cannot cross a
file system), are fsynced, renamed over the target, and the folder is fsynced
so the rename itself survives a power cut.

A symlinked file stays a symlink: the write replaces the file it points at
(the temporary file goes in *that* file's folder). A read-only file or one
that is not a regular file is refused (`FileRefusedError`) before anything
is written.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from arbscope.storage.userfile import check_replaceable, read_regular_bytes, write_target


class FileBusyError(RuntimeError):
    """Another process held the lock for longer than we were willing to wait."""


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace `path` (through its symlinks) with `data` atomically.

    Temp file, fsync, rename, fsync folder. Raises `FileRefusedError` when the
    file is read-only or not a regular file, leaving it as it was.
    """
    path = write_target(path)
    check_replaceable(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = _existing_mode(path)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            # mkstemp creates 0600; keep whatever permissions the user gave the file.
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)
    _remove_orphaned_temp_files(path)


def _remove_orphaned_temp_files(path: Path, older_than_s: float = 600.0) -> None:
    """Temp files of writers killed mid-write; old enough that no live writer owns them."""
    cutoff = time.time() - older_than_s
    for orphan in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            if orphan.stat().st_mtime < cutoff:
                orphan.unlink()


def atomic_write_text(path: Path, text: str) -> None:
    """`atomic_write_bytes` for UTF-8 text (newlines written as given)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def backup_path(path: Path, now: Callable[[], datetime] | None = None) -> Path:
    """`NAME.bak-YYYYmmddTHHMMSSZ` beside `path`, with a counter if that name is taken."""
    stamp = (now or (lambda: datetime.now(UTC)))().strftime("%Y%m%dT%H%M%SZ")
    candidate = path.with_name(f"{path.name}.bak-{stamp}")
    counter = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.bak-{stamp}-{counter}")
        counter += 1
    return candidate


def keep_broken_file(path: Path, now: Callable[[], datetime] | None = None) -> Path:
    """Copy `path` to a fresh `.bak-TIMESTAMP` name and return it.

    A copy rather than a rename: the broken file stays in place until the new
    one atomically replaces it, so no moment exists without either.
    """
    target = backup_path(path, now)
    atomic_write_bytes(target, read_regular_bytes(path))
    return target


@contextlib.contextmanager
def file_lock(path: Path, timeout_s: float = 10.0, poll_s: float = 0.02) -> Iterator[None]:
    """Hold an exclusive `flock` on `PATH.lock` (created beside `path`) while inside.

    When `path` is a symlink, the lock beside the file it points at is held
    too, so a writer that reaches that file by another name waits as well.
    Bounded: after `timeout_s` it raises `FileBusyError` saying which file is busy,
    instead of hanging behind a process that never lets go.
    """
    target = write_target(path)
    with contextlib.ExitStack() as held:
        # Link first, target last, always: two writers never wait on each other crosswise.
        for locked in dict.fromkeys([path, target]):
            held.enter_context(_one_lock(locked, timeout_s, poll_s))
        yield


@contextlib.contextmanager
def _one_lock(path: Path, timeout_s: float, poll_s: float) -> Iterator[None]:
    lock_path = path.with_name(path.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise FileBusyError(
                        f"{path} is being changed by another arbscope process "
                        f"(lock {lock_path} held for over {timeout_s:.0f} s); "
                        "close the other one or try again"
                    ) from exc
                time.sleep(poll_s)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _existing_mode(path: Path) -> int | None:
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        return None


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError as exc:
        # Some file systems refuse fsync on a directory; the rename is still atomic there.
        if exc.errno not in (errno.EINVAL, errno.EBADF):
            raise
    finally:
        os.close(fd)
