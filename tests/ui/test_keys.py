"""Every key of the monitor, driven with Pilot: each test pins the key's effect."""

from __future__ import annotations

from rich.text import Text
from textual.command import CommandPalette

from arbscope.engine.kinds import KINDS
from arbscope.models import Kind
from arbscope.ui.app import ArbscopeApp
from arbscope.ui.format import KIND_SHORT, route_label
from arbscope.ui.keys import key_help, kind_keys_help
from arbscope.ui.palette import Palette
from arbscope.ui.screens.help import HelpScreen
from arbscope.ui.widgets.filter_bar import FilterBar
from arbscope.ui.widgets.opportunities import OpportunitiesTable
from arbscope.ui.widgets.order_books import OrderBooksPane
from arbscope.ui.widgets.spread_heatmap import HeatmapView, SpreadHeatmap, nice_scale
from arbscope.ui.widgets.spread_history import SpreadHistory
from arbscope.ui.widgets.status_bar import StatusBar
from tests.ui.conftest import SIZE, make_app
from tests.ui.sim_driver import SteppedMarket


def table_of(app: ArbscopeApp) -> OpportunitiesTable:
    return app.query_one(OpportunitiesTable)


def status_text(app: ArbscopeApp) -> str:
    return app.query_one(StatusBar).status_text(Palette.of(app)).plain


async def test_arrows_and_j_k_move_the_cursor(shared_market: SteppedMarket) -> None:
    app = make_app(shared_market)
    async with app.run_test(size=SIZE) as pilot:
        table = table_of(app)
        assert table.has_focus and table.cursor_row == 0 and table.row_count > 3
        await pilot.press("down")
        assert table.cursor_row == 1
        await pilot.press("j", "j")
        assert table.cursor_row == 3
        await pilot.press("k")
        assert table.cursor_row == 2
        await pilot.press("up")
        assert table.cursor_row == 1


async def test_before_enter_the_panes_follow_the_cursor(shared_market: SteppedMarket) -> None:
    app = make_app(shared_market)
    async with app.run_test(size=SIZE) as pilot:
        table = table_of(app)
        assert app.selected is not None and app.selected.route_id == table.routes[0]
        await pilot.press("down")
        assert not app.pinned
        assert app.selected.route_id == table.routes[1]


async def test_enter_pins_the_route_and_books_heatmap_history_follow_it(
    shared_market: SteppedMarket,
) -> None:
    app = make_app(shared_market)
    async with app.run_test(size=SIZE) as pilot:
        table = table_of(app)
        await pilot.press("down", "down", "enter")
        chosen = table.routes[2]
        assert app.pinned and app.selected is not None and app.selected.route_id == chosen
        label = route_label(app.selected)
        assert label in str(app.query_one(OrderBooksPane).border_title)
        assert label in str(app.query_one(SpreadHistory).border_title)
        heatmap = app.query_one(SpreadHeatmap)
        assert app.selected.legs[0].symbol in str(heatmap.border_title)
        assert heatmap.grid is not None and app.selected.legs[0].venue in heatmap.grid.rows
        # The pinned row carries the mark; moving on does not change the selection.
        assert str(table.get_cell(chosen, "kind")).startswith("▶")
        await pilot.press("down", "down")
        assert app.selected.route_id == chosen


async def test_books_of_an_open_route_tint_exactly_the_levels_the_trade_takes(
    shared_market: SteppedMarket,
) -> None:
    app = make_app(shared_market)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        assert app.selected is not None
        books = app.query_one(OrderBooksPane)
        rendered = books.render()
        assert isinstance(rendered, Text)
        palette = Palette.of(app)
        tints = {palette.highlight(palette.ask).bgcolor, palette.highlight(palette.bid).bgcolor}
        # Each level a leg's fill walks into is one tinted ladder row; every leg takes at
        # least its best level, so the tinted rows add up to the legs' levels_used.
        expected = sum(leg.levels_used for leg in app.selected.legs)
        assert expected >= len(app.selected.legs)
        tinted_rows = [
            line.plain for line in rendered.split("\n") for span in line.spans
            if not isinstance(span.style, str) and span.style.bgcolor in tints
        ]
        assert len(tinted_rows) == expected
        assert rendered.plain.count("◂") == expected  # visible without colour too
        assert "VWAP" in rendered.plain and "▶" in rendered.plain


async def test_tab_cycles_the_panes(shared_market: SteppedMarket) -> None:
    app = make_app(shared_market)
    async with app.run_test(size=SIZE) as pilot:
        assert app.focused is table_of(app)
        await pilot.press("tab")
        assert app.focused is app.query_one(OrderBooksPane)
        await pilot.press("tab")
        assert app.focused is app.query_one(SpreadHeatmap)
        await pilot.press("tab")
        assert app.focused is app.query_one(SpreadHistory)
        await pilot.press("shift+tab", "shift+tab", "shift+tab")
        assert app.focused is table_of(app)


async def test_slash_filters_routes_enter_keeps_escape_clears(
    shared_market: SteppedMarket,
) -> None:
    app = make_app(shared_market)
    async with app.run_test(size=SIZE) as pilot:
        table = table_of(app)
        everything = table.matching
        await pilot.press("slash")
        assert app.focused is app.query_one(FilterBar)
        await pilot.press("e", "t", "h", " ", "o", "k", "x")
        assert table.filter_text == "eth okx"
        assert 0 < table.matching < everything
        assert all("eth" in r.lower() and "okx" in r for r in table.routes)
        await pilot.press("enter")
        assert app.focused is table and table.filter_text == "eth okx"
        await pilot.press("slash", "escape")
        assert table.filter_text == "" and table.matching == everything
        assert app.focused is table


async def test_keys_1_to_4_toggle_each_kind(shared_market: SteppedMarket) -> None:
    app = make_app(shared_market)
    async with app.run_test(size=SIZE) as pilot:
        table = table_of(app)

        def kinds_listed() -> set[Kind]:
            return {table._shown[route].kind for route in table.routes}

        assert {Kind.SPATIAL, Kind.CROSS_CURRENCY} <= kinds_listed()
        for key, kind in (("1", Kind.SPATIAL), ("2", Kind.TRIANGULAR),
                          ("3", Kind.CROSS_CURRENCY), ("4", Kind.STATISTICAL)):
            await pilot.press(key)
            assert kind not in table.kinds_shown and kind not in kinds_listed()
            assert f"{key}{KIND_SHORT[kind]}✗" in str(table.border_subtitle)
            await pilot.press(key)
            assert kind in table.kinds_shown
            assert f"{key}{KIND_SHORT[kind]}✓" in str(table.border_subtitle)
        await pilot.press("1")
        assert kinds_listed() and Kind.SPATIAL not in kinds_listed()


async def test_every_registered_kind_has_its_key_help_line_and_palette_command(
    shared_market: SteppedMarket,
) -> None:
    # Keys 1..N follow the registry: the last kind registered toggles like the first.
    app = make_app(shared_market)
    async with app.run_test(size=SIZE) as pilot:
        table = table_of(app)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        keys, text = kind_keys_help()
        assert keys.split() == [str(index) for index in range(1, len(KINDS) + 1)]
        for index, spec in enumerate(KINDS, start=1):
            assert f"Toggle {spec.label}" in titles and spec.label in text
            await pilot.press(str(index))
            assert spec.kind not in table.kinds_shown
            assert f"{index}{spec.short}✗" in str(table.border_subtitle)
            await pilot.press(str(index))
            assert spec.kind in table.kinds_shown
            assert f"{index}{spec.short}✓" in str(table.border_subtitle)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert (keys, text) in app.screen.keys


async def test_h_flips_the_heatmap_between_venue_pairs_and_mid_deviation(
    shared_market: SteppedMarket,
) -> None:
    app = make_app(shared_market)
    async with app.run_test(size=SIZE) as pilot:
        heatmap = app.query_one(SpreadHeatmap)
        assert heatmap.view is HeatmapView.ROUTES and heatmap.grid is not None
        assert heatmap.grid.rows == heatmap.grid.columns  # venue by venue
        await pilot.press("h")
        assert heatmap.view is HeatmapView.DEVIATION and heatmap.grid is not None
        assert "BTC/USDT" in heatmap.grid.rows and "binance" in heatmap.grid.columns
        await pilot.press("h")
        assert heatmap.view is HeatmapView.ROUTES


async def test_plus_and_minus_change_the_trade_size_the_calculator_uses(
    market: SteppedMarket,
) -> None:
    app = make_app(market)
    async with app.run_test(size=SIZE) as pilot:
        before = {o.route_id: o.size for o in market.scanner.snapshot.opportunities}
        await pilot.press("plus")
        # 1000 USD grown by the 25 % step -> 1250 USD
        assert app.trade_notional == 1250.0
        assert market.scanner.config.trade_notional == 1250.0
        assert "size 1,250 USD" in status_text(app)
        market.scanner.step()
        after = {o.route_id: o.size for o in market.scanner.snapshot.opportunities}
        grown = [after[r] / before[r] for r in before.keys() & after.keys() if before[r] > 0]
        assert grown and max(grown) > 1.2  # sizes follow the notional (up to rounding)
        await pilot.press("minus")
        assert app.trade_notional == 1000.0 and market.scanner.config.trade_notional == 1000.0


async def test_p_pauses_the_display_and_resumes_on_the_newest_snapshot(
    market: SteppedMarket,
) -> None:
    app = make_app(market)
    async with app.run_test(size=SIZE) as pilot:
        table = table_of(app)
        await pilot.press("p")
        assert app.paused and "PAUSED" in status_text(app)
        frames, routes, shown = app.frames, table.routes, app.shown_snapshot
        market.advance(1.0)
        app.refresh_panes()
        assert app.frames == frames and table.routes == routes
        assert app.shown_snapshot is shown is not market.scanner.snapshot
        await pilot.press("p")
        assert not app.paused and "PAUSED" not in status_text(app)
        assert app.shown_snapshot is market.scanner.snapshot and app.frames == frames + 1


async def test_t_opens_the_theme_picker_and_every_pane_is_recoloured(
    shared_market: SteppedMarket,
) -> None:
    app = make_app(shared_market)
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == "arbscope-dark"
        dark = Palette.of(app)
        table = table_of(app)
        first = table.routes[0]
        await pilot.press("t")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"contrast")
        await pilot.press("enter")
        await pilot.pause()
        assert app.theme == "arbscope-high-contrast"
        bright = Palette.of(app)
        assert bright.heat_zero != dark.heat_zero and bright.bid != dark.bid
        # The table's cells are rewritten in the new theme's colours...
        net = table.get_cell(first, "net")
        assert isinstance(net, Text) and not isinstance(net.style, str)
        assert net.style.color in (bright.pass_.rich_color, bright.fail.rich_color)
        # ...and every heatmap cell and legend step sits on the new theme's scale.
        heatmap = app.query_one(SpreadHeatmap)
        heat = heatmap.render()
        assert isinstance(heat, Text) and heatmap.grid is not None
        backgrounds = {span.style.bgcolor for span in heat.spans
                       if not isinstance(span.style, str) and span.style.bgcolor}
        scale = nice_scale(heatmap.grid.extreme())
        values = [v for row in heatmap.grid.cells for v in row if v is not None]
        values += [scale * step / 5 for step in range(-5, 6)]
        assert backgrounds == {bright.heat(v, scale).rich_color for v in values}


async def test_the_theme_picker_lists_only_arbscope_themes(shared_market: SteppedMarket) -> None:
    app = make_app(shared_market)
    async with app.run_test(size=SIZE):
        assert app.theme_names == ["arbscope-colorblind", "arbscope-dark",
                                   "arbscope-high-contrast", "arbscope-light"]


async def test_question_mark_shows_every_key_and_escape_closes_it(
    shared_market: SteppedMarket,
) -> None:
    app = make_app(shared_market)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        listed = " ".join(key for key, _ in app.screen.keys)
        for binding in [*ArbscopeApp.BINDINGS, *OpportunitiesTable.BINDINGS]:
            display = getattr(binding, "key_display", None) or binding.key.split(",")[0]
            shown = {"enter": "Enter"}.get(display, display)
            assert shown in listed, binding
        for key in ("Tab", "Ctrl+P", "j k"):
            assert key in listed
        assert app.screen.keys == key_help(0.25)
        assert "by 25%" in listed + " ".join(text for _, text in app.screen.keys)
        frames = app.frames
        app.refresh_panes()  # the timer keeps the main screen current under the help
        assert app.frames == frames + 1
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_q_quits(shared_market: SteppedMarket) -> None:
    app = make_app(shared_market)
    async with app.run_test(size=SIZE) as pilot:
        assert app.return_code is None
        await pilot.press("q")
        await pilot.pause()
        assert app.return_code == 0


async def test_every_action_is_in_the_command_palette(shared_market: SteppedMarket) -> None:
    app = make_app(shared_market)
    async with app.run_test(size=SIZE) as pilot:
        titles = [command.title for command in app.get_system_commands(app.screen)]
        for wanted in ("Select route", "Filter routes", "Toggle spatial", "Toggle triangular",
                       "Toggle cross-currency", "Toggle statistical", "Toggle sort",
                       "Toggle heatmap view", "Increase trade size", "Decrease trade size",
                       "Pause display", "Theme", "Help", "Quit"):
            assert wanted in titles
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"heatmap view")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.query_one(SpreadHeatmap).view is HeatmapView.DEVIATION


async def test_the_footer_shows_the_keys_of_the_focused_pane(shared_market: SteppedMarket) -> None:
    app = make_app(shared_market)
    async with app.run_test(size=SIZE) as pilot:
        assert {"enter", "s", "h", "question_mark", "q"} <= set(app.screen.active_bindings)
        await pilot.press("tab")  # order books: no table keys
        assert "enter" not in app.screen.active_bindings
        assert "s" not in app.screen.active_bindings
        await pilot.press("slash")  # the filter: Escape clears it
        assert "escape" in app.screen.active_bindings


async def test_s_switches_the_ranking_between_net_profit_and_net_bps(
    shared_market: SteppedMarket,
) -> None:
    app = make_app(shared_market)
    async with app.run_test(size=SIZE) as pilot:
        table = table_of(app)
        await pilot.press("s")
        by_bps = [table._shown[r].net_bps for r in table.routes]
        assert by_bps == sorted(by_bps, reverse=True)
        assert "sort: net bps" in str(table.border_subtitle)
