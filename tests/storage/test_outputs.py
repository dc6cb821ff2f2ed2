"""storage.outputs: formula-safe cells, fresh names, and a commit that never clobbers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from arbscope.storage.outputs import (
    AtomicOutput,
    OutputAppeared,
    fresh_path,
    spreadsheet_safe,
)


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1+1", "'+1+1"),
        ("-2+cmd", "'-2+cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("alpha", "alpha"),
        ("BTC/USDT", "BTC/USDT"),
        ("", ""),
        (-1.5, -1.5),  # a number stays a number
        (-3, -3),
    ],
)
def test_only_text_that_a_spreadsheet_would_run_gets_a_quote(cell: object, safe: object) -> None:
    assert spreadsheet_safe(cell) == safe
    assert type(spreadsheet_safe(cell)) is type(safe)


def test_fresh_path_counts_past_taken_names(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("x")
    (tmp_path / "t-1.csv").write_text("x")
    assert fresh_path(tmp_path / "t.csv") == tmp_path / "t-2.csv"
    assert fresh_path(tmp_path / "u.csv") == tmp_path / "u.csv"


def test_a_file_that_appears_while_writing_is_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    output = AtomicOutput(target, replace=False)
    output.handle.write("ours\n")
    target.write_text("someone else's\n")  # took the name after the check
    with pytest.raises(OutputAppeared, match="appeared while writing"):
        output.commit()
    assert target.read_text() == "someone else's\n"
    assert os.listdir(tmp_path) == ["out.csv"]


def test_a_new_output_gets_ordinary_permissions_and_a_replaced_one_keeps_its_own(
    tmp_path: Path,
) -> None:
    umask = os.umask(0o022)
    try:
        with AtomicOutput(tmp_path / "new.csv", replace=False) as output:
            output.handle.write("a\n")
    finally:
        os.umask(umask)
    # 0o666 less the umask 0o022, as open() would make it (not a temp file's 0o600).
    assert (tmp_path / "new.csv").stat().st_mode & 0o777 == 0o644
    kept = tmp_path / "kept.csv"
    kept.write_text("old\n")
    kept.chmod(0o640)
    with AtomicOutput(kept, replace=True) as output:
        output.handle.write("new\n")
    assert kept.read_text() == "new\n" and kept.stat().st_mode & 0o777 == 0o640
