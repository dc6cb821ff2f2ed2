"""The watchlist screen from the keyboard: every change lands in watchlists.toml at once."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, OptionList, Static

from arbscope.storage.paths import watchlists_file
from arbscope.storage.watchlists import WatchlistStore
from arbscope.ui.screens.watchlists import WatchlistScreen
from tests.ui.conftest import notifications
from tests.ui.watchlist_screen_app import WatchlistHostApp

APP_FILE = Path(__file__).parent / "watchlist_screen_app.py"
SIZE = (100, 30)


def seeded_store() -> WatchlistStore:
    store = WatchlistStore()
    store.create("majors", ["BTC/USDT", "ETH/USDT"])
    store.create("alts", ["SOL/USDT"])
    store.set_active("majors")
    return store


def screen_of(app: WatchlistHostApp) -> WatchlistScreen:
    assert isinstance(app.screen, WatchlistScreen)
    return app.screen


def option_ids(screen: WatchlistScreen, selector: str) -> list[str | None]:
    return [option.id for option in screen.query_one(selector, OptionList).options]


async def test_create_add_with_completion_remove_and_follow() -> None:
    app = WatchlistHostApp(store=WatchlistStore())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(app)
        await pilot.press("n", *"scalps", "enter")
        assert option_ids(screen, "#lists") == ["scalps"]

        # "eth/u" completes to the only known symbol starting with it: ETH/USDT.
        await pilot.press("a", *"eth/u")
        await pilot.pause()
        entry = screen.query_one("#entry", Input)
        assert entry.has_focus
        await pilot.press("enter")
        await pilot.press(*"sol/usdt", "enter")
        await pilot.press("escape")  # leaves add mode, screen stays
        assert isinstance(app.screen, WatchlistScreen)
        assert WatchlistStore().get("scalps").symbols == ["ETH/USDT", "SOL/USDT"]

        # Remove the highlighted (first) symbol.
        await pilot.press("tab")
        assert screen.query_one("#symbols", OptionList).has_focus
        await pilot.press("x")
        assert WatchlistStore().get("scalps").symbols == ["SOL/USDT"]

        # Follow it: the app hears about it, and the file remembers it.
        await pilot.press("shift+tab", "enter")
        await pilot.pause()
        assert WatchlistStore().active_name == "scalps"
        assert [w.name if w else None for w in app.active_changes] == ["scalps"]
        assert app.active_changes[-1] is not None
        assert app.active_changes[-1].symbols == ["SOL/USDT"]


async def test_rename_keeps_following_and_delete_needs_a_second_press() -> None:
    app = WatchlistHostApp(store=seeded_store())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(app)
        # Rename prefills the current name; replace it.
        await pilot.press("r")
        assert screen.query_one("#entry", Input).value == "majors"
        await pilot.press("ctrl+u", *"big", "enter")
        await pilot.pause()
        assert WatchlistStore().names() == ["big", "alts"]
        assert WatchlistStore().active_name == "big"
        assert app.active_changes[-1] is not None and app.active_changes[-1].name == "big"

        await pilot.press("d")
        assert screen.query_one("#confirm", Static).has_class("-shown")
        await pilot.press("escape")  # keeps it
        assert WatchlistStore().names() == ["big", "alts"]
        await pilot.press("d", "d")
        await pilot.pause()
        assert WatchlistStore().names() == ["alts"]
        assert WatchlistStore().active_name is None
        assert app.active_changes[-1] is None  # the followed list is gone: follow none


async def test_refused_change_keeps_the_prompt_and_file() -> None:
    app = WatchlistHostApp(store=seeded_store())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        before = watchlists_file().read_text()
        await pilot.press("n", *"alts", "enter")  # exists already
        await pilot.pause()
        screen = screen_of(app)
        assert screen.mode == "new"  # still asking, so the name can be corrected
        assert watchlists_file().read_text() == before
        assert any("already exists" in n.message for n in notifications(app))
        await pilot.press("escape", "a", *"nonsense", "enter")  # not BASE/QUOTE
        await pilot.pause()
        assert watchlists_file().read_text() == before
        assert app.active_changes == []


async def test_switching_and_follow_none_post_messages() -> None:
    app = WatchlistHostApp(store=seeded_store())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("down", "enter")  # follow "alts"
        await pilot.press("u")  # follow none
        await pilot.pause()
        assert [w.name if w else None for w in app.active_changes] == ["alts", None]
        assert WatchlistStore().active_name is None


async def test_broken_file_is_shown_and_a_change_is_refused_leaving_it_alone() -> None:
    broken = '[watchlists.majors]\nsymbols = ["BTC/USDT", "nope"]\n'
    watchlists_file().parent.mkdir(parents=True)
    watchlists_file().write_text(broken)
    app = WatchlistHostApp(store=WatchlistStore())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(app)
        problems = screen.query_one("#problems", Static)
        assert problems.has_class("-shown")
        assert "line 2" in str(problems.render())
        await pilot.press("n", *"fresh", "enter")
        await pilot.pause()
        assert problems.has_class("-shown")
        refused = [n.message for n in notifications(app) if n.title == "Not saved"]
        assert refused and "does not load, so nothing was saved over it" in refused[0]
        assert watchlists_file().read_text() == broken
        assert not list(watchlists_file().parent.glob("watchlists.toml.bak-*"))


async def test_changes_made_elsewhere_are_seen_when_the_screen_opens() -> None:
    store = seeded_store()
    WatchlistStore().add_symbols("majors", ["XRP/USDT"])  # another process, say
    app = WatchlistHostApp(store=store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert option_ids(screen_of(app), "#symbols") == ["BTC/USDT", "ETH/USDT", "XRP/USDT"]


def test_completion_prefers_exact_symbol_then_first_prefix() -> None:
    screen = WatchlistScreen(WatchlistStore(), ["BTC/USDT", "BTC/USD", "ETH/BTC"])
    assert screen.complete("btc/usd") == "BTC/USD"  # exact beats the longer BTC/USDT
    assert screen.complete("et") == "ETH/BTC"  # the first (sorted) known symbol with that start
    assert screen.complete("doge/usdt") == "DOGE/USDT"  # unknown: taken as typed


def test_snapshot_of_the_watchlist_screen(snap_compare: object) -> None:
    assert snap_compare(APP_FILE, terminal_size=SIZE)  # type: ignore[operator]


async def test_a_watchlist_named_like_markup_is_shown_and_deleted_as_written() -> None:
    # A name from the user's file that reads as markup: shown as markup, the tags
    # vanished from the delete prompt and the user confirmed a name they never wrote.
    store = WatchlistStore()
    store.create("[b]vip[/b]", ["BTC/USDT"])
    app = WatchlistHostApp(store=store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(app)
        await pilot.press("d")
        await pilot.pause()
        confirm = screen.query_one("#confirm", Static)
        assert "Delete '[b]vip[/b]' and its 1 symbol(s)?" in str(confirm.render())
        await pilot.press("d")
        await pilot.pause()
        assert WatchlistStore().names() == []
        assert app.is_running
