"""The user's files as they are: symlinked dotfiles, read-only files, a FIFO in their place."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from arbscope.storage.atomic import FileBusyError, atomic_write_text, file_lock
from arbscope.storage.paths import settings_file, watchlists_file
from arbscope.storage.settings import load_settings, save_theme_choice, update_settings
from arbscope.storage.userfile import FileRefusedError, read_regular_bytes
from arbscope.storage.watchlists import WatchlistFileError, WatchlistStore
from tests.fifo import fifo_never_read

READ_ONLY = "is read-only; make it writable to save changes"


def linked_from_dotfiles(tmp_path: Path, link: Path, text: str) -> Path:
    """`link` made a relative symlink to a file in a dotfiles repository; returns the file."""
    target = tmp_path / "dotfiles" / "arbscope" / link.name
    target.parent.mkdir(parents=True)
    target.write_text(text)
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(os.path.relpath(target, link.parent))
    return target


def test_a_symlinked_settings_file_stays_a_symlink_and_its_target_changes(
    tmp_path: Path,
) -> None:
    link = settings_file()
    kept = "# kept in git\nschema_version = 2\n[engine]\ntrade_notional = 250.0\n"
    target = linked_from_dotfiles(tmp_path, link, kept)
    os.chmod(target, 0o640)
    save_theme_choice("nord")
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert target.read_text() == kept + '\n[ui]\ntheme = "nord"\n'
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    # The temporary file went to the target's folder: none left beside the link.
    assert sorted(p.name for p in link.parent.iterdir()) == ["settings.toml",
                                                            "settings.toml.lock"]
    assert load_settings().settings.ui.theme == "nord"


def test_a_symlinked_watchlists_file_stays_a_symlink_and_its_target_changes(
    tmp_path: Path,
) -> None:
    link = watchlists_file()
    target = linked_from_dotfiles(tmp_path, link, '[watchlists.a]\nsymbols = ["BTC/USDT"]\n')
    WatchlistStore().add_symbols("a", ["ETH/USDT"])
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert 'symbols = ["BTC/USDT", "ETH/USDT"]' in target.read_text()
    assert WatchlistStore().get("a").symbols == ["BTC/USDT", "ETH/USDT"]


def test_a_write_through_a_link_waits_for_a_writer_holding_the_target(tmp_path: Path) -> None:
    link = watchlists_file()
    target = linked_from_dotfiles(tmp_path, link, "")
    # Another process editing the target under its own name holds the target's lock.
    busy = pytest.raises(FileBusyError, match="another arbscope process")
    with file_lock(target), busy, file_lock(link, timeout_s=0):
        pass
    with file_lock(link, timeout_s=0):  # free again once the other lets go
        pass


@pytest.mark.parametrize("kind", ["settings", "watchlists"])
def test_a_read_only_file_is_never_rewritten_even_by_root(kind: str) -> None:
    path = settings_file() if kind == "settings" else watchlists_file()
    text = 'theme = "nord"\n' if kind == "settings" else '[watchlists.a]\nsymbols = []\n'
    path.parent.mkdir(parents=True)
    path.write_text(text)
    os.chmod(path, 0o444)
    if kind == "settings":
        with pytest.raises(FileRefusedError) as refused:
            update_settings({"seed": 3})
        assert str(refused.value) == f"{path} {READ_ONLY}"
    else:
        with pytest.raises(WatchlistFileError) as refused_list:
            WatchlistStore().create("b")
        assert str(refused_list.value) == f"{path} {READ_ONLY}"
    assert path.read_text() == text
    assert stat.S_IMODE(path.stat().st_mode) == 0o444


def test_a_read_only_file_behind_a_symlink_is_refused_too(tmp_path: Path) -> None:
    target = linked_from_dotfiles(tmp_path, settings_file(), 'theme = "nord"\n')
    os.chmod(target, 0o444)
    with pytest.raises(FileRefusedError, match="is read-only"):
        save_theme_choice("arbscope-light")
    assert target.read_text() == 'theme = "nord"\n' and settings_file().is_symlink()


def test_a_fifo_in_place_of_settings_is_reported_at_once_and_never_written() -> None:
    path = settings_file()
    path.parent.mkdir(parents=True)
    with fifo_never_read(path):
        loaded = load_settings()
        (problem,) = loaded.problems
        assert problem.file == path and "is a FIFO (named pipe), not a regular file" in str(
            problem)
        with pytest.raises(FileRefusedError, match="is a FIFO"):
            save_theme_choice("nord")
    assert stat.S_ISFIFO(os.stat(path).st_mode)


def test_a_fifo_in_place_of_watchlists_is_reported_at_once_and_never_written() -> None:
    path = watchlists_file()
    path.parent.mkdir(parents=True)
    with fifo_never_read(path):
        store = WatchlistStore()
        assert store.names() == [] and "is a FIFO" in str(store.problems[0])
        with pytest.raises(WatchlistFileError, match="is a FIFO"):
            store.create("a")
    assert stat.S_ISFIFO(os.stat(path).st_mode)


def test_a_folder_in_place_of_a_file_is_refused_to_read_and_to_replace(tmp_path: Path) -> None:
    folder = tmp_path / "settings.toml"
    folder.mkdir()
    with pytest.raises(FileRefusedError, match="is a folder, not a regular file"):
        read_regular_bytes(folder)
    with pytest.raises(FileRefusedError, match="is a folder"):
        atomic_write_text(folder, "a = 1\n")
    assert folder.is_dir() and list(folder.iterdir()) == []
