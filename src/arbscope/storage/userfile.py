"""Files the user keeps (settings, watchlists, themes): what is at the path, safe to read and write.

* Reading never blocks: anything but a regular file (a FIFO, a device, a
  folder) is refused before it is opened, and the open itself is non-blocking.
* Writing goes through a symlink to the file it points at (dotfiles kept in a
  repository stay linked), and a file the user made read-only is never
  rewritten, even by root, who could.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class FileRefusedError(ValueError):
    """A file arbscope will not read or write as it is; the message says why and what to do."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path} {reason}")
        self.path = path
        self.reason = reason
        """What is wrong, without the path: `is read-only; make it writable to save changes`."""


def _not_regular(path: Path, mode: int) -> FileRefusedError:
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    return FileRefusedError(
        path, f"is {kind}, not a regular file; replace it with a regular file or remove it"
    )


def read_regular_bytes(path: Path) -> bytes:
    """The whole of `path`; `FileRefusedError` at once for anything but a regular file.

    Raises `FileNotFoundError` when nothing is there and `OSError` when it cannot be read.
    """
    # stat follows symlinks, so a link to a regular file reads like the file itself.
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        raise _not_regular(path, mode)
    # O_NONBLOCK: had a FIFO replaced the file since the stat, opening it must not wait
    # for a writer; the fstat below then refuses it.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise _not_regular(path, mode)
        return handle.read()


def write_target(path: Path) -> Path:
    """The file a write to `path` must replace: the end of its symlinks, or `path` itself."""
    if path.is_symlink():
        return Path(os.path.realpath(path))
    return path


def check_replaceable(path: Path) -> None:
    """Refuse (`FileRefusedError`) to replace `path` when it is not a writable regular file.

    A missing file may be created. The mode bits are checked as well as
    `os.access`: root may write anything, but a file its owner made 0444 says
    "do not change me", and an atomic rename would not need write permission.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        raise _not_regular(path, mode)
    if not mode & 0o222 or not os.access(path, os.W_OK):
        raise FileRefusedError(path, "is read-only; make it writable to save changes")
