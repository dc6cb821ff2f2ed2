"""What the user sets up in the monitor is there at the next start; bad files never cost it.

Each test has its own config folder (tests/conftest.py); a "next start" is a
second app built from the files, as `arbscope` builds it.
"""

from __future__ import annotations

import argparse

from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import OptionList

from arbscope.cli import UsageError
from arbscope.cli.sources import add_source_arguments
from arbscope.cli.watched import watched_feeds
from arbscope.models import MarketSnapshot
from arbscope.storage.paths import settings_file, user_themes_dir, watchlists_file
from arbscope.storage.sections import UiSettings
from arbscope.storage.settings import load_settings, with_changes
from arbscope.storage.watchlists import WatchlistStore
from arbscope.ui.app import ArbscopeApp
from arbscope.ui.screens.watchlists import WatchlistScreen
from arbscope.ui.themes import builtin_themes_dir
from arbscope.ui.watching import WatchSetup
from tests.fifo import fifo_never_read
from tests.ui.bad_themes import good_theme, write_bad_themes
from tests.ui.conftest import SIZE, make_app, notifications
from tests.ui.sim_driver import SteppedMarket

BROKEN_WATCHLISTS = """schema_version = 1
active = "majors"

[watchlists.majors]
symbols = ["BTC/USDT", "ETH/USDT"
"""
"""A closing bracket missing on line 5: the array never ends."""


def messages(app: ArbscopeApp) -> list[str]:
    return [f"{n.title}: {n.message}" for n in notifications(app)]


def next_start(market: SteppedMarket) -> ArbscopeApp:
    """The monitor as the next `arbscope` run builds it: settings and watchlists from the files."""
    settings = load_settings().settings.model_copy(update={"seed": market.settings.seed})
    return ArbscopeApp(market.scanner, settings, clock=market.clock, refresh_timer=False,
                       start_scanner=False)


async def pick_theme(pilot: Pilot[None], name: str) -> None:
    await pilot.press("t")
    await pilot.pause()
    assert isinstance(pilot.app.screen, CommandPalette)
    await pilot.press(*name)
    await pilot.app.workers.wait_for_complete()  # the palette searches in a worker
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()


async def test_watchlist_and_theme_made_in_the_monitor_are_there_at_the_next_start(
    market: SteppedMarket,
) -> None:
    app = make_app(market)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        everything = len(app.shown_snapshot.opportunities) if app.shown_snapshot else 0
        await pilot.press("w")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, WatchlistScreen)
        # Completion offers what the scanner's markets list.
        assert "ETH/BTC" in screen.known_symbols and "BTC/USDT" in screen.known_symbols
        await pilot.press("n", *"daily", "enter")
        await pilot.press("a", *"btc/usdt", "enter", *"eth/usdt", "enter", *"sol/usdt", "enter")
        await pilot.press("escape")
        await pilot.press("tab")  # to the symbols pane
        symbols = screen.query_one("#symbols", OptionList)
        symbols.highlighted = 2  # SOL/USDT
        await pilot.press("x")
        await pilot.press("shift+tab", "enter")  # follow "daily"
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, WatchlistScreen)

        # Following it: only routes whose every book is BTC/USDT or ETH/USDT are shown.
        shown = app.shown_snapshot
        assert shown is not None and shown.opportunities
        assert len(shown.opportunities) < everything
        for opportunity in shown.opportunities:
            assert {leg.symbol for leg in opportunity.legs} <= {"BTC/USDT", "ETH/USDT"}
        assert {symbol for _, symbol in shown.books} <= {"BTC/USDT", "ETH/USDT"}
        assert any("Following daily" in m for m in messages(app))

        await pick_theme(pilot, "arbscope-light")
        assert app.theme == "arbscope-light"
        await pilot.press("q")

    assert 'theme = "arbscope-light"' in settings_file().read_text(encoding="utf-8")
    again = next_start(market)
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert again.theme == "arbscope-light"
        following = again.watchlists.following
        assert following is not None and following.name == "daily"
        assert following.symbols == ["BTC/USDT", "ETH/USDT"]
        shown = again.shown_snapshot
        assert shown is not None
        assert all(leg.symbol in following.symbols
                   for o in shown.opportunities for leg in o.legs)


async def test_a_corrupt_watchlists_file_is_named_with_its_line_and_left_as_it_is(
    market: SteppedMarket,
) -> None:
    path = watchlists_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(BROKEN_WATCHLISTS, encoding="utf-8")
    before = path.read_bytes()
    app = make_app(market)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        report = [m for m in messages(app) if "watchlists.toml" in m]
        assert report, messages(app)
        assert "line 5: not valid TOML" in report[0], report[0]
        # The monitor still runs, on every symbol.
        market.advance(0.5)
        app.refresh_panes()
        shown = app.shown_snapshot
        assert shown is not None and shown.opportunities
        assert app.watchlists.following is None
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, WatchlistScreen)
        await pilot.press("escape")
    assert path.read_bytes() == before
    assert not list(path.parent.glob("watchlists.toml.bak-*"))


def test_the_monitor_starts_with_the_active_watchlist_unless_flags_say_otherwise() -> None:
    store = WatchlistStore()
    store.create("majors", ["BTC/USDT", "ETH/USDT"])
    store.set_active("majors")
    parser = argparse.ArgumentParser()
    add_source_arguments(parser)
    built: list[list[str] | None] = []

    def build(args: argparse.Namespace) -> str:
        built.append(args.symbols)
        return "feeds"

    _, setup = watched_feeds(parser.parse_args([]), store, build, "sim")
    assert built[-1] == ["BTC/USDT", "ETH/USDT"]
    assert setup.following is not None and setup.following.name == "majors"
    _, setup = watched_feeds(parser.parse_args(["--symbols", "SOL/USDT"]), store, build, "sim")
    assert built[-1] == ["SOL/USDT"] and setup.following is None

    # A symbol the source refuses: the run starts on every symbol and says why.
    store.add_symbols("majors", ["DOGE/USDT"])

    def refuse_doge(args: argparse.Namespace) -> str:
        if args.symbols and "DOGE/USDT" in args.symbols:
            raise UsageError("unknown symbol DOGE/USDT")
        built.append(args.symbols)
        return "feeds"

    _, setup = watched_feeds(parser.parse_args([]), store, refuse_doge, "sim")
    assert built[-1] is None and setup.following is None
    assert "DOGE/USDT" in setup.notices[0].message


async def test_a_corrupt_user_theme_is_reported_by_name_and_the_others_load(
    market: SteppedMarket,
) -> None:
    themes = user_themes_dir()
    themes.mkdir(parents=True)
    good = (builtin_themes_dir() / "arbscope-dark.toml").read_text(encoding="utf-8")
    (themes / "mine.toml").write_text(
        good.replace('name = "arbscope-dark"', 'name = "mine"'), encoding="utf-8")
    (themes / "broken.toml").write_text(
        good.replace('name = "arbscope-dark"', 'name = "broken"').replace(
            "bid = ", "bid = 'not-a-colour' #"), encoding="utf-8")
    app = ArbscopeApp(market.scanner, market.settings, clock=market.clock,
                      refresh_timer=False, start_scanner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        report = [m for m in messages(app) if "broken.toml" in m]
        assert report and "variables.bid" in report[0] and "not a colour" in report[0]
        assert "mine" in app.available_themes and "broken" not in app.available_themes
        assert "arbscope-light" in app.available_themes


async def test_alerts_notify_once_per_crossing_and_ring_the_bell_when_asked(
    market: SteppedMarket,
) -> None:
    snapshot = market.until_open()
    route = snapshot.opportunities[0]
    store = WatchlistStore()
    symbols = sorted({leg.symbol for leg in route.legs})
    store.create("watch", symbols)
    watched = store.set_alert("watch", route.route_id, route.net_bps - 1.0)
    app = ArbscopeApp(market.scanner, with_changes(market.settings, {"ui.alert_bell": True}),
                      clock=market.clock, refresh_timer=False, start_scanner=False,
                      watch=WatchSetup(store, watched))
    bells: list[None] = []
    app.bell = lambda: bells.append(None)  # type: ignore[method-assign]
    closed = MarketSnapshot.model_construct(**{**dict(snapshot), "opportunities": ()})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        controller = app.watchlists
        controller.check_alerts(snapshot)
        controller.check_alerts(snapshot)  # the same snapshot again: nothing new
        still_open = MarketSnapshot.model_construct(**dict(snapshot))
        controller.check_alerts(still_open)  # still above: quiet
        assert [hit.route_id for hit in controller.alerted] == [route.route_id]
        assert len(bells) == 1
        alerts = [m for m in messages(app) if m.startswith("Alert · watch")]
        assert len(alerts) == 1 and f"{route.net_bps:+.1f} bps" in alerts[0]
        controller.check_alerts(closed)  # the route closes: the alert re-arms
        controller.check_alerts(still_open)
        assert len(controller.alerted) == 2 and len(bells) == 2


def test_the_settings_file_is_named_at_start_when_it_does_not_load() -> None:
    from arbscope.ui.watching import settings_notices

    path = settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("theme = \n", encoding="utf-8")
    notices = settings_notices(load_settings())
    assert notices and "settings.toml" in notices[0].message and "line 1" in notices[0].message
    assert path.read_text(encoding="utf-8") == "theme = \n"


async def test_the_monitor_starts_with_every_kind_of_bad_theme_and_names_each(
    market: SteppedMarket,
) -> None:
    expected = write_bad_themes(user_themes_dir())
    (user_themes_dir() / "mine.toml").write_text(good_theme("mine"), encoding="utf-8")
    # The saved theme is the one whose variables Textual could not apply.
    settings = market.settings.model_copy(update={"ui": UiSettings(theme="unusable")})
    with fifo_never_read(user_themes_dir() / "pipe.toml"):
        app = ArbscopeApp(market.scanner, settings, clock=market.clock,
                          refresh_timer=False, start_scanner=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        reports = [n.message for n in notifications(app) if n.title == "Theme file not loaded"]
        for report in expected.values():
            assert any(report in shown for shown in reports), report
        assert any("pipe.toml: is a FIFO" in shown for shown in reports)
        assert app.theme == "arbscope-dark" and "mine" in app.available_themes
        app.refresh_panes()  # the monitor runs: the panes draw a frame
        await pilot.pause()
        assert app.frames >= 1 and app.shown_snapshot is not None


async def test_a_theme_picked_with_a_broken_settings_file_stays_on_and_is_not_saved(
    market: SteppedMarket,
) -> None:
    broken = '# mine\ntrade_notional = 250.0\nseed = = 3\n'  # a typo on line 3
    settings_file().parent.mkdir(parents=True)
    settings_file().write_text(broken, encoding="utf-8")
    app = make_app(market)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pick_theme(pilot, "arbscope-light")
        assert app.theme == "arbscope-light"  # on for this session
        refused = [n.message for n in notifications(app) if n.title == "Theme not saved"]
        assert refused, messages(app)
        assert "theme 'arbscope-light' is on for this session but could not be saved" in (
            refused[0])
        assert f"{settings_file()}, line 3: not valid TOML" in refused[0]
    assert settings_file().read_text(encoding="utf-8") == broken
    assert not list(settings_file().parent.glob("settings.toml.bak-*"))
