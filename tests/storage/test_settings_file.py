"""settings.toml: round trips, kept comments and unknown keys, broken files, migration."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import tomlkit
from pydantic import ValidationError

from arbscope.engine.config import EngineConfig
from arbscope.storage.migrations import SCHEMA_VERSION
from arbscope.storage.paths import settings_file
from arbscope.storage.sections import PaperConfig, UiSettings
from arbscope.storage.settings import (
    Settings,
    SettingsError,
    VenueSettings,
    apply_cli_overrides,
    load_settings,
    save_settings,
    save_theme_choice,
    update_settings,
)
from arbscope.storage.tomlfile import BrokenFileError

BACKUP_NAME = re.compile(r"^settings\.toml\.bak-\d{8}T\d{6}Z(-\d+)?$")


def backups(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if BACKUP_NAME.match(p.name))


def test_missing_file_gives_defaults_and_is_not_created() -> None:
    loaded = load_settings()
    assert loaded.ok and not loaded.exists
    assert loaded.settings == Settings()
    assert loaded.message is None
    assert not settings_file().exists()


def test_round_trip_of_changed_fields() -> None:
    settings = Settings(
        engine=EngineConfig(trade_notional=250.0, fx_static_rates={"EUR/USD": 1.08}),
        ui=UiSettings(theme="nord", alert_bell=True),
        venues={"kraken": VenueSettings(taker_fee=0.0026, latency_ms=80.0)},
        paper=PaperConfig(starting_balances={"*": {"USDT": 500.0}, "kraken": {"USD": 100.0}}),
    )
    result = save_settings(settings)
    assert result.path == settings_file()
    assert load_settings().settings == settings


def test_new_file_holds_only_what_differs_from_defaults() -> None:
    save_settings(Settings(ui=UiSettings(theme="nord")))
    data = tomlkit.parse(settings_file().read_text()).unwrap()
    # Defaults are not frozen into the file, so a later arbscope's better defaults apply.
    assert data == {"schema_version": SCHEMA_VERSION, "ui": {"theme": "nord"}}


def test_comments_and_unknown_keys_survive_a_save() -> None:
    original = (
        "# my own notes about arbscope\n"
        "schema_version = 2\n"
        "future_option = \"from a newer arbscope\"\n"
        "\n"
        "[engine]\n"
        "stat_entry_z = 2.5   # fewer, stronger signals\n"
        "\n"
        "[ui]\n"
        "theme = \"nord\"   # the one I like\n"
        "\n"
        "[venues.kraken]\n"
        "# kraken charges more for me\n"
        "taker_fee = 0.0026\n"
        "vip_level = 3\n"
    )
    settings_file().parent.mkdir(parents=True)
    settings_file().write_text(original)
    loaded = load_settings()
    assert loaded.ok
    assert "unknown key 'future_option' kept as it is" in loaded.notes
    assert "unknown key 'venues.kraken.vip_level' kept as it is" in loaded.notes

    engine = loaded.settings.engine.model_copy(update={"trade_notional": 500.0})
    save_settings(loaded.settings.model_copy(update={"engine": engine}))
    text = settings_file().read_text()
    assert text == original.replace(
        'stat_entry_z = 2.5   # fewer, stronger signals\n',
        'stat_entry_z = 2.5   # fewer, stronger signals\ntrade_notional = 500.0\n',
    )


def test_save_theme_choice_changes_only_the_theme_line() -> None:
    original = "# mine\nschema_version = 2\nseed = 11\n[ui]\ntheme = \"nord\"  # picked with t\n"
    settings_file().parent.mkdir(parents=True)
    settings_file().write_text(original)
    save_theme_choice("arbscope-light")
    assert settings_file().read_text() == original.replace('"nord"', '"arbscope-light"')
    assert load_settings().settings.ui.theme == "arbscope-light"
    assert load_settings().settings.seed == 11


def test_update_settings_refuses_a_bad_value_and_writes_nothing() -> None:
    save_theme_choice("nord")
    before = settings_file().read_text()
    with pytest.raises(ValidationError, match="trade_notional"):
        update_settings({"engine.trade_notional": -5})
    with pytest.raises(KeyError, match="not a setting: colour"):
        update_settings({"colour": "red"})
    assert settings_file().read_text() == before


def test_file_that_does_not_parse_names_file_and_line_and_is_left_alone() -> None:
    broken = 'theme = "nord"\nseed = = 3\n'
    settings_file().parent.mkdir(parents=True)
    settings_file().write_text(broken)
    loaded = load_settings()
    assert not loaded.ok
    assert loaded.settings == Settings()  # runs with defaults
    (problem,) = loaded.problems
    assert problem.file == settings_file() and problem.line == 2
    assert "not valid TOML" in problem.message
    assert loaded.message is not None
    assert f"{settings_file()}, line 2" in loaded.message
    assert "nothing is saved over it until it loads" in loaded.message
    # Loading never writes.
    assert settings_file().read_text() == broken
    assert backups(settings_file().parent) == []


def test_a_save_over_a_file_with_one_typo_is_refused_naming_file_line_and_fix() -> None:
    # One typo on line 3 must not cost the other settings: nothing is written at all.
    broken = '# my settings\ntrade_notional = 250.0\nseed = = 3\n'
    settings_file().parent.mkdir(parents=True)
    settings_file().write_text(broken)
    with pytest.raises(BrokenFileError) as refused:
        save_theme_choice("arbscope-light")
    message = str(refused.value)
    assert f"{settings_file()} does not load, so nothing was saved over it" in message
    assert f"{settings_file()}, line 3: not valid TOML" in message
    assert "Fix the line(s) named above by hand" in message
    with pytest.raises(BrokenFileError):
        save_settings(Settings(ui=UiSettings(theme="nord")))
    assert settings_file().read_text() == broken
    assert backups(settings_file().parent) == []
    names = sorted(p.name for p in settings_file().parent.iterdir())
    assert names == ["settings.toml", "settings.toml.lock"]  # no temporary file left behind


def test_a_save_over_a_file_that_parses_but_does_not_validate_is_refused() -> None:
    text = 'theme = "nord"\nrefresh_hz = 0\n'  # refresh_hz must be > 0
    settings_file().parent.mkdir(parents=True)
    settings_file().write_text(text)
    with pytest.raises(BrokenFileError, match="line 2: refresh_hz: Input should be greater"):
        update_settings({"seed": 3})
    assert settings_file().read_text() == text


def test_invalid_values_name_field_reason_and_line() -> None:
    text = (
        'theme = "nord"\n'            # 1
        "refresh_hz = 0\n"            # 2: must be > 0
        "\n"                          # 3
        "[venues.binance]\n"          # 4
        "taker_fee = 2\n"             # 5: a fraction, must be < 1
        'transport = "pigeon"\n'      # 6: not one of auto/websocket/rest
        "[venues.okx]\n"              # 7
        'ccxt_options = { apiKey = "k" }\n'  # 8: credentials are refused
        "[venues.kraken]\n"           # 9
        'ccxt_options = { api_key = "k" }\n'  # 10: in ccxt's snake_case spelling too
    )
    settings_file().parent.mkdir(parents=True)
    settings_file().write_text(text)
    loaded = load_settings()
    by_line = {p.line: p.message for p in loaded.problems}
    assert set(by_line) == {2, 5, 6, 8, 10}
    assert by_line[2].startswith("refresh_hz: Input should be greater than 0")
    assert by_line[5].startswith("venues.binance.taker_fee: Input should be less than 1")
    assert "(found 2)" in by_line[5]
    assert by_line[6].startswith("venues.binance.transport: Input should be 'auto'")
    assert by_line[8].startswith("venues.okx.ccxt_options.apiKey: 'apiKey' is a ccxt credential")
    assert by_line[10].startswith("venues.kraken.ccxt_options.api_key: ccxt reads 'api_key' as")
    assert loaded.settings == Settings()
    assert settings_file().read_text() == text


def test_inline_table_values_are_located_on_their_line() -> None:
    text = 'schema_version = 1\nvenues = { kraken = { latency_ms = -1 } }\n'
    settings_file().parent.mkdir(parents=True)
    settings_file().write_text(text)
    (problem,) = load_settings().problems
    assert problem.line == 2
    assert problem.message.startswith("venues.kraken.latency_ms: Input should be greater than")


def test_v0_layout_is_migrated_in_memory_and_written_as_today_s_on_save() -> None:
    v0 = (
        "# written by arbscope 0.0\n"
        "max_book_age = 4   # seconds\n"
        "\n"
        "[fee_overrides]\n"
        "binance = 0.00075\n"
        "kraken = { taker = 0.0026, maker = 0.0016 }\n"
    )
    settings_file().parent.mkdir(parents=True)
    settings_file().write_text(v0)
    loaded = load_settings()
    assert loaded.ok and loaded.migrated_from == 0
    assert loaded.settings.engine.default_max_book_age == 4.0
    assert loaded.settings.venues["binance"].taker_fee == 0.00075
    assert loaded.settings.venues["kraken"].taker_fee == 0.0026
    assert loaded.settings.venues["kraken"].maker_fee == 0.0016
    assert "fee_overrides.kraken moved to venues.kraken" in loaded.notes
    assert settings_file().read_text() == v0  # nothing written by loading

    save_theme_choice("nord")
    text = settings_file().read_text()
    data = tomlkit.parse(text).unwrap()
    assert data == {
        "schema_version": SCHEMA_VERSION,
        "engine": {"default_max_book_age": 4},
        "ui": {"theme": "nord"},
        "venues": {
            "binance": {"taker_fee": 0.00075},
            "kraken": {"taker_fee": 0.0026, "maker_fee": 0.0016},
        },
    }
    assert "# written by arbscope 0.0" in text and "# seconds" in text
    reloaded = load_settings()
    assert reloaded.migrated_from is None and reloaded.settings.venues == loaded.settings.venues


def test_v0_fee_override_that_makes_no_sense_is_a_problem_on_its_line() -> None:
    settings_file().parent.mkdir(parents=True)
    settings_file().write_text('[fee_overrides]\nbinance = 0.001\nkraken = "cheap"\n')
    (problem,) = load_settings().problems
    assert problem.line == 3
    assert "fee_overrides.kraken (old layout) must be a fee such as 0.001" in problem.message


def test_file_from_a_newer_arbscope_is_not_used_and_never_saved_over() -> None:
    newer = "schema_version = 7\ntheme = \"nord\"\n"
    settings_file().parent.mkdir(parents=True)
    settings_file().write_text(newer)
    loaded = load_settings()
    (problem,) = loaded.problems
    assert problem.line == 1 and "newer arbscope" in problem.message
    with pytest.raises(BrokenFileError, match="line 1: schema_version 7 was written by a newer"):
        save_theme_choice("arbscope-dark")
    assert settings_file().read_text() == newer


def test_command_line_overrides_win_and_none_means_not_given() -> None:
    from_file = Settings(seed=11, engine=EngineConfig(trade_notional=300.0),
                         ui=UiSettings(theme="nord"))
    merged = apply_cli_overrides(from_file, {"seed": 3, "engine.trade_notional": None})
    assert merged.seed == 3  # the flag wins
    assert merged.engine.trade_notional == 300.0  # not given on the command line: the file's
    assert merged.ui.theme == "nord"
    assert from_file.seed == 11  # pure: the input is unchanged


def test_command_line_overrides_are_validated() -> None:
    with pytest.raises(SettingsError, match="trade_notional: Input should be greater than 0"):
        apply_cli_overrides(Settings(), {"engine.trade_notional": 0})
    with pytest.raises(SettingsError, match="not a setting: sizee"):
        apply_cli_overrides(Settings(), {"sizee": 1})


def test_removing_a_venue_removes_its_table_but_keeps_other_text() -> None:
    save_settings(
        Settings(
            venues={"kraken": VenueSettings(latency_ms=80), "okx": VenueSettings(latency_ms=90)}
        )
    )
    loaded = load_settings().settings
    save_settings(loaded.model_copy(update={"venues": {"okx": loaded.venues["okx"]}}))
    data = tomlkit.parse(settings_file().read_text()).unwrap()
    assert data["venues"] == {"okx": {"latency_ms": 90.0}}


_UPDATE_MANY = """
import sys, time
from pathlib import Path
from arbscope.storage.settings import update_settings
go, key = Path(sys.argv[1]), sys.argv[2]
for _ in range(500):  # wait (bounded, 10 s) for the parent's start signal
    if go.exists():
        break
    time.sleep(0.02)
for i in range(1, 21):
    update_settings({key: f"value-{i}" if key == "ui.theme" else i})
"""


def test_two_processes_changing_different_settings_lose_neither() -> None:
    save_theme_choice("start")
    go = settings_file().parent / "go"
    children = [
        subprocess.Popen([sys.executable, "-c", _UPDATE_MANY, str(go), key], stderr=subprocess.PIPE)
        for key in ("ui.theme", "seed")
    ]
    go.touch()
    for child in children:
        _, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
    # Each process's last write of its own key survives the other's writes.
    final = load_settings().settings
    assert (final.ui.theme, final.seed) == ("value-20", 20)


# --- the flat layout of version 1 ------------------------------------------------------

DATA = Path(__file__).parent / "data"
FLAT_V1 = DATA / "settings-v1.toml"
"""A settings.toml of the flat layout (version 1) as a user has it: what that arbscope's
`config show` printed (run from commit 2de637d), then edited by hand: changed values, a
comment of the user's own, an unknown key, a venue with ccxt options."""
FLAT_V1_MIGRATED = DATA / "settings-v1-migrated.toml"
"""FLAT_V1 after picking the theme arbscope-light: every key in its section."""


def test_a_flat_file_is_read_in_today_s_sections_and_nothing_is_written_by_loading() -> None:
    settings_file().parent.mkdir(parents=True)
    settings_file().write_bytes(FLAT_V1.read_bytes())
    loaded = load_settings()
    assert loaded.ok and loaded.migrated_from == 1
    settings = loaded.settings
    assert settings.engine.trade_notional == 250.0
    assert settings.engine.fx_static_rates == {"EUR/USD": 1.08}
    assert settings.risk.thin_edge_bps == 5.0
    assert settings.paper.stat_auto_close is True
    assert settings.paper.starting_balances["*"]["BTC"] == 0.25
    assert settings.ui.theme == "nord"
    kraken = settings.venues["kraken"]
    assert (kraken.taker_fee, kraken.latency_ms, kraken.ccxt_options) == (
        0.0026, 80.0, {"timeout": 10000})
    assert settings.model_extra == {"my_note": "desk laptop"}
    assert loaded.notes[0] == (
        "settings.toml has schema_version 1; read as version 2, and written that way at the "
        "next save (the old file is kept beside it as a backup)"
    )
    assert "trade_notional moved to [engine] trade_notional" in loaded.notes
    assert "max_book_age_s moved to [engine] default_max_book_age" in loaded.notes
    assert settings_file().read_bytes() == FLAT_V1.read_bytes()
    assert backups(settings_file().parent) == []


def test_the_first_save_of_a_flat_file_writes_sections_keeps_comments_and_backs_it_up() -> None:
    settings_file().parent.mkdir(parents=True)
    settings_file().write_bytes(FLAT_V1.read_bytes())
    before = load_settings().settings

    result = save_theme_choice("arbscope-light")
    text = settings_file().read_text()
    assert text == FLAT_V1_MIGRATED.read_text()
    # Every comment of the old file, whole-line or end-of-line, is in the new one.
    for line in FLAT_V1.read_text().splitlines():
        if "#" in line and not line.startswith(("schema_version", '"')):
            assert line[line.index("#"):] in text, line
    assert 'my_note = "desk laptop"' in text
    # The old file, byte for byte, beside the new one.
    (backup,) = backups(settings_file().parent)
    assert result.backup == backup and backup.read_bytes() == FLAT_V1.read_bytes()
    assert f"the old layout is kept in {backup.name}" in result.message

    after = load_settings()
    assert after.ok and after.migrated_from is None
    assert after.notes == ("unknown key 'my_note' kept as it is",)
    assert after.settings == before.model_copy(
        update={"ui": before.ui.model_copy(update={"theme": "arbscope-light"})})
    # Later saves are in today's layout already: no further backup.
    save_theme_choice("nord")
    assert backups(settings_file().parent) == [backup]


def test_a_flat_file_without_schema_version_is_told_by_its_keys() -> None:
    settings_file().parent.mkdir(parents=True)
    settings_file().write_text('theme = "nord"\nrefresh_hz = 20\n')
    loaded = load_settings()
    assert loaded.ok and loaded.migrated_from == 1
    assert loaded.notes[0].startswith(
        "settings.toml has no schema_version and the layout of version 1; read as version 2")
    assert (loaded.settings.ui.theme, loaded.settings.ui.refresh_hz) == ("nord", 20.0)


def test_a_bad_value_in_a_flat_file_is_named_as_written_on_its_line() -> None:
    settings_file().parent.mkdir(parents=True)
    settings_file().write_text('schema_version = 1\n\nrisk_depth_warn_fraction = 3\n')
    (problem,) = load_settings().problems
    # The key the user wrote, not where it moves to ([risk] depth_warn_fraction).
    assert problem.line == 3
    assert problem.message.startswith("risk_depth_warn_fraction: Input should be less than")


def test_a_flat_key_beside_the_section_it_moves_to_is_a_problem_on_its_line() -> None:
    text = 'seed = 3\ntheme = "nord"\n[ui]\nrefresh_hz = 20\n'
    settings_file().parent.mkdir(parents=True)
    settings_file().write_text(text)
    (problem,) = load_settings().problems
    assert problem.line == 2
    assert problem.message == (
        "theme (old layout, at the top) and a [ui] table are both set; "
        "move it into [ui] as theme")
    with pytest.raises(BrokenFileError):
        save_theme_choice("arbscope-light")
    assert settings_file().read_text() == text


README = Path(__file__).parents[2] / "README.md"


def readme_toml_blocks() -> list[str]:
    return re.findall(r"```toml\n(.*?)```", README.read_text(), flags=re.DOTALL)


def test_the_readme_s_snippets_without_schema_version_are_today_s_layout() -> None:
    blocks = readme_toml_blocks()
    assert len(blocks) >= 2  # the settings section and the live venues one
    settings_file().parent.mkdir(parents=True)
    for block in blocks:
        assert "schema_version" not in block
        settings_file().write_text(block)
        loaded = load_settings()
        # Read as the current schema: nothing migrated, nothing announced, no key unknown.
        assert loaded.ok, loaded.problems
        assert loaded.migrated_from is None and loaded.notes == (), loaded.notes
        assert loaded.settings != Settings()
        save_theme_choice("nord")
        assert backups(settings_file().parent) == []
