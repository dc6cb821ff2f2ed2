"""watchlists.toml: every change saved at once, concurrent processes, broken files."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import tomlkit

from arbscope.storage.paths import watchlists_file
from arbscope.storage.watchlists import (
    UnknownWatchlistError,
    WatchlistError,
    WatchlistFileError,
    WatchlistStore,
)

BACKUP_NAME = re.compile(r"^watchlists\.toml\.bak-\d{8}T\d{6}Z(-\d+)?$")


def on_disk() -> dict[str, object]:
    return tomlkit.parse(watchlists_file().read_text()).unwrap()


def test_empty_store_without_a_file() -> None:
    store = WatchlistStore()
    assert store.names() == [] and store.active is None and store.problems == ()
    assert not watchlists_file().exists()


def test_every_change_is_saved_at_once_and_seen_by_a_new_store() -> None:
    store = WatchlistStore()
    store.create("majors", ["btc/usdt", " ETH/USDT "])
    assert on_disk()["watchlists"] == {"majors": {"symbols": ["BTC/USDT", "ETH/USDT"]}}
    store.create("alts", ["SOL/USDT"], venues=["Binance", "okx"])
    store.add_symbols("majors", ["XRP/USDT", "BTC/USDT"])  # BTC already there: kept once
    store.remove_symbols("majors", ["ETH/USDT"])
    store.set_alert("alts", "spatial:SOL/USDT:*", 12)
    store.set_active("alts")
    store.rename("alts", "altcoins")

    again = WatchlistStore()
    assert again.names() == ["majors", "altcoins"]  # the renamed one keeps its place
    assert again.get("majors").symbols == ["BTC/USDT", "XRP/USDT"]
    altcoins = again.get("altcoins")
    assert altcoins.venues == ["binance", "okx"]
    assert altcoins.alerts == {"spatial:SOL/USDT:*": 12.0}
    assert again.active_name == "altcoins"  # renaming the active one keeps it active

    again.delete("altcoins")
    assert WatchlistStore().names() == ["majors"]
    assert WatchlistStore().active is None


def test_bad_requests_are_refused_with_what_would_work() -> None:
    store = WatchlistStore()
    store.create("majors", ["BTC/USDT"])
    with pytest.raises(UnknownWatchlistError, match="existing watchlists: majors") as info:
        store.add_symbols("minors", ["ETH/USDT"])
    assert info.value.existing == ["majors"]
    with pytest.raises(WatchlistError, match="already exists"):
        store.create(" majors ")
    with pytest.raises(WatchlistError, match="not BASE/QUOTE"):
        store.add_symbols("majors", ["BTCUSDT"])
    not_listed = r"ETH/USDT not in watchlist 'majors' \(it has BTC/USDT\)"
    with pytest.raises(WatchlistError, match=not_listed):
        store.remove_symbols("majors", ["ETH/USDT"])
    with pytest.raises(WatchlistError, match="cannot be empty"):
        store.create("   ")
    with pytest.raises(WatchlistError, match="longer than 40"):
        store.create("x" * 41)
    # Nothing above changed the file.
    assert on_disk()["watchlists"] == {"majors": {"symbols": ["BTC/USDT"]}}


def test_comments_and_unknown_keys_survive_changes() -> None:
    original = (
        "# my lists\n"
        "schema_version = 1\n"
        "sort_by = \"name\"  # something a newer arbscope reads\n"
        "\n"
        "[watchlists.majors]\n"
        "# the ones I trade every day\n"
        "symbols = [\"BTC/USDT\"]\n"
        "colour = \"gold\"\n"
    )
    watchlists_file().parent.mkdir(parents=True)
    watchlists_file().write_text(original)
    store = WatchlistStore()
    store.add_symbols("majors", ["ETH/USDT"])
    store.rename("majors", "daily")
    text = watchlists_file().read_text()
    assert text == original.replace("[watchlists.majors]", "[watchlists.daily]").replace(
        'symbols = ["BTC/USDT"]', 'symbols = ["BTC/USDT", "ETH/USDT"]'
    )


def test_broken_file_is_reported_store_runs_empty_and_a_change_is_refused() -> None:
    broken = '[watchlists.majors]\nsymbols = ["BTC/USDT", "ETHUSDT"]\n'
    watchlists_file().parent.mkdir(parents=True)
    watchlists_file().write_text(broken)
    store = WatchlistStore()
    (problem,) = store.problems
    assert problem.file == watchlists_file() and problem.line == 2
    assert "watchlists.majors.symbols" in problem.message and "not BASE/QUOTE" in problem.message
    assert store.names() == []
    assert store.message is not None and "runs with no watchlists" in store.message
    assert "nothing is saved over it until it loads" in store.message
    assert watchlists_file().read_text() == broken

    # Creating a list must not write a file holding only that list: refused, file named.
    with pytest.raises(WatchlistFileError) as refused:
        store.create("fresh", ["SOL/USDT"])
    message = str(refused.value)
    assert f"{watchlists_file()} does not load, so nothing was saved over it" in message
    assert f"{watchlists_file()}, line 2: watchlists.majors.symbols" in message
    # The file is named first, not a watchlist the empty store seems to lack.
    with pytest.raises(WatchlistFileError, match="does not load"):
        store.add_symbols("majors", ["SOL/USDT"])
    assert watchlists_file().read_text() == broken
    assert not [p for p in watchlists_file().parent.iterdir() if BACKUP_NAME.match(p.name)]

    # Fixed by hand: the next change goes through.
    watchlists_file().write_text(broken.replace('"ETHUSDT"', '"ETH/USDT"'))
    store.create("fresh", ["SOL/USDT"])
    assert store.problems == ()
    assert WatchlistStore().names() == ["majors", "fresh"]


def test_unparsable_file_names_the_line() -> None:
    watchlists_file().parent.mkdir(parents=True)
    watchlists_file().write_text('active = "a"\n[watchlists.a\nsymbols = []\n')
    (problem,) = WatchlistStore().problems
    assert problem.line == 2 and "not valid TOML" in problem.message


def test_active_naming_a_missing_watchlist_reads_as_none() -> None:
    watchlists_file().parent.mkdir(parents=True)
    watchlists_file().write_text('active = "gone"\n[watchlists.a]\nsymbols = ["BTC/USDT"]\n')
    store = WatchlistStore()
    assert store.problems == () and store.active is None


def test_a_change_applies_to_the_file_as_it_is_now_not_as_this_store_last_saw_it() -> None:
    first, second = WatchlistStore(), WatchlistStore()
    first.create("majors", ["BTC/USDT"])
    second.create("alts", ["SOL/USDT"])  # second never saw "majors"
    second.add_symbols("majors", ["ETH/USDT"])  # ...but changes it as it is on disk
    first.reload()
    assert first.get("majors").symbols == ["BTC/USDT", "ETH/USDT"]
    assert first.names() == ["majors", "alts"]


_ADD_MANY = """
import sys, time
from pathlib import Path
from arbscope.storage.watchlists import WatchlistStore
go = Path(sys.argv[1])
prefix = sys.argv[2]
for _ in range(500):  # wait (bounded, 10 s) for the parent's start signal
    if go.exists():
        break
    time.sleep(0.02)
store = WatchlistStore()
for i in range(25):
    store.add_symbols("shared", [f"{prefix}{i}/USDT"])
print("done", flush=True)
"""


def test_two_processes_adding_different_symbols_at_once_lose_neither() -> None:
    WatchlistStore().create("shared")
    go = watchlists_file().parent / "go"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _ADD_MANY, str(go), prefix],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for prefix in ("AAA", "BBB")
    ]
    go.touch()
    for child in children:
        out, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
        assert out.strip() == "done"
    symbols = WatchlistStore().get("shared").symbols
    expected = {f"{p}{i}/USDT" for p in ("AAA", "BBB") for i in range(25)}
    assert set(symbols) == expected and len(symbols) == 50
    # Each process's own additions stay in the order it made them.
    assert [s for s in symbols if s.startswith("AAA")] == [f"AAA{i}/USDT" for i in range(25)]
