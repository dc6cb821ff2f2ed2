"""Nothing the project ships points outside the repository: a clone has no ../shared."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OUTSIDE = ("../shared", "DESIGN.md")


def _shipped() -> list[Path]:
    files = [ROOT / "README.md"]
    for folder in ("src", "docs"):
        files += [p for p in sorted((ROOT / folder).rglob("*")) if p.is_file()]
    return [p for p in files if "__pycache__" not in p.parts]


def test_the_shipped_files_are_found() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in _shipped()}
    assert {"README.md", "docs/ARCHITECTURE.md", "src/arbscope/models.py"} <= names


@pytest.mark.parametrize("path", _shipped(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_shipped_file_names_anything_outside_the_repository(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    assert [word for word in OUTSIDE if word in text] == []


def test_every_link_the_readme_makes_to_the_repository_resolves() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "](docs/ARCHITECTURE.md)" in readme
    assert (ROOT / "docs" / "ARCHITECTURE.md").is_file()
