"""`arbscope trades export --csv FILE`: never over arbscope's own files, never without --force."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pytest

from arbscope.cli import run
from arbscope.storage import paths
from arbscope.storage.sections import UiSettings
from arbscope.storage.settings import Settings, save_settings
from arbscope.trading import export
from arbscope.trading.export import CSV_COLUMNS
from tests.trading.test_cli_trades import log_two_trades

CSV_HEADER = ",".join(CSV_COLUMNS)


def own_files() -> list[Path]:
    """The trade log, settings and watchlists, as a user has them."""
    log_two_trades()
    save_settings(Settings(ui=UiSettings(theme="arbscope-light")))
    paths.watchlists_file().write_text('[watchlists.majors]\nsymbols = ["BTC/USDT"]\n')
    return [paths.trades_db(), paths.settings_file(), paths.watchlists_file()]


@pytest.mark.parametrize("force", [False, True])
def test_export_never_writes_over_arbscopes_own_files_even_with_force(
    force: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    files = own_files()
    before = {path: path.read_bytes() for path in files}
    # SQLite's journals are the log's too, whether or not they exist at this moment.
    journals = [paths.trades_db().with_name(f"trades.sqlite3{end}") for end in ("-wal", "-shm")]
    for path in [*files, *journals]:
        argv = ["trades", "export", "--csv", str(path), *(["--force"] if force else [])]
        assert run(argv) == 2, path
        err = capsys.readouterr().err
        assert str(path) in err and "choose another name" in err
    assert {path: path.read_bytes() for path in files} == before
    # The log still opens and holds its trades.
    assert run(["trades", "list"]) == 0
    assert "running total:" in capsys.readouterr().out


def test_refusal_names_what_the_file_is(capsys: pytest.CaptureFixture[str]) -> None:
    own_files()
    run(["trades", "export", "--csv", str(paths.trades_db()), "--force"])
    assert "is arbscope's trade log; choose another name" in capsys.readouterr().err
    run(["trades", "export", "--csv", str(paths.watchlists_file()), "--force"])
    assert "is arbscope's watchlists; choose another name" in capsys.readouterr().err


def test_a_link_to_the_trade_log_is_refused_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    own_files()
    before = paths.trades_db().read_bytes()
    link = tmp_path / "innocent.csv"
    link.symlink_to(paths.trades_db())
    assert run(["trades", "export", "--csv", str(link), "--force"]) == 2
    assert "arbscope's trade log" in capsys.readouterr().err
    assert paths.trades_db().read_bytes() == before


def test_a_theme_file_and_other_files_in_arbscopes_folders_are_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    log_two_trades()
    theme = paths.user_themes_dir() / "mine.toml"
    theme.parent.mkdir(parents=True)
    theme.write_text('name = "mine"\n')
    # A new name in the themes folder would become a broken theme: refused although absent.
    for path in (theme, paths.user_themes_dir() / "new.csv"):
        assert run(["trades", "export", "--csv", str(path), "--force"]) == 2
        assert "theme" in capsys.readouterr().err
    notes = paths.data_dir() / "notes.csv"
    notes.write_text("my,own,notes\n")  # a CSV, but not an export arbscope made
    assert run(["trades", "export", "--csv", str(notes), "--force"]) == 2
    assert "a file arbscope keeps" in capsys.readouterr().err
    assert theme.read_text() == 'name = "mine"\n' and notes.read_text() == "my,own,notes\n"


def test_an_existing_csv_is_replaced_only_with_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_two_trades()
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "old.csv"
    target.write_text("a,b\n1,2\n")
    assert run(["trades", "export", "--csv", str(target)]) == 2
    assert f"{target} already exists; pass --force to replace it" in capsys.readouterr().err
    assert target.read_text() == "a,b\n1,2\n"
    assert run(["trades", "export", "--csv", str(target), "--force"]) == 0
    assert target.read_text().splitlines()[0] == CSV_HEADER
    assert len(list(csv.DictReader(target.open()))) == 4  # two trades of two legs
    # No temporary file is left beside it.
    assert sorted(p.name for p in folder.iterdir()) == ["old.csv"]


def test_an_existing_file_that_is_not_a_csv_is_never_replaced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_two_trades()
    report = tmp_path / "report.txt"
    report.write_text("quarterly report\n")
    assert run(["trades", "export", "--csv", str(report), "--force"]) == 2
    assert "is not a CSV export; it is never replaced" in capsys.readouterr().err
    binary = tmp_path / "data.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    assert run(["trades", "export", "--csv", str(binary), "--force"]) == 2
    assert report.read_text() == "quarterly report\n"
    assert binary.read_bytes() == b"\x89PNG\r\n\x1a\n\xff\xfe"


def test_a_failure_mid_write_leaves_the_old_file_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    log_two_trades()
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "old.csv"
    target.write_text("a,b\n1,2\n")
    real_write_csv = export.write_csv

    def write_then_fail(log: object, out: object) -> int:
        real_write_csv(log, out)  # type: ignore[arg-type]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "write_csv", write_then_fail)
    assert run(["trades", "export", "--csv", str(target), "--force"]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert target.read_text() == "a,b\n1,2\n"
    assert sorted(p.name for p in folder.iterdir()) == ["old.csv"]


def test_text_cells_are_escaped_against_formulas_and_numbers_stay_numbers(
    tmp_path: Path,
) -> None:
    log_two_trades()
    # What a hostile replay could name its venue and symbol (the log stores names as given).
    with sqlite3.connect(paths.trades_db()) as db:
        db.execute("UPDATE legs SET venue = '=HYPERLINK(\"http://x\",\"y\")' WHERE idx = 0")
        db.execute("UPDATE legs SET symbol = '@SUM(A1)', reason = '\tcmd' WHERE idx = 1")
        db.execute("UPDATE trades SET route_id = '+1+cmd|x', expected_profit = -1.5")
    db.close()
    target = tmp_path / "t.csv"
    assert run(["trades", "export", "--csv", str(target)]) == 0
    first, second = list(csv.DictReader(target.open()))[:2]
    assert first["venue"] == "'=HYPERLINK(\"http://x\",\"y\")"
    assert second["symbol"] == "'@SUM(A1)" and second["leg_reason"] == "'\tcmd"
    assert first["route_id"] == "'+1+cmd|x"
    assert first["expected_profit"] == "-1.5"  # a number: no quote, it still sums
    assert second["side"] == "sell"  # ordinary text untouched


def test_stdout_export_still_works_next_to_the_rule(capsys: pytest.CaptureFixture[str]) -> None:
    log_two_trades()
    assert run(["trades", "export", "--csv", "-"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == CSV_HEADER
