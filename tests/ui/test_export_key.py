"""The trade log pane's `e`: never writes over a file, and says where it wrote."""

from __future__ import annotations

from arbscope.storage import paths
from arbscope.trading.balances import Balances
from arbscope.trading.broker import PaperBroker
from arbscope.trading.export import CSV_COLUMNS
from arbscope.trading.tradelog import TradeLog
from arbscope.ui.widgets.trade_log import TradeLogPane
from tests.trading.helpers import ENOUGH, ScriptedSleep, spatial_markets
from tests.trading.test_positions import entry_books, signal
from tests.ui.conftest import notifications
from tests.ui.test_ticket import SIZE, LogPaneApp


async def test_e_picks_a_fresh_name_instead_of_writing_over_a_file() -> None:
    taken = paths.data_dir() / "out.csv"  # where LogPaneApp's pane exports
    taken.parent.mkdir(parents=True, exist_ok=True)
    taken.write_text("the user's own numbers\n")
    with TradeLog() as log:
        broker = PaperBroker(
            entry_books(), spatial_markets(), Balances(ENOUGH), log=log, sleep=ScriptedSleep()
        )
        await broker.execute(signal())
        app = LogPaneApp(log)
        async with app.run_test(size=SIZE) as pilot:
            app.query_one(TradeLogPane).query_one("DataTable").focus()
            await pilot.press("e")
            await pilot.pause()
            await pilot.press("e")
            await pilot.pause()
            first, second = paths.data_dir() / "out-1.csv", paths.data_dir() / "out-2.csv"
            # One trade of two legs each time.
            assert app.exports == [(first, 2), (second, 2)]
            notes = [n.message for n in notifications(app)]
            assert any(str(first) in note for note in notes)
            assert any(str(second) in note for note in notes)
    assert taken.read_text() == "the user's own numbers\n"
    assert first.read_text().splitlines()[0] == ",".join(CSV_COLUMNS)
    assert first.read_text() == second.read_text()
