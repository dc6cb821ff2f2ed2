"""`arbscope config ...` and `arbscope watchlist ...`: output, files written, exit status."""

from __future__ import annotations

import tomllib

import pytest

from arbscope.cli import run
from arbscope.engine.config import EngineConfig
from arbscope.engine.risk import RiskThresholds
from arbscope.storage import paths
from arbscope.storage.sections import PaperConfig, UiSettings
from arbscope.storage.settings import Settings, load_settings
from arbscope.storage.watchlists import WatchlistStore
from tests.fifo import fifo_never_read
from tests.ui.bad_themes import write_bad_themes


def call(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = run(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_config_path_lists_every_file(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = call(capsys, "config", "path")
    assert status == 0
    assert f"settings   {paths.settings_file()}  (not created yet)" in out
    assert str(paths.watchlists_file()) in out and str(paths.user_themes_dir()) in out
    assert str(paths.trades_db()) in out


def test_config_show_is_valid_toml_with_the_files_values(
    capsys: pytest.CaptureFixture[str],
) -> None:
    paths.settings_file().parent.mkdir(parents=True)
    paths.settings_file().write_text('[ui]\ntheme = "nord"\n[venues.kraken]\ntaker_fee = 0.0026\n')
    status, out, err = call(capsys, "config", "show")
    assert status == 0 and err == ""
    shown = tomllib.loads(out)
    assert shown["ui"]["theme"] == "nord"
    assert shown["venues"] == {"kraken": {"taker_fee": 0.0026, "latency_ms": 150.0,
                                          "transport": "auto", "websocket_retry_s": 300.0,
                                          "book_depth": 50, "ccxt_options": {}}}
    assert shown["engine"]["trade_notional"] == 1000.0  # defaults are shown too
    assert ("# alert_bell: Ring the terminal bell when a watchlist alert threshold is crossed. "
            "(default: false)") in out


def test_config_show_names_every_field_of_every_section_with_its_meaning_and_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = call(capsys, "config", "show")
    assert status == 0
    lines = out.splitlines()
    sections = {"engine": EngineConfig, "risk": RiskThresholds, "paper": PaperConfig,
                "ui": UiSettings}
    for section, model in sections.items():
        start = lines.index(f"[{section}]")
        body = lines[start + 1:lines.index("", start)]
        for name, info in model.model_fields.items():
            if info.exclude:
                continue  # filled from [venues], never written
            meaning = " ".join((info.description or "").split())
            assert meaning, f"{section}.{name} has no docstring"
            (line,) = [line for line in body if line.startswith(f"# {name}: ")]
            assert line.startswith(f"# {name}: {meaning} (default: "), line
    assert "# NAME.websocket_retry_s: " in out
    # What it prints is a settings file that loads as the settings shown.
    paths.settings_file().parent.mkdir(parents=True)
    paths.settings_file().write_text(out)
    loaded = load_settings()
    assert loaded.ok and loaded.notes == () and loaded.settings == Settings()


def test_config_check_ok(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = call(capsys, "config", "check")
    assert status == 0, err
    assert f"ok: {paths.settings_file()} (not created yet, defaults apply)" in out
    assert f"ok: {paths.watchlists_file()} (0 watchlist(s))" in out


def test_config_check_on_broken_files_names_file_line_problem_and_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    paths.settings_file().parent.mkdir(parents=True)
    paths.settings_file().write_text('theme = "nord"\n\nrefresh_hz = "fast"\n')
    paths.watchlists_file().write_text("[watchlists.a\n")
    status, _, err = call(capsys, "config", "check")
    assert status == 2
    assert f"{paths.settings_file()}, line 3: refresh_hz: Input should be a valid number" in err
    assert f"{paths.watchlists_file()}, line 1: not valid TOML" in err
    # Checking never touches the files.
    assert paths.settings_file().read_text() == 'theme = "nord"\n\nrefresh_hz = "fast"\n'
    assert list(paths.config_dir().glob("*.bak-*")) == []


def test_config_check_reports_a_user_theme_that_does_not_load(
    capsys: pytest.CaptureFixture[str],
) -> None:
    paths.user_themes_dir().mkdir(parents=True)
    (paths.user_themes_dir() / "mine.toml").write_text('name = "mine"\n[variables\n')
    status, _, err = call(capsys, "config", "check")
    assert status == 2
    assert "mine.toml" in err


def test_watchlist_commands_edit_the_file(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = call(capsys, "watchlist", "list")
    assert status == 0 and "no watchlists yet" in out

    status, out, _ = call(capsys, "watchlist", "create", "majors", "btc/usdt", "--venues", "okx")
    assert status == 0 and out == "created majors: 1 symbol: BTC/USDT\n"
    status, out, _ = call(capsys, "watchlist", "add", "majors", "ETH/USDT", "BTC/USDT")
    assert status == 0
    assert out == "already in majors: BTC/USDT\nmajors: 2 symbols: BTC/USDT, ETH/USDT\n"
    assert call(capsys, "watchlist", "use", "majors")[0] == 0
    assert call(capsys, "watchlist", "create", "alts")[0] == 0

    status, out, _ = call(capsys, "watchlist", "list")
    assert out == (
        "* majors  2 symbols: BTC/USDT, ETH/USDT\n"
        "  alts    0 symbols: no symbols yet\n"
    )
    status, out, _ = call(capsys, "watchlist", "show", "majors")
    assert out.splitlines() == [
        "majors (active)",
        "  symbols: BTC/USDT, ETH/USDT",
        "  venues:  okx",
    ]
    assert call(capsys, "watchlist", "remove", "majors", "btc/usdt")[0] == 0
    assert call(capsys, "watchlist", "rename", "majors", "daily")[0] == 0
    assert call(capsys, "watchlist", "delete", "alts")[0] == 0

    store = WatchlistStore()
    assert store.names() == ["daily"] and store.active_name == "daily"
    assert store.get("daily").symbols == ["ETH/USDT"]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (("watchlist", "show", "nope"), "no watchlist named 'nope'; existing watchlists: majors"),
        (("watchlist", "add", "nope", "BTC/USDT"), "existing watchlists: majors"),
        (("watchlist", "delete", "nope"), "existing watchlists: majors"),
        (("watchlist", "add", "majors", "BTCUSDT"), "not BASE/QUOTE"),
        (("watchlist", "remove", "majors", "SOL/USDT"), "SOL/USDT not in watchlist 'majors'"),
        (("watchlist", "create", "majors"), "already exists"),
        (("watchlist", "use"), "give a watchlist NAME, or --none"),
        (("watchlist", "add", "majors"), "the following arguments are required: SYMBOL"),
        (("scan", "--sim", "--watchlist", "nope"), "existing watchlists: majors"),
    ],
)
def test_bad_input_exits_2_with_what_would_work(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], expected: str
) -> None:
    WatchlistStore().create("majors", ["BTC/USDT"])
    before = paths.watchlists_file().read_text()
    status, _, err = call(capsys, *argv)
    assert status == 2
    assert expected in err
    assert paths.watchlists_file().read_text() == before


def test_broken_watchlists_file(capsys: pytest.CaptureFixture[str]) -> None:
    paths.watchlists_file().parent.mkdir(parents=True)
    broken = '[watchlists.majors]\nsymbols = "BTC/USDT"\n'
    paths.watchlists_file().write_text(broken)

    status, _, err = call(capsys, "watchlist", "list")
    assert status == 2
    assert f"{paths.watchlists_file()}, line 2: watchlists.majors.symbols" in err
    assert paths.watchlists_file().read_text() == broken

    # Creating is saving: refused, so the broken file is never replaced by one list.
    status, out, err = call(capsys, "watchlist", "create", "fresh", "ETH/USDT")
    assert status == 2 and out == ""
    assert f"{paths.watchlists_file()} does not load, so nothing was saved over it" in err
    assert f"{paths.watchlists_file()}, line 2: watchlists.majors.symbols" in err
    assert paths.watchlists_file().read_text() == broken
    assert list(paths.config_dir().glob("watchlists.toml.bak-*")) == []


def test_config_check_reports_every_kind_of_bad_theme_by_file_and_line_and_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    expected = write_bad_themes(paths.user_themes_dir())
    with fifo_never_read(paths.user_themes_dir() / "pipe.toml"):
        status, _, err = call(capsys, "config", "check")
    assert status == 2, err
    for report in expected.values():
        assert report in err
    assert f"{paths.user_themes_dir() / 'pipe.toml'}: is a FIFO" in err
    assert "failed:" not in err  # a report, not a crash


def test_config_check_names_a_fifo_in_place_of_settings_or_watchlists(
    capsys: pytest.CaptureFixture[str],
) -> None:
    paths.config_dir().mkdir(parents=True)
    with fifo_never_read(paths.settings_file()), fifo_never_read(paths.watchlists_file()):
        status, _, err = call(capsys, "config", "check")
        assert status == 2
        assert f"{paths.settings_file()}: is a FIFO (named pipe), not a regular file" in err
        assert f"{paths.watchlists_file()}: is a FIFO (named pipe), not a regular file" in err
        status, _, err = call(capsys, "watchlist", "create", "a")
        assert status == 2 and f"{paths.watchlists_file()}: is a FIFO" in err


def test_a_read_only_watchlists_file_is_refused_with_a_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    WatchlistStore().create("majors", ["BTC/USDT"])
    before = paths.watchlists_file().read_text()
    paths.watchlists_file().chmod(0o444)
    status, out, err = call(capsys, "watchlist", "add", "majors", "ETH/USDT")
    assert status == 2 and out == ""
    assert f"{paths.watchlists_file()} is read-only; make it writable to save changes" in err
    assert paths.watchlists_file().read_text() == before
