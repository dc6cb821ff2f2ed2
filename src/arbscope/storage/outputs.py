"""The rule for files arbscope writes on request (CSV exports, recordings), and how.

A user names the file (`trades export --csv FILE`, `record --out FILE`), so a
typo or a tab completion can point it at anything. The rule:

* a file that exists is replaced only with `--force`;
* never, even with `--force`, one of arbscope's own files (trade log and its
  journals, settings, watchlists, themes, backups, locks) nor anything else in
  arbscope's folders that is not an output of the same kind it made;
* never a file that is not of the kind being written (a CSV for an export, an
  arbscope recording for `record`), nor a folder, FIFO or device.

The write itself is atomic: the bytes go to a temporary file in the same
folder, are fsynced and renamed over the target, so a failure mid-write leaves
the old file (or no file) and removes the temporary one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from arbscope.storage import paths

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a text cell as a formula (or hide it behind one)."""


def spreadsheet_safe(cell: object) -> object:
    """A text cell with a single quote in front when a spreadsheet would run it as a formula.

    Only text is touched: a number (-1.5) stays a number so the column still sums.
    """
    if isinstance(cell, str) and cell.startswith(FORMULA_LEADS):
        return "'" + cell
    return cell


class OutputRefused(Exception):
    """The target may not be written; the message names it and says what to do instead."""


class OutputAppeared(OutputRefused):
    """A file took the name while the output was being written; it was left alone."""


@dataclass(frozen=True, slots=True)
class OutputKind:
    """One kind of output: how to tell an existing file of that kind."""

    what: str
    """Named in messages: "a CSV export", "an arbscope recording"."""
    is_same_kind: Callable[[Path, bytes], bool]
    """Given an existing file and its first line: may an output of this kind replace it?"""
    made_by_arbscope: Callable[[Path, bytes], bool]
    """The stricter test inside arbscope's own folders: one arbscope wrote itself."""


def _own_file(path: Path) -> str | None:
    """What `path` is when it is one of arbscope's own files (any spelling of it), else None."""
    trade_log = _resolved(paths.trades_db())
    owned = {
        trade_log: "arbscope's trade log",
        _resolved(paths.settings_file()): "arbscope's settings",
        _resolved(paths.watchlists_file()): "arbscope's watchlists",
    }
    for own, what in owned.items():
        # The journals (-wal, -shm, -journal), backups (.bak-...) and locks travel with the
        # file; case-blind since some file systems are (TRADES.SQLITE3 is the same file there).
        if path.parent == own.parent and path.name.casefold().startswith(own.name.casefold()):
            return what
    themes = _resolved(paths.user_themes_dir())
    if path == themes or themes in path.parents:
        return "an arbscope theme folder file"
    package = Path(__file__).resolve().parent.parent
    if package in path.parents:
        return "part of arbscope itself"
    return None


def _in_arbscope_folders(path: Path) -> bool:
    folders = (_resolved(paths.config_dir()), _resolved(paths.data_dir()))
    return any(folder in path.parents for folder in folders)


def _resolved(path: Path) -> Path:
    return path.expanduser().resolve()


def first_line(path: Path, limit: int = 4096) -> bytes:
    """The file's first line (at most `limit` bytes), without its line end."""
    with path.open("rb") as handle:
        return handle.readline(limit).rstrip(b"\r\n")


def check_output(path: Path, kind: OutputKind, *, force: bool) -> Path:
    """The file to write for `path` (links followed), or OutputRefused saying why not.

    Following a link means the link stays and its target is replaced, as the
    user's own files are kept when they are links.
    """
    target = _resolved(path)
    own = _own_file(target)
    if own is not None:
        raise OutputRefused(f"{path} is {own}; choose another name for {kind.what}")
    try:
        info = target.stat()
    except FileNotFoundError:
        return target
    if stat.S_ISDIR(info.st_mode):
        raise OutputRefused(
            f"{path} is a folder: give a file name inside it, e.g. {path / 'out'}"
        )
    if not stat.S_ISREG(info.st_mode):
        raise OutputRefused(f"{path} is not a regular file; choose another name for {kind.what}")
    try:
        head = first_line(target)
    except OSError as exc:
        reason = exc.strerror or exc
        raise OutputRefused(f"cannot read {path} ({reason}); choose another name") from None
    if _in_arbscope_folders(target):
        if not kind.made_by_arbscope(target, head):
            raise OutputRefused(
                f"{path} is a file arbscope keeps, not {kind.what} it made; choose another name"
            )
    elif not kind.is_same_kind(target, head):
        raise OutputRefused(
            f"{path} exists and is not {kind.what}; it is never replaced, choose another name"
        )
    if not force:
        raise OutputRefused(f"{path} already exists; pass --force to replace it")
    return target


def fresh_path(path: Path) -> Path:
    """`path`, or `NAME-1.EXT`, `NAME-2.EXT` ... : the first name nothing uses yet."""
    candidate, counter = path, 1
    while candidate.exists() or candidate.is_symlink():
        candidate = path.with_name(f"{path.stem}-{counter}{path.suffix}")
        counter += 1
    return candidate


class AtomicOutput:
    """A text file written under a temporary name and renamed into place by `commit()`.

    `discard()` (or leaving a `with` block by an exception) removes the temporary
    file and leaves whatever was at `path` untouched. With `replace=False` the
    commit refuses to replace a file that appeared meanwhile (OutputAppeared).
    """

    def __init__(self, path: Path, *, replace: bool) -> None:
        self.path = path
        self.replace = replace
        self._mode = _existing_mode(path)
        fd, self.temp_path = _create_temp(path)
        self.handle: IO[str] = os.fdopen(fd, "w", encoding="utf-8", newline="")
        self._done = False

    def __enter__(self) -> AtomicOutput:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()

    def commit(self) -> None:
        """fsync, then rename over `path` (or link, when nothing may be replaced)."""
        if self._done:
            return
        try:
            self.handle.flush()
            os.fsync(self.handle.fileno())
            self.handle.close()
            if self._mode is not None:
                os.chmod(self.temp_path, self._mode)  # keep the permissions of the file replaced
            if self.replace:
                os.replace(self.temp_path, self.path)
            else:
                _link_without_replacing(self.temp_path, self.path)
        except BaseException:
            self.discard()
            raise
        self._done = True
        _fsync_folder(self.path.parent)

    def discard(self) -> None:
        if self._done:
            return
        self._done = True
        with contextlib.suppress(OSError):
            self.handle.close()
        with contextlib.suppress(FileNotFoundError):
            self.temp_path.unlink()


@contextlib.contextmanager
def atomic_output(path: Path, *, replace: bool) -> Iterator[IO[str]]:
    """`with atomic_output(path, replace=...) as out:` — `AtomicOutput` as a block."""
    with AtomicOutput(path, replace=replace) as output:
        yield output.handle


def _link_without_replacing(temp: Path, path: Path) -> None:
    # A hard link fails if the name was taken since the check: never clobbers.
    try:
        os.link(temp, path)
    except OSError as exc:
        if exc.errno == errno.EEXIST:
            raise OutputAppeared(
                f"{path} appeared while writing and was left alone; write again to choose"
            ) from None
        if path.exists():
            raise
        # A file system without hard links: the check just ran, rename instead.
        os.replace(temp, path)
        return
    temp.unlink()


def _create_temp(path: Path) -> tuple[int, Path]:
    """A new `.NAME.RANDOM.tmp` beside `path`, made as a plain open() would (umask applies)."""
    while True:
        temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), temp
        except FileExistsError:
            continue


def _existing_mode(path: Path) -> int | None:
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        return None


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.EBADF):  # some file systems refuse it
            raise
    finally:
        os.close(fd)
